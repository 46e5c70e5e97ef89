import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Bus } from "../../../../../src/machine/bus";
import { Ram } from "../../../../../src/machine/memory";
import { Iommu, IommuFault } from "../../../../../src/machine/devices/iommu/model";
import * as IR from "../../../../../src/machine/devices/iommu/registers";
import { VirtioBlk } from "../../../../../src/machine/devices/virtio/blk";
import { MemoryBackend } from "../../../../../src/machine/devices/virtio/block_backend";
import { Dma } from "../../../../../src/machine/devices/virtio/dma";
import { F_VERSION_1, VirtioMmio } from "../../../../../src/machine/devices/virtio/mmio_transport";
import * as R from "../../../../../src/machine/devices/virtio/registers";

/**
 * Host RAM at 0x8000_0000 (2 MiB) holds the IOMMU's structures, as a VMM lays them out: the device
 * directory, the fault queue, and a second-stage (Sv39x4) table that maps a 64 KiB guest window,
 * GPA 0x8000_0000 → HPA 0x8010_0000. Everything else in host RAM is not the guest's.
 */
const HOST = 0x8000_0000;
const DDT = HOST;
const FQ = HOST + 0x1000;
const ROOT = HOST + 0x4000;
const L1 = HOST + 0x8000;
const L0 = HOST + 0x9000;
const GUEST_GPA = 0x8000_0000;
const GUEST_HPA = 0x8010_0000;
const GUEST_PAGES = 16;
const DEVICE = 5;
const V = 1n, R_ = 2n, W = 4n, U = 16n, A = 64n, D = 128n;

class Host {
  readonly ram = new Ram(HOST, 2 << 20);
  readonly bus = new Bus(this.ram);
  irq = false;
  readonly iommu = new Iommu(this.bus, { set: (l) => (this.irq = l) });

  constructor(fqLog2 = 6) {
    const pte = (ppnOf: number, flags: bigint) => (BigInt(ppnOf / 4096) << 10n) | flags;
    this.u64(ROOT + 8 * 2, pte(L1, V));
    this.u64(L1, pte(L0, V));
    for (let p = 0; p < GUEST_PAGES; p++) this.u64(L0 + 8 * p, pte(GUEST_HPA + p * 4096, V | R_ | W | U | A | D));
    this.context(DEVICE, IR.DC_TC_V, (BigInt(IR.IOHGATP_SV39X4) << 60n) | (7n << 44n) | BigInt(ROOT / 4096));
    this.w64(IR.FQB, (BigInt(FQ / 4096) << 10n) | BigInt(fqLog2 - 1));
    this.iommu.write(IR.FQCSR, 4, IR.FQCSR_FQEN | IR.FQCSR_FIE);
    this.w64(IR.DDTP, (BigInt(DDT / 4096) << 10n) | BigInt(IR.DDTP_1LVL));
  }

  context(device: number, tc: bigint, iohgatp: bigint, fsc = 0n): void {
    const at = DDT + device * IR.DC_BYTES;
    this.u64(at, tc);
    this.u64(at + 8, iohgatp);
    this.u64(at + 24, fsc);
  }

  u64(pa: number, v: bigint): void {
    this.ram.view.setBigUint64(pa - HOST, v, true);
  }

  r64(pa: number): bigint {
    return this.ram.view.getBigUint64(pa - HOST, true);
  }

  w64(offset: number, v: bigint): void {
    this.iommu.write(offset, 4, Number(v & 0xffff_ffffn));
    this.iommu.write(offset + 4, 4, Number(v >> 32n));
  }

  /** The cause of the fault that translating `iova` raises. */
  faultOf(device: number, iova: number, write: boolean): number {
    try {
      this.iommu.translate(device, iova, 4, write);
    } catch (e) {
      assert.ok(e instanceof IommuFault);
      return e.record.cause;
    }
    assert.fail(`0x${iova.toString(16)} translated`);
  }
}

describe("the RISC-V IOMMU", () => {
  it("sits where QEMU's virt board has its platform IOMMU, and says what it implements", () => {
    const { iommu } = new Host();
    assert.equal(iommu.base, 0x0301_0000);
    assert.equal(iommu.read(IR.CAPABILITIES, 4), 0x1002_0010, "version 1.0, Sv39x4, IGS = WSI");
    assert.equal(iommu.read(IR.CAPABILITIES + 4, 4), 34, "34-bit physical addresses");
    assert.equal(iommu.read(IR.FCTL, 4), 2, "wired interrupts");
    assert.equal(iommu.registerName(IR.FQT, false), "fqt");
  });

  it("translates a device's guest-physical address through its device context and the Sv39x4 table", () => {
    const { iommu } = new Host();
    assert.equal(iommu.translate(DEVICE, GUEST_GPA + 0x3123, 4, false), GUEST_HPA + 0x3123);
    assert.equal(iommu.translate(DEVICE, GUEST_GPA + 0xf000, 0x1000, true), GUEST_HPA + 0xf000);
    assert.deepEqual(iommu.state().translations.at(-1), { deviceId: DEVICE, iova: GUEST_GPA + 0xf000, hpa: GUEST_HPA + 0xf000, length: 0x1000, write: true });
  });

  it("refuses an address the second stage does not map, and writes the fault record the specification gives", () => {
    const h = new Host();
    const rogue = GUEST_GPA + GUEST_PAGES * 4096 + 0x10;
    assert.throws(() => h.iommu.translate(DEVICE, rogue, 512, true), IommuFault);
    assert.equal(h.r64(FQ), 23n | (3n << 34n) | (BigInt(DEVICE) << 40n), "CAUSE 23 (write guest-page fault), TTYP 3 (untranslated write), DID 5");
    assert.equal(h.r64(FQ + 8), 0n);
    assert.equal(h.r64(FQ + 16), BigInt(rogue), "iotval: the IOVA");
    assert.equal(h.r64(FQ + 24), BigInt(rogue), "iotval2: the guest-physical address, bits 63:2");
    assert.equal(h.iommu.read(IR.FQT, 4), 1);
    assert.equal(h.iommu.read(IR.IPSR, 4), IR.IPSR_FIP);
    assert.equal(h.irq, true, "the fault interrupt, by wire");
    h.iommu.write(IR.FQH, 4, 1);
    h.iommu.write(IR.IPSR, 4, IR.IPSR_FIP);
    assert.equal(h.irq, false);
    assert.equal(h.faultOf(DEVICE, rogue + 0x1000, false), 21, "a read: read guest-page fault");
    assert.equal(h.r64(FQ + 32) & 0xffff_ffffffn, 21n | (2n << 34n), "TTYP 2, untranslated read");
  });

  it("reports the directory's faults with their causes", () => {
    const h = new Host();
    assert.equal(h.faultOf(1, GUEST_GPA, false), 258, "a context without V");
    h.context(2, IR.DC_TC_V, 0n, 8n << 60n);
    assert.equal(h.faultOf(2, GUEST_GPA, false), 259, "first-stage translation is not offered");
    h.context(3, IR.DC_TC_V, (8n << 60n) | BigInt((ROOT + 0x1000) / 4096));
    assert.equal(h.faultOf(3, GUEST_GPA, false), 259, "an Sv39x4 root not 16 KiB aligned");
    assert.equal(h.faultOf(200, GUEST_GPA, false), 260, "a device_id beyond a one-level table");
    h.context(4, IR.DC_TC_V, 0n);
    assert.equal(h.iommu.translate(4, 0x8004_0000, 4, true), 0x8004_0000, "iohgatp Bare: untranslated");
    h.u64(L0, (BigInt(GUEST_HPA / 4096) << 10n) | V | R_ | W | U);
    assert.equal(h.iommu.translate(DEVICE, GUEST_GPA, 4, true), GUEST_HPA, "A and D are not looked at (no AMO_HWAD)");
    assert.equal(h.r64(L0) & (A | D), 0n, "nor set");
    h.u64(L0, (BigInt(GUEST_HPA / 4096) << 10n) | V | R_ | W | A | D);
    assert.equal(h.faultOf(DEVICE, GUEST_GPA, false), 21, "a leaf without U");
    h.u64(L0, (BigInt(GUEST_HPA / 4096) << 10n) | V | R_ | U | A | D);
    assert.equal(h.faultOf(DEVICE, GUEST_GPA, true), 23, "a write to a read-only leaf");
    h.w64(IR.DDTP, BigInt(IR.DDTP_OFF));
    assert.equal(h.faultOf(DEVICE, GUEST_GPA, false), 256, "Off: every transaction disallowed");
    h.w64(IR.DDTP, BigInt(IR.DDTP_BARE));
    assert.equal(h.iommu.translate(DEVICE, 0x8004_0000, 4, false), 0x8004_0000, "Bare: untranslated");
    h.w64(IR.DDTP, 3n);
    assert.equal(h.iommu.read(IR.DDTP, 4), IR.DDTP_BARE, "2LVL is not supported: ddtp keeps its mode");
  });

  it("flags an overflow instead of overwriting a record the driver has not read", () => {
    const h = new Host(1);
    h.faultOf(1, GUEST_GPA, false);
    h.faultOf(1, GUEST_GPA + 4, false);
    assert.equal(h.iommu.read(IR.FQT, 4), 1, "two entries: one is free at most");
    assert.equal(h.iommu.read(IR.FQCSR, 4) & IR.FQCSR_FQOF, IR.FQCSR_FQOF);
    assert.equal(h.r64(FQ + 16), BigInt(GUEST_GPA), "the first record stays");
    assert.equal(h.iommu.state().faults.at(-1)!.at, -1, "the second one was not written");
  });

  it("keeps a virtio-blk device's rogue DMA off every host byte outside the guest's window", () => {
    const h = new Host();
    const disk = new Uint8Array(1024).fill(0x5a);
    const dma = new Dma(h.bus, undefined, h.iommu.forDevice(DEVICE));
    const dev = new VirtioMmio(0, { set: () => {} }, dma, new VirtioBlk(new MemoryBackend(disk)));
    const hpa = (gpa: number) => gpa - GUEST_GPA + GUEST_HPA;
    const g = { desc: GUEST_GPA + 0x1000, avail: GUEST_GPA + 0x2000, used: GUEST_GPA + 0x3000, hdr: GUEST_GPA + 0x4000, data: GUEST_GPA + 0x5000, status: GUEST_GPA + 0x6000 };
    const w = (o: number, v: number) => dev.write(o, 4, v);
    w(R.STATUS, R.S_ACKNOWLEDGE | R.S_DRIVER);
    w(R.DRIVER_FEATURES_SEL, 1);
    w(R.DRIVER_FEATURES, Number(F_VERSION_1 >> 32n));
    w(R.STATUS, R.S_ACKNOWLEDGE | R.S_DRIVER | R.S_FEATURES_OK);
    w(R.QUEUE_NUM, 8);
    w(R.QUEUE_DESC_LOW, g.desc);
    w(R.QUEUE_DRIVER_LOW, g.avail);
    w(R.QUEUE_DEVICE_LOW, g.used);
    w(R.QUEUE_READY, 1);
    w(R.STATUS, R.S_ACKNOWLEDGE | R.S_DRIVER | R.S_FEATURES_OK | R.S_DRIVER_OK);
    const v = h.ram.view;
    /** Request `n`: read sector 0 into `data` (the driver's writes only; the notification is separate). */
    const offer = (n: number, data: number) => {
      const d = (i: number, addr: number, len: number, flags: number) => {
        v.setBigUint64(hpa(g.desc) - HOST + 16 * i, BigInt(addr), true);
        v.setUint32(hpa(g.desc) - HOST + 16 * i + 8, len, true);
        v.setUint16(hpa(g.desc) - HOST + 16 * i + 12, flags, true);
        v.setUint16(hpa(g.desc) - HOST + 16 * i + 14, i + 1, true);
      };
      d(0, g.hdr, 16, 1);
      d(1, data, 512, 3);
      d(2, g.status, 1, 2);
      h.ram.bytes[hpa(g.status) - HOST] = 0xff;
      v.setUint16(hpa(g.avail) - HOST + 4 + 2 * (n - 1), 0, true);
      v.setUint16(hpa(g.avail) - HOST + 2, n, true);
    };
    offer(1, g.data);
    w(R.QUEUE_NOTIFY, 0);
    assert.equal(h.ram.bytes[hpa(g.data) - HOST], 0x5a, "the sector landed at the data buffer's host page");
    assert.equal(h.ram.bytes[g.data - HOST], 0, "not at the host page of the same number");
    assert.equal(h.ram.bytes[hpa(g.status) - HOST], 0);

    const rogue = 0x8004_0000; // outside the guest's window; the same host-physical address is host RAM
    offer(2, rogue);
    const before = h.ram.bytes.slice();
    w(R.QUEUE_NOTIFY, 0);
    const changed: number[] = [];
    for (let i = 0; i < before.length; i++) if (before[i] !== h.ram.bytes[i]) changed.push(HOST + i);
    const record = changed.filter((a) => a >= FQ && a < FQ + IR.FAULT_RECORD_BYTES);
    assert.deepEqual(changed, record, "only the IOMMU's fault record changed");
    assert.ok(record.length > 0);
    assert.equal(h.r64(FQ + 16), BigInt(rogue));
    assert.equal(dev.read(R.STATUS, 4) & R.S_NEEDS_RESET, R.S_NEEDS_RESET, "the device saw its access fail");
    assert.equal(v.getUint16(hpa(g.used) - HOST + 2, true), 1, "the rogue request never completed");
  });
});

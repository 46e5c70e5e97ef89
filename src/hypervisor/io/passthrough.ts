import type { DeviceState, IrqLine } from "../../machine/device";
import { Iommu } from "../../machine/devices/iommu/model";
import * as IR from "../../machine/devices/iommu/registers";
import { VirtioBlk } from "../../machine/devices/virtio/blk";
import type { BlockBackend } from "../../machine/devices/virtio/block_backend";
import { Dma } from "../../machine/devices/virtio/dma";
import { VIRTIO_IRQ, VIRTIO_STRIDE, VirtioMmio } from "../../machine/devices/virtio/mmio_transport";
import * as VR from "../../machine/devices/virtio/registers";
import type { GStageRange } from "../mm/g_stage";
import { GStageTable } from "../mm/g_stage";
import type { Vm } from "../vm";

/**
 * Pass-through with an IOMMU (the seed slides' third generation of I/O virtualization, VT-d's
 * model): the guest's virtio-blk device is a real device of the host board, and the guest drives it
 * directly.
 *
 *  - Its registers: the host board has the device at the address the guest expects (virtio-mmio
 *    slot 0, 0x1000_1000), and the VMM maps that page into the guest, GPA = HPA, in the shadow
 *    tables (trap-and-emulate, binary translation, the guest's M-mode under hardware assistance) or
 *    the G stage (hardware assistance). No register access exits.
 *  - Its DMA: the device addresses memory with the guest-physical addresses the guest's driver
 *    wrote into its rings, and the IOMMU (machine/devices/iommu) translates them with the VMM's
 *    second-stage table for this guest: guest RAM and nothing else. The VMM programs the IOMMU as
 *    its driver: a one-level device directory whose context for the device (device_id 0) names that
 *    table (iohgatp, Sv39x4, GSCID 1), and a fault queue with its interrupt enabled.
 *  - A DMA outside guest RAM: the IOMMU refuses it and writes a fault record; the device sees the
 *    access fail and, as QEMU's virtio does for an unmappable buffer, sets DEVICE_NEEDS_RESET and
 *    raises a configuration-change interrupt. The IOMMU's interrupt brings the VMM, which reads the
 *    record (an `iommu-fault` exit) and advances the queue's head.
 *  - Interrupts: virtio-mmio signals by wire, not by MSI, so the IOMMU's MSI remapping has nothing
 *    to remap. The wire ends at the VMM (on real hardware the host's interrupt controller), which
 *    knows from the device directory which guest owns the device and raises that guest's virtual
 *    PLIC source 1 (a `device-interrupt` exit); the virtual PLIC interrupts the vCPU as for any
 *    emulated device. The guest's acknowledgement (InterruptACK) goes to the device directly; its
 *    claim and complete go to its virtual PLIC (exits).
 *
 * The device and the IOMMU act inside the guest's store to QueueNotify; their line changes end
 * the host's run after that instruction (a yield), and the VMM handles them before the next entry
 * (`service`), so the exits come at the instruction that caused them.
 */
export const PASSTHROUGH_SLOT = 0;
/** The device_id the platform gives the passed-through device on the IOMMU. */
export const PASSTHROUGH_DEVICE_ID = 0;
/** The guest's second-stage context id (iohgatp.GSCID). */
const GSCID = 1;
const PAGE = 4096;
/** Fault-queue entries: one page of 32-byte records. */
const FQ_LOG2 = 7;

/** VMM memory for the IOMMU: the device directory, the fault queue, and the second-stage table (as hardware_assisted.ts sizes its G stage). */
export function passthroughPoolBytes(guestRamBytes: number): number {
  return (2 + Math.ceil(guestRamBytes / (2 << 20)) + 16) * PAGE;
}

export class Passthrough {
  readonly iommu: Iommu;
  readonly device: VirtioMmio;
  private readonly ddt: number;
  private readonly fq: number;
  private gStage: GStageTable;
  private readonly guestLine: IrqLine;
  /** The device's line as last driven, and whether it rose since the VMM last looked. */
  private level = false;
  private raised = false;
  private forwarded = false;

  constructor(private readonly vm: Vm, private readonly poolBase: number, private readonly poolBytes: number, disk: BlockBackend) {
    const board = vm.board;
    this.ddt = poolBase;
    this.fq = poolBase + PAGE;
    this.gStage = this.newTable();
    this.iommu = new Iommu(board.bus, { set: (high) => high && this.yieldHost() });
    // Shadow entries derived from guest page tables the device overwrote go stale, as with emulated DMA.
    const dma = new Dma(board.bus, (gpa, len) => void vm.shadow.guestPteWritten(gpa, len), this.iommu.forDevice(PASSTHROUGH_DEVICE_ID));
    this.device = new VirtioMmio(PASSTHROUGH_SLOT, { set: (high) => this.deviceLine(high) }, dma, new VirtioBlk(disk));
    board.bus.attach(this.iommu);
    board.bus.attach(this.device);
    this.guestLine = vm.devices.plic.source(VIRTIO_IRQ + PASSTHROUGH_SLOT);
  }

  /** The guest's page of the device's registers and the host page behind it (the same address). */
  get mmio(): GStageRange {
    return { gpa: this.device.base, hpa: this.device.base, size: VIRTIO_STRIDE };
  }

  /** The host-physical address behind guest-physical `gpa` if it is in the device's page, else −1. */
  hpaOf(gpa: number): number {
    const m = this.mmio;
    return gpa >= m.gpa && gpa < m.gpa + m.size ? m.hpa + (gpa - m.gpa) : -1;
  }

  /** A new guest was loaded (host RAM was cleared): resets the device and programs the IOMMU again. */
  reset(): void {
    this.device.write(VR.STATUS, 4, 0);
    this.level = this.raised = this.forwarded = false;
    this.guestLine.set(false);
    this.gStage = this.newTable();
    this.gStage.build(this.vm.p2m.regions());
    const dc = new DataView(new ArrayBuffer(IR.DC_BYTES));
    dc.setBigUint64(0, IR.DC_TC_V, true);
    dc.setBigUint64(8, (BigInt(IR.IOHGATP_SV39X4) << 60n) | (BigInt(GSCID) << 44n) | BigInt(this.gStage.rootHpa / PAGE), true);
    this.vm.board.bus.writeBytes(this.ddt + PASSTHROUGH_DEVICE_ID * IR.DC_BYTES, new Uint8Array(dc.buffer));
    const io = this.iommu;
    io.write(IR.FQCSR, 4, 0);
    io.write(IR.FQB, 4, ((this.fq / PAGE) << 10) | (FQ_LOG2 - 1));
    io.write(IR.FQB + 4, 4, Math.floor(this.fq / PAGE / 2 ** 22));
    io.write(IR.FQH, 4, 0);
    io.write(IR.FQCSR, 4, IR.FQCSR_FQEN | IR.FQCSR_FIE);
    io.write(IR.IPSR, 4, IR.IPSR_FIP);
    io.write(IR.DDTP, 4, ((this.ddt / PAGE) << 10) | IR.DDTP_1LVL);
    io.write(IR.DDTP + 4, 4, Math.floor(this.ddt / PAGE / 2 ** 22));
  }

  /** What the Devices view shows of the host devices the guest owns. */
  views(): DeviceState[] {
    // The device's view walks its rings through the IOMMU: a look must not fault or leave traces.
    const d = this.iommu.inspect(() => this.device.view!());
    return [{ ...d, label: `${d.label} (passed through)` }, this.iommu.view()];
  }

  /** The VMM looks at what the device and the IOMMU signalled during the last entry: faults to read, a line to forward. */
  service(): void {
    this.readFaults();
    if (this.raised) {
      this.raised = false;
      this.forwarded = true;
      this.guestLine.set(true);
      this.recordInterrupt();
    }
    if (!this.level && this.forwarded) {
      this.forwarded = false;
      this.guestLine.set(false);
    }
  }

  private newTable(): GStageTable {
    return new GStageTable(this.vm.board.ram, this.poolBase + 2 * PAGE, this.poolBytes / PAGE - 2, GSCID);
  }

  private deviceLine(high: boolean): void {
    if (high) this.raised = true;
    if (high !== this.level || high) this.yieldHost();
    this.level = high;
  }

  /** Ends the host's run after the current instruction, so that the VMM sees the event at once. */
  private yieldHost(): void {
    const hart = this.vm.board.hart;
    hart.pendingStop ??= { kind: "budget" };
    hart.yieldReq = true;
  }

  /** Reads the fault queue from its head to its tail, as the IOMMU's driver does, and records each. */
  private readFaults(): void {
    const io = this.iommu;
    const mask = 2 ** FQ_LOG2 - 1;
    let head = io.read(IR.FQH, 4);
    const tail = io.read(IR.FQT, 4);
    if (head === tail) return;
    const view = this.vm.board.ram.view;
    for (; head !== tail; head = (head + 1) & mask) {
      const at = this.fq + head * IR.FAULT_RECORD_BYTES;
      const o = at - this.vm.board.ram.base;
      const hdr = view.getBigUint64(o, true);
      this.recordFault(at, hdr, view.getBigUint64(o + 16, true), view.getBigUint64(o + 24, true));
    }
    io.write(IR.FQH, 4, head);
    io.write(IR.IPSR, 4, IR.IPSR_FIP);
  }

  private recordFault(at: number, hdr: bigint, iotval: bigint, iotval2: bigint): void {
    const cause = Number(hdr & 0xfffn);
    const ttyp = Number((hdr >> 34n) & 0x3fn);
    const did = Number(hdr >> 40n);
    const causeName = `${IR.CAUSE_NAMES[cause] ?? "unknown cause"} (${cause})`;
    const access = ttyp === IR.TTYP_WRITE ? "write" : "read";
    const device = this.device.name;
    const ram = `0x${this.vm.guestRamBase.toString(16)}–0x${(this.vm.guestRamBase + this.vm.guestRamSize).toString(16)}`;
    this.vm.record("iommu-fault", undefined, { device, gpa: iotval, access, causeName, value: iotval2 }, () => ({
      action: `the IOMMU refused ${device}'s DMA ${access} at guest-physical 0x${iotval.toString(16)}, outside the guest's RAM (${ram}): ${causeName}; nothing was ${access === "write" ? "written" : "read"}, and the device now needs a reset`,
      steps: [
        { phase: "device", text: `${device} (device_id ${did}) started an untranslated DMA ${access} at IOVA 0x${iotval.toString(16)}, an address from the guest's descriptor` },
        { phase: "check", text: `IOMMU: the device context at HPA 0x${(this.ddt + did * IR.DC_BYTES).toString(16)} gives iohgatp Sv39x4, GSCID ${GSCID}, root HPA 0x${this.gStage.rootHpa.toString(16)}` },
        { phase: "check", text: cause === IR.CAUSE.readGuestPage || cause === IR.CAUSE.writeGuestPage
          ? `IOMMU: the second-stage walk finds no leaf for GPA 0x${iotval.toString(16)}: only the guest's RAM is mapped`
          : `IOMMU: ${causeName}` },
        { phase: "device", text: `fault record at HPA 0x${at.toString(16)}: CAUSE ${cause}, TTYP ${ttyp}, DID ${did}, iotval 0x${iotval.toString(16)}, iotval2 0x${iotval2.toString(16)}`, after: hdr },
        { phase: "device", text: "the device saw its access fail: DEVICE_NEEDS_RESET, configuration-change interrupt" },
        { phase: "resume", text: "the VMM advanced the fault queue's head and cleared ipsr.FIP; the guest continues" },
      ],
    }));
  }

  private recordInterrupt(): void {
    const device = this.device.name;
    const source = VIRTIO_IRQ + PASSTHROUGH_SLOT;
    this.vm.record("device-interrupt", undefined, { device }, () => ({
      action: `${device}, passed through to this guest, raised its interrupt line; the VMM forwarded it to the guest's virtual PLIC, source ${source}`,
      steps: [
        { phase: "device", text: `${device} raised its wire (InterruptStatus 0x${this.device.state().interruptStatus.toString(16)})` },
        { phase: "check", text: `device_id ${PASSTHROUGH_DEVICE_ID} belongs to the guest with GSCID ${GSCID} (its device context)` },
        { phase: "inject", text: `virtual PLIC source ${source} raised: the guest's external interrupt is pending where it enabled it` },
        { phase: "resume", text: "resume the guest; the vCPU takes the interrupt as its enables allow" },
      ],
    }));
  }
}

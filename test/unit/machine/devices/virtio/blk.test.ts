import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MemoryBackend, SnapshotBackend, type BlockBackend } from "../../../../../src/machine/devices/virtio/block_backend";
import { BLK_F_FLUSH, BLK_F_RO, S_IOERR, S_OK, S_UNSUPP, T_FLUSH, T_GET_ID, T_IN, T_OUT, VirtioBlk } from "../../../../../src/machine/devices/virtio/blk";
import { F_EVENT_IDX, F_INDIRECT_DESC, F_VERSION_1, VirtioMmio } from "../../../../../src/machine/devices/virtio/mmio_transport";
import * as R from "../../../../../src/machine/devices/virtio/registers";
import { Rings, type Buf } from "./rings";
import { TransportDriver } from "./transport_driver";

const SECTORS = 16;

/** An image whose byte i of sector s is (s * 7 + i) & 0xff, so that every sector differs. */
function image(): Uint8Array {
  const b = new Uint8Array(SECTORS * 512);
  for (let i = 0; i < b.length; i++) b[i] = ((i >> 9) * 7 + i) & 0xff;
  return b;
}

/** A virtio-blk device on a transport, driven the way a driver does: negotiation, queue setup, notify. */
class Driver extends TransportDriver {
  constructor(readonly backend: BlockBackend, features = F_VERSION_1 | BLK_F_FLUSH) {
    super(new VirtioBlk(backend), features);
  }

  /** One request: header, data buffers, status byte; returns the status, the used entry and the data. */
  request(type: number, sector: bigint, data: { len: number; fill?: number } | undefined, opts: { indirect?: boolean } = {}) {
    const r = this.r;
    const hdr = r.alloc(16);
    r.view.setUint32(hdr - 0x8000_0000, type, true);
    r.view.setBigUint64(hdr - 0x8000_0000 + 8, sector, true);
    const bufs: Buf[] = [{ addr: hdr, len: 16 }];
    const deviceWrites = type !== T_OUT;
    const buf = data && r.alloc(data.len, data.fill ?? 0xee);
    if (buf) bufs.push({ addr: buf, len: data.len, write: deviceWrites });
    const status = r.alloc(1, 0xff);
    bufs.push({ addr: status, len: 1, write: true });
    const before = r.usedIdx();
    r.offer(opts.indirect ? r.indirectChain(bufs) : r.chain(bufs));
    this.w(R.QUEUE_NOTIFY, 0);
    assert.equal(r.usedIdx(), (before + 1) & 0xffff, "the request completed inside the notification");
    return { status: r.bytes(status, 1)[0], used: r.used(before), data: buf === undefined ? undefined : r.bytes(buf, data!.len) };
  }
}

describe("virtio-blk over virtio-mmio", () => {
  it("negotiates: offers its features, the ring's and VERSION_1; keeps what the driver accepts", () => {
    const d = new Driver(new MemoryBackend(image()), F_VERSION_1 | F_EVENT_IDX | BLK_F_FLUSH | (1n << 40n));
    assert.equal(d.rd(R.MAGIC_VALUE), R.MAGIC);
    assert.equal(d.rd(R.VERSION), 2);
    assert.equal(d.rd(R.DEVICE_ID), 2);
    assert.equal(d.rd(R.VENDOR_ID), R.VENDOR_QEMU);
    d.w(R.DEVICE_FEATURES_SEL, 0);
    const low = BigInt(d.rd(R.DEVICE_FEATURES));
    d.w(R.DEVICE_FEATURES_SEL, 1);
    const offered = low | (BigInt(d.rd(R.DEVICE_FEATURES)) << 32n);
    for (const f of [F_VERSION_1, F_INDIRECT_DESC, F_EVENT_IDX, BLK_F_FLUSH]) assert.ok(offered & f, `offers bit ${f.toString(2).length - 1}`);
    assert.equal(offered & BLK_F_RO, 0n, "a writable disk is not read-only");
    assert.equal(d.dev.state().negotiated, F_VERSION_1 | F_EVENT_IDX | BLK_F_FLUSH, "bit 40 was never offered");
    assert.equal(d.rd(R.STATUS), 0x0f);
    assert.equal(d.rd(R.QUEUE_READY), 1);
    assert.equal(d.rd(R.QUEUE_NUM_MAX), 1024);
    d.w(R.QUEUE_SEL, 1);
    assert.equal(d.rd(R.QUEUE_NUM_MAX), 0, "one queue only");
  });

  it("reads the configuration space: capacity, blk_size, num_queues; all-ones beyond it", () => {
    const d = new Driver(new MemoryBackend(image()));
    assert.equal(d.dev.read(R.CONFIG, 4), SECTORS);
    assert.equal(d.dev.read(R.CONFIG + 4, 4), 0);
    assert.equal(d.dev.read(R.CONFIG + 20, 4), 512);
    assert.equal(d.dev.read(R.CONFIG + 34, 2), 1);
    assert.equal(d.dev.read(R.CONFIG + 0, 1), SECTORS, "byte access");
    assert.equal(d.dev.read(R.CONFIG + 36, 4), 0xffff_ffff);
    assert.equal(d.dev.read(R.CONFIG + 36, 1), 0xff);
  });

  it("reads sectors into the driver's buffer, with the used length QEMU gives (data and status)", () => {
    const d = new Driver(new MemoryBackend(image()));
    const { status, used, data } = d.request(T_IN, 3n, { len: 1024 });
    assert.equal(status, S_OK);
    assert.deepEqual(data, image().subarray(3 * 512, 5 * 512));
    assert.equal(used.len, 1025);
  });

  it("reads through an indirect table", () => {
    const d = new Driver(new MemoryBackend(image()), F_VERSION_1 | F_INDIRECT_DESC);
    const { status, data } = d.request(T_IN, 15n, { len: 512 }, { indirect: true });
    assert.equal(status, S_OK);
    assert.deepEqual(data, image().subarray(15 * 512));
  });

  it("writes sectors through to the image before completing, and flushes", () => {
    const backend = new MemoryBackend(image());
    const d = new Driver(backend);
    const { status, used } = d.request(T_OUT, 2n, { len: 512, fill: 0x5a });
    assert.equal(status, S_OK);
    assert.equal(used.len, 1, "only the status byte is device-writable");
    assert.ok(backend.bytes.subarray(1024, 1536).every((b) => b === 0x5a));
    assert.deepEqual(backend.bytes.subarray(1536), image().subarray(1536), "nothing else changed");
    assert.equal(d.request(T_FLUSH, 0n, undefined).status, S_OK);
    assert.equal(backend.flushes, 1);
  });

  it("answers IOERR outside the disk or for partial sectors, UNSUPP for unknown types, OK for GET_ID", () => {
    const d = new Driver(new MemoryBackend(image()));
    assert.equal(d.request(T_IN, BigInt(SECTORS - 1), { len: 1024 }).status, S_IOERR, "runs off the end");
    assert.equal(d.request(T_IN, 1n << 62n, { len: 512 }).status, S_IOERR);
    assert.equal(d.request(T_OUT, 0n, { len: 100 }).status, S_IOERR, "not whole sectors");
    assert.equal(d.request(11, 0n, { len: 16 }).status, S_UNSUPP, "discard was never offered");
    assert.equal(d.request(T_GET_ID, 0n, { len: 20 }).status, S_OK);
    const log = (d.dev.device as VirtioBlk).requests();
    assert.deepEqual(log.map((r) => [r.type, r.sector, r.bytes, r.status]), [
      [T_IN, BigInt(SECTORS - 1), 1024, S_IOERR], [T_IN, 1n << 62n, 512, S_IOERR], [T_OUT, 0n, 100, S_IOERR],
      [11, 0n, 0, S_UNSUPP], [T_GET_ID, 0n, 0, S_OK],
    ], "every request is logged with its sector, data length (reads and writes) and status");
  });

  it("read-only: offers VIRTIO_BLK_F_RO and fails writes with IOERR, as QEMU does; the image is untouched", () => {
    const backend = new MemoryBackend(image(), true);
    const d = new Driver(backend);
    d.w(R.DEVICE_FEATURES_SEL, 0);
    assert.ok(BigInt(d.rd(R.DEVICE_FEATURES)) & BLK_F_RO);
    assert.equal(d.request(T_OUT, 0n, { len: 512, fill: 1 }).status, S_IOERR);
    assert.deepEqual(backend.bytes, image());
    assert.equal(d.request(T_IN, 0n, { len: 512 }).status, S_OK, "reads still work");
  });

  it("snapshot: the guest reads its own writes; the image underneath never changes", () => {
    const base = new MemoryBackend(image());
    const d = new Driver(new SnapshotBackend(base));
    assert.equal(d.request(T_OUT, 4n, { len: 1024, fill: 0x33 }).status, S_OK);
    const { data } = d.request(T_IN, 3n, { len: 2048 });
    assert.deepEqual(data!.subarray(0, 512), image().subarray(1536, 2048), "sector 3 from the image");
    assert.ok(data!.subarray(512, 1536).every((b) => b === 0x33), "sectors 4 and 5 from the overlay");
    assert.deepEqual(data!.subarray(1536), image().subarray(3072, 3584), "sector 6 from the image");
    assert.deepEqual(base.bytes, image());
  });

  it("raises its PLIC line for a used buffer; InterruptACK lowers it; each completion raises again", () => {
    const d = new Driver(new MemoryBackend(image()));
    d.request(T_IN, 0n, { len: 512 });
    assert.equal(d.irq, true);
    assert.equal(d.rd(R.INTERRUPT_STATUS), R.ISR_USED);
    const raises = d.raises;
    d.request(T_IN, 0n, { len: 512 });
    assert.equal(d.raises, raises + 1, "a new request even while the line is high (QEMU's PLIC counts raises)");
    d.w(R.INTERRUPT_ACK, R.ISR_USED);
    assert.equal(d.irq, false);
    assert.equal(d.rd(R.INTERRUPT_STATUS), 0);
  });

  it("a malformed request (no status byte) makes the device need a reset; a reset clears it", () => {
    const d = new Driver(new MemoryBackend(image()));
    const hdr = d.r.alloc(16);
    d.r.offer(d.r.chain([{ addr: hdr, len: 16 }]));
    d.w(R.QUEUE_NOTIFY, 0);
    assert.equal(d.rd(R.STATUS) & R.S_NEEDS_RESET, R.S_NEEDS_RESET);
    assert.equal(d.rd(R.INTERRUPT_STATUS), R.ISR_CONFIG, "a configuration-change interrupt tells the driver");
    assert.match(d.dev.state().error!, /status byte/);
    d.w(R.STATUS, 0);
    assert.equal(d.rd(R.STATUS), 0);
    assert.equal(d.rd(R.QUEUE_READY), 0);
    assert.equal(d.dev.state().error, undefined);
    assert.equal(d.irq, false);
  });
});

describe("the Devices view of a virtio-blk slot", () => {
  it("decodes status, features, the queue's rings and latest chains, and the request log", () => {
    const d = new Driver(new MemoryBackend(image()), F_VERSION_1 | F_INDIRECT_DESC);
    d.request(T_IN, 3n, { len: 512 });
    d.request(T_OUT, 1n, { len: 1024 }, { indirect: true });
    const v = d.dev.view!();
    assert.equal(v.id, "virtio0");
    assert.equal(v.base, 0x1000_1000n);
    const node = (label: string) => v.nodes.find((n) => n.label === label)!;
    assert.equal(node("Status").value, "0x0f (ACKNOWLEDGE | DRIVER | FEATURES_OK | DRIVER_OK)");
    assert.equal(node("features negotiated").value, "INDIRECT_DESC, VERSION_1");
    const q = node("queue 0");
    assert.equal(q.value, "8 entries, available index 2, used index 2");
    const chains = q.children!.find((n) => n.label === "latest used chains")!.children!;
    assert.deepEqual(chains.map((c) => c.label), ["used[1] head 3, 1 B written", "used[0] head 0, 513 B written"]);
    assert.match(chains[0].value!, /^indirect: 0x8\w{7} 16 B →dev, 0x8\w{7} 1024 B →dev, 0x8\w{7} 1 B ←dev$/);
    assert.match(chains[1].value!, /^0x8\w{7} 16 B →dev, 0x8\w{7} 512 B ←dev, 0x8\w{7} 1 B ←dev$/);
    const bufs = chains[1].children!;
    assert.deepEqual(bufs.map((b) => b.label), ["buffer 0", "buffer 1", "buffer 2"]);
    assert.deepEqual(bufs.map((b) => b.value), chains[1].value!.split(", "), "each buffer below its chain");
    assert.deepEqual(bufs.map((b) => b.address), bufs.map((b) => Number(b.value!.split(" ")[0])), "each with its address as a link");
    assert.deepEqual([...d.r.bytes(bufs[1].address!, 512)], [...image().subarray(3 * 512, 4 * 512)], "the read's data buffer is where the sector went");
    const requests = node("requests");
    assert.deepEqual(requests.children!.map((r) => `${r.label}: ${r.value}`), ["#2 write: sector 1, 1024 bytes, OK", "#1 read: sector 3, 512 bytes, OK"]);
  });
});

describe("an empty virtio-mmio slot", () => {
  it("answers like QEMU's: magic, version 2, QEMU's vendor id, device id 0, zeros; ignores writes", () => {
    const r = new Rings(8);
    const slot = new VirtioMmio(3, { set: () => assert.fail("an empty slot has no interrupt") }, r.dma, undefined);
    assert.equal(slot.base, 0x1000_4000);
    assert.equal(slot.read(R.MAGIC_VALUE, 4), R.MAGIC);
    assert.equal(slot.read(R.VERSION, 4), 2);
    assert.equal(slot.read(R.DEVICE_ID, 4), 0);
    assert.equal(slot.read(R.VENDOR_ID, 4), R.VENDOR_QEMU);
    assert.equal(slot.read(R.MAGIC_VALUE, 1), 0x76, "a byte of the magic");
    slot.write(R.STATUS, 4, 0xf);
    assert.equal(slot.read(R.STATUS, 4), 0);
    assert.equal(slot.view, undefined, "not in the Devices view");
    assert.equal(slot.accepts(0x1fc, 4), true);
    assert.equal(slot.accepts(0x200, 4), false, "QEMU decodes 0x200 bytes of the slot");
    assert.equal(slot.accepts(0x2, 4), false, "unaligned");
  });
});

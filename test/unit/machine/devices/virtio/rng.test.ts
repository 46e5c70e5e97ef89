import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { F_EVENT_IDX, F_INDIRECT_DESC, F_VERSION_1 } from "../../../../../src/machine/devices/virtio/mmio_transport";
import * as R from "../../../../../src/machine/devices/virtio/registers";
import { RNG_DEVICE_ID, VirtioRng } from "../../../../../src/machine/devices/virtio/rng";
import { SeededRandom } from "../../../../../src/machine/devices/virtio/seeded_random";
import type { Buf } from "./rings";
import { TransportDriver } from "./transport_driver";

/** Offers one chain of `bufs` (fresh buffers filled with 0xee) and notifies; returns the used entry and the buffers' bytes. */
function request(d: TransportDriver, lens: { len: number; write: boolean }[], indirect = false) {
  const r = d.r;
  const bufs: Buf[] = lens.map((l) => ({ addr: r.alloc(l.len, 0xee), len: l.len, write: l.write }));
  const before = r.usedIdx();
  r.offer(indirect ? r.indirectChain(bufs) : r.chain(bufs));
  d.w(R.QUEUE_NOTIFY, 0);
  assert.equal(r.usedIdx(), (before + 1) & 0xffff, "the request completed inside the notification");
  return { used: r.used(before), bytes: bufs.map((b) => Uint8Array.from(r.bytes(b.addr, b.len))) };
}

describe("virtio-rng over virtio-mmio", () => {
  it("is device 4 with one queue, offers only the ring's features and VERSION_1, and has no configuration space", () => {
    const d = new TransportDriver(new VirtioRng(1), F_VERSION_1 | F_EVENT_IDX);
    assert.equal(d.rd(R.DEVICE_ID), RNG_DEVICE_ID);
    d.w(R.DEVICE_FEATURES_SEL, 0);
    const low = BigInt(d.rd(R.DEVICE_FEATURES));
    d.w(R.DEVICE_FEATURES_SEL, 1);
    const offered = low | (BigInt(d.rd(R.DEVICE_FEATURES)) << 32n);
    assert.equal(offered, F_VERSION_1 | F_INDIRECT_DESC | F_EVENT_IDX);
    d.w(R.QUEUE_SEL, 1);
    assert.equal(d.rd(R.QUEUE_NUM_MAX), 0, "no second queue");
    assert.equal(d.dev.read(R.CONFIG, 4), 0xffff_ffff, "configuration reads beyond its (empty) end are all-ones");
  });

  it("fills every device-writable byte with the generator's bytes; the used length is what it wrote", () => {
    const d = new TransportDriver(new VirtioRng(7));
    const expected = new SeededRandom(7).bytes(64 + 24);
    const first = request(d, [{ len: 64, write: true }]);
    assert.equal(first.used.len, 64);
    assert.deepEqual(first.bytes[0], expected.subarray(0, 64));
    const second = request(d, [{ len: 16, write: true }, { len: 8, write: true }]);
    assert.equal(second.used.len, 24);
    assert.deepEqual([...second.bytes[0], ...second.bytes[1]], [...expected.subarray(64)], "the stream goes on across requests and buffers");
  });

  it("leaves device-readable buffers alone and does not count them; an all-readable chain is used with length 0", () => {
    const d = new TransportDriver(new VirtioRng(7));
    const mixed = request(d, [{ len: 8, write: false }, { len: 8, write: true }]);
    assert.equal(mixed.used.len, 8);
    assert.deepEqual(mixed.bytes[0], new Uint8Array(8).fill(0xee));
    assert.deepEqual(mixed.bytes[1], new SeededRandom(7).bytes(8));
    assert.equal(request(d, [{ len: 4, write: false }]).used.len, 0);
  });

  it("reads buffers through an indirect table and raises the used-buffer interrupt", () => {
    const d = new TransportDriver(new VirtioRng(3), F_VERSION_1 | F_INDIRECT_DESC);
    const got = request(d, [{ len: 12, write: true }, { len: 4, write: true }], true);
    assert.equal(got.used.len, 16);
    assert.deepEqual([...got.bytes[0], ...got.bytes[1]], [...new SeededRandom(3).bytes(16)]);
    assert.equal(d.irq, true);
    assert.equal(d.rd(R.INTERRUPT_STATUS), R.ISR_USED);
  });

  it("gives the same bytes for the same seed and different bytes for another", () => {
    const run = (seed: number) => request(new TransportDriver(new VirtioRng(seed)), [{ len: 32, write: true }]).bytes[0];
    assert.deepEqual(run(42), run(42));
    assert.notDeepEqual(run(42), run(43));
    assert.notDeepEqual(run(42), new Uint8Array(32).fill(0xee), "the buffer was written");
  });

  it("shows its seed and what it has given in the Devices view", () => {
    const d = new TransportDriver(new VirtioRng(0x2a));
    request(d, [{ len: 10, write: true }]);
    const nodes = d.dev.view!().nodes;
    assert.equal(nodes.find((n) => n.label === "seed")!.value, "0x2a");
    assert.equal(nodes.find((n) => n.label === "requests")!.value, "1 (10 bytes given)");
  });
});

describe("SeededRandom", () => {
  it("spreads its output over all byte values", () => {
    const b = new SeededRandom(0).bytes(4096);
    const seen = new Set(b);
    assert.ok(seen.size > 250, `${seen.size} distinct byte values in 4 KiB`);
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AVAIL_F_NO_INTERRUPT, DESC_F_INDIRECT, DESC_F_NEXT, SplitQueue, VirtqueueError, needEvent } from "../../../../../src/machine/devices/virtio/split_queue";
import { AVAIL, DESC, RAM, Rings, USED } from "./rings";

function queue(size: number, features: { indirect?: boolean; eventIdx?: boolean } = {}): { r: Rings; q: SplitQueue } {
  const r = new Rings(size);
  const q = new SplitQueue(r.dma);
  q.configure({ size, desc: BigInt(DESC), avail: BigInt(AVAIL), used: BigInt(USED) });
  q.indirect = features.indirect ?? false;
  q.eventIdx = features.eventIdx ?? false;
  return { r, q };
}

describe("split virtqueue, the device's side", () => {
  it("follows a descriptor chain: readable buffers, then writable ones, in chain order", () => {
    const { r, q } = queue(8);
    const a = r.alloc(16), b = r.alloc(512), c = r.alloc(1);
    r.offer(r.chain([{ addr: a, len: 16 }, { addr: b, len: 512, write: true }, { addr: c, len: 1, write: true }]));
    const chain = q.pop()!;
    assert.equal(chain.head, 0);
    assert.deepEqual(chain.readable, [{ addr: a, len: 16 }]);
    assert.deepEqual(chain.writable, [{ addr: b, len: 512 }, { addr: c, len: 1 }]);
    assert.equal(chain.indirect, false);
    assert.equal(q.pop(), undefined, "nothing more was made available");
  });

  it("returns a chain through the used ring: its head and the bytes written, then the index", () => {
    const { r, q } = queue(8);
    const head = r.chain([{ addr: r.alloc(4), len: 4, write: true }]);
    r.offer(head);
    q.push(q.pop()!.head, 4);
    assert.equal(r.usedIdx(), 1);
    assert.deepEqual(r.used(0), { id: head, len: 4 });
  });

  it("follows an indirect table when VIRTIO_F_INDIRECT_DESC is negotiated", () => {
    const { r, q } = queue(4, { indirect: true });
    const a = r.alloc(16), b = r.alloc(1024), c = r.alloc(1);
    const head = r.indirectChain([{ addr: a, len: 16 }, { addr: b, len: 1024 }, { addr: c, len: 1, write: true }]);
    r.offer(head);
    const chain = q.pop()!;
    assert.equal(chain.head, head);
    assert.equal(chain.indirect, true);
    assert.deepEqual(chain.readable, [{ addr: a, len: 16 }, { addr: b, len: 1024 }]);
    assert.deepEqual(chain.writable, [{ addr: c, len: 1 }]);
  });

  it("refuses malformed chains: indirect not negotiated, nested, with NEXT, ragged; loops; buffers outside RAM; readable after writable", () => {
    const cases: [string, (r: Rings) => void, RegExp][] = [
      ["indirect not negotiated", (r) => r.desc(0, { addr: r.alloc(16), len: 16, flags: DESC_F_INDIRECT }), /not negotiated/],
      ["indirect with NEXT", (r) => r.desc(0, { addr: r.alloc(16), len: 16, flags: DESC_F_INDIRECT | DESC_F_NEXT, next: 1 }), /NEXT/],
      ["ragged table", (r) => r.desc(0, { addr: r.alloc(24), len: 24, flags: DESC_F_INDIRECT }), /whole number/],
      ["nested indirect", (r) => {
        const table = r.alloc(16);
        r.desc(0, { addr: r.alloc(16), len: 16, flags: DESC_F_INDIRECT }, table);
        r.desc(0, { addr: table, len: 16, flags: DESC_F_INDIRECT });
      }, /inside an indirect/],
      ["loop", (r) => {
        r.desc(0, { addr: r.alloc(4), len: 4, flags: DESC_F_NEXT, next: 1 });
        r.desc(1, { addr: r.alloc(4), len: 4, flags: DESC_F_NEXT, next: 0 });
      }, /loop/],
      ["next beyond the table", (r) => r.desc(0, { addr: r.alloc(4), len: 4, flags: DESC_F_NEXT, next: 9 }), /beyond the table/],
      ["buffer outside RAM", (r) => r.desc(0, { addr: 0x1000_0000, len: 4, flags: 0 }), /not RAM/],
      ["buffer past the end of RAM", (r) => r.desc(0, { addr: RAM + (1 << 20) - 2, len: 4, flags: 0 }), /not RAM/],
      ["address beyond 2^53", (r) => r.desc(0, { addr: 1n << 60n, len: 4, flags: 0 }), /not RAM/],
      ["readable after writable", (r) => {
        r.desc(0, { addr: r.alloc(4), len: 4, flags: DESC_F_NEXT | 2, next: 1 });
        r.desc(1, { addr: r.alloc(4), len: 4, flags: 0 });
      }, /after a device-writable/],
    ];
    for (const [name, build, why] of cases) {
      const { r, q } = queue(8, { indirect: name !== "indirect not negotiated" });
      build(r);
      r.offer(0);
      assert.throws(() => q.pop(), (e: Error) => e instanceof VirtqueueError && why.test(e.message), name);
    }
  });

  it("refuses an available index more than a queue ahead", () => {
    const { r, q } = queue(4);
    r.view.setUint16(AVAIL - RAM + 2, 5, true);
    assert.throws(() => q.pop(), /5 entries ahead/);
  });

  it("wraps: ring slots are indices modulo the size, and 16-bit indices wrap through 0", () => {
    const { r, q } = queue(4);
    r.startAt(0xfffe);
    q.lastAvail = q.usedIdx = 0xfffe;
    const heads: number[] = [];
    for (let k = 0; k < 4; k++) {
      const h = r.chain([{ addr: r.alloc(8), len: 8 }]);
      heads.push(h);
      r.offer(h);
    }
    assert.equal(r.availIdx, 2, "the driver's index wrapped");
    const seen: number[] = [];
    for (let c = q.pop(); c; c = q.pop()) {
      seen.push(c.head);
      q.push(c.head, 0);
    }
    assert.deepEqual(seen, heads, "all four, in order, across the wrap");
    assert.equal(q.lastAvail, 2);
    assert.equal(r.usedIdx(), 2);
    assert.deepEqual([0xfffe, 0xffff, 0, 1].map((n) => r.used(n).id), heads, "used entries at slots idx % size");
  });

  it("without EVENT_IDX: interrupts unless the driver sets VIRTQ_AVAIL_F_NO_INTERRUPT", () => {
    const { r, q } = queue(8);
    assert.equal(q.shouldInterrupt(), true);
    r.setAvailFlags(AVAIL_F_NO_INTERRUPT);
    assert.equal(q.shouldInterrupt(), false);
  });

  it("with EVENT_IDX: interrupts only when the used index passes used_event, and publishes avail_event", () => {
    const { r, q } = queue(8, { eventIdx: true });
    r.setAvailFlags(AVAIL_F_NO_INTERRUPT); // ignored under EVENT_IDX
    const serve = () => {
      r.offer(r.chain([{ addr: r.alloc(4), len: 4 }]));
      q.push(q.pop()!.head, 0);
      return q.shouldInterrupt();
    };
    r.setUsedEvent(0);
    assert.equal(serve(), true, "the first decision always interrupts (QEMU: nothing signalled yet)");
    assert.equal(r.availEvent(), 1, "avail_event: how far the device has read");
    r.setUsedEvent(2);
    assert.equal(serve(), false, "used index 2 has not passed used_event 2");
    assert.equal(serve(), true, "used index 3 has");
    assert.equal(serve(), false, "used_event is behind: no more interrupts");
    r.setUsedEvent(5);
    r.offer(r.chain([{ addr: r.alloc(4), len: 4 }]));
    r.offer(r.chain([{ addr: r.alloc(4), len: 4 }]));
    q.push(q.pop()!.head, 0);
    q.push(q.pop()!.head, 0);
    assert.equal(q.shouldInterrupt(), true, "a batch that moves the index past used_event interrupts once");
    assert.equal(r.availEvent(), 6);
  });

  it("vring_need_event, with wrap-around", () => {
    assert.equal(needEvent(0, 1, 0), true);
    assert.equal(needEvent(1, 1, 0), false);
    assert.equal(needEvent(0xffff, 1, 0xfffe), true, "event inside a wrapped window");
    assert.equal(needEvent(5, 1, 0xfffe), false);
  });
});

import assert from "node:assert/strict";
import { beforeEach, describe, it } from "node:test";
import { Plic } from "../../../../../src/machine/devices/plic/model";

const M = 0, S = 1;
const priority = (src: number) => 4 * src;
const enable = (ctx: number, word = 0) => 0x2000 + 0x80 * ctx + 4 * word;
const threshold = (ctx: number) => 0x20_0000 + 0x1000 * ctx;
const claim = (ctx: number) => 0x20_0000 + 0x1000 * ctx + 4;

describe("PLIC (QEMU virt layout, hart 0 M and S contexts)", () => {
  let lines: boolean[];
  let plic: Plic;
  beforeEach(() => {
    lines = [false, false];
    plic = new Plic([{ set: (l) => (lines[M] = l) }, { set: (l) => (lines[S] = l) }]);
  });

  it("keeps priorities of sources 1..95, 3 bits wide; source 0 reads zero", () => {
    plic.write(priority(10), 4, 0xffff_ffff);
    assert.equal(plic.read(priority(10), 4), 7);
    plic.write(priority(95), 4, 3);
    assert.equal(plic.read(priority(95), 4), 3);
    plic.write(priority(0), 4, 5);
    assert.equal(plic.read(priority(0), 4), 0);
  });

  it("shows a raised line in the pending bits, which guests cannot write", () => {
    plic.source(10).set(true);
    plic.source(33).set(true);
    assert.equal(plic.read(0x1000, 4), 1 << 10);
    assert.equal(plic.read(0x1004, 4), 1 << 1);
    plic.write(0x1000, 4, 0);
    assert.equal(plic.read(0x1000, 4), 1 << 10);
  });

  it("interrupts a context only for an enabled source with priority above its threshold", () => {
    plic.source(10).set(true);
    assert.deepEqual(lines, [false, false], "priority 0 never interrupts");
    plic.write(priority(10), 4, 2);
    assert.deepEqual(lines, [false, false], "not enabled yet");
    plic.write(enable(S), 4, 1 << 10);
    assert.deepEqual(lines, [false, true], "S context: SEIP");
    plic.write(threshold(S), 4, 2);
    assert.deepEqual(lines, [false, false], "priority must exceed the threshold");
    plic.write(threshold(S), 4, 1);
    plic.write(enable(M), 4, 1 << 10);
    assert.deepEqual(lines, [true, true]);
    plic.write(enable(M), 4, 0);
    assert.equal(plic.read(enable(S), 4), 1 << 10);
    assert.deepEqual(lines, [false, true]);
  });

  it("claims the highest-priority source, lower id first on ties, and clears its pending bit", () => {
    for (const [src, prio] of [[3, 1], [10, 5], [7, 5]]) {
      plic.write(priority(src), 4, prio);
      plic.source(src).set(true);
    }
    plic.write(enable(M), 4, (1 << 3) | (1 << 7) | (1 << 10));
    assert.equal(plic.read(claim(M), 4), 7);
    assert.equal(plic.read(claim(M), 4), 10);
    assert.equal(plic.read(claim(M), 4), 3);
    assert.equal(plic.read(claim(M), 4), 0, "nothing left to claim");
    assert.equal(lines[M], false);
    assert.equal(plic.read(0x1000, 4), 0);
  });

  it("as QEMU 7.2: each raise is a request; a claimed source raised again waits for completion; completion does not re-forward a high line", () => {
    plic.write(priority(10), 4, 1);
    plic.write(enable(M), 4, 1 << 10);
    plic.source(10).set(true);
    assert.equal(plic.read(claim(M), 4), 10);
    assert.equal(lines[M], false);
    plic.write(claim(M), 4, 10);
    assert.equal(plic.read(0x1000, 4), 0, "still high after completion, but not raised again: not pending");
    assert.equal(lines[M], false);
    plic.source(10).set(true);
    assert.equal(plic.read(0x1000, 4), 1 << 10, "raised again while high: a new request");
    assert.equal(plic.read(claim(M), 4), 10);
    plic.source(10).set(true);
    assert.equal(plic.read(0x1000, 4), 1 << 10, "raised while claimed: pending");
    assert.equal(lines[M], false, "but not claimable until completed");
    plic.write(claim(M), 4, 10);
    assert.equal(lines[M], true, "completed: the request made meanwhile is claimable");
    plic.source(10).set(false);
    assert.equal(plic.read(0x1000, 4), 0, "lowering the line withdraws the request");
    assert.equal(lines[M], false);
  });

  it("ignores a completion for a source not enabled in that context", () => {
    plic.write(priority(10), 4, 1);
    plic.write(enable(M), 4, 1 << 10);
    plic.source(10).set(true);
    assert.equal(plic.read(claim(M), 4), 10);
    plic.write(claim(S), 4, 10);
    assert.equal(plic.state().claimed.includes(10), true, "S completing a source it has not enabled does nothing");
    plic.write(claim(M), 4, 10);
    assert.deepEqual(plic.state().claimed, []);
  });

  it("withdraws a request when the line drops before it is claimed", () => {
    plic.write(priority(10), 4, 1);
    plic.write(enable(M), 4, 1 << 10);
    plic.source(10).set(true);
    assert.equal(lines[M], true);
    plic.source(10).set(false);
    assert.equal(lines[M], false);
    assert.equal(plic.read(claim(M), 4), 0);
  });

  it("hardwires the enable bit of source 0, answers only word accesses, reads 0 at unknown offsets", () => {
    plic.write(enable(M), 4, 0xffff_ffff);
    assert.equal(plic.read(enable(M), 4), 0xffff_fffe);
    assert.deepEqual([1, 2, 4, 8].map((w) => plic.accepts(priority(1), w as 1 | 2 | 4 | 8)), [false, false, true, false]);
    assert.equal(plic.read(0x20_2000, 4), 0, "context 2 does not exist");
    assert.equal(plic.read(enable(M, 3), 4), 0, "only 96 sources");
  });

  it("describes its state for the Devices panel", () => {
    plic.write(priority(10), 4, 3);
    plic.write(enable(S), 4, 1 << 10);
    plic.source(10).set(true);
    const st = plic.state();
    assert.deepEqual(st.priorities, [{ source: 10, priority: 3 }]);
    assert.deepEqual(st.pending, [10]);
    assert.deepEqual(st.levels, [10]);
    assert.deepEqual(st.contexts[S], { hart: 0, mode: "S", threshold: 0, enabled: [10], best: 10, asserted: true });
    assert.deepEqual(st.contexts[M], { hart: 0, mode: "M", threshold: 0, enabled: [], best: 0, asserted: false });
  });
});

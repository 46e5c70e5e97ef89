import assert from "node:assert/strict";
import { test } from "node:test";
import { walkAssuming } from "../../../../src/machine/hart/mmu";
import { createVirtBoard } from "../../../../src/machine/virt";

/**
 * The debugger's walk (mmu.ts) says what the walker found at each PTE (its index, a leaf's verdict,
 * the A/D bits it would set) and why it stopped, in the walker's own terms; and it can walk as if
 * the translation CSRs held other values, leaving the hart's own in place.
 */
const V = 1n, R = 2n, W = 4n, X = 8n, U = 16n, A = 64n;
const RAM = 0x8000_0000;
const ROOT = 0x8010_0000, L1 = 0x8010_1000, L0 = 0x8010_2000, OTHER_ROOT = 0x8011_0000;
const pte = (pa: number, flags: bigint) => (BigInt(pa / 4096) << 10n) | flags;
const satpOf = (root: number, asid: number) => (8n << 60n) | (BigInt(asid) << 44n) | BigInt(root / 4096);

function hart() {
  const b = createVirtBoard({ memoryBytes: 4 << 20 });
  const put = (pa: number, v: bigint) => b.ram.view.setBigUint64(pa - RAM, v, true);
  // VA 0x4000_0000 + n·4 KiB: n = 0 R W (A = 0), 1 U R, 2 invalid, 3 W without R, 4 a pointer at level 0;
  // VA 0x4020_0000: a 2 MiB leaf whose PPN is not aligned; VA 0x8000_0000: a 1 GiB leaf (R X A).
  put(ROOT + 1 * 8, pte(L1, V));
  put(ROOT + 2 * 8, pte(RAM, V | R | X | A));
  put(L1, pte(L0, V));
  put(L1 + 8, pte(RAM + 0x1000, V | R | W | A));
  put(L0, pte(RAM + 0x5000, V | R | W));
  put(L0 + 8, pte(RAM + 0x6000, V | R | U | A));
  put(L0 + 3 * 8, pte(RAM + 0x7000, V | W));
  put(L0 + 4 * 8, pte(RAM + 0x8000, V));
  put(OTHER_ROOT + 2 * 8, pte(RAM, V | R | W | X | A));
  const h = b.hart;
  h.writeCsr(0x3b0, (1n << 54n) - 1n);
  h.writeCsr(0x3a0, 0x1fn);
  h.writeCsr(0x180, satpOf(ROOT, 1));
  h.setMode(1, false);
  return h;
}

test("each PTE read carries its index; a leaf, whether it permits the access and what A/D the walker sets", () => {
  const h = hart();
  const w = h.walk(0x4000_0000n, "w", 1);
  assert.deepEqual(w.steps.map((s) => [s.level, s.index, s.permits, s.sets]), [[2, 1, undefined, undefined], [1, 0, undefined, undefined], [0, 0, true, 0xc0]]);
  assert.equal(h.walk(0x4000_0000n, "r", 1).steps[2].sets, 0x40, "a read sets A only");
  assert.equal(h.walk(0x8000_0000n, "x", 1).steps[0].sets, 0, "A already set");
  assert.equal(w.stop, undefined);
});

test("a walk that faults says why, where and at which stage", () => {
  const h = hart();
  const stop = (va: number, access: "r" | "w" | "x" = "r", mode = 1) => h.walk(BigInt(va), access, mode).stop;
  assert.deepEqual(stop(0x4000_2000), { why: "invalid", stage: "s", level: 0, pteAddr: L0 + 2 * 8 });
  assert.deepEqual(stop(0x4000_3000), { why: "reserved", stage: "s", level: 0, pteAddr: L0 + 3 * 8 });
  assert.deepEqual(stop(0x4000_4000), { why: "no-leaf", stage: "s", level: 0, pteAddr: L0 + 4 * 8 });
  assert.deepEqual(stop(0x4020_0000), { why: "misaligned", stage: "s", level: 1, pteAddr: L1 + 8 });
  assert.deepEqual(stop(0x4000_1000), { why: "permission", stage: "s", level: 0, pteAddr: L0 + 8 }, "S-mode without SUM on a U page");
  assert.equal(h.walk(0x4000_1000n, "r", 1).steps[2].permits, false);
  assert.deepEqual(stop(0x8000_0000, "w"), { why: "permission", stage: "s", level: 2, pteAddr: ROOT + 16 });
  assert.deepEqual(stop(2 ** 40), { why: "va-range", stage: "s" });
  assert.deepEqual(h.walk(-1n, "r", 3).stop, { why: "pa-range", stage: "s" }, "M-mode does not translate");
  h.writeCsr(0x3a0, 0n); // no PMP entry: S-mode may read no PTE
  assert.deepEqual([h.walk(0x8000_0000n, "r", 1).fault, stop(0x8000_0000)], [5n, { why: "pmp", stage: "s", level: 2, pteAddr: ROOT + 16 }]);
});

test("walkAssuming walks with other translation CSRs and puts the hart's own back", () => {
  const h = hart();
  const own = h.satp;
  assert.equal(h.walk(0x8000_0000n, "w", 1).fault, 15n);
  const other = walkAssuming(h, { satp: satpOf(OTHER_ROOT, 2) }, 0x8000_0000n, "w", 1);
  assert.deepEqual([other.pa, other.steps[0].pteAddr], [RAM, OTHER_ROOT + 16]);
  assert.equal(h.satp, own);
  assert.equal(h.walk(0x8000_0000n, "w", 1).fault, 15n, "the hart walks its own table again");
  assert.deepEqual(walkAssuming(h, {}, 0x4000_0000n, "r", 1), h.walk(0x4000_0000n, "r", 1), "assuming nothing is the hart's own walk");
});

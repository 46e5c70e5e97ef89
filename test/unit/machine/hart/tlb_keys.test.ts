/**
 * The software TLB's int32 keys (Hart.keyR, keyW), which translated code compares instead of the
 * Float64Array tags: each slot's key is its tag while the tag is an int32 page number, and otherwise a
 * key that no page of that slot has (tlb.ts, noKey).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Hart } from "../../../../src/machine/hart/hart";
import { FAST_SIZE, flushFast } from "../../../../src/machine/hart/mem";
import { keyOf, noKey } from "../../../../src/machine/hart/tlb";
import { ins, li, RAM } from "./encode";
import { boot, EBREAK, runToEbreak } from "./harness";

test("an empty slot's key has other low bits than the slot's, so no page that maps to the slot has it", () => {
  for (let slot = 0; slot < FAST_SIZE; slot++) assert.notEqual(noKey(slot, FAST_SIZE) & (FAST_SIZE - 1), slot);
  assert.equal(noKey(255, 256), 0);
  assert.equal(keyOf(0x80010, 0x10, 256), 0x80010);
  assert.equal(keyOf(-1, 255, 256), -1);
  assert.equal(keyOf(2 ** 40 + 0x10, 0x10, 256), 0x11, "a page number beyond int32 gets the empty key");
});

/** Every slot's key is what its tag says: the page number, or the empty key for an empty slot. */
function assertKeysMatchTags(h: Hart): void {
  for (const [tags, keys] of [[h.tagR, h.keyR], [h.tagW, h.keyW]] as const) {
    for (let i = 0; i < FAST_SIZE; i++) {
      assert.equal(keys[i], Number.isNaN(tags[i]) ? noKey(i, FAST_SIZE) : keyOf(tags[i]!, i, FAST_SIZE), `slot ${i}`);
    }
  }
}

test("the keys follow the software TLB through a translated run over five pages, a trap and a flush", () => {
  // x10 walks 5 pages of data 8 bytes at a time, storing and loading each doubleword.
  const b = boot([li(10, BigInt(RAM + 0x10000)), li(5, 2560n),
    /* L: */ ins("sd", 5, 10, 0), ins("ld", 6, 10, 0), ins("add", 7, 7, 6), ins("addi", 10, 10, 8), ins("addi", 5, 5, -1), ins("bne", 5, 0, -20),
    EBREAK]);
  b.hart.translator.threshold = 0;
  const h = b.hart;
  // Stopped inside the loop (a trap, the closing ebreak's too, flushes the software TLB).
  assert.equal(b.run(12_000).kind, "budget");
  assert.ok(h.translatorStats.translatedInstructions > 10_000, "the loop ran translated");
  const filled = (keys: Int32Array) => Array.from(keys).filter((k, i) => k !== noKey(i, FAST_SIZE)).length;
  assert.equal(filled(h.keyR), 4, "the 4 data pages reached so far are in the software TLB for loads");
  assert.equal(filled(h.keyW), 4, "… and for stores");
  assertKeysMatchTags(h);
  runToEbreak(b);
  assert.equal(h.getReg(7), 2560n * 2561n / 2n);
  assertKeysMatchTags(h);
  flushFast(h);
  assert.equal(filled(h.keyR) + filled(h.keyW), 0);
  assertKeysMatchTags(h);
});

/**
 * The disassembler against objdump over random and exhaustive encodings: every 16-bit parcel,
 * thousands of seeded random 32-bit words (uniform, and shaped after the ISA table's entries), and
 * every CSR number under both privileged-spec versions. Set DISASM_SEED to replay a failure.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { INSTRUCTIONS } from "../../../src/isa/instructions";
import { differences, objdumpAndOurs } from "./disasm_oracle";

const seed = Number(process.env.DISASM_SEED ?? Date.now() % 0x7fffffff);

/** xorshift32: small, seedable, good enough to spread bits. */
function rng(s: number): () => number {
  let x = s >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>>= 0);
  };
}

const insnLines = (words: readonly number[], size: 2 | 4): string =>
  [".globl _start", "_start:", ...words.map((w) => `        .insn ${size}, 0x${w.toString(16)}`)].join("\n") + "\n";

test("every 16-bit parcel prints as objdump prints it", () => {
  const parcels: number[] = [];
  for (let h = 0; h < 0x10000; h++) if ((h & 3) !== 3) parcels.push(h);
  const run = objdumpAndOurs(insnLines(parcels, 2));
  assert.equal(run.objdump.length, parcels.length + 1);
  assert.deepEqual(differences(run), []);
});

test(`random 32-bit words print as objdump prints them (DISASM_SEED=${seed})`, () => {
  const next = rng(seed);
  const words: number[] = [];
  for (let k = 0; k < 8000; k++) {
    let w = (next() | 3) >>> 0;
    if ((w & 0x1c) === 0x1c) w = (w ^ 0x10) >>> 0; // keep 32-bit: 0b11111 would announce a 48-bit encoding
    words.push(w);
  }
  // Shaped after the table: fixed bits from an entry, the rest random with registers and
  // immediates often zero, ra or all-ones, where the aliases live.
  for (let k = 0; k < 12000; k++) {
    const spec = INSTRUCTIONS[next() % INSTRUCTIONS.length];
    const pick = next();
    let w = next();
    if (pick & 1) w &= ~(31 << 7);
    if (pick & 2) w &= ~(31 << 15);
    if (pick & 4) w &= ~(31 << 20);
    if (pick & 8) w &= 0xfffff;
    if (pick & 16) w = (w & ~(31 << 7)) | (1 << 7);
    if (pick & 32) w = (w & ~(31 << 15)) | (1 << 15);
    if (pick & 64) w |= 0xfff00000;
    words.push(((w & ~spec.mask) | spec.match) >>> 0);
  }
  const run = objdumpAndOurs(insnLines(words, 4));
  assert.equal(run.objdump.length, words.length + 1);
  assert.deepEqual(differences(run), [], `replay with DISASM_SEED=${seed}`);
});

for (const [privSpec, prologue] of [
  ["1.12", ""],
  ["1.11", "        csrr a0, mstatus\n"], // naming a CSR makes gas record privileged spec 1.11
] as const) {
  test(`every CSR number is named as objdump names it under privileged spec ${privSpec}`, () => {
    const words = Array.from({ length: 4096 }, (_, n) => ((n << 20) | 0x2573) >>> 0); // csrr a0, n
    const run = objdumpAndOurs(insnLines(words, 4).replace("_start:\n", `_start:\n${prologue}`));
    assert.deepEqual(differences(run), []);
  });
}

/**
 * Random RV64IMAC streams, and random F/D streams (random_fp_stream.ts), in lockstep with QEMU. CI runs the fixed seeds; ORACLE_RANDOM_SEEDS=N adds N
 * fresh seeds (printed, and named in any failure, so a failing stream can be rebuilt with
 * buildRandomGuest(seed, length)).
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { buildRandomGuest } from "./guests";
import { lockstep } from "./lockstep";
import { runQemu } from "./qemu";
import { generateStream } from "./random_stream";

const LENGTH = 600;
/** CI's seeds: about 0.5 s each, so the oracle suite stays well under its 3-minute budget on 2 cores. */
const FIXED = Array.from({ length: 16 }, (_, i) => i + 1);
/** The F/D streams' seeds: each about 1 s in lockstep (the soft float is exact, not fast). */
const FP_FIXED = Array.from({ length: 6 }, (_, i) => i + 1);
const extra = Number(process.env.ORACLE_RANDOM_SEEDS ?? 0);
const fresh = Array.from({ length: extra }, () => Math.floor(Math.random() * 2 ** 31));
if (fresh.length) console.log(`random streams: extra seeds ${fresh.join(", ")}`);

test("streams are reproducible from their seed and differ between seeds", () => {
  assert.equal(generateStream(42), generateStream(42));
  assert.notEqual(generateStream(42), generateStream(43));
  const s = generateStream(7, { length: 2000 });
  for (const form of ["c.addi16sp", "c.lwsp", "c.sdsp", "c.beqz", "c.jr", "amomaxu", "lr.", "sc.", "mulhsu", "sraiw",
    "li tp, 1; .word", "li tp, 1; .hword", "csrr"]) {
    assert.ok(s.includes(form), `a 2000-instruction stream should contain ${form}`);
  }
});

describe("random F/D streams", () => {
  for (const seed of [...FP_FIXED, ...fresh]) {
    test(`seed ${seed}`, async () => {
      const elf = buildRandomGuest(seed, LENGTH, true);
      const q = await runQemu(elf, { timeoutMs: 20_000 });
      assert.equal(q.exitCode, 0, `seed ${seed}: the F/D stream trapped on QEMU (generator bug), exit ${q.exitCode}`);
      const r = await lockstep(elf, { context: `random F/D seed ${seed}, length ${LENGTH}` });
      assert.equal(r.exitCode, 0, `seed ${seed}`);
    });
  }
});

describe("random streams", () => {
  for (const seed of [...FIXED, ...fresh]) {
    test(`seed ${seed}`, async () => {
      const elf = buildRandomGuest(seed, LENGTH);
      const q = await runQemu(elf, { timeoutMs: 20_000 });
      assert.equal(q.exitCode, 0, `seed ${seed}: the stream trapped on QEMU (generator bug), exit ${q.exitCode}`);
      const r = await lockstep(elf, { context: `random seed ${seed}, length ${LENGTH}` });
      assert.equal(r.exitCode, 0, `seed ${seed}`);
    });
  }
});

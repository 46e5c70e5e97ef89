/**
 * The random guests (test/fuzz/guest_target.ts) that once ended differently under a VMM technique
 * than natively: each runs natively and under every equivalent technique, and must keep the
 * target's promises (the same end everywhere, deterministic, no store into the VMM's memory).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { guestTarget, type GuestInput } from "../../fuzz/guest_target";

/** x1…x31 all zero but the ones given (by register number). */
function registers(given: Record<number, bigint>): bigint[] {
  return Array.from({ length: 31 }, (_, i) => given[i + 1] ?? 0n);
}

function assertKeepsPromises(input: GuestInput): void {
  const { report, problems } = guestTarget.run(input) as Awaited<ReturnType<typeof guestTarget.run>>;
  assert.deepEqual(problems, []);
  assert.ok(Object.keys(report).length > 1, "it ran under native and at least one VMM technique");
}

describe("random guests found by the guest fuzzer (issue 22)", () => {
  it("a jalr with a non-zero funct3 is an illegal instruction under binary translation too (seed 22, case 1)", () => {
    // jalr t0, -0x307(s1) with funct3 7: natively an illegal-instruction trap; the translator used to run it as a jump.
    assertKeepsPromises({ words: [0xcf94f2e7, 0x00000013], handler: true, registers: registers({ 9: 0x100000n }) });
  });
});

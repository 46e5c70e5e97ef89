import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createTarget } from "../../../src/target/create_target";
import { EQUIVALENT_TECHNIQUES, type Technique } from "../../../src/target/techniques";
import { asmGuest } from "../hypervisor/equivalence";

/**
 * Retires 2,003 instructions (li, 1,000 loop iterations of two, a two-instruction li), reads mtime
 * into a0 at the next one and passes through the finisher.
 */
const READ_MTIME = asmGuest(`
  .text
  .globl _start
_start:
  li t0, 1000
1: addi t0, t0, -1
  bnez t0, 1b
  li t1, 0x200bff8
  ld a0, 0(t1)
  li t3, 0x100000
  li t4, 0x5555
  sw t4, 0(t3)
2: j 2b
`);

function mtimeAfter2003(technique: Technique, icountShift?: number): bigint | string {
  const c = createTarget(READ_MTIME, { technique, memoryBytes: 1 << 20, icountShift });
  if (!c.ok) return c.error;
  assert.deepEqual(c.target.run(10_000), { kind: "halt", code: 0, how: "finisher" });
  return c.target.getReg(10);
}

describe("icountShift sets the guest's timebase as QEMU's -icount shift=N: mtime = floor(instructions × 2^N / 100)", () => {
  for (const technique of EQUIVALENT_TECHNIQUES) {
    it(`${technique}: 2,003 instructions are 20 ticks by default, 1,281 with shift 6 (2,003 × 0.64 = 1,281.92), 20,510 with shift 10`, () => {
      assert.equal(mtimeAfter2003(technique), 20n);
      assert.equal(mtimeAfter2003(technique, 0), 20n);
      assert.equal(mtimeAfter2003(technique, 6), 1281n);
      assert.equal(mtimeAfter2003(technique, 10), 20510n);
    });
  }

  it("refuses a shift QEMU would not take", () => {
    assert.equal(mtimeAfter2003("native", 11), "icount shift must be a whole number from 0 to 10, as QEMU's -icount shift=N, not 11");
    assert.equal(mtimeAfter2003("trap-and-emulate", 1.5), "icount shift must be a whole number from 0 to 10, as QEMU's -icount shift=N, not 1.5");
  });
});

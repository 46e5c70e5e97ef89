import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MAX_MEMORY_BYTES, MIB } from "../../../src/machine/memory_size";
import { createTarget } from "../../../src/target/create_target";
import { formatMiB } from "../../../src/target/target_options";
import { EQUIVALENT_TECHNIQUES, largestMemory, type Technique } from "../../../src/target/techniques";
import { asmGuest } from "../hypervisor/equivalence";

/** Writes the last doubleword of RAM (a0 = RAM's size), reads it back and passes through the finisher. */
const TOP_OF_RAM = asmGuest(`
  .text
  .globl _start
_start:
  li t0, 0x80000000
  add t0, t0, a0
  addi t0, t0, -8
  li t1, 0x1122334455667788
  sd t1, 0(t0)
  ld t2, 0(t0)
  li t3, 0x100000
  li t4, 0x5555
  bne t1, t2, 1f
  sw t4, 0(t3)
1: j 1b
`);

function runWith(technique: Technique, memoryBytes: number) {
  const c = createTarget(TOP_OF_RAM, { technique, memoryBytes });
  if (!c.ok) return c.error;
  c.target.setReg(10, BigInt(memoryBytes));
  return c.target.run(1000);
}

describe("the largest guest RAM each technique accepts", () => {
  it("paravirtual: at most 1 GiB, which its boot address space maps through one root entry", () => {
    assert.equal(largestMemory("paravirtual"), 1 << 30);
  });

  // Every technique that runs this ordinary guest (paravirtualization runs only PV kernels).
  for (const technique of EQUIVALENT_TECHNIQUES) {
    it(`${technique}: runs with ${formatMiB(largestMemory(technique))} and uses its last byte; a VMM refuses more, naming the limit`, () => {
      const largest = largestMemory(technique);
      assert.ok(largest > MAX_MEMORY_BYTES - 32 * MIB, "only the VMM's own pools come off the 4 GiB");
      assert.deepEqual(runWith(technique, largest), { kind: "halt", code: 0, how: "finisher" });
      if (largest === MAX_MEMORY_BYTES) return;
      const refused = runWith(technique, largest + MIB);
      assert.equal(typeof refused, "string");
      assert.match(refused as string, new RegExp(`at most ${formatMiB(largest)}`));
      assert.match(runWith(technique, MAX_MEMORY_BYTES) as string, /too large for this technique/);
    });
  }
});

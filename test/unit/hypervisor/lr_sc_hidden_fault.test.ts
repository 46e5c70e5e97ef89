import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { assertEquivalent } from "./equivalence";
import { HALT, sv39Kernel } from "./small_guests";

/**
 * A kernel on Sv39 whose data (a gigapage at 0x4000_0000 over RAM) has D clear in its PTE: its LR
 * reads the page (the VMM's shadow entry for it is then read-only, since D is clear), and its SC to
 * the same address faults on that entry. The guest never sees that fault; natively the SC sets D
 * and succeeds, and it must under the VMM.
 */
const LR_SC = sv39Kernel("lr_sc_hidden_fault.S", `
  li t0, 0x40010000
  li t1, 7
  lr.d a0, (t0)
  sc.d a1, t1, (t0)
  ld a2, 0(t0)
${HALT}`, [0xef, 0x2000006f, 0x200000ef]);

describe("an SC whose write faults on a read-only shadow entry the guest cannot see", () => {
  for (const technique of ["trap-and-emulate", "binary-translation"] as const) {
    it(`succeeds under ${technique}, as natively`, () => {
      const { native, vm } = assertEquivalent("lr_sc_hidden_fault.S", LR_SC, { technique });
      assert.deepEqual([native.x[11], native.x[12]], [0n, 7n], "the SC held its reservation and stored");
      const faults = vm.target.exits({ reasons: ["hidden-page-fault"], count: 100 }).exits.filter((e) => e.details.gva === 0x4001_0000n);
      assert.deepEqual(faults.map((e) => e.details.access), ["read", "write"], "the LR's read, then the SC's write, each a hidden fault");
    });
  }
});

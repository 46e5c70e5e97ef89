import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { asmGuest, assertEquivalent } from "./equivalence";

/**
 * A kernel on Sv39 whose data (a gigapage at 0x4000_0000 over RAM) has D clear in its PTE: its LR
 * reads the page (the VMM's shadow entry for it is then read-only, since D is clear), and its SC to
 * the same address faults on that entry. The guest never sees that fault; natively the SC sets D
 * and succeeds, and it must under the VMM.
 */
const LR_SC = asmGuest(`
  .option norelax
  .text
  .globl _start
_start:
  li t0, -1
  csrw pmpaddr0, t0
  li t0, 0x1f
  csrw pmpcfg0, t0
  la t0, root
  srli t0, t0, 12
  li t1, 8 << 60
  or t0, t0, t1
  csrw satp, t0
  li t0, 1 << 11
  csrs mstatus, t0
  la t0, kernel
  csrw mepc, t0
  mret
kernel:
  li t0, 0x40010000
  li t1, 7
  lr.d a0, (t0)
  sc.d a1, t1, (t0)
  ld a2, 0(t0)
  li t0, 0x100000
  li t1, 0x5555
  sw t1, 0(t0)
1: j 1b
  .data
  .align 12
root:
  .dword 0x000000ef
  .dword 0x2000006f
  .dword 0x200000ef
  .zero 8 * 509
`, "lr_sc_hidden_fault.S");

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

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createVirtBoard } from "../../../src/machine/virt";
import type { BinaryTranslation } from "../../../src/hypervisor/techniques/binary_translation";
import { asmGuest, assertEquivalent, makeVm } from "./equivalence";
import { HALT } from "./small_guests";

/**
 * An M-mode kernel whose loop is all callouts: `call f` (auipc + jalr), `la` (auipc), f's `ret`
 * (jalr), an inline `csrr mscratch` and, past 70 additions, the fall-through of a block that ends
 * after 64 instructions, `rounds` times. A timer interrupt every 500 instructions
 * (mtimecmp re-armed by its handler) lands somewhere in that code: the handler keeps its count in
 * s3, the mepc and minstret of the last one in s4 and s5. With `lrsc`, each round also takes an LR
 * reservation before the call and stores conditionally after it, counting the successes in s6.
 */
function callLoop(rounds: number, lrsc = false) {
  return asmGuest(`
  .option norelax
  .text
  .globl _start
_start:
  la t0, m_trap
  csrw mtvec, t0
  call arm
  li t0, 1 << 7
  csrs mie, t0
  csrsi mstatus, 8
  li s0, 0
  li s1, ${rounds}
loop:
${lrsc ? "  la t1, word\n  lr.d t2, (t1)" : ""}
  call f
${lrsc ? "  sc.d t2, s0, (t1)\n  seqz t2, t2\n  add s6, s6, t2" : ""}
return_site:
  la t0, word
  csrr a1, mscratch
  .rept 70
  addi a2, a2, 1
  .endr
  addi s0, s0, 1
  blt s0, s1, loop
  csrci mstatus, 8
${HALT}
f:
  addi a0, a0, 3
  ret
arm:
  li t3, 0x200bff8
  ld t4, 0(t3)
  addi t4, t4, 5
  li t3, 0x2004000
  sd t4, 0(t3)
  ret
  .align 2
m_trap:
  csrr s4, mepc
  csrr s5, minstret
  addi s3, s3, 1
  mv t6, ra
  call arm
  mv ra, t6
  mret
  .data
  .align 3
word:
  .dword 0
`, `bt_call_loop_${rounds}${lrsc ? "_lrsc" : ""}.S`);
}

/** Traps of the host hart into the VMM while the guest runs `rounds` rounds of the loop to its end, and the timer interrupts among them. */
function vmmTraps(rounds: number): { traps: number; interrupts: number } {
  const vm = makeVm({ technique: "binary-translation" });
  vm.load(callLoop(rounds));
  const hart = vm.board.hart;
  const onTrap = hart.onTrap!;
  let traps = 0;
  hart.onTrap = (cause, tval, pc) => {
    const toVmm = onTrap(cause, tval, pc);
    if (toVmm) traps++;
    return toVmm;
  };
  assert.equal(vm.run(10_000_000).kind, "halt");
  return { traps, interrupts: Number(hart.getReg(19)) };
}

describe("binary translation: the callout gate", () => {
  it("calls, returns, auipc and inline CSR accesses into translated code run without a trap of the hart: the VMM's traps do not grow with the rounds", () => {
    const few = vmmTraps(10), many = vmmTraps(1000);
    assert.ok(many.interrupts > few.interrupts + 100);
    // What the rounds add is the timer interrupts' (MMIO exits, the interrupt, the mret), not a trap per callout (some 7,000).
    assert.ok(many.traps - few.traps <= 5 * (many.interrupts - few.interrupts),
      `10 rounds: ${few.traps} traps into the VMM, ${few.interrupts} timer interrupts; 1000 rounds: ${many.traps}, ${many.interrupts}`);
  });

  it("ends as natively, each timer interrupt taken after exactly the same instruction", () => {
    const { native, vm } = assertEquivalent("bt_call_loop_5000.S", callLoop(5000), { technique: "binary-translation" });
    assert.equal(native.x[8], 5000n, "s0: the rounds");
    assert.ok(native.x[19] > 50n, `s3: ${native.x[19]} timer interrupts`);
    const tc = vm.target.stats().tc!;
    assert.ok(tc.inlineCsr >= 5000 && tc.hits >= 10000, "the gate's inline accesses and lookups are counted as the exits' were");
  });

  it("keeps an LR reservation across a call answered at the gate, as the guest's own hart does", () => {
    const { native } = assertEquivalent("bt_call_loop_50_lrsc.S", callLoop(50, true), { technique: "binary-translation" });
    assert.ok(native.x[22] > 40n, `s6: ${native.x[22]} of 50 store-conditionals succeeded (a timer interrupt between breaks one)`);
  });

  it("stops at a breakpoint on a call's target and on a return's, after the same instructions as natively", () => {
    const p = callLoop(1000);
    const address = (name: string) => p.symbols.find((s) => s.name === name)!.address;
    const native = createVirtBoard({ memoryBytes: 16 << 20 });
    native.load(p);
    const vm = makeVm({ technique: "binary-translation" });
    vm.load(p);
    // Some rounds first, so that f and the return site are translated and their transfers answered at the gate.
    assert.equal(native.run(5_000).kind, "budget");
    assert.equal(vm.run(5_000).kind, "budget");
    assert.ok((vm.technique as BinaryTranslation).tcBlock(Number(address("f"))), "f is translated");
    for (const name of ["f", "return_site", "f"]) {
      native.hart.breakpoints.clear();
      vm.board.hart.breakpoints.clear();
      native.hart.breakpoints.add(address(name));
      vm.board.hart.breakpoints.add(address(name));
      const a = native.run(100_000), b = vm.run(100_000);
      assert.deepEqual(b, a, `stopped at ${name}`);
      assert.equal(vm.instret, native.instret, `${name}: instructions retired`);
      for (let r = 1; r < 32; r++) assert.equal(vm.board.hart.getReg(r), native.hart.getReg(r), `${name}: x${r}`);
    }
  });
});

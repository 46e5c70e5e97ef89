/**
 * The VM's run loop against the bare board's: a guest that ends through HTIF, a guest stuck in a
 * trap loop, and a guest M-mode fence under hardware assistance must look the same to the guest
 * (and to whoever counts its steps) natively and under every VMM technique.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { TRAP_LOOP_STEPS } from "../../../src/machine/board";
import { EQUIVALENT_TECHNIQUES } from "../../../src/target/techniques";
import { ROOT, asmGuest, assertEquivalent, loadGuest, makeVm, runNative } from "./equivalence";

/** Ends at once through HTIF: `tohost` ← 1 (exit code 0) after a few instructions. */
const HTIF_GUEST = `
        .globl  _start
_start: li      a0, 7
        addi    a0, a0, 1
        la      t0, tohost
        li      t1, 1
        sd      t1, 0(t0)
1:      addi    a0, a0, 1
        j       1b
        .data
        .balign 8
        .globl  tohost
tohost: .dword  0
        .globl  fromhost
fromhost: .dword 0
`;

/** No trap vector: the first illegal instruction sends the hart to mtvec = 0, where the fetch faults, forever. */
const TRAP_LOOP_GUEST = `
        .globl  _start
_start: csrw    mtvec, zero
        li      a0, 1
        .word   0
`;

/**
 * Guest M-mode maps VA 0x4000_0000 to page A, runs S-mode there, remaps it to page B with a store to
 * the leaf PTE and sfence.vma, and runs S-mode there again: the second run must see B.
 */
const MMODE_FENCE_GUEST = `
        .option norvc
#define PTE(reg, table) srli reg, reg, 12; slli reg, reg, 10; ori reg, reg, table
        .globl  _start
_start: li      t0, -1
        csrw    pmpaddr0, t0
        li      t0, 0x1f
        csrw    pmpcfg0, t0
        la      t0, m_trap
        csrw    mtvec, t0
        la      t0, l1
        PTE(t0, 1)
        la      t1, root
        sd      t0, 8(t1)
        la      t0, l0
        PTE(t0, 1)
        la      t1, l1
        sd      t0, 0(t1)
        la      t0, page_a
        PTE(t0, 0x4b)
        la      t1, l0
        sd      t0, 0(t1)
        la      t0, root
        srli    t0, t0, 12
        li      t1, 8
        slli    t1, t1, 60
        or      t0, t0, t1
        csrw    satp, t0
        sfence.vma
        li      s0, 0
        li      t0, 0x1800
        csrc    mstatus, t0
        li      t0, 0x800
        csrs    mstatus, t0
        li      t0, 0x40000000
        csrw    mepc, t0
        mret
m_trap: addi    s0, s0, 1
        li      t0, 1
        bne     s0, t0, done
        mv      s1, a0
        la      t0, page_b
        PTE(t0, 0x4b)
        la      t1, l0
        sd      t0, 0(t1)
        sfence.vma
        li      t0, 0x40000000
        csrw    mepc, t0
        mret
done:   mv      s2, a0
        li      t0, 0x100000
        li      t1, 0x5555
        sw      t1, 0(t0)
1:      j       1b
        .balign 4096
page_a: li      a0, 1
        ecall
        .balign 4096
page_b: li      a0, 2
        ecall
        .bss
        .balign 4096
root:   .space  4096
l1:     .space  4096
l0:     .space  4096
`;

describe("the VM's run loop counts what the bare board counts", () => {
  // Paravirtualization gives up equivalence: it runs only a kernel written for it (paravirtual.test.ts).
  for (const technique of EQUIVALENT_TECHNIQUES.filter((t) => t !== "native")) {
    it(`${technique}: a guest that ends through HTIF retires exactly as many instructions as natively`, () => {
      const { native, vm } = assertEquivalent("htif.S", asmGuest(HTIF_GUEST, "htif.S"), { technique });
      assert.deepEqual(native.stop, { kind: "halt", code: 0, how: "htif" });
      assert.equal(vm.instret, native.instret);
      assert.ok(native.instret < 10n, `${native.instret} instructions: the run ends at the store to tohost`);
    });

    it(`${technique}: a trap loop stops the run after ${TRAP_LOOP_STEPS} trap entries, as natively`, () => {
      const p = asmGuest(TRAP_LOOP_GUEST, "trap_loop.S");
      const native = runNative(p);
      assert.equal(native.stop.kind, "trap-loop");
      const vm = makeVm({ technique });
      vm.load(p);
      const started = performance.now();
      const stop = vm.run(10_000_000);
      const ms = performance.now() - started;
      assert.deepEqual(stop, native.stop);
      assert.equal(vm.instret, native.instret, "the same instructions before the loop");
      assert.ok(ms < 2000, `found in ${ms.toFixed(0)} ms, not after a whole slice of exits`);
    });
  }

  it("hardware-assisted: sfence.vma in guest M-mode drops the hart's cached VS-stage translations", () => {
    const { native, vm } = assertEquivalent("mmode_fence.S", asmGuest(MMODE_FENCE_GUEST, "mmode_fence.S"), { technique: "hardware-assisted" });
    assert.deepEqual([native.x[9], native.x[18]], [1n, 2n], "natively: page A, then page B");
    assert.deepEqual([vm.x[9], vm.x[18]], [1n, 2n]);
    const fence = vm.target.exits({ reasons: ["sfence"] }).exits.at(-1)!;
    assert.match(fence.action, /dropped the hart's cached VS-stage translations/);
  });
});

describe("breakpoints under the VMM", () => {
  it("a breakpoint on an instruction that takes a hidden page fault fires once, not again on its retry", () => {
    const p = loadGuest(join(ROOT, "sample-guests/shadow-paging/shadow_paging.S"));
    const probe = makeVm();
    probe.load(p);
    while (probe.run(1_000_000).kind === "budget");
    // A data access that faults: its retry is at the same pc and the same instruction count.
    const fault = probe.log.query({ reasons: ["hidden-page-fault"], count: 1000 }).exits.find((e) => e.details.access !== "execute")!;
    assert.ok(fault, "the lesson takes hidden faults on data");
    const vm = makeVm();
    vm.load(p);
    vm.board.hart.breakpoints.add(fault.pc);
    let stop = vm.run(10_000_000);
    while (stop.kind === "breakpoint" && vm.instret < fault.instret) stop = vm.run(10_000_000);
    assert.deepEqual([stop, vm.instret], [{ kind: "breakpoint", pc: fault.pc }, fault.instret], "stopped before the faulting instruction");
    const before = vm.log.lastSeq;
    const next = vm.run(10_000_000);
    assert.ok(vm.log.query({ afterSeq: before }).exits.some((e) => e.reason === "hidden-page-fault" && e.pc === fault.pc), "the resumed instruction faulted and was retried");
    assert.ok(vm.instret > fault.instret, `the run went on past the breakpoint (stopped by ${next.kind} at ${vm.instret})`);
  });
});

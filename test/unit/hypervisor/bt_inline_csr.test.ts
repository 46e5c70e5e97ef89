import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { BinaryTranslation } from "../../../src/hypervisor/techniques/binary_translation";
import { isInlineCsr } from "../../../src/hypervisor/techniques/bt_inline_csr";
import { asmGuest, assertEquivalent, makeVm } from "./equivalence";
import { HALT } from "./small_guests";

/**
 * An S-mode kernel (Bare, TVM set) whose CSR accesses run inline under binary translation: a swap,
 * set and clear of sscratch, an odd sepc (WARL: bit 0 reads as 0), scause and stval, reads of
 * sstatus and sie; then two accesses its privilege forbids (mscratch, and satp under TVM), which
 * trap to its M-mode handler as on its own hart. The handler's own mcause/mepc accesses run inline
 * in virtual M-mode.
 */
const KERNEL = asmGuest(`
  .option norelax
  .text
  .globl _start
_start:
  li t0, -1
  csrw pmpaddr0, t0
  li t0, 0x1f
  csrw pmpcfg0, t0
  la t0, m_trap
  csrw mtvec, t0
  li t0, (1 << 11) | (1 << 20)
  csrs mstatus, t0
  la t0, kernel
  csrw mepc, t0
  mret
kernel:
  li a0, 0x1234
  csrw sscratch, a0
  li a0, 7
  csrrw a0, sscratch, a0
  li t0, 0x30
  csrs sscratch, t0
  csrci sscratch, 1
  csrr s2, sscratch
checkpoint:
  li t0, 0x80001235
  csrw sepc, t0
  csrr s3, sepc
  csrwi scause, 5
  csrr s4, scause
  csrw stval, a0
  csrr s5, stval
  csrr s6, sstatus
  csrr s7, sie
  csrr s8, mscratch
  csrr s10, satp
${HALT}
m_trap:
  csrr s9, mcause
  csrr t6, mepc
  addi t6, t6, 4
  csrw mepc, t6
  addi s11, s11, 1
  mret
`, "bt_inline_csr.S");

/**
 * Interrupt enables in S-mode: SIE on and off with nothing pending, SSIE enabled while SIE is off,
 * then a software interrupt made pending, a SUM write (it changes the translation context), and the
 * SIE write that unmasks the pending interrupt, which is taken before `after`.
 */
const ENABLES = asmGuest(`
  .option norelax
  .text
  .globl _start
_start:
  li t0, -1
  csrw pmpaddr0, t0
  li t0, 0x1f
  csrw pmpcfg0, t0
  li t0, 2
  csrw mideleg, t0
  li t0, 1 << 11
  csrs mstatus, t0
  la t0, kernel
  csrw mepc, t0
  mret
kernel:
  la t0, s_trap
  csrw stvec, t0
  csrsi sstatus, 2
  csrci sstatus, 2
  li t0, 2
  csrs sie, t0
  csrs sip, t0
  li t0, 1 << 18
  csrs sstatus, t0
  csrsi sstatus, 2
after:
  addi s2, s2, 1
${HALT}
s_trap:
  csrr s3, scause
  csrr s4, sepc
  li t0, 2
  csrc sip, t0
  sret
`, "bt_inline_enables.S");

describe("binary translation: inline CSR accesses", () => {
  it("inlines only accesses whose effect is the value moved", () => {
    const csr = (num: number, f3: number, rs1: number, rd = 10) => ((num << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | 0x73) >>> 0;
    assert.equal(isInlineCsr(csr(0x140, 1, 11)), true, "csrw sscratch");
    assert.equal(isInlineCsr(csr(0x341, 6, 3)), true, "csrsi mepc, 3");
    assert.equal(isInlineCsr(csr(0x100, 2, 0)), true, "csrr sstatus");
    assert.equal(isInlineCsr(csr(0x100, 6, 0)), true, "csrrsi a0, sstatus, 0 reads only");
    assert.equal(isInlineCsr(csr(0x100, 2, 11)), true, "csrrs a0, sstatus, a1: an interrupt enable, checked when it runs");
    assert.equal(isInlineCsr(csr(0x104, 7, 2)), true, "csrci sie, 2 likewise");
    assert.equal(isInlineCsr(csr(0x300, 6, 8)), false, "csrsi mstatus, MIE: mstatus also holds MPRV and MPP");
    assert.equal(isInlineCsr(csr(0x304, 1, 11)), false, "csrw mie");
    assert.equal(isInlineCsr(csr(0x180, 1, 11)), false, "csrw satp switches the address space");
    assert.equal(isInlineCsr(csr(0x144, 2, 0)), false, "sip: devices and the timer set it");
    assert.equal(isInlineCsr(csr(0xc01, 2, 0)), false, "time: the guest's clock");
    assert.equal(isInlineCsr(csr(0x003, 2, 0)), false, "fcsr lives on the host hart");
    assert.equal(isInlineCsr(0x10500073), false, "wfi is no CSR access");
  });

  it("gives what the guest's own hart gives, WARL masks and privilege traps included, with no exit but the forbidden ones", () => {
    const { native, vm } = assertEquivalent("bt_inline_csr.S", KERNEL, { technique: "binary-translation" });
    const x = (name: number) => native.x[name];
    assert.equal(x(10), 0x1234n, "the swap's old sscratch");
    assert.equal(x(18), 0x36n, "s2: sscratch 7 | 0x30 & ~1");
    assert.equal(x(19), 0x80001234n, "s3: sepc's bit 0 reads as 0");
    assert.equal(x(20), 5n, "s4: scause");
    assert.equal(x(21), 0x1234n, "s5: stval");
    assert.equal(x(25), 2n, "s9: the handler's mcause, an illegal instruction");
    assert.equal(x(27), 2n, "s11: two traps, for mscratch and for satp under TVM");
    assert.equal(x(26), 0n, "s10: the trapped satp read wrote nothing");
    const callouts = vm.target.exits({ reasons: ["bt-callout"], count: 1e6 }).exits;
    const csrCallouts = callouts.filter((e) => ["csr-read", "csr-write", "guest-exception"].includes(e.details.callout ?? ""));
    assert.deepEqual(csrCallouts.map((e) => [e.details.callout, e.details.csr]), [
      ["csr-write", "pmpaddr0"], ["csr-write", "pmpcfg0"], ["csr-write", "mstatus"],
      ["guest-exception", "mscratch"], ["guest-exception", "satp"],
    ], "the start-up's side-effect writes, and the two forbidden reads delivered as the guest's traps");
    // mtvec, mepc at start-up; 13 in the kernel; mcause, mepc, mepc in each of the two traps.
    assert.equal(vm.target.stats().tc!.inlineCsr, 2 + 13 + 2 * 3);
  });

  it("keeps an LR reservation across an inline access, as the guest's own hart does", () => {
    const p = asmGuest(`
  .option norelax
  .text
  .globl _start
_start:
  la t0, word
  lr.d a0, (t0)
  csrr a1, mscratch
  li a2, 9
  sc.d a3, a2, (t0)
  ld a4, word
${HALT}
  .data
  .align 3
word:
  .dword 4
`, "bt_inline_lr.S");
    const { native, vm } = assertEquivalent("bt_inline_lr.S", p, { technique: "binary-translation" });
    assert.deepEqual([native.x[13], native.x[14]], [0n, 9n], "the sc succeeded");
    assert.equal(vm.target.stats().tc!.inlineCsr, 1);
  });

  it("a breakpoint set in a block already translated, past its inline accesses, stops there with the guest's values", () => {
    const vm = makeVm({ technique: "binary-translation" });
    vm.load(KERNEL);
    const checkpoint = KERNEL.symbols.find((s) => s.name === "checkpoint")!.address;
    const kernel = KERNEL.symbols.find((s) => s.name === "kernel")!.address;
    while (vm.pc !== kernel) assert.equal(vm.step().kind, "budget");
    assert.equal(vm.step().kind, "budget");
    const bt = vm.technique as BinaryTranslation;
    assert.ok(bt.tcBlock(Number(checkpoint)), "the kernel's block, translated on entering it");
    const translated = bt.tcStats().translated;
    vm.board.hart.breakpoints.add(checkpoint);
    assert.deepEqual(vm.run(10_000), { kind: "breakpoint", pc: checkpoint });
    assert.equal(vm.board.hart.getReg(18), 0x36n, "s2 read sscratch inline");
    assert.equal(bt.tcStats().translated, translated, "no new translation was needed");
  });

  it("inlines interrupt-enable writes that unmask nothing, and calls out for one that unmasks a pending interrupt, taken where the guest's hart takes it", () => {
    const { native, vm } = assertEquivalent("bt_inline_enables.S", ENABLES, { technique: "binary-translation" });
    const after = ENABLES.symbols.find((s) => s.name === "after")!.address;
    assert.deepEqual([native.x[18], native.x[19], native.x[20]], [1n, (1n << 63n) | 1n, after], "s2, scause, sepc: the interrupt came before `after`");
    const callouts = vm.target.exits({ reasons: ["bt-callout"], count: 1e6 }).exits.filter((e) => e.details.csr === "sstatus" || e.details.csr === "sie");
    assert.deepEqual(callouts.map((e) => [e.details.callout, e.details.csr, e.details.newValue]), [
      ["csr-write", "sstatus", 0x200040000n], ["csr-write", "sstatus", 0x200040002n],
    ], "the SUM write and the unmasking write; the other three enables ran inline");
    assert.equal(vm.target.exits({ reasons: ["virtual-interrupt"], count: 0 }).total, 1);
  });
});

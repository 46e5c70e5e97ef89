import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { VmExit } from "../../../src/hypervisor/exits";
import { asmGuest, assertEquivalent } from "./equivalence";
import { HALT, sv39Kernel } from "./small_guests";

/**
 * Per-block run counts in the translation cache (binary_translation.ts, "Runs"): the hart counts each
 * entry into a block's first TC word, chained runs included, and the guest sees nothing of it
 * (assertEquivalent compares its instructions retired, minstret, mcycle and time with native).
 */

/** `loop` runs `n` times: the first time after a `j`, the rest by its branch back, which is chained to itself. */
function loopGuest(n: number, name: string) {
  return asmGuest(`
  .text
  .globl _start
_start:
  li a0, 0
  li s0, ${n}
  j loop
loop:
  addi a0, a0, 1
  addi s0, s0, -1
  bnez s0, loop
${HALT}
`, name);
}

/** A loop of 10 whose head is translated inside the block before it (no jump leads there): its branch back is chained into the middle of that block. */
const INSIDE = asmGuest(`
  .text
  .globl _start
_start:
  li a0, 0
  li s0, 10
loop:
  addi a0, a0, 1
  addi s0, s0, -1
  bnez s0, loop
${HALT}
`, "bt_runs_inside.S");

/** `f` runs first as part of _start's block, then is called 4 times: a call (which the VMM follows, its link a guest address) into the middle of that block. */
const CALLED = asmGuest(`
  .text
  .globl _start
_start:
  li a0, 0
  li s0, 5
  la ra, again
f:
  addi a0, a0, 1
  ret
again:
  addi s0, s0, -1
  beqz s0, done
  call f
  j again
done:
${HALT}
`, "bt_runs_called.S");

/** The loop of 10 twice; between the rounds the guest rewrites its first instruction (addi a0, a0, 1 → 100) and executes fence.i. */
const REWRITTEN = asmGuest(`
  .option norvc
  .text
  .globl _start
_start:
  li a0, 0
  li s1, 2
round:
  li s0, 10
  j loop
loop:
  addi a0, a0, 1
  addi s0, s0, -1
  bnez s0, loop
  addi s1, s1, -1
  beqz s1, done
  la t0, loop
  lw t1, new_insn
  sw t1, 0(t0)
  fence.i
  j round
done:
${HALT}
  .align 2
new_insn:
  .word 0x06450513
`, "bt_runs_rewritten.S");

/** An S-mode kernel on Sv39 whose loop's first instruction loads from a new page each time: a hidden page fault there, 10 times. */
const FAULTING = sv39Kernel("bt_runs_faulting.S", `
  li s0, 10
  li t2, 0x80100000
  li t3, 4096
  j loop
loop:
  ld t1, 0(t2)
  add t2, t2, t3
  addi s0, s0, -1
  bnez s0, loop
${HALT}`, [0xef, 0, 0x200000ef]);

function address(p: { symbols: { name: string; address: bigint }[] }, name: string): bigint {
  return p.symbols.find((s) => s.name === name)!.address;
}

function exitsOf(r: ReturnType<typeof assertEquivalent>["vm"], reason: VmExit["reason"]): VmExit[] {
  return r.target.exits({ reasons: [reason], count: 1e6 }).exits;
}

describe("binary translation: how many times each translated block ran", () => {
  it("a loop of 10 iterations: its block ran 10 times, 9 of them by its chained branch without the VMM", () => {
    const guest = loopGuest(10, "bt_runs_10.S");
    const { native, vm } = assertEquivalent("bt_runs_10.S", guest, { technique: "binary-translation" });
    assert.equal(native.x[10], 10n);
    const loop = address(guest, "loop");
    const block = vm.target.tcBlock(loop)!;
    assert.equal(block.guestPc, Number(loop));
    assert.equal(block.runs, 10);
    assert.ok(block.rows.some((r) => r.how === "branch" && r.chainedTo === block.rows[0].tcVa), "the branch back is chained to the block's own start");
    const intoLoop = exitsOf(vm, "bt-callout").filter((e) => e.details.toPc === loop);
    assert.equal(intoLoop.length, 1, "only the first entry went through the VMM (the j, to code not yet translated)");
    assert.equal(vm.target.tcBlock(address(guest, "_start"))!.runs, 1);
  });

  it("a loop whose head lies inside a longer block: the block ran once, and its head counts the 9 rounds its chain brought", () => {
    const { vm } = assertEquivalent("bt_runs_inside.S", INSIDE, { technique: "binary-translation" });
    const loop = Number(address(INSIDE, "loop"));
    const block = vm.target.tcBlock(BigInt(loop))!;
    assert.equal(block.guestPc, Number(address(INSIDE, "_start")), "the loop is inside _start's block");
    assert.equal(block.runs, 1);
    const head = block.rows.find((r) => r.guestPc === loop)!;
    assert.equal(head.runs, 9, "counted from the first chain on: the first round ran before it");
    assert.ok(block.rows.some((r) => r.chainedTo === head.tcVa), "the branch back is chained to it");
    assert.deepEqual(block.rows.filter((r) => r.runs !== undefined).map((r) => r.guestPc), [block.guestPc, loop], "only the start and the transfer's target are counted");
  });

  it("a function first run inside a longer block and then called 4 times: its entry counts the 4 calls", () => {
    const { native, vm } = assertEquivalent("bt_runs_called.S", CALLED, { technique: "binary-translation" });
    assert.equal(native.x[10], 5n);
    const f = Number(address(CALLED, "f"));
    const block = vm.target.tcBlock(BigInt(f))!;
    assert.equal(block.guestPc, Number(address(CALLED, "_start")), "f is inside _start's block");
    assert.equal(block.runs, 1);
    assert.equal(block.rows.find((r) => r.guestPc === f)!.runs, 4);
  });

  it("a loop of 100,000 iterations, run as compiled JavaScript by the hart, counts exactly", () => {
    const guest = loopGuest(100_000, "bt_runs_100k.S");
    const { vm } = assertEquivalent("bt_runs_100k.S", guest, { technique: "binary-translation" });
    assert.equal(vm.target.tcBlock(address(guest, "loop"))!.runs, 100_000);
  });

  it("after the guest rewrites the loop, its new translation counts its own 10 runs from 0", () => {
    const { native, vm } = assertEquivalent("bt_runs_rewritten.S", REWRITTEN, { technique: "binary-translation" });
    assert.equal(native.x[10], 10n + 10n * 100n);
    const loop = address(REWRITTEN, "loop");
    assert.equal(exitsOf(vm, "bt-invalidate")[0]?.details.blocks, `0x${loop.toString(16)}`, "the store invalidated the loop's block");
    assert.equal(exitsOf(vm, "bt-translate").filter((e) => e.pc === loop).length, 2, "translated again from its new bytes");
    assert.equal(vm.target.tcBlock(loop)!.runs, 10);
    assert.equal(vm.target.tcBlock(address(REWRITTEN, "round"))!.runs, 1, "the second round's entry (the first ran inside _start's block)");
  });

  it("a hidden page fault on a block's first instruction is no second run of the block", () => {
    const { vm } = assertEquivalent("bt_runs_faulting.S", FAULTING, { technique: "binary-translation" });
    const loop = address(FAULTING, "loop");
    const hidden = exitsOf(vm, "hidden-page-fault").filter((e) => e.pc === loop);
    assert.equal(hidden.length, 10, "the load at the block's start faulted into the VMM each time");
    assert.equal(vm.target.tcBlock(loop)!.runs, 10);
  });
});

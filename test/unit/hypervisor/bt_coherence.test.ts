import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SEED_COSTS } from "../../../src/hypervisor/cost_model";
import { HOT_PAGE_WRITES, binaryTranslation } from "../../../src/hypervisor/techniques/binary_translation";
import { VmTarget } from "../../../src/target/vm_target";
import type { VmExit } from "../../../src/hypervisor/exits";
import { asmGuest, assertEquivalent, makeVm, runVm } from "./equivalence";
import { BUMP, HALT, sv39Kernel } from "./small_guests";

/**
 * Self-modifying code: `bump` runs (and is translated), the guest rewrites its first instruction
 * (addi a0, a0, 1 → addi a0, a0, 100), executes fence.i, and calls it again.
 */
const SMC = asmGuest(`
  .text
  .globl _start
_start:
  li a0, 0
  call bump
  call bump
  la t0, bump
  lw t1, new_insn
  sw t1, 0(t0)
  fence.i
  call bump
${HALT}
${BUMP}
`, "bt_smc.S");

/**
 * A counter kept in the same page as the loop that increments it 100 times: every store hits a code
 * page and no block. Then the guest rewrites `bump`, on that page, executes fence.i and calls it.
 */
const SHARED_PAGE = asmGuest(`
  .text
  .globl _start
_start:
  li s0, 0
  li s1, 100
  li a0, 0
  call bump
loop:
  la t0, counter
  ld t1, 0(t0)
  addi t1, t1, 1
  sd t1, 0(t0)
  addi s0, s0, 1
  blt s0, s1, loop
  la t0, bump
  lw t1, new_insn
  sw t1, 0(t0)
  fence.i
  call bump
  ld a1, counter
${HALT}
${BUMP}
  .align 3
counter:
  .dword 0
`, "bt_shared_page.S");

/** A store that rewrites the next instruction of its own block, with no fence.i between. */
const OWN_BLOCK = asmGuest(`
  .text
  .globl _start
_start:
  li a0, 0
  la t0, patched
  lw t1, new_insn
  sw t1, 0(t0)
patched:
  .word 0x00150513
${HALT}
  .align 2
new_insn:
  .word 0x06450513
`, "bt_own_block.S");

function symbol(p: typeof SMC, name: string): bigint {
  return p.symbols.find((s) => s.name === name)!.address;
}

function exitsOf(r: ReturnType<typeof runVm>, reason: VmExit["reason"]): VmExit[] {
  return r.target.exits({ reasons: [reason], count: 1e6 }).exits;
}

/** Floating-point stores and loads to a page of translated code: the VMM emulates them as the hart would. */
const FP_SHARED_PAGE = asmGuest(`
  .text
  .globl _start
_start:
  li t0, 1 << 13
  csrs mstatus, t0
  li t2, 0x400921fb54442d18
  fmv.d.x fa0, t2
  la t1, slot
  fsd fa0, 0(t1)
  fld fa1, 0(t1)
  fmv.x.d a0, fa1
  fsw fa0, 8(t1)
  flw fa2, 8(t1)
  fmv.x.d a1, fa2
  csrr a2, mstatus
${HALT}
  .align 3
slot:
  .dword 0, 0
`, "bt_fp_shared_page.S");

describe("binary translation: writes to translated code", () => {
  it("an fsd/fsw into a page of translated code and the fld/flw back are emulated as the hart does them (NaN-boxing, FS dirty)", () => {
    const { native, vm } = assertEquivalent("bt_fp_shared_page.S", FP_SHARED_PAGE, { technique: "binary-translation" });
    assert.equal(native.x[10], 0x400921fb54442d18n, "fld reads back what fsd wrote");
    assert.equal(native.x[11], 0xffffffff54442d18n, "flw NaN-boxes the low word fsw wrote");
    assert.equal((native.x[12] >> 13n) & 3n, 3n, "FS is Dirty");
    assert.deepEqual(exitsOf(vm, "bt-invalidate").map((e) => e.instruction?.mnemonic), ["fsd", "fsw"], "both stores exited and were emulated");
  });

  it("a guest that rewrites an instruction of a translated block and executes fence.i runs the new instruction, as natively", () => {
    const { native, vm } = assertEquivalent("bt_smc.S", SMC, { technique: "binary-translation" });
    assert.equal(native.x[10], 102n, "1 + 1 + 100");
    const bump = Number(symbol(SMC, "bump"));
    const writes = exitsOf(vm, "bt-invalidate");
    assert.equal(writes.length, 1, "the one store to the code page exits");
    const w = writes[0];
    assert.equal(w.details.gva, BigInt(bump));
    assert.equal(w.details.count, 1, "only the block holding bump");
    assert.equal(w.details.blocks, `0x${bump.toString(16)}`);
    assert.equal(w.instruction?.mnemonic, "sw");
    assert.equal(w.cycles, SEED_COSTS.pageFault);
    const translations = exitsOf(vm, "bt-translate").filter((e) => e.pc === BigInt(bump));
    assert.equal(translations.length, 2, "bump translated, invalidated, and translated again from its new bytes");
    const stats = vm.target.stats().tc!;
    assert.equal(stats.invalidated, 1);
    assert.equal(stats.flushes, 0, "nothing else was thrown away");
    const fence = exitsOf(vm, "bt-callout").find((e) => e.details.callout === "fence.i");
    assert.match(fence?.action ?? "", /nothing to drop/);
  });

  it("a store into the block that is running shows its effect on the next instruction, as natively", () => {
    const { native, vm } = assertEquivalent("bt_own_block.S", OWN_BLOCK, { technique: "binary-translation" });
    assert.equal(native.x[10], 100n);
    assert.equal(exitsOf(vm, "bt-invalidate")[0]?.details.count, 1);
  });

  it("data in a page of code: its first stores exit and invalidate nothing; then its code runs directly, seeing its own stores, as natively", () => {
    const { native, vm } = assertEquivalent("bt_shared_page.S", SHARED_PAGE, { technique: "binary-translation" });
    assert.deepEqual([native.x[10], native.x[11]], [101n, 100n], "bump's old and new instruction ran; the counter counted");
    const writes = exitsOf(vm, "bt-invalidate");
    assert.equal(writes.length, HOT_PAGE_WRITES, "after that many, the page is no longer write-protected");
    for (const w of writes) {
      assert.equal(w.details.count, 0);
      assert.equal(w.details.gpa, symbol(SHARED_PAGE, "counter"));
    }
    const stats = vm.target.stats().tc!;
    assert.deepEqual([stats.protectedPages, stats.directPages, stats.blocks], [0, 1, 0], "no translation is left on the page");
    assert.equal(exitsOf(vm, "bt-translate").filter((e) => e.pc === symbol(SHARED_PAGE, "bump")).length, 1, "bump runs directly after its page went hot");
  });

  it("a write the VMM did not trap (the debugger's) invalidates the block too", () => {
    const vm = makeVm({ technique: "binary-translation" });
    vm.load(SMC);
    const target = new VmTarget(vm, "binary-translation", SMC.symbols);
    const bump = symbol(SMC, "bump");
    target.run(3);
    const before = target.stats().tc!;
    assert.ok(target.tcBlock(bump), "bump has been translated");
    assert.ok(target.writeMemory("gva", bump, new Uint8Array([0x13, 0x05, 0x45, 0x06])));
    assert.equal(target.tcBlock(bump), undefined);
    assert.equal(target.stats().tc!.invalidated, before.invalidated + 1);
    assert.equal(target.stats().tc!.protectedPages, before.protectedPages, "the page still holds the caller's block");
  });
});

/** 40 functions of 10 instructions each, called in turn, three times over: more translation than 1 KiB holds. */
const MANY_BLOCKS = asmGuest(`
  .text
  .globl _start
_start:
  li a0, 0
  li s0, 3
1:
${Array.from({ length: 40 }, (_, i) => `  call f${i}`).join("\n")}
  addi s0, s0, -1
  bnez s0, 1b
${HALT}
${Array.from({ length: 40 }, (_, i) => `f${i}:\n${"  addi a0, a0, 1\n".repeat(10)}  ret`).join("\n")}
`, "bt_many_blocks.S");

describe("binary translation: a bounded translation cache", () => {
  it("evicts the least recently used blocks when full, translates them again when they are needed, and the guest still ends as natively", () => {
    const { native, vm } = assertEquivalent("bt_many_blocks.S", MANY_BLOCKS, { spec: binaryTranslation(1024) });
    assert.equal(native.x[10], 1200n);
    const s = vm.target.stats().tc!;
    const full = runVm(MANY_BLOCKS, { technique: "binary-translation" }).target.stats().tc!;
    assert.equal(s.bytes, 1024);
    assert.ok(s.bytesUsed <= s.bytes);
    assert.ok(full.bytesUsed > s.bytes, "the guest's translations do not all fit in 1 KiB");
    assert.ok(s.evicted > 0);
    assert.ok(s.translated > full.translated && s.translated <= full.translated + s.evicted, "only evicted blocks are translated again");
    assert.equal(s.flushes, full.flushes, "eviction is by block, never a flush");
  });
});

/**
 * A kernel that maps the TC's first place for itself: Sv39 with three global gigapages, 0 → 0 (the
 * finisher), 0x8000_0000 → 0x8000_0000 (itself) and 0x20_0000_0000 → 0x8000_0000 (RWX), through
 * which it stores and loads a word 64 KiB into RAM and reads its own first instruction, in the TC's
 * first page: were the TC left there, the guest's mapping would replace it under the hart's fetches.
 */
const MAPS_TC_RANGE = sv39Kernel("bt_maps_tc_range.S", `
  li t0, 0x2000010000
  li t1, 0x1234
  sd t1, 0(t0)
  ld a0, 0(t0)
  li t2, 0x80010000
  ld a1, 0(t2)
  li t0, 0x2000000000
  lw a2, 0(t0)
  addi a3, a2, 1
${HALT}`, [0xef, 0, 0x200000ef, ...Array(125).fill(0), 0x200000ef]);

describe("binary translation: the TC's place in the guest-virtual space", () => {
  it("moves when the guest maps its range, and the guest reads and writes its own memory there, as natively", () => {
    const { native, vm } = assertEquivalent("bt_maps_tc_range.S", MAPS_TC_RANGE, { technique: "binary-translation" });
    assert.deepEqual([native.x[10], native.x[11]], [0x1234n, 0x1234n], "the store went to RAM at 0x8001_0000");
    const text = MAPS_TC_RANGE.segments.find((g) => g.paddr === 0x8000_0000)!.data;
    const first = BigInt.asUintN(64, BigInt(new DataView(text.buffer, text.byteOffset).getInt32(0, true)));
    assert.equal(native.x[12], first, "_start's first word, read through the TC's old place");
    const s = vm.target.stats().tc!;
    assert.equal(s.relocations, 1);
    assert.notEqual(s.va, 0x20_0000_0000);
    const block = vm.target.tcBlock(symbol(MAPS_TC_RANGE, "kernel"))!;
    assert.ok(block.rows.every((r) => r.tcVa >= s.va && r.tcVa < s.va + s.bytes), "the translations are shown at the TC's new place");
  });
});

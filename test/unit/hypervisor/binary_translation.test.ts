import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { encB, encJ, immB, rs1Of, rs2Of } from "../../../src/isa/fields";
import { SEED_COSTS } from "../../../src/hypervisor/cost_model";
import { BinaryTranslation } from "../../../src/hypervisor/techniques/binary_translation";
import { MAX_BLOCK, translateBlock } from "../../../src/hypervisor/techniques/bt_translator";
import { createVirtBoard } from "../../../src/machine/virt";
import { VmTarget } from "../../../src/target/vm_target";
import { ROOT, loadGuest, makeVm } from "./equivalence";

const PC = 0x8000_0100;
const ADDI = 0x00150513; // addi a0, a0, 1
const C_ADDI = 0x0505; // c.addi a0, 1 (expands to ADDI)
const CSRR_SSTATUS = 0x100025f3; // csrrs a1, sstatus, zero
const AUIPC = 0x00000297; // auipc t0, 0
const FENCE_I = 0x0000100f;
const EBREAK = 0x00100073;
const ECALL = 0x00000073;
const BEQ_8 = encB(0x63, 10, 11, 8); // beq a0, a1, .+8
const JAL_16 = encJ(0x6f, 1, 16); // jal ra, .+16

/** Guest code as halfwords, the way the VMM reads a page; `limit` bytes readable. */
function code(insns: number[], limit = 4096): (off: number) => number | undefined {
  const halves: number[] = [];
  for (const i of insns) {
    if ((i & 3) === 3) halves.push(i & 0xffff, i >>> 16);
    else halves.push(i);
  }
  return (off) => (off + 2 <= limit && off / 2 < halves.length ? halves[off / 2] : undefined);
}

describe("the binary translator: what a guest block becomes in the translation cache", () => {
  it("copies ordinary instructions as they are (a compressed one as its 32-bit expansion), one TC instruction each", () => {
    const b = translateBlock(PC, code([ADDI, C_ADDI, BEQ_8]))!;
    assert.deepEqual(b.words.slice(0, 2), [ADDI, ADDI]);
    assert.deepEqual(b.guestPcs.slice(0, 3), [PC, PC + 4, PC + 6]);
    assert.equal(b.instructions, 3);
    assert.equal(b.guestBytes, 10);
  });

  it("points a branch at a callout stub with the guest target, and falls through by another callout", () => {
    const b = translateBlock(PC, code([ADDI, C_ADDI, BEQ_8]))!;
    assert.equal(b.words.length, 5);
    const branch = b.words[2];
    assert.equal(branch & 0x707f, BEQ_8 & 0x707f, "still a beq");
    assert.deepEqual([rs1Of(branch), rs2Of(branch)], [10, 11]);
    assert.equal(immB(branch), (4 - 2) * 4, "to the stub at TC word 4");
    assert.deepEqual(b.callouts.get(3), { kind: "fallthrough", guestPc: PC + 10, bits: 0, length: 0 });
    assert.deepEqual(b.callouts.get(4), { kind: "taken", guestPc: PC + 6 + 8, bits: 0, length: 0 });
    assert.equal(b.words[3], ECALL);
    assert.equal(b.words[4], ECALL);
    assert.equal(b.rewritten, 1);
  });

  it("rewrites a sensitive instruction into a callout and ends the block there", () => {
    const b = translateBlock(PC, code([ADDI, CSRR_SSTATUS, ADDI]))!;
    assert.deepEqual(b.words, [ADDI, ECALL]);
    assert.deepEqual(b.callouts.get(1), { kind: "sensitive", guestPc: PC + 4, bits: CSRR_SSTATUS, length: 4 });
    assert.equal(b.instructions, 2);
  });

  it("rewrites auipc (the block goes on), jal (the block ends) and fence.i into callouts; ebreak is copied", () => {
    const b = translateBlock(PC, code([AUIPC, EBREAK, JAL_16, ADDI]))!;
    assert.deepEqual(b.words, [ECALL, EBREAK, ECALL]);
    assert.deepEqual([...b.callouts.values()].map((c) => c.kind), ["auipc", "jal"]);
    assert.equal(b.rewritten, 2);
    const f = translateBlock(PC, code([FENCE_I, ADDI]))!;
    assert.deepEqual(f.callouts.get(0)?.kind, "fence.i");
    assert.equal(f.words.length, 1);
  });

  it("stops at the end of the readable page, or after MAX_BLOCK instructions, with a fallthrough callout", () => {
    const b = translateBlock(PC, code([ADDI, ADDI, ADDI], 8))!;
    assert.deepEqual(b.words, [ADDI, ADDI, ECALL]);
    assert.equal(b.callouts.get(2)?.guestPc, PC + 8);
    const long = translateBlock(PC, code(Array(MAX_BLOCK + 5).fill(ADDI)))!;
    assert.equal(long.instructions, MAX_BLOCK);
    assert.equal(long.callouts.get(MAX_BLOCK)?.guestPc, PC + 4 * MAX_BLOCK);
  });

  it("takes no block whose first instruction crosses the end of the page", () => {
    assert.equal(translateBlock(PC, code([ADDI], 2)), undefined);
  });
});

describe("binary translation in a VM", () => {
  it("runs the kernel from a TC outside guest RAM and records its callouts at the callout cost", () => {
    const vm = makeVm({ technique: "binary-translation" });
    vm.load(loadGuest(join(ROOT, "sample-guests/popek-goldberg/popek_goldberg.S")));
    assert.equal(vm.run(1_000_000).kind, "halt");
    const bt = vm.technique as BinaryTranslation;
    const stats = bt.stats();
    assert.ok(stats.blocks > 0 && stats.translated >= stats.blocks);
    assert.ok(stats.bytesUsed > 0 && stats.bytesUsed <= stats.bytes);
    const callouts = vm.log.query({ reasons: ["bt-callout"], count: 1e6 }).exits;
    assert.ok(callouts.length > 0);
    for (const e of callouts) assert.equal(e.cycles, SEED_COSTS.callout);
    assert.ok(callouts.some((e) => e.details.callout === "fallthrough" || e.details.callout === "taken"), "block ends dispatch through the VMM");
    assert.equal(vm.log.query({ reasons: ["csr-read", "csr-write", "xret"] }).total, 0, "the kernel's sensitive instructions never trapped");
  });

  it("maps the TC for the hart in the guest's privileged shadow root, but never shows it as a guest translation", () => {
    const vm = makeVm({ technique: "binary-translation" });
    const p = loadGuest(join(ROOT, "sample-guests/popek-goldberg/popek_goldberg.S"));
    vm.load(p);
    assert.equal(vm.run(3).kind, "budget");
    assert.equal(vm.vcpu.state.prv, 3, "still in the guest's M-mode start-up code");
    const tcEntries = [...vm.shadow.current!.entries.values()].filter((e) => e.gpaPage < 0);
    assert.equal(tcEntries.length, 1, "the TC page the hart ran from");
    assert.ok(tcEntries[0].x && !tcEntries[0].r && !tcEntries[0].w, "execute-only");
    assert.ok(tcEntries[0].hpaPage * 4096 < vm.guestRamHpa, "host memory outside guest RAM");
    const tlb = new VmTarget(vm, "binary-translation", p.symbols).tlbEntries();
    assert.ok(tlb.every((e) => e.pa >= 0n));
    assert.equal(tlb.length, vm.shadow.current!.entries.size - 1);
  });

  it("steps the guest's instructions, never the TC's: one step at a time it visits the pcs the native hart visits", () => {
    const p = loadGuest(join(ROOT, "sample-guests/popek-goldberg/popek_goldberg.S"));
    const native = createVirtBoard({ memoryBytes: 16 << 20 });
    native.load(p);
    const vm = makeVm({ technique: "binary-translation" });
    vm.load(p);
    let steps = 0;
    for (; steps < 5000; steps++) {
      assert.equal(vm.pc, native.hart.pc, `step ${steps}`);
      assert.equal(vm.vcpu.state.prv, native.hart.priv, `step ${steps}: privilege`);
      const a = native.run(1), b = vm.step();
      assert.equal(b.kind, a.kind, `step ${steps}: how it stopped`);
      if (a.kind !== "budget") break;
    }
    assert.ok(steps > 100 && vm.instret === native.instret);
  });

  it("stops at a breakpoint inside an already translated block", () => {
    const p = loadGuest(join(ROOT, "sample-guests/popek-goldberg/popek_goldberg.S"));
    const vm = makeVm({ technique: "binary-translation" });
    vm.load(p);
    // The first step translates the start-up block (la, la, csrw: up to the csrw); then a breakpoint
    // on its second `la` must stop the guest there, in the block already translated.
    vm.run(1);
    const inside = p.entry + 8n;
    vm.board.hart.breakpoints.add(inside);
    const stop = vm.run(1000);
    assert.deepEqual(stop, { kind: "breakpoint", pc: inside });
    assert.equal(vm.instret, 2n);
    assert.equal((vm.technique as BinaryTranslation).stats().translated, 1, "no new translation was needed");
  });
});

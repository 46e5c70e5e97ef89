import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { encB, encJ, immB, rs1Of, rs2Of } from "../../../src/isa/fields";
import { SEED_COSTS } from "../../../src/hypervisor/cost_model";
import { BinaryTranslation } from "../../../src/hypervisor/techniques/binary_translation";
import { MAX_BLOCK, translateBlock } from "../../../src/hypervisor/techniques/bt_translator";
import { createVirtBoard } from "../../../src/machine/virt";
import { VmTarget } from "../../../src/target/vm_target";
import type { ExitReason } from "../../../src/hypervisor/exits";
import { ROOT, assertEquivalent, loadGuest, makeVm, runVm } from "./equivalence";
import { HALT, sv39Kernel } from "./small_guests";

const PC = 0x8000_0100;
const ADDI = 0x00150513; // addi a0, a0, 1
const C_ADDI = 0x0505; // c.addi a0, 1 (expands to ADDI)
const CSRR_SSTATUS = 0x100025f3; // csrrs a1, sstatus, zero
const CSRW_SATP = 0x18059073; // csrrw zero, satp, a1
const CSRS_SSTATUS = 0x1005a5f3; // csrrs a1, sstatus, a1 (a write)
const CSRS_MSTATUS = 0x3005a5f3; // csrrs a1, mstatus, a1
const CSRR_SIP = 0x144025f3; // csrrs a1, sip, zero
const CSRRW_SSCRATCH = 0x14011173; // csrrw sp, sscratch, sp
const CSRWI_SEPC = 0x1412d073; // csrrwi zero, sepc, 5
const CSRR_MSCRATCH = 0x340025f3; // csrrs a1, mscratch, zero
const AUIPC = 0x00000297; // auipc t0, 0
const FENCE_I = 0x0000100f;
const EBREAK = 0x00100073;
const ECALL = 0x00000073;
const BEQ_8 = encB(0x63, 10, 11, 8); // beq a0, a1, .+8
const JAL_16 = encJ(0x6f, 1, 16); // jal ra, .+16

/** Two pages of code the tests map at VA 0xc000_0000 by turns (`code_a` returns 1, `code_b` 2), and the table pages l1 and l0 that do it. */
const CODE_PAGES = `
  .balign 4096
code_a:
  li a0, 1
  ret
  .balign 4096
code_b:
  li a0, 2
  ret
  .data
  .balign 4096
l1:
  .zero 4096
l0:
  .zero 4096
`;

/**
 * An S-mode kernel mapped without the G bit (as xv6's is) calls code_a through VA 0xc000_0000 (a 4 KiB
 * page of its own table) `rounds` times with `sfence.vma zero, zero` after each call, as xv6 does around
 * every system call; then points that page at code_b, fences, and calls it once more. s2 sums the
 * calls' results, s3 is the last one's.
 */
function refencingKernel(rounds: number) {
  const pointer = (table: string, into: string, offset: number) => `
  la t0, ${table}
  srli t0, t0, 12
  slli t0, t0, 10
  ori t0, t0, 1
  la t1, ${into}
  sd t0, ${offset}(t1)`;
  const leaf = (page: string) => `
  la t0, ${page}
  srli t0, t0, 12
  slli t0, t0, 10
  ori t0, t0, 0x4b
  la t1, l0
  sd t0, 0(t1)
  sfence.vma zero, zero`;
  return sv39Kernel(`bt_refence_${rounds}.S`, `
${pointer("l1", "root", 24)}
${pointer("l0", "l1", 0)}
${leaf("code_a")}
  li s0, 0
  li s1, ${rounds}
  li s2, 0
1:
  li t2, 0xc0000000
  jalr t2
  add s2, s2, a0
  sfence.vma zero, zero
  addi s0, s0, 1
  blt s0, s1, 1b
${leaf("code_b")}
  li t2, 0xc0000000
  jalr t2
  mv s3, a0
${HALT}
${CODE_PAGES}`, [0xef, 0, 0x200000cf]);
}

/**
 * An S-mode kernel calls code_a through VA 0xc000_0000 five times in the context of its table
 * `root`, switches to a second table (`root_u`, the same but for that page) and fences there, which
 * selects the blocks read through `root` too; with `remap`, it then points the page at code_b
 * (without fencing again), switches back and calls it once more: s3 is what that call returned.
 */
function otherContextKernel(remap: boolean) {
  const satp = (root: string) => `
  la t0, ${root}
  srli t0, t0, 12
  li t1, 8 << 60
  or t0, t0, t1
  csrw satp, t0`;
  const pointer = (table: string, into: string, offset: number) => `
  la t0, ${table}
  srli t0, t0, 12
  slli t0, t0, 10
  ori t0, t0, 1
  la t1, ${into}
  sd t0, ${offset}(t1)`;
  const leaf = (page: string) => `
  la t0, ${page}
  srli t0, t0, 12
  slli t0, t0, 10
  ori t0, t0, 0x4b
  la t1, l0
  sd t0, 0(t1)`;
  return sv39Kernel(`bt_other_context_${remap}.S`, `
${pointer("l1", "root", 24)}
${pointer("l0", "l1", 0)}
${leaf("code_a")}
  sfence.vma zero, zero
  li s0, 0
  li s1, 5
  li s2, 0
1:
  li t2, 0xc0000000
  jalr t2
  add s2, s2, a0
  addi s0, s0, 1
  blt s0, s1, 1b
${satp("root_u")}
  sfence.vma zero, zero
${remap ? leaf("code_b") : ""}
${satp("root")}
  li t2, 0xc0000000
  jalr t2
  mv s3, a0
${HALT}
${CODE_PAGES}root_u:
  .dword 0xef, 0, 0x200000cf
  .zero 4096 - 24
`, [0xef, 0, 0x200000cf]);
}

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

  it("points a branch at a callout stub with the guest target (naming the branch, to chain it), and falls through by another callout", () => {
    const b = translateBlock(PC, code([ADDI, C_ADDI, BEQ_8]))!;
    assert.equal(b.words.length, 5);
    const branch = b.words[2];
    assert.equal(branch & 0x707f, BEQ_8 & 0x707f, "still a beq");
    assert.deepEqual([rs1Of(branch), rs2Of(branch)], [10, 11]);
    assert.equal(immB(branch), (4 - 2) * 4, "to the stub at TC word 4");
    assert.deepEqual(b.callouts.get(3), { kind: "fallthrough", guestPc: PC + 10, bits: 0, length: 0 });
    assert.deepEqual(b.callouts.get(4), { kind: "taken", guestPc: PC + 6 + 8, bits: 0, length: 0, branchAt: 2 });
    assert.equal(b.words[3], ECALL);
    assert.equal(b.words[4], ECALL);
    assert.equal(b.rewritten, 1);
  });

  it("goes on past a conditional branch: its not-taken path is inside the block", () => {
    const b = translateBlock(PC, code([BEQ_8, ADDI, JAL_16]))!;
    assert.equal(b.instructions, 3);
    assert.deepEqual(b.words.slice(0, 2), [b.words[0], ADDI]);
    assert.deepEqual([...b.callouts.values()].map((c) => c.kind), ["jal", "taken"], "no fallthrough stub");
  });

  it("rewrites a sensitive instruction into a callout and ends the block there", () => {
    const b = translateBlock(PC, code([ADDI, CSRW_SATP, ADDI]))!;
    assert.deepEqual(b.words, [ADDI, ECALL]);
    assert.deepEqual(b.callouts.get(1), { kind: "sensitive", guestPc: PC + 4, bits: CSRW_SATP, length: 4 });
    assert.equal(b.instructions, 2);
  });

  it("makes side-effect-free CSR accesses inline (the block goes on) and keeps the rest callouts", () => {
    const b = translateBlock(PC, code([CSRR_SSTATUS, CSRRW_SSCRATCH, CSRWI_SEPC, CSRR_MSCRATCH, ADDI, CSRR_SIP]))!;
    assert.deepEqual([...b.callouts.entries()].map(([at, c]) => [at, c.kind]), [[0, "csr"], [1, "csr"], [2, "csr"], [3, "csr"], [5, "sensitive"]],
      "reads of sstatus, reads and writes of the trap CSRs inline; a read of sip (devices set it) a callout");
    assert.deepEqual(b.words, [ECALL, ECALL, ECALL, ECALL, ADDI, ECALL], "one TC word per guest instruction");
    assert.equal(b.instructions, 6);
    assert.equal(b.rewritten, 5);
    const enable = translateBlock(PC, code([CSRS_SSTATUS, ADDI, CSRS_MSTATUS, ADDI]))!;
    assert.deepEqual([...enable.callouts.values()].map((c) => c.kind), ["csr", "sensitive"],
      "a write to sstatus inline (checked when it runs), one to mstatus a callout that ends the block");
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
    const stats = bt.tcStats();
    assert.ok(stats.blocks > 0 && stats.translated >= stats.blocks);
    assert.ok(stats.bytesUsed > 0 && stats.bytesUsed <= stats.bytes);
    const callouts = vm.log.query({ reasons: ["bt-callout"], count: 1e6 }).exits;
    assert.ok(callouts.length > 0);
    for (const e of callouts) assert.equal(e.cycles, SEED_COSTS.callout);
    assert.ok(callouts.some((e) => e.details.callout === "fallthrough" || e.details.callout === "taken"), "block ends dispatch through the VMM");
    assert.equal(vm.log.query({ reasons: ["csr-read", "csr-write", "xret"] }).total, 0, "the kernel's sensitive instructions never trapped");
  });

  it("chains direct transfers to translated code and looks indirect ones up: only a transfer to untranslated code exits", () => {
    const vm = makeVm({ technique: "binary-translation" });
    vm.load(loadGuest(join(ROOT, "sample-guests/shadow-paging/shadow_paging.S")));
    assert.equal(vm.run(1_000_000).kind, "halt");
    const bt = vm.technique as BinaryTranslation;
    const stats = bt.tcStats();
    assert.ok(stats.chains > 0, "TC words patched to jump straight to their targets");
    assert.ok(stats.hits > 0 && stats.hits <= stats.lookups);
    const dispatches = vm.log.query({ reasons: ["bt-callout", "bt-lookup-miss"], count: 1e6 }).exits
      .filter((e) => ["fallthrough", "taken", "jal", "jalr", "auipc"].includes(String(e.details.callout ?? "jalr")));
    assert.ok(vm.log.query({ reasons: ["bt-lookup-miss"] }).total > 0, "a return's first visit to its target misses");
    const perTarget = new Map<string, number>();
    for (const e of dispatches) {
      const k = `${e.pc}→${String(e.details.toPc)}`;
      perTarget.set(k, (perTarget.get(k) ?? 0) + 1);
    }
    // A flush (the guest's PMP changed) or the lesson's sfence.vma drop blocks, after which a transfer misses once more.
    const sfences = vm.log.query({ reasons: ["bt-callout"], count: 1e6 }).exits.filter((e) => e.details.callout === "sfence").length;
    assert.ok(sfences > 0);
    for (const [k, n] of perTarget) assert.ok(n <= 1 + stats.flushes + sfences, `${k}: ${n} exits; once its target is translated, the transfer is chained`);
    assert.ok(dispatches.length <= stats.translated, "each of these exits found its target untranslated");
  });

  it("sfence.vma has the blocks of other contexts read through the translations it fences checked before they run again; the chains into them wait for that", () => {
    const vm = makeVm({ technique: "binary-translation" });
    vm.load(loadGuest(join(ROOT, "sample-guests/shadow-paging/shadow_paging.S")));
    assert.equal(vm.run(1_000_000).kind, "halt");
    const bt = vm.technique as BinaryTranslation;
    const paged = (v: { context: string }) => v.context.startsWith("sv39");
    const before = bt.tcBlocks();
    const chains = bt.tcStats().chains;
    assert.ok(chains > 0);
    const page = Math.floor(before.find(paged)!.guestPc / 4096);
    // The lesson maps its kernel with one global gigapage: a fence elsewhere, or for one ASID, leaves it.
    assert.equal(bt.fenced(0x4_0000, -1), undefined);
    assert.equal(bt.fenced(page, 2), undefined);
    const fencedPaged = before.filter(paged).length;
    // They were read in contexts other than the current one (the lesson has halted in M-mode).
    assert.equal(bt.fenced(page, -1), `sfence.vma: ${fencedPaged} translated blocks read through the fenced translations: ${fencedPaged} to be checked before they run again`);
    assert.equal(bt.fenced(page, -1), undefined, "a fenced block is fenced once until it is checked");
    const after = bt.tcBlocks();
    assert.deepEqual(after.map((v) => v.guestPc), before.map((v) => v.guestPc), "the blocks stay until they are checked");
    assert.equal(bt.tcStats().chains, chains, "code of their context runs only after the hart enters it, where they are checked first");
  });

  it("a fenced block whose page still translates the same is kept at its next lookup; one whose page moved is dropped and translated anew", () => {
    const run = (rounds: number) => assertEquivalent(`bt_refence_${rounds}.S`, refencingKernel(rounds), { technique: "binary-translation" });
    const few = run(5), many = run(50);
    assert.deepEqual([many.native.x[18], many.native.x[19]], [50n, 2n], "50 calls of code_a through 0xc000_0000, then code_b there");
    const a = few.vm.target.stats().tc!, b = many.vm.target.stats().tc!;
    assert.equal(b.translated, a.translated, "fencing every round translates nothing again");
    assert.equal(b.fenced, 1, "the block of code_a, whose page moved, is the one dropped");
    assert.equal(a.fenced, 1);
    assert.ok(b.refenced - a.refenced >= 45 * 2, `each extra round keeps at least the loop's block and code_a's (${a.refenced} → ${b.refenced})`);
    // The kernel fences in the context its blocks were read in: they are checked at the fence.
    const fences = many.vm.target.exits({ reasons: ["bt-callout"], count: 1e6 }).exits.filter((e) => e.details.callout === "sfence").map((e) => e.action);
    assert.equal(fences.filter((f) => /: \d+ kept, their pages translating as when they were read$/.test(f)).length, 51, "the first fence and the 50 after the calls");
    assert.match(fences.at(-1)!, /1 dropped, their pages translating otherwise now/, "code_a's, at the fence after its page was pointed at code_b");
  });

  it("blocks fenced from another context are checked when the hart enters theirs: kept if their page translates the same, dropped if it was remapped since", () => {
    for (const remap of [false, true]) {
      const { native, vm } = assertEquivalent(`bt_other_context_${remap}.S`, otherContextKernel(remap), { technique: "binary-translation" });
      assert.equal(native.x[19], remap ? 2n : 1n, "s3: the last call ran code_b once the page was remapped");
      const fences = vm.target.exits({ reasons: ["bt-callout"], count: 1e6 }).exits.filter((e) => e.details.callout === "sfence").map((e) => e.action);
      assert.match(fences[1], /: 1 kept, .*, 4 to be checked before they run again$/, "the fence in root_u's context: the block it runs in kept; root's, the loop's and code_a's, left to the entry into root's");
      assert.equal(vm.target.stats().tc!.fenced, remap ? 1 : 0, "code_a's block goes only when its page was remapped");
    }
  });

  it("shows a block beside its guest code, each rewrite named and each chain with where it now goes", () => {
    const vm = makeVm({ technique: "binary-translation" });
    vm.load(loadGuest(join(ROOT, "sample-guests/shadow-paging/shadow_paging.S")));
    assert.equal(vm.run(1_000_000).kind, "halt");
    const bt = vm.technique as BinaryTranslation;
    const views = bt.tcBlocks();
    assert.equal(views.length, bt.tcStats().blocks);
    for (const v of views) assert.ok(bt.tcBlock(v.guestPc), "each block is found by its first guest pc");
    const rows = views.flatMap((v) => v.rows);
    const chained = rows.filter((r) => r.chainedTo !== undefined);
    assert.equal(chained.length, bt.tcStats().chains);
    for (const r of chained) {
      const to = rows.find((x) => x.tcVa === r.chainedTo);
      assert.ok(to?.guest, "a chain goes to a translated guest instruction");
      assert.notEqual(r.tcBits & 0x7f, 0x73, "no longer an ecall");
    }
    const copied = rows.find((r) => r.how === "copied")!;
    assert.equal(copied.tcBits, copied.guest!.length === 4 ? copied.guest!.bits : copied.tcBits, "copied as it is (or as its expansion)");
    assert.equal(bt.tcBlock(0x1000), undefined);
  });

  it("the binary-translation lesson: its CSR accesses run inline, not as traps or exits, and the rest stays in the TC", () => {
    const lesson = join(ROOT, "sample-guests/binary-translation/binary_translation.S");
    const { native, vm } = assertEquivalent(lesson, loadGuest(lesson), { technique: "binary-translation" });
    assert.equal(native.uart, "5050\n5050\n", "the kernel's sum, then the user process's");
    const te = runVm(loadGuest(lesson), { technique: "trap-and-emulate" });
    const count = (t: VmTarget, reason: ExitReason) => t.exits({ reasons: [reason], count: 0 }).total;
    const csrTraps = count(te.target, "csr-read") + count(te.target, "csr-write");
    assert.ok(csrTraps >= 600, "the kernel's loop and the system-call handler trap on every CSR access under trap-and-emulate");
    assert.equal(count(vm.target, "csr-read") + count(vm.target, "csr-write"), 0);
    const callouts = vm.target.exits({ reasons: ["bt-callout"], count: 1e6 }).exits;
    const csrCallouts = callouts.filter((e) => e.details.callout === "csr-read" || e.details.callout === "csr-write");
    // What stays a callout: the M-mode start-up's PMP, delegation and mstatus writes. The kernel's
    // `csrc sstatus` (SPP) before its sret changes an interrupt enable only, and runs inline.
    assert.deepEqual(csrCallouts.map((e) => e.details.csr), ["pmpaddr0", "pmpcfg0", "medeleg", "mstatus"]);
    const tc = vm.target.stats().tc!;
    assert.equal(tc.inlineCsr + csrCallouts.length, csrTraps, "every other CSR access ran inline");
    const transfers = callouts.filter((e) => ["fallthrough", "taken", "jal", "jalr"].includes(e.details.callout!));
    const dispatches = transfers.length + count(vm.target, "bt-lookup-miss");
    assert.ok(dispatches < 30, `200 rounds of loops, calls and returns exit ${dispatches} times: only on their first visits`);
    // The user process's system calls: an ecall exit each under both techniques (it runs directly),
    // and the handler's sret a trap under trap-and-emulate, a callout under binary translation.
    assert.ok(count(te.target, "ecall") > 100 && count(vm.target, "ecall") > 100);
    assert.equal(count(vm.target, "ecall"), count(te.target, "ecall") - 1, "the kernel's own ecall to M-mode is a callout");
    const srets = callouts.filter((e) => e.details.callout === "xret").length;
    assert.equal(srets, count(te.target, "xret"));
    const program = loadGuest(lesson);
    const at = (name: string) => program.symbols.find((x) => x.name === name)!.address;
    const translatedUser = vm.target.exits({ reasons: ["bt-translate"], count: 1e6 }).exits.filter((e) => e.pc >= at("user") && e.pc < at("s_trap"));
    assert.deepEqual(translatedUser, [], "user code is never translated");
    const translations = vm.target.exits({ reasons: ["bt-translate"], count: 1e6 }).exits;
    assert.equal(translations.length, tc.translated);
    for (const t of translations) assert.equal(t.cycles, SEED_COSTS.translation * t.details.count!, "the translation cost per instruction");
    assert.ok(vm.target.stats().exits * 3 < te.target.stats().exits, "a third of trap-and-emulate's exits");
    assert.ok(vm.target.stats().exitCycles * 4 < te.target.stats().exitCycles, "translating once and running CSR accesses inline costs far less than trapping");
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
    assert.equal(vm.p2m.toGpa(tcEntries[0].hpaPage * 4096), -1, "host memory outside guest RAM");
    assert.equal(vm.hostFrames.ownerAt(tcEntries[0].hpaPage * 4096), "technique-pool", "the translation cache's");
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

  it("runs translated code freely while no breakpoint lies in it: no more TC lookups than with no breakpoint", () => {
    const p = loadGuest(join(ROOT, "sample-guests/popek-goldberg/popek_goldberg.S"));
    const lookups = (breakpoint?: bigint) => {
      const vm = makeVm({ technique: "binary-translation" });
      vm.load(p);
      if (breakpoint !== undefined) vm.board.hart.breakpoints.add(breakpoint);
      assert.equal(vm.run(1_000_000).kind, "halt");
      return (vm.technique as BinaryTranslation).tcStats().lookups;
    };
    assert.equal(lookups(0x3ffffff000n), lookups());
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
    assert.equal((vm.technique as BinaryTranslation).tcStats().translated, 1, "no new translation was needed");
  });
});

/**
 * The translator's edge cases (src/machine/hart/translate.ts, run.ts): each program runs translated
 * (threshold 0: pages are translated at their first entry) and by step() alone, and both must stop in
 * exactly the same state.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Board, StopReason } from "../../../../src/machine/board";
import { ins, type Item, li, RAM } from "./encode";
import { boot, csrr, EBREAK, openPmp, PageTables, pte, PTE } from "./harness";

const INT = 1n << 63n;
const CSRS = [0x300, 0x341, 0x342, 0x343, 0x344, 0x304, 0xb00, 0xb02, 0xc01];

/** Byte offset of item `i` in a program of 32-bit instructions (li expands in place). */
const at = (items: Item[], i: number): number => items.slice(0, i).reduce<number>((n, it) => n + 4 * (Array.isArray(it) ? it.length : 1), 0);

interface Run { stop: StopReason; pc: bigint; instret: bigint; x: bigint[]; csrs: (bigint | undefined)[]; translated: number }

function snapshot(b: Board, stop: StopReason): Run {
  return {
    stop, pc: b.hart.pc, instret: b.instret,
    x: Array.from({ length: 32 }, (_, i) => b.hart.getReg(i)),
    csrs: CSRS.map((n) => b.hart.readCsr(n)),
    translated: b.hart.translatorStats.translatedInstructions,
  };
}

/** Runs to the first trap the hook accepts (default: ebreak), translated or stepped. */
function runTo(b: Board, translated: boolean, stopOn: (cause: bigint) => boolean = (c) => c === 3n, threshold = 0, max = 2_000_000): Run {
  b.hart.translator.threshold = threshold;
  b.hart.onTrap = stopOn;
  let r: StopReason = { kind: "budget" };
  for (let n = 0; n < max && r.kind === "budget"; n++) r = translated ? b.run(max) : b.step();
  return snapshot(b, r);
}

/** Both ways from identical boards; asserts they agree and that translated code ran. */
function twin(setup: () => Board, stopOn?: (cause: bigint) => boolean, threshold = 0): Run & { compiled: number } {
  const board = setup();
  const fast = runTo(board, true, stopOn, threshold);
  const slow = runTo(setup(), false, stopOn, threshold);
  assert.ok(fast.translated > 0, "the loop ran translated");
  assert.equal(slow.translated, 0);
  assert.deepEqual({ ...fast, translated: 0 }, { ...slow, translated: 0 });
  return { ...fast, compiled: board.hart.translatorStats.compiled };
}

const CASES = 8, CASE_INSNS = 101;

/**
 * A switch in a loop, as compiled C has it: x5 counts down, and a computed jump (a jalr through a
 * register, as a jump table's) goes to case x5 & 7 of 8, each `caseInsns` − 1 instructions and a jump
 * back: by default more than 800 instructions in the first page, its cases reached only through the
 * indirect jump. With
 * `selfModifying`, case 0 first rewrites case 1's first instruction (an addi x1 by 2 or by 3, in turn)
 * while x5 is above `selfModifying`.
 */
function switchLoop(iterations: bigint, selfModifying?: bigint, caseInsns = CASE_INSNS): Item[] {
  const addi2 = ins("addi", 1, 1, 2), addi3 = ins("addi", 1, 1, 3);
  const items: Item[] = [li(5, iterations), li(8, BigInt(caseInsns * 4)), li(9, BigInt(addi2)), li(11, BigInt(addi2 ^ addi3)), li(13, selfModifying ?? 0n),
    ins("auipc", 7, 0), 0, ins("add", 10, 7, 8),
    /* L: */ ins("addi", 5, 5, -1), 0, ins("andi", 6, 5, CASES - 1), ins("mul", 6, 6, 8), ins("add", 6, 6, 7), ins("jalr", 0, 6, 0),
    /* END: */ EBREAK];
  const auipc = 5, loop = 8, beq = 9, end = 14;
  items[auipc + 1] = ins("addi", 7, 7, at(items, end + 1) - at(items, auipc));
  items[beq] = ins("beq", 5, 0, at(items, end) - at(items, beq));
  for (let c = 0; c < CASES; c++) {
    const body: number[] = [];
    for (let i = 0; i < (caseInsns - 1) / 2; i++) body.push(ins("addi", 1, 1, c + 1), ins("xor", 2, 2, 1));
    if (c === 0 && selfModifying !== undefined) body.splice(0, 3, ins("xor", 9, 9, 11), ins("blt", 5, 13, 8), ins("sw", 9, 10, 0));
    items.push(...body, 0);
    items[items.length - 1] = ins("jal", 0, at(items, loop) - at(items, items.length - 1));
  }
  assert.ok(at(items, items.length) <= 4096, "one page");
  return items;
}

test("a page of more than 700 instructions whose cases are reached by an indirect jump runs translated once its targets are learned", () => {
  const r = twin(() => boot(switchLoop(4000n)));
  assert.ok(r.translated / Number(r.instret) > 0.97, `translated ${r.translated} of ${r.instret}`);
  assert.ok(r.compiled <= 4, `${r.compiled} translations`);
});

test("a page translated again for new breakpoints keeps its switch's cases in the function of the jump to them", () => {
  const items = switchLoop(100_000n, undefined, 21); // small enough to be one function
  const jump = at(items, 10), case0 = at(items, 15);
  const b = boot(items);
  b.hart.translator.threshold = 0;
  const fnOf = (off: number): number => b.hart.regions[0]!.entries[off >> 1]! >> 11;
  assert.equal(b.run(200_000).kind, "budget");
  assert.equal(fnOf(case0), fnOf(jump), "learned: one function");
  const compiled = b.hart.translatorStats.compiled;
  b.hart.breakpoints.add(BigInt(RAM)); // the first instruction, which does not run again
  assert.equal(b.run(200_000).kind, "budget");
  assert.ok(b.hart.translatorStats.compiled > compiled, "translated again");
  assert.equal(fnOf(case0), fnOf(jump), "still one function");
});

test("a large page whose code rewrites itself every few hundred instructions stays exact and interpreted, and is translated once it stops", () => {
  // 4000 iterations of about 106 instructions; case 1 is rewritten in the first 1000 (125 times).
  const r = twin(() => boot(switchLoop(4000n, 3000n)), undefined, 2000);
  assert.ok(r.compiled <= 4, `${r.compiled} translations`);
  assert.ok(r.translated / Number(r.instret) > 0.5, `translated ${r.translated} of ${r.instret}`);
});

test("self-modifying code: a store to the running page's code takes effect at the next fetch", () => {
  const newInsn = ins("addi", 1, 1, 7);
  const items: Item[] = [li(5, 100n), li(6, BigInt(newInsn)), ins("auipc", 7, 0), /* L: */ ins("addi", 1, 1, 1),
    ins("addi", 5, 5, -1), ins("addi", 8, 0, 50), ins("bne", 5, 8, 8), ins("sw", 6, 7, 0), ins("bne", 5, 0, 0), EBREAK];
  const l = at(items, 3), bnez = at(items, 8);
  items[7] = ins("sw", 6, 7, l - at(items, 2));
  items[8] = ins("bne", 5, 0, l - bnez);
  const r = twin(() => boot(items));
  assert.equal(r.x[1], 50n + 50n * 7n);
});

test("a timer interrupt due inside a hot loop is taken at exactly the same instruction", () => {
  const loop: Item[] = [li(5, 200_000n), /* L: */ ins("addi", 1, 1, 1), ins("xor", 2, 2, 1), ins("addi", 5, 5, -1), ins("bne", 5, 0, -12), EBREAK];
  const setup = (): Board => {
    const b = boot(loop);
    b.clint.mtimecmp = 1234n; // mtime = instret / 100: due after 123,400 instructions
    b.hart.writeCsr(0x305, BigInt(RAM + at(loop, 5)));
    b.hart.writeCsr(0x304, 1n << 7n);
    b.hart.writeCsr(0x300, 1n << 3n);
    return b;
  };
  const r = twin(setup, (c) => c === (INT | 7n));
  assert.equal(r.stop.kind, "trap");
  assert.equal(r.instret, 123_400n);
  assert.ok(r.csrs[1]! > BigInt(RAM) && r.csrs[1]! < BigInt(RAM + at(loop, 5)), "mepc lies inside the loop");
});

test("counters read inside a hot loop see the exact count", () => {
  const loop: Item[] = [li(5, 5000n), /* L: */ csrr(6, 0xb02), ins("add", 7, 7, 6), csrr(8, 0xc00), ins("add", 9, 9, 8),
    ins("addi", 5, 5, -1), ins("bne", 5, 0, -20), EBREAK];
  const r = twin(() => boot(loop));
  assert.ok(r.x[7]! > 0n && r.x[9]! > r.x[7]!);
});

test("counter writes inside a hot loop replace the writer's increment, translated or not", () => {
  // Each iteration: minstret = 0 (the write replaces the csrrw's increment), the addi retires: the read sees 1.
  const loop: Item[] = [li(5, 5000n), /* L: */ ins("csrrw", 0, 0xb02, 0), ins("addi", 1, 1, 1), ins("csrrs", 6, 0xb02, 0),
    ins("add", 7, 7, 6), ins("addi", 5, 5, -1), ins("bne", 5, 0, -20), EBREAK];
  const r = twin(() => boot(loop));
  assert.equal(r.x[7], 5000n);
});

test("a page fault in the middle of a translated block traps with the exact pc, tval and count", () => {
  const VA = 0x4000_0000, ROOT = RAM + 0x100000;
  // Walks a pointer page by page through VA; the 40th page is unmapped.
  const loop: Item[] = [li(7, BigInt(VA)), li(5, 1000n), /* L: */ ins("addi", 1, 1, 1), ins("ld", 9, 7, 8), ins("add", 2, 2, 9),
    ins("lui", 10, 1), ins("add", 7, 7, 10), ins("addi", 5, 5, -1), ins("bne", 5, 0, -24), EBREAK];
  const setup = (): Board => {
    const b = boot(loop);
    openPmp(b);
    const pt = new PageTables(b, ROOT);
    pt.map(RAM, RAM, PTE.R | PTE.W | PTE.X | PTE.A | PTE.D, 2);
    for (let i = 0; i < 39; i++) pt.map(VA + i * 4096, RAM + 0x200000 + i * 4096, PTE.R | PTE.A);
    b.hart.writeCsr(0x180, pt.satp());
    b.hart.priv = 1;
    return b;
  };
  const r = twin(setup, (c) => c === 13n);
  assert.equal(r.csrs[2], 13n);
  assert.equal(r.csrs[3], BigInt(VA + 39 * 4096 + 8));
  assert.equal(r.csrs[1], BigInt(RAM + at(loop, 3)));
  assert.equal(r.x[1], 40n);
});

test("SCs without a reservation in a hot loop: failed ones translate as stores, and the one to a read-only page faults exactly", () => {
  const VA = 0x4000_0000, ROOT = RAM + 0x100000;
  // sc.w on page after page of VA, each writable but the 40th; none holds a reservation.
  const loop: Item[] = [li(7, BigInt(VA)), li(5, 1000n), /* L: */ ins("sc.w", 9, 7, 5), ins("add", 2, 2, 9),
    ins("lui", 10, 1), ins("add", 7, 7, 10), ins("addi", 5, 5, -1), ins("bne", 5, 0, -20), EBREAK];
  const setup = (): Board => {
    const b = boot(loop);
    openPmp(b);
    const pt = new PageTables(b, ROOT);
    pt.map(RAM, RAM, PTE.R | PTE.W | PTE.X | PTE.A | PTE.D, 2);
    for (let i = 0; i < 39; i++) pt.map(VA + i * 4096, RAM + 0x200000 + i * 4096, PTE.R | PTE.W | PTE.A | PTE.D);
    pt.map(VA + 39 * 4096, RAM + 0x200000 + 39 * 4096, PTE.R | PTE.A);
    b.hart.writeCsr(0x180, pt.satp());
    b.hart.priv = 1;
    return b;
  };
  const r = twin(setup, (c) => c === 15n || c === 3n);
  assert.deepEqual([r.csrs[2], r.csrs[3]], [15n, BigInt(VA + 39 * 4096)]);
  assert.equal(r.csrs[1], BigInt(RAM + at(loop, 2)));
  assert.equal(r.x[2], 39n, "39 failed SCs before it");
});

test("translated loads and stores whose offset carries into or borrows from the address's high word, at the top of the address space and across a page, reach the right bytes", () => {
  const ROOT = RAM + 0x100000, LOW = 0xffff_f000, HIGH = 0x1_0000_0000, TOP = -4096;
  const items: Item[] = [li(11, 0xffff_fff0n), li(13, 0x1_0000_0030n), li(15, 0x1_0000_0000n), li(17, -16n), li(5, 3000n),
    /* L: */ ins("addi", 1, 1, 1),
    ins("sd", 1, 11, 32), // 0xffff_fff0 + 32: the low word carries into the high one
    ins("sd", 0, 0, 8), // page 0 takes the software-TLB slot of 0x1_0000_0000: a lost carry would hit it
    ins("ld", 12, 13, -32), // 0x1_0000_0030 − 32: reads it back
    ins("add", 2, 2, 12),
    ins("sd", 12, 15, -16), // 0x1_0000_0000 − 16: borrows from the high word
    ins("lw", 16, 11, 0), // 0xffff_fff0: the low half of it
    ins("add", 3, 3, 16),
    ins("sd", 2, 17, 8), // −16 + 8: the last doubleword of the address space
    ins("ld", 18, 17, 8),
    ins("add", 4, 4, 18),
    ins("lw", 19, 15, -2), // 0xffff_fffe: crosses into 0x1_0000_0000
    ins("add", 6, 6, 19),
    ins("addi", 5, 5, -1), 0, EBREAK];
  const loopAt = at(items, 5), bne = items.length - 2;
  items[bne] = ins("bne", 5, 0, loopAt - at(items, bne));
  const setup = (): Board => {
    const b = boot(items);
    openPmp(b);
    const pt = new PageTables(b, ROOT);
    pt.map(RAM, RAM, PTE.R | PTE.W | PTE.X | PTE.A | PTE.D, 2);
    const data = PTE.R | PTE.W | PTE.A | PTE.D;
    pt.map(LOW, RAM + 0x200000, data);
    pt.map(HIGH, RAM + 0x201000, data);
    pt.map(TOP, RAM + 0x202000, data);
    pt.map(0, RAM + 0x203000, data);
    b.hart.writeCsr(0x180, pt.satp());
    b.hart.priv = 1;
    return b;
  };
  const r = twin(setup);
  const n = 3000n;
  assert.equal(r.x[2], (n * (n + 1n)) / 2n, "each ld read the sd before it");
  assert.equal(r.x[3], (n * (n + 1n)) / 2n, "each lw read the low half the borrowing sd wrote");
  assert.equal(r.x[4], (n * (n + 1n) * (n + 2n)) / 6n, "each ld at the top of the address space read the running sum stored there");
});

test("a load through a register the loop never writes sees each remapping of its page after the sfence.vma that ends the translated call", () => {
  const ROOT = RAM + 0x100000, VA = 0x4000_0000, A = RAM + 0x200000, B = RAM + 0x201000;
  const flags = PTE.V | PTE.R | PTE.W | PTE.A | PTE.D;
  const ptes = [pte(A, flags), pte(B, flags)];
  const items: Item[] = [li(2, BigInt(VA)), li(10, ptes[0]!), li(11, ptes[0]! ^ ptes[1]!), li(5, 1000n),
    /* L: */ ins("ld", 9, 2, 0), // x2 is never written in the loop: its probe is kept for a whole call
    ins("add", 3, 3, 9),
    ins("xor", 10, 10, 11),
    ins("sd", 10, 12, 0), // VA's PTE now maps the other page
    ins("sfence.vma", 0, 0),
    ins("addi", 5, 5, -1), 0, EBREAK];
  const loopAt = at(items, 4), bne = items.length - 2;
  items[bne] = ins("bne", 5, 0, loopAt - at(items, bne));
  const setup = (): Board => {
    const data = (v: bigint): Uint8Array => new Uint8Array(new BigUint64Array([v]).buffer);
    const b = boot(items, {}, [{ paddr: A, data: data(1n) }, { paddr: B, data: data(100n) }]);
    openPmp(b);
    const pt = new PageTables(b, ROOT);
    pt.map(RAM, RAM, PTE.R | PTE.W | PTE.X | PTE.A | PTE.D, 2);
    const slot = pt.map(VA, A, flags);
    b.hart.setReg(12, BigInt(slot)); // the PTE's address: RAM is mapped at itself
    b.hart.writeCsr(0x180, pt.satp());
    b.hart.priv = 1;
    return b;
  };
  const r = twin(setup);
  assert.equal(r.x[3], 500n * 1n + 500n * 100n);
});

test("breakpoints set and cleared between runs stop translated code exactly, and re-setting the same set recompiles nothing", () => {
  const loop: Item[] = [li(5, 100_000n), /* L: */ ins("addi", 1, 1, 1), ins("addi", 2, 2, 3), ins("addi", 5, 5, -1), ins("bne", 5, 0, -12), EBREAK];
  const b = boot(loop);
  b.hart.translator.threshold = 0;
  b.hart.onTrap = (c) => c === 3n;
  assert.equal(b.run(5000).kind, "budget");
  assert.ok(b.hart.translatorStats.translatedInstructions > 0);
  const bp = BigInt(RAM + at(loop, 2));
  b.hart.breakpoints.add(bp);
  const first = b.run(1_000_000);
  assert.deepEqual(first, { kind: "breakpoint", pc: bp });
  const x1 = b.hart.getReg(1), n = b.instret;
  assert.equal(b.hart.getReg(2), 3n * (x1 - 1n), "stopped before the breakpoint's instruction");
  // Resuming from a breakpoint runs it, and stops there again one iteration (4 instructions) later.
  assert.deepEqual(b.run(1_000_000), { kind: "breakpoint", pc: bp });
  assert.equal(b.instret, n + 4n);
  const compiled = b.hart.translatorStats.compiled;
  b.hart.breakpoints.clear();
  b.hart.breakpoints.add(bp);
  assert.deepEqual(b.run(1_000_000), { kind: "breakpoint", pc: bp });
  assert.equal(b.hart.translatorStats.compiled, compiled, "the same breakpoints again: the region stays");
  b.hart.breakpoints.clear();
  const end = b.run(1_000_000);
  assert.equal(end.kind, "trap");
  assert.equal(b.hart.getReg(1), 100_000n);
  assert.equal(b.hart.getReg(2), 300_000n);
});

test("step() never runs translated code; turning translation off runs the interpreter alone", () => {
  const loop: Item[] = [li(5, 1000n), ins("addi", 1, 1, 1), ins("addi", 5, 5, -1), ins("bne", 5, 0, -8), EBREAK];
  const b = boot(loop);
  b.hart.translator.enabled = false;
  b.hart.onTrap = (c) => c === 3n;
  assert.equal(b.run(100_000).kind, "trap");
  assert.equal(b.hart.translatorStats.translatedInstructions, 0);
  assert.equal(b.hart.getReg(1), 1000n);
});

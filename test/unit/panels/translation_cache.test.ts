import { test } from "node:test";
import assert from "node:assert/strict";
import { translationCacheBody } from "../../../src/debug/tc_request";
import type { ExprEnv } from "../../../src/debug/expressions";
import type { TcBlockView, TcStats } from "../../../src/hypervisor/techniques/tc_view";
import type { Target } from "../../../src/target/target";
import { parseHostMessage } from "../../../src/webview/model/messages";
import { blockRows, selectedBlock, statItems, translationLines } from "../../../src/webview/model/translation_cache";

// Two blocks as the translator leaves them: a loop body that calls a helper (its CSR read a callout,
// its call chained to the helper) and the helper (its add copied, its ret a lookup callout).
const ECALL = 0x00000073;
const JAL_X1 = 0x008000ef; // jal ra, +8
const helper: TcBlockView = {
  guestPc: 0x80000100, context: "S/satp=0", runs: 10,
  rows: [
    { tcVa: 0x2000000100, tcBits: 0x00b50533, guestPc: 0x80000100, guest: { bits: 0x00b50533, length: 4 }, how: "copied", runs: 10 },
    { tcVa: 0x2000000104, tcBits: ECALL, guestPc: 0x80000104, guest: { bits: 0x00008067, length: 4 }, how: "jalr" },
  ],
};
const loop: TcBlockView = {
  guestPc: 0x80000040, context: "S/satp=0", runs: 1,
  rows: [
    { tcVa: 0x2000000000, tcBits: ECALL, guestPc: 0x80000040, guest: { bits: 0x14002573, length: 4 }, how: "sensitive", runs: 1 },
    { tcVa: 0x2000000004, tcBits: 0x00040593, guestPc: 0x80000044, guest: { bits: 0x00040593, length: 4 }, how: "copied" },
    { tcVa: 0x2000000008, tcBits: JAL_X1, guestPc: 0x80000048, guest: { bits: 0x0b8000ef, length: 4 }, how: "jal", chainedTo: 0x2000000100 },
    { tcVa: 0x200000000c, tcBits: ECALL, guestPc: 0x8000004c, how: "fallthrough" },
  ],
};
const stats: TcStats = {
  va: 0x2000000000, relocations: 0, blocks: 2, bytesUsed: 6 * 4, bytes: 64 * 1024, translated: 3, flushes: 0, invalidated: 1, evicted: 0,
  fenced: 0, refenced: 0, protectedPages: 1, directPages: 0, chains: 1, lookups: 8, hits: 6, inlineCsr: 4,
};

/** The adapter's request body for these blocks (most recently used last, as the VMM lists them). */
function body(technique: Target["technique"] = "binary-translation") {
  const vmm = technique === "binary-translation" ? { stats: () => ({ tc: stats }), tcBlocks: () => [helper, loop] } : { stats: () => ({}) };
  const names = new Map([[0x80000040n, "round"], [0x80000100n, "add_round"]]);
  const symbols = { describe: (pc: bigint) => names.get(pc) };
  return translationCacheBody({ technique, vmm } as unknown as Target, {}, () => ({ symbols }) as unknown as ExprEnv);
}

test("the request body passes the webview's checks, and a tampered one does not", () => {
  const b = body();
  assert.equal(parseHostMessage({ type: "translationCache", seq: 1, session: "s", body: b })?.type, "translationCache");
  assert.equal(parseHostMessage({ type: "translationCache", seq: 1, session: "s", body: { ...b, blocks: [{ ...b.blocks[0], guestPc: "<b>" }] } }), undefined);
  assert.equal(parseHostMessage({ type: "translationCache", seq: 1, session: "s", body: { ...b, blocks: [{ ...b.blocks[0], runs: "1" }] } }), undefined);
  assert.equal(parseHostMessage({ type: "translationCache", seq: 1, session: "s", body: { ...b, stats: { ...b.stats, hits: "6" } } }), undefined);
  assert.equal(parseHostMessage({ type: "translationCache", seq: 1, session: "s", body: body("trap-and-emulate") })?.type, "translationCache", "the no-cache answer too");
});

test("the statistics read as blocks, size, hit rate, invalidations and evictions", () => {
  const items = Object.fromEntries(statItems(body().stats!).map((s) => [s.label, s.value]));
  assert.deepEqual(items, { blocks: "2", size: "24 B of 64 KiB", "hit rate": "75.0%", invalidations: "1", evictions: "0", "inline CSR": "4", chains: "1", flushes: "0" });
});

test("each block is a row: guest pc, length in guest instructions, how many were rewritten, and the blocks it chains to", () => {
  const b = body();
  assert.deepEqual(blockRows(b), [
    { guestPc: "0x80000040", symbol: "round", length: 3, rewritten: 2, runs: 1, chainedTo: ["0x80000100 add_round"] },
    { guestPc: "0x80000100", symbol: "add_round", length: 2, rewritten: 1, runs: 10, chainedTo: [] },
  ], "most recently used first; the stub counts as no guest instruction");
});

test("a block's lines put each guest instruction beside its translation, rewritten ones saying why", () => {
  const b = body();
  const lines = translationLines(selectedBlock(b.blocks, undefined)!, b.blocks);
  assert.deepEqual(lines.map((l) => [l.guestPc, l.guest, l.tc, l.rewritten, l.runs]), [
    ["0x80000040", "csrr a0,sscratch", "ecall", true, "1"],
    ["0x80000044", "mv a1,s0", "mv a1,s0", false, ""],
    ["0x80000048", lines[2].guest, lines[2].tc, true, ""],
    ["", "", "ecall", true, ""],
  ]);
  assert.match(lines[2].guest, /^(jal|call) /);
  assert.equal(lines[0].why, "callout: emulated by the VMM");
  assert.equal(lines[1].why, "copied");
  assert.equal(lines[2].why, "chained: jumps to the target's translation (0x80000100 add_round)", "where the chain goes, by guest pc");
  assert.equal(lines[3].why, "stub: the block's end");
  assert.equal(selectedBlock(b.blocks, "0x80000100")?.symbol, "add_round", "the user's choice while it is cached");
  assert.equal(selectedBlock(b.blocks, "0x80000999")?.guestPc, "0x80000040", "else the most recently used");
});

test("a chain into the middle of a block names the guest pc it enters, and a chain to no listed block its TC address", () => {
  const b = body();
  const into = (chainedTo: string) => blockRows({ blocks: [{ ...b.blocks[0], rows: b.blocks[0].rows.map((r) => (r.chainedTo ? { ...r, chainedTo } : r)) }, b.blocks[1]] })[0].chainedTo;
  assert.deepEqual(into("0x2000000104"), ["0x80000104 in 0x80000100 add_round"]);
  assert.deepEqual(into("0x2000000800"), ["TC 0x2000000800"]);
});

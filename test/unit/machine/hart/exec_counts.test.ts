/**
 * Execution counters (src/machine/hart/exec_counts.ts): the hart counts each execution of a counted
 * instruction exactly, interpreted (step) and translated (threshold 0), including a loop head that is
 * the target of a branch, a self-loop, and a first instruction whose load bails to the interpreter;
 * the code sees nothing of it.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Board } from "../../../../src/machine/board";
import { ins, type Item, li } from "./encode";
import { boot, EBREAK } from "./harness";

const at = (items: Item[], i: number): number => items.slice(0, i).reduce<number>((n, it) => n + 4 * (Array.isArray(it) ? it.length : 1), 0);

/** x5 = 1000 iterations of: a load (L), a self-loop of 3 rounds on x7 (S), a branch back to L. */
function program(): { items: Item[]; loop: number; self: number; after: number } {
  const items: Item[] = [li(5, 1000n), ins("auipc", 10, 0),
    /* L: */ ins("ld", 11, 10, 0), ins("addi", 7, 0, 3),
    /* S: */ ins("addi", 7, 7, -1), ins("bne", 7, 0, -4),
    /* after: */ ins("addi", 5, 5, -1), ins("bne", 5, 0, 0), EBREAK];
  items[7] = ins("bne", 5, 0, at(items, 2) - at(items, 7));
  return { items, loop: at(items, 2), self: at(items, 4), after: at(items, 6) };
}

function run(translated: boolean): { board: Board; counts: (number | undefined)[]; instret: bigint } {
  const { items, loop, self, after } = program();
  const board = boot(items);
  const offs = [loop, self, after, at(items, 3)];
  for (const off of offs) board.hart.execCounts.arm(off);
  board.hart.translator.threshold = 0;
  board.hart.onTrap = (c) => c === 3n;
  let r = { kind: "budget" } as ReturnType<Board["run"]>;
  for (let n = 0; n < 100_000 && r.kind === "budget"; n++) r = translated ? board.run(100_000) : board.step();
  assert.equal(r.kind, "trap");
  return { board, counts: offs.map((o) => board.hart.execCounts.count(o)), instret: board.instret };
}

test("the hart counts every execution of the counted instructions, interpreted and translated alike", () => {
  const slow = run(false), fast = run(true);
  assert.ok(fast.board.hart.translatorStats.translatedInstructions > 0, "ran translated");
  // The loop head 1000 times, the self-loop's head 3000 times, the tail 1000, an instruction in the middle of a block 1000.
  assert.deepEqual(slow.counts, [1000, 3000, 1000, 1000]);
  assert.deepEqual(fast.counts, [1000, 3000, 1000, 1000]);
  // Invisible: the same instructions retired as without counters.
  const plain = boot(program().items);
  plain.hart.onTrap = (c) => c === 3n;
  while (plain.run(100_000).kind === "budget");
  assert.equal(fast.instret, plain.instret);
  assert.equal(slow.instret, plain.instret);
});

test("a counter can be disarmed, armed again from 0, and taken back", () => {
  const b = boot([EBREAK]);
  const c = b.hart.execCounts;
  assert.equal(c.count(0), undefined);
  c.arm(8);
  assert.equal(c.count(8), 0);
  c.takeBack(8);
  assert.equal(c.count(8), 0, "never below 0");
  c.disarm(8);
  assert.equal(c.count(8), undefined);
});

test("a counter armed while its page runs compiled takes effect at once: the page is compiled again with it", () => {
  const { items, self } = program();
  const counted = (translated: boolean): { count: number | undefined; compiled: number } => {
    const board = boot(items);
    board.hart.translator.threshold = 0;
    board.hart.onTrap = (c) => c === 3n;
    if (translated) board.run(3000);
    else for (let n = 0; n < 3000; n++) board.step();
    const compiled = board.hart.translatorStats.compiled;
    board.hart.execCounts.arm(self);
    while (board.run(100_000).kind === "budget");
    return { count: board.hart.execCounts.count(self), compiled: board.hart.translatorStats.compiled - compiled };
  };
  const fast = counted(true), slow = counted(false);
  // After 3000 steps about 300 of the 1000 rounds (10 instructions each) are done: about 2,100 of
  // the self-loop head's 3,000 runs are left, the same compiled and interpreted.
  assert.equal(slow.count, fast.count);
  assert.ok(fast.count! > 2000 && fast.count! < 2200, `${fast.count}`);
  assert.ok(fast.compiled > 0, "compiled again with the counter");
});

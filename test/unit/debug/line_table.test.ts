import { test } from "node:test";
import assert from "node:assert/strict";
import { LineMap } from "../../../src/debug/line_table";
import { StopRule, interpolate, parseHitCondition } from "../../../src/debug/conditions";
import { parseMemoryRef, splitSpace } from "../../../src/debug/memory_refs";
import { parseDataId } from "../../../src/debug/data_breakpoints";

const map = new LineMap([
  { address: 0x80000000n, file: "/g/a.S", line: 3 },
  { address: 0x80000008n, file: "/g/a.S", line: 4 },
  { address: 0x8000000an, file: "/g/a.S", line: 7 },
  { address: 0x80001000n, file: "/g/b.S", line: 1 },
]);

test("addresses map to lines, with multi-instruction lines and gaps", () => {
  assert.deepEqual(map.lineOf(0x80000004n), { file: "/g/a.S", line: 3 });
  assert.deepEqual(map.lineOf(0x8000000an), { file: "/g/a.S", line: 7 });
  assert.equal(map.lineOf(0x80000800n), undefined, "far past the last line of a run");
  assert.equal(map.lineOf(0x7ffffff0n), undefined);
  assert.ok(map.isLineStart(0x80000008n) && !map.isLineStart(0x80000004n));
});

test("lines map to addresses; breakpoints move forward to code", () => {
  assert.equal(map.addressOf("/g/a.S", 4), 0x80000008n);
  assert.equal(map.nearestLineWithCode("/g/a.S", 5), 7);
  assert.equal(map.nearestLineWithCode("/g/a.S", 8), undefined);
  assert.deepEqual(map.linesWithCode("/g/a.S", 1, 6), [3, 4]);
  assert.ok(map.hasFile("/G/A.S"), "paths match case-insensitively (Windows clients)");
  assert.deepEqual(map.files, ["/g/a.S", "/g/b.S"]);
});

test("hit conditions, stop rules and logpoint interpolation", () => {
  assert.deepEqual(parseHitCondition("3"), { op: ">=", n: 3 });
  assert.deepEqual(parseHitCondition("== 2"), { op: "==", n: 2 });
  assert.deepEqual(parseHitCondition("%4"), { op: "%", n: 4 });
  assert.match(parseHitCondition("%0") as string, /never stop/);
  assert.match(parseHitCondition("lots") as string, /not understood/);
  const rule = StopRule.create(undefined, "%2") as StopRule;
  const env = { convenience: new Map([["x", 5n]]) } as never;
  assert.deepEqual([10, 20, 30, 40].map((at) => rule.check(env, at).stop), [false, true, false, true]);
  assert.equal(rule.check(env, 20).stop, true, "the hit at position 20 again (re-executed after a step back) keeps its count, 2");
  assert.equal(rule.check(env, 15).stop, true, "a hit found between two counted ones takes its place: now the 2nd");
  assert.equal(rule.check(env, 40).stop, false, "and the one at 40 the 5th");
  rule.forgetHitsAfter(20);
  assert.equal(rule.check(env, 25).stop, true, "after a fork at 20, the hits of the discarded future (30, 40) are gone: 25 is the 4th");
  assert.equal(rule.check(env, 26).stop, false, "and 26 the 5th");
  assert.equal(rule.check(env).stop, true, "without a position (searching for a condition alone) nothing is counted or asked");
  assert.match(StopRule.create("a0 ==", undefined) as string, /incomplete/);
  assert.equal(interpolate("x={$x:d} hex={$x} {{ok}} {$nope}", env), "x=5 hex=0x5 {ok} <no convenience value '$nope'; there are $x>");
});

test("memory references and data breakpoint ids carry their address space", () => {
  assert.deepEqual(parseMemoryRef("pa:0x80000000"), { space: "pa", addr: 0x80000000n });
  assert.deepEqual(parseMemoryRef("0x10"), { space: "va", addr: 16n });
  assert.deepEqual(parseMemoryRef("hpa:4096"), { space: "hpa", addr: 4096n });
  assert.equal(parseMemoryRef("xx:0x10"), undefined);
  assert.equal(parseMemoryRef("0x1" + "0".repeat(16)), undefined, "beyond 64 bits");
  assert.deepEqual(splitSpace("pa:sp+8"), { space: "pa", rest: "sp+8" });
  assert.deepEqual(splitSpace("sp+8"), { space: "va", rest: "sp+8" });
  assert.deepEqual(parseDataId("va:0x800010a0/8"), { ref: { space: "va", addr: 0x800010a0n }, length: 8 });
  assert.equal(parseDataId("va:0x800010a0/0"), undefined);
});

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { failing, guest, launch, lineOf, stopAfter, topFrame, value, withClient } from "../support/dap";

const CALLS = guest("calls.S");
const SPIN = guest("spin.S");
const cont = (dc: Parameters<Parameters<typeof withClient>[0]>[0]) => () => dc.continueRequest({ threadId: 1 });

describe("source breakpoints", () => {
  test("a breakpoint on a line with code is verified there and hit", async () => {
    await withClient(async (dc) => {
      const line = lineOf(CALLS, "store");
      let bps: { verified: boolean; line?: number; id?: number }[] = [];
      await launch(dc, CALLS, {}, async () => {
        bps = (await dc.setBreakpointsRequest({ source: { path: CALLS }, breakpoints: [{ line }] })).body.breakpoints;
      });
      assert.equal(bps[0].verified, true);
      assert.equal(bps[0].line, line);
      const stop = await stopAfter(dc, cont(dc));
      assert.equal(stop.body.reason, "breakpoint");
      assert.deepEqual(stop.body.hitBreakpointIds, [bps[0].id]);
      const frame = await topFrame(dc);
      assert.equal(frame.line, line);
      assert.equal(frame.source?.path, CALLS);
      assert.equal(await value(dc, "a0"), 1n);
    });
  });

  test("a breakpoint on a comment line moves to the next line with code", async () => {
    await withClient(async (dc) => {
      await launch(dc, CALLS);
      const r = await dc.setBreakpointsRequest({ source: { path: CALLS }, breakpoints: [{ line: lineOf(CALLS, "nocode") }] });
      assert.equal(r.body.breakpoints[0].verified, true);
      assert.equal(r.body.breakpoints[0].line, lineOf(CALLS, "loop"));
      await stopAfter(dc, cont(dc));
      assert.equal((await topFrame(dc)).line, lineOf(CALLS, "loop"));
    });
  });

  test("breakpoints on lines with no code after them, or in files that are not part of the program, are not verified", async () => {
    await withClient(async (dc) => {
      await launch(dc, CALLS);
      const r = await dc.setBreakpointsRequest({ source: { path: CALLS }, breakpoints: [{ line: lineOf(CALLS, "data-line") }, { line: 9999 }] });
      for (const bp of r.body.breakpoints) {
        assert.equal(bp.verified, false);
        assert.match(bp.message ?? "", /no code at or after line/);
      }
      const other = await dc.setBreakpointsRequest({ source: { path: SPIN }, breakpoints: [{ line: 3 }] });
      assert.equal(other.body.breakpoints[0].verified, false);
      assert.match(other.body.breakpoints[0].message ?? "", /no code of this program comes from/);
    });
  });

  test("a condition stops only when it holds", async () => {
    await withClient(async (dc) => {
      await launch(dc, CALLS, {}, () => dc.setBreakpointsRequest({ source: { path: CALLS }, breakpoints: [{ line: lineOf(CALLS, "store"), condition: "a0 == 2" }] }));
      await stopAfter(dc, cont(dc));
      assert.equal(await value(dc, "a0"), 2n);
      assert.equal(await value(dc, "*(u64*)counter"), 1n, "the first store happened without stopping");
    });
  });

  test("a hit condition counts hits", async () => {
    await withClient(async (dc) => {
      await launch(dc, CALLS, {}, () => dc.setBreakpointsRequest({ source: { path: CALLS }, breakpoints: [{ line: lineOf(CALLS, "loop"), hitCondition: "2" }] }));
      await stopAfter(dc, cont(dc));
      assert.equal(await value(dc, "s1"), 1n, "second time round the loop");
      await stopAfter(dc, cont(dc)); // '2' means from the second hit on
      assert.equal(await value(dc, "s1"), 2n);
    });
  });

  test("a modulo hit condition stops every Nth hit", async () => {
    await withClient(async (dc) => {
      await launch(dc, CALLS, {}, () => dc.setBreakpointsRequest({ source: { path: CALLS }, breakpoints: [{ line: lineOf(CALLS, "loop"), hitCondition: "%2" }] }));
      await stopAfter(dc, cont(dc));
      assert.equal(await value(dc, "s1"), 1n);
    });
  });

  test("bad conditions and hit conditions are reported, not accepted", async () => {
    await withClient(async (dc) => {
      await launch(dc, CALLS);
      const r = await dc.setBreakpointsRequest({
        source: { path: CALLS },
        breakpoints: [
          { line: lineOf(CALLS, "store"), condition: "a0 ==" },
          { line: lineOf(CALLS, "store"), hitCondition: "often" },
          { line: lineOf(CALLS, "store"), condition: "a0 = 1" },
        ],
      });
      assert.deepEqual(r.body.breakpoints.map((b) => b.verified), [false, false, false]);
      assert.match(r.body.breakpoints[0].message!, /incomplete/);
      assert.match(r.body.breakpoints[1].message!, /hit condition 'often'/);
      assert.match(r.body.breakpoints[2].message!, /assigns/);
    });
  });

  test("a condition that cannot be evaluated stops and says why", async () => {
    await withClient(async (dc) => {
      const output: string[] = [];
      dc.on("output", (e) => output.push(e.body.output));
      await launch(dc, CALLS, {}, () => dc.setBreakpointsRequest({ source: { path: CALLS }, breakpoints: [{ line: lineOf(CALLS, "store"), condition: "*(u64*)0x10 == 1" }] }));
      await stopAfter(dc, cont(dc));
      assert.equal((await topFrame(dc)).line, lineOf(CALLS, "store"));
      assert.match(output.join(""), /cannot evaluate the condition/);
    });
  });

  test("logpoints log with interpolated expressions and do not stop", async () => {
    await withClient(async (dc) => {
      const output: string[] = [];
      dc.on("output", (e) => output.push(e.body.output));
      await launch(dc, CALLS, {}, () => dc.setBreakpointsRequest({ source: { path: CALLS }, breakpoints: [{ line: lineOf(CALLS, "store"), logMessage: "store {a0:d} at {t0} {{braces}}" }] }));
      await Promise.all([dc.continueRequest({ threadId: 1 }), dc.waitForEvent("terminated")]);
      const text = output.join("");
      for (const n of [1, 2, 3]) assert.match(text, new RegExp(`store ${n} at 0x800010a0 \\{braces\\}`));
    });
  });

  test("clearing breakpoints lets the guest run to the end", async () => {
    await withClient(async (dc) => {
      await launch(dc, CALLS, {}, () => dc.setBreakpointsRequest({ source: { path: CALLS }, breakpoints: [{ line: lineOf(CALLS, "store") }] }));
      await dc.setBreakpointsRequest({ source: { path: CALLS }, breakpoints: [] });
      const exited = dc.waitForEvent("exited");
      await dc.continueRequest({ threadId: 1 });
      assert.equal((await exited).body.exitCode, 0);
    });
  });

  test("breakpointLocations lists the lines that have code", async () => {
    await withClient(async (dc) => {
      await launch(dc, CALLS);
      const from = lineOf(CALLS, "outer");
      const r = await dc.customRequest("breakpointLocations", { source: { path: CALLS }, line: from - 2, endLine: from + 2 });
      assert.deepEqual(r.body.breakpoints.map((b: { line: number }) => b.line), [from, from + 1, from + 2]);
      const none = await dc.customRequest("breakpointLocations", { source: { path: CALLS }, line: lineOf(CALLS, "nocode") });
      assert.deepEqual(none.body.breakpoints, []);
    });
  });
});

describe("function breakpoints", () => {
  test("break on a symbol, on symbol+offset, and report unknown names", async () => {
    await withClient(async (dc) => {
      await launch(dc, CALLS);
      const r = await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: "inner" }, { name: "nosuch" }, { name: "outer+2" }] });
      assert.deepEqual(r.body.breakpoints.map((b) => b.verified), [true, false, true]);
      assert.match(r.body.breakpoints[1].message!, /no function or symbol 'nosuch'/);
      const stop = await stopAfter(dc, cont(dc));
      assert.deepEqual(stop.body.hitBreakpointIds, [r.body.breakpoints[2].id]);
      assert.equal(await value(dc, "pc"), (await value(dc, "outer")) + 2n);
      await stopAfter(dc, cont(dc));
      assert.equal((await topFrame(dc)).name, "inner");
    });
  });

  test("conditions apply to function breakpoints", async () => {
    await withClient(async (dc) => {
      await launch(dc, CALLS);
      await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: "inner", condition: "a0 == 3" }] });
      await stopAfter(dc, cont(dc));
      assert.equal(await value(dc, "a0"), 3n);
    });
  });
});

describe("instruction breakpoints", () => {
  test("break on an address, with an offset; odd and unmapped addresses are refused", async () => {
    await withClient(async (dc) => {
      await launch(dc, CALLS);
      const inner = await value(dc, "inner");
      const r = await dc.customRequest("setInstructionBreakpoints", {
        breakpoints: [
          { instructionReference: "0x" + inner.toString(16), offset: 4 },
          { instructionReference: "0x80000001" },
          { instructionReference: "0x1000" },
          { instructionReference: "nonsense" },
        ],
      });
      assert.deepEqual(r.body.breakpoints.map((b: { verified: boolean }) => b.verified), [true, false, false, false]);
      assert.match(r.body.breakpoints[1].message, /2-byte aligned/);
      assert.match(r.body.breakpoints[2].message, /no memory/);
      const stop = await stopAfter(dc, cont(dc));
      assert.equal(stop.body.reason, "breakpoint");
      assert.equal((await topFrame(dc)).instructionPointerReference, "0x" + (inner + 4n).toString(16).padStart(16, "0"));
    });
  });
});

describe("restart", () => {
  test("restart reloads the guest, keeps breakpoints and stops on entry again", async () => {
    await withClient(async (dc) => {
      await launch(dc, CALLS, {}, () => dc.setBreakpointsRequest({ source: { path: CALLS }, breakpoints: [{ line: lineOf(CALLS, "store") }] }));
      await stopAfter(dc, cont(dc));
      await stopAfter(dc, cont(dc));
      assert.equal(await value(dc, "*(u64*)counter"), 1n);
      const entry = await stopAfter(dc, () => dc.restartRequest({}));
      assert.equal(entry.body.reason, "entry");
      assert.equal(await value(dc, "pc"), 0x80000000n);
      assert.equal(await value(dc, "*(u64*)counter"), 0n, "memory was reloaded");
      await stopAfter(dc, cont(dc));
      assert.equal((await topFrame(dc)).line, lineOf(CALLS, "store"));
      assert.equal(await value(dc, "a0"), 1n);
    });
  });

  test("a restart whose program no longer assembles fails and leaves the session as it was", async () => {
    await withClient(async (dc) => {
      await launch(dc, CALLS);
      const message = await failing(dc.restartRequest({ arguments: { program: guest("bad.S"), stopOnEntry: true } } as never));
      assert.match(message, /does not assemble/);
      assert.equal(await value(dc, "pc"), 0x80000000n);
      await stopAfter(dc, () => dc.stepInRequest({ threadId: 1, granularity: "instruction" }));
    });
  });
});

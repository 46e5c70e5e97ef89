import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { DebugClient } from "@vscode/debugadapter-testsupport";
import type { DebugProtocol } from "@vscode/debugprotocol";
import { CLIENT_CAPABILITIES, failing, guest, launch, lineOf, repl, stopAfter, topFrame, value, withClient } from "../support/dap";

const CALLS = guest("calls.S");
const cont = (dc: DebugClient) => () => dc.continueRequest({ threadId: 1 });
const back = (dc: DebugClient) => () => dc.customRequest("reverseContinue", { threadId: 1 });
const stepBack = (dc: DebugClient, granularity?: "instruction") => () => dc.customRequest("stepBack", { threadId: 1, granularity });

/** Launches calls.S and runs it to its finisher store (@finish): everything it does lies behind. */
async function atFinish(dc: DebugClient, extra: Record<string, unknown> = {}): Promise<void> {
  await launch(dc, CALLS, extra, () => dc.setBreakpointsRequest({ source: { path: CALLS }, breakpoints: [{ line: lineOf(CALLS, "finish") }] }));
  await stopAfter(dc, cont(dc));
  assert.equal((await topFrame(dc)).line, lineOf(CALLS, "finish"));
}

describe("time travel: Step Back and Reverse Continue", () => {
  test("the adapter says it can step back", async () => {
    await withClient(async (dc) => {
      const caps = await dc.initializeRequest(CLIENT_CAPABILITIES);
      assert.equal(caps.body?.supportsStepBack, true);
    });
  });

  test("Step Back by instruction returns to each earlier pc with its registers", async () => {
    await withClient(async (dc) => {
      await launch(dc, CALLS);
      const seen: { pc: bigint; sp: bigint; t0: bigint }[] = [];
      for (let i = 0; i < 6; i++) {
        seen.push({ pc: await value(dc, "pc"), sp: await value(dc, "sp"), t0: await value(dc, "t0") });
        await stopAfter(dc, () => dc.nextRequest({ threadId: 1, granularity: "instruction" }));
      }
      for (let i = seen.length - 1; i >= 0; i--) {
        const stop = await stopAfter(dc, stepBack(dc, "instruction"));
        assert.equal(stop.body.reason, "step");
        assert.deepEqual({ pc: await value(dc, "pc"), sp: await value(dc, "sp"), t0: await value(dc, "t0") }, seen[i]);
      }
      const first = await stopAfter(dc, stepBack(dc, "instruction"));
      assert.match(first.body.description ?? "", /start of the recorded history/);
      assert.equal(await value(dc, "$instret"), 0n);
    });
  });

  test("Step Back by line returns to the line executed before", async () => {
    await withClient(async (dc) => {
      await launch(dc, CALLS);
      const lines: number[] = [];
      for (let i = 0; i < 5; i++) {
        lines.push((await topFrame(dc)).line);
        await stopAfter(dc, () => dc.nextRequest({ threadId: 1 }));
      }
      for (let i = lines.length - 1; i >= 0; i--) {
        await stopAfter(dc, stepBack(dc));
        assert.equal((await topFrame(dc)).line, lines[i], `back to line ${lines[i]}`);
      }
    });
  });

  test("Reverse Continue stops at the previous line breakpoint hit, with the state then, and then at the one before", async () => {
    await withClient(async (dc) => {
      await atFinish(dc);
      const store = lineOf(CALLS, "store");
      const bp = (await dc.setBreakpointsRequest({ source: { path: CALLS }, breakpoints: [{ line: store }] })).body.breakpoints[0];
      for (const expected of [3n, 2n, 1n]) {
        const stop = await stopAfter(dc, back(dc));
        assert.equal(stop.body.reason, "breakpoint");
        assert.deepEqual(stop.body.hitBreakpointIds, [bp.id]);
        assert.equal((await topFrame(dc)).line, store);
        assert.equal(await value(dc, "a0"), expected);
        assert.equal(await value(dc, "*(u64*)counter"), expected - 1n, "the store has not happened yet");
      }
      const start = await stopAfter(dc, back(dc));
      assert.match(start.body.description ?? "", /start of the recorded history/);
      assert.equal((await topFrame(dc)).line, lineOf(CALLS, "entry"));
      await stopAfter(dc, cont(dc));
      assert.equal(await value(dc, "a0"), 1n, "running forward again meets the first hit");
    });
  });

  test("Reverse Continue honours conditions and instruction breakpoints", async () => {
    await withClient(async (dc) => {
      await atFinish(dc);
      await dc.setBreakpointsRequest({ source: { path: CALLS }, breakpoints: [{ line: lineOf(CALLS, "store"), condition: "a0 == 2" }] });
      await stopAfter(dc, back(dc));
      assert.equal(await value(dc, "a0"), 2n);
      await dc.setBreakpointsRequest({ source: { path: CALLS }, breakpoints: [] });
      const outer = await value(dc, "outer");
      const r = await dc.customRequest("setInstructionBreakpoints", { breakpoints: [{ instructionReference: "0x" + outer.toString(16) }] });
      await stopAfter(dc, back(dc));
      assert.equal(await value(dc, "pc"), outer);
      assert.equal(await value(dc, "a0"), 1n, "outer(1) was the call before inner stored 2");
      assert.equal(r.body.breakpoints[0].verified, true);
    });
  });

  test("Continue from the past stops at the breakpoint where the present is", async () => {
    await withClient(async (dc) => {
      await atFinish(dc);
      const finish = await value(dc, "pc");
      await stopAfter(dc, stepBack(dc, "instruction"));
      const stop = await stopAfter(dc, cont(dc));
      assert.equal(stop.body.reason, "breakpoint", "the run the history cut at the present goes on as one run");
      assert.equal(await value(dc, "pc"), finish);
    });
  });

  test("Reverse Continue honours hit conditions: a hit's count is its number in forward order, and re-executing it does not count it again", async () => {
    await withClient(async (dc) => {
      await atFinish(dc);
      const store = lineOf(CALLS, "store");
      await dc.setBreakpointsRequest({ source: { path: CALLS }, breakpoints: [{ line: store, hitCondition: ">=2" }] });
      for (const expected of [3n, 2n]) {
        await stopAfter(dc, back(dc));
        assert.equal(await value(dc, "a0"), expected, `the hit counted ${expected} running forward`);
      }
      const start = await stopAfter(dc, back(dc));
      assert.match(start.body.description ?? "", /start of the recorded history/, "the first hit counts 1: not >= 2");
      await dc.setBreakpointsRequest({ source: { path: CALLS }, breakpoints: [{ line: store, hitCondition: "==2" }] });
      await stopAfter(dc, cont(dc));
      assert.equal(await value(dc, "a0"), 2n, "forward, the second hit");
      await stopAfter(dc, stepBack(dc, "instruction"));
      const again = await stopAfter(dc, cont(dc));
      assert.equal(again.body.reason, "breakpoint", "the same hit re-executed keeps its count, 2");
      assert.equal(await value(dc, "a0"), 2n);
      await dc.setBreakpointsRequest({ source: { path: CALLS }, breakpoints: [{ line: store, hitCondition: "==1" }] });
      await stopAfter(dc, back(dc));
      assert.equal(await value(dc, "a0"), 1n, "a breakpoint set just now counts the hits of the past from the start of the history");
    });
  });

  test("Reverse Continue stops at the previous exception of a filter, and at the previous write of a data breakpoint", async () => {
    await withClient(async (dc) => {
      await atFinish(dc);
      await dc.setExceptionBreakpointsRequest({ filters: ["illegal-instruction"] });
      const trap = await stopAfter(dc, back(dc));
      assert.equal(trap.body.reason, "exception");
      assert.equal(await value(dc, "mcause"), 2n);
      assert.equal((await topFrame(dc)).line, lineOf(CALLS, "handler"));
      await dc.setExceptionBreakpointsRequest({ filters: [] });
      const info = await dc.dataBreakpointInfoRequest({ name: "counter" });
      await dc.setDataBreakpointsRequest({ breakpoints: [{ dataId: info.body.dataId!, accessType: "write" }] });
      const write = await stopAfter(dc, back(dc));
      assert.equal(write.body.reason, "data breakpoint");
      assert.equal(await value(dc, "*(u64*)counter"), 3n, "stopped right after the last store");
    });
  });

  test("Reverse Continue stops at the previous VM exit of a filter, with its condition, under trap-and-emulate", async () => {
    await withClient(async (dc) => {
      await atFinish(dc, { technique: "trap-and-emulate" });
      await dc.setExceptionBreakpointsRequest({ filters: [], filterOptions: [{ filterId: "vm-exit-csr-write", condition: 'csr == "mtvec"' }] });
      const stop = await stopAfter(dc, back(dc));
      assert.equal(stop.body.reason, "exception");
      assert.match(stop.body.description ?? "", /csr/i);
      assert.equal(await value(dc, "mtvec"), await value(dc, "trap_handler"), "just after the VMM emulated the write");
      assert.ok((await value(dc, "$instret")) < 10n);
    });
  });
});

describe("time travel: the debug console", () => {
  test("goto instr N travels to the point where N instructions had retired", async () => {
    await withClient(async (dc) => {
      await atFinish(dc);
      const stopped = dc.waitForEvent("stopped");
      const out = await repl(dc, "goto instr 5");
      assert.match(out, /instruction 5/);
      assert.equal(((await stopped) as DebugProtocol.StoppedEvent).body.reason, "goto");
      assert.equal(await value(dc, "$instret"), 5n);
      assert.match(await failing(dc.evaluateRequest({ expression: "goto instr 99999999", context: "repl" })), /not in the recorded history/);
    });
  });

  test("goto exit N travels to just before that exit", async () => {
    await withClient(async (dc) => {
      await atFinish(dc, { technique: "trap-and-emulate" });
      const csr = /^\s*(\d+)\s+csr-write\s+(0x[0-9a-f]+)/m.exec(await repl(dc, "exits csr-write 100"));
      assert.ok(csr, "the csrw mtvec exit is listed");
      const m = /^\s*(\d+)\s+mmio-write\s+(0x[0-9a-f]+)/m.exec(await repl(dc, "exits"));
      assert.ok(m, "a UART write exit is listed");
      await stopAfter(dc, () => dc.evaluateRequest({ expression: `goto exit ${csr[1]}`, context: "repl" }));
      assert.equal(await value(dc, "pc"), BigInt(csr[2]));
      assert.equal(await value(dc, "mtvec"), 0n, "the exit (csrw mtvec) has not happened");
      assert.match(await repl(dc, "x/1i pc"), /csrw\s+mtvec/);
      assert.doesNotMatch(await repl(dc, "exits"), /mmio-write/, "the exit log is the one of that moment");
      const before = await value(dc, "$instret");
      await stopAfter(dc, () => dc.evaluateRequest({ expression: `goto exit ${m[1]}`, context: "repl" }));
      assert.equal(await value(dc, "pc"), BigInt(m[2]));
      assert.ok((await value(dc, "$instret")) > before, "forward in time, too");
    });
  });

  test("lastwrite finds the most recent store to a variable and travels to it", async () => {
    await withClient(async (dc) => {
      await atFinish(dc);
      const stopped = dc.waitForEvent("stopped");
      const out = await repl(dc, "lastwrite counter");
      assert.match(out, /the last store to 8 bytes/);
      await stopped;
      assert.equal((await topFrame(dc)).line, lineOf(CALLS, "store"));
      assert.equal(await value(dc, "a0"), 3n);
      assert.equal(await value(dc, "*(u64*)counter"), 2n);
    });
  });

  test("history tells how far back one can go; writing in the past forks the timeline and says so", async () => {
    await withClient(async (dc) => {
      await atFinish(dc);
      assert.match(await repl(dc, "history"), /steps 0 … [\d,]+ recorded; now at step [\d,]+\n\d+ snapshots?, [\d.]+ MiB of 512\.0 MiB/);
      await stopAfter(dc, stepBack(dc, "instruction"));
      const said: string[] = [];
      dc.on("output", (e: DebugProtocol.OutputEvent) => said.push(e.body.output));
      await repl(dc, "s1 = 7");
      await value(dc, "s1");
      assert.ok(said.some((o) => /timeline forks here and its recorded future \(1 step\) is discarded/.test(o)), said.join(""));
      assert.match(await repl(dc, "history"), /now at step ([\d,]+)/);
      const h = /steps 0 … ([\d,]+) recorded; now at step ([\d,]+)/.exec(await repl(dc, "history"))!;
      assert.equal(h[1], h[2], "no future is left");
    });
  });

  test("hyperstep/history says how far back one can go and where the guest is", async () => {
    await withClient(async (dc) => {
      await atFinish(dc);
      const now = (await dc.customRequest("hyperstep/history")).body as { enabled: boolean; oldest: number; position: number; newest: number; bytes: number };
      assert.equal(now.enabled, true);
      assert.equal(now.oldest, 0);
      assert.ok(now.position > 0 && now.position === now.newest);
      assert.ok(now.bytes > 0);
      await stopAfter(dc, stepBack(dc, "instruction"));
      const past = (await dc.customRequest("hyperstep/history")).body as typeof now;
      assert.deepEqual([past.position, past.newest], [now.position - 1, now.newest]);
    });
  });

  test("with historyMiB 0 there is no time travel", async () => {
    await withClient(async (dc) => {
      await launch(dc, CALLS, { historyMiB: 0 });
      assert.match(await failing(dc.customRequest("stepBack", { threadId: 1 })), /historyMiB is 0/);
    });
  });
});

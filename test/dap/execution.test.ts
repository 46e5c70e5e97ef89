import { spawn } from "node:child_process";
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { DebugClient } from "@vscode/debugadapter-testsupport";
import type { DebugProtocol } from "@vscode/debugprotocol";
import { ADAPTER, failing, guest, launch, lineOf, stopAfter, topFrame, value, withClient } from "../support/dap";

const CALLS = guest("calls.S");
const SPIN = guest("spin.S");
const SLOWS_DOWN = guest("slows_down.S");
const T = { threadId: 1 };

/** A client of an adapter process the test starts itself, to see how that process ends. */
class SpawnedAdapterClient extends DebugClient {
  readonly adapter = spawn(process.execPath, [ADAPTER], { stdio: ["pipe", "pipe", "inherit"] });
  readonly exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    this.adapter.on("exit", (code, signal) => resolve({ code, signal })));

  constructor() {
    super(process.execPath, ADAPTER, "hyperstep");
    this.defaultTimeout = 10_000;
    this.connect(this.adapter.stdout, this.adapter.stdin);
  }
}

describe("stepping", () => {
  test("stepIn by instruction moves one instruction (2 or 4 bytes)", async () => {
    await withClient(async (dc) => {
      await launch(dc, CALLS);
      const pcs: bigint[] = [await value(dc, "pc")];
      for (let i = 0; i < 6; i++) {
        const stop = await stopAfter(dc, () => dc.stepInRequest({ ...T, granularity: "instruction" }));
        assert.equal(stop.body.reason, "step");
        pcs.push(await value(dc, "pc"));
      }
      for (let i = 1; i < pcs.length; i++) assert.ok([2n, 4n].includes(pcs[i] - pcs[i - 1]), `step ${i}: ${pcs[i - 1].toString(16)} → ${pcs[i].toString(16)}`);
      assert.equal(await value(dc, "$instret"), 6n);
    });
  });

  test("next by line steps over a call; stepIn by line enters it", async () => {
    await withClient(async (dc) => {
      await launch(dc, CALLS, {}, () => dc.setBreakpointsRequest({ source: { path: CALLS }, breakpoints: [{ line: lineOf(CALLS, "call-outer") }] }));
      await stopAfter(dc, () => dc.continueRequest(T));
      await stopAfter(dc, () => dc.nextRequest(T));
      assert.equal((await topFrame(dc)).line, lineOf(CALLS, "after-call"));
      assert.equal(await value(dc, "*(u64*)counter"), 1n, "outer and inner ran");
      await stopAfter(dc, () => dc.continueRequest(T));
      await stopAfter(dc, () => dc.stepInRequest(T));
      const frame = await topFrame(dc);
      assert.equal(frame.line, lineOf(CALLS, "outer"));
      assert.equal(frame.name, "outer");
    });
  });

  test("next by instruction over a call runs the call", async () => {
    await withClient(async (dc) => {
      await launch(dc, CALLS, {}, () => dc.setBreakpointsRequest({ source: { path: CALLS }, breakpoints: [{ line: lineOf(CALLS, "outer-body") }] }));
      await stopAfter(dc, () => dc.continueRequest(T));
      await stopAfter(dc, () => dc.nextRequest({ ...T, granularity: "instruction" }));
      assert.equal((await topFrame(dc)).line, lineOf(CALLS, "call-inner"));
      const callPc = await value(dc, "pc");
      await stopAfter(dc, () => dc.nextRequest({ ...T, granularity: "instruction" }));
      assert.ok((await value(dc, "pc")) > callPc);
      assert.equal((await topFrame(dc)).line, lineOf(CALLS, "after-inner"));
      assert.equal(await value(dc, "*(u64*)counter"), 1n);
    });
  });

  test("stepOut returns to the caller, from a leaf and from a function with a frame", async () => {
    await withClient(async (dc) => {
      await launch(dc, CALLS);
      await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: "inner" }] });
      await stopAfter(dc, () => dc.continueRequest(T));
      await dc.setFunctionBreakpointsRequest({ breakpoints: [] });
      await stopAfter(dc, () => dc.stepOutRequest(T));
      let frame = await topFrame(dc);
      assert.equal(frame.line, lineOf(CALLS, "after-inner"));
      await stopAfter(dc, () => dc.stepOutRequest(T));
      frame = await topFrame(dc);
      assert.equal(frame.line, lineOf(CALLS, "after-call"));
      assert.equal(await value(dc, "s1"), 0n, "still the first time round");
    });
  });

  test("next by line over an ecall runs the trap handler and comes back", async () => {
    await withClient(async (dc) => {
      await launch(dc, CALLS, {}, () => dc.setBreakpointsRequest({ source: { path: CALLS }, breakpoints: [{ line: lineOf(CALLS, "ecall") }] }));
      await stopAfter(dc, () => dc.continueRequest(T));
      await stopAfter(dc, () => dc.nextRequest(T));
      assert.equal((await topFrame(dc)).line, lineOf(CALLS, "finish"));
      assert.equal(await value(dc, "mcause"), 11n);
    });
  });

  test("stepIn by line into a trap, then stepOut of the handler runs to its mret", async () => {
    await withClient(async (dc) => {
      await launch(dc, CALLS, {}, () => dc.setBreakpointsRequest({ source: { path: CALLS }, breakpoints: [{ line: lineOf(CALLS, "ecall") }] }));
      await stopAfter(dc, () => dc.continueRequest(T));
      await stopAfter(dc, () => dc.stepInRequest(T));
      const st = await dc.stackTraceRequest(T);
      assert.equal(st.body.stackFrames[0].line, lineOf(CALLS, "handler"));
      assert.match(st.body.stackFrames[1].name, /trap taken here/);
      assert.equal(st.body.stackFrames[1].line, lineOf(CALLS, "ecall"));
      await stopAfter(dc, () => dc.stepOutRequest(T));
      assert.equal((await topFrame(dc)).line, lineOf(CALLS, "finish"));
    });
  });

  test("a breakpoint met during a line step stops there", async () => {
    await withClient(async (dc) => {
      await launch(dc, CALLS, {}, () => dc.setBreakpointsRequest({ source: { path: CALLS }, breakpoints: [{ line: lineOf(CALLS, "call-outer") }, { line: lineOf(CALLS, "store") }] }));
      await stopAfter(dc, () => dc.continueRequest(T));
      const stop = await stopAfter(dc, () => dc.nextRequest(T));
      assert.equal(stop.body.reason, "breakpoint");
      assert.equal((await topFrame(dc)).line, lineOf(CALLS, "store"));
    });
  });
});

describe("running", () => {
  test("continue runs to the end: UART output, exit code, terminated", async () => {
    await withClient(async (dc) => {
      const out: DebugProtocol.OutputEvent[] = [];
      dc.on("output", (e) => out.push(e as DebugProtocol.OutputEvent));
      await launch(dc, CALLS);
      const exited = dc.waitForEvent("exited");
      await Promise.all([dc.continueRequest(T), dc.waitForEvent("terminated")]);
      assert.equal((await exited).body.exitCode, 0);
      const uart = out.filter((e) => e.body.category === "stdout");
      assert.equal(uart.length, 1, "the UART text arrives batched, not one event per byte");
      assert.equal(uart[0].body.output, "calls done\n");
    });
  });

  test("without stopOnEntry the guest runs at once", async () => {
    await withClient(async (dc) => {
      await dc.initializeRequest();
      const exited = dc.waitForEvent("exited");
      await Promise.all([dc.configurationSequence(), dc.launch({ program: CALLS })]);
      assert.equal((await exited).body.exitCode, 0);
    });
  });

  test("pause stops a tight loop promptly", async () => {
    await withClient(async (dc) => {
      await launch(dc, SPIN);
      await dc.continueRequest(T);
      await new Promise((r) => setTimeout(r, 300));
      const t0 = performance.now();
      const stop = await stopAfter(dc, () => dc.pauseRequest(T));
      const ms = performance.now() - t0;
      assert.equal(stop.body.reason, "pause");
      assert.ok(ms < 500, `pause took ${ms.toFixed(0)} ms`);
      assert.equal((await topFrame(dc)).source?.path, SPIN);
      assert.ok((await value(dc, "$instret")) > 100_000n);
    });
  });

  for (const technique of ["native", "trap-and-emulate"]) {
    test(`${technique}: pause stays prompt when the guest slows down after fast code (a CSR access per turn)`, { timeout: 60_000 }, async () => {
      await withClient(async (dc) => {
        await launch(dc, SLOWS_DOWN, { technique });
        let uart = "";
        const slow = new Promise<number>((resolve) => dc.on("output", (e) => {
          uart += (e as DebugProtocol.OutputEvent).body.output;
          if (uart.includes("slow")) resolve(performance.now());
        }));
        const t0 = performance.now();
        await dc.continueRequest(T);
        // UART output reaches the client after the slice that wrote it: a slice sized on the fast
        // code went on for seconds of VM exits (9 s under trap-and-emulate) before it arrived.
        const slowAt = await slow;
        await new Promise((r) => setTimeout(r, 200));
        const t1 = performance.now();
        const stop = await stopAfter(dc, () => dc.pauseRequest(T));
        const pauseMs = performance.now() - t1;
        assert.equal(stop.body.reason, "pause");
        assert.ok([lineOf(SLOWS_DOWN, "slow"), lineOf(SLOWS_DOWN, "slow-back")].includes((await topFrame(dc)).line), "paused in the slow loop");
        // Generous margins, for a loaded CI machine: the fast part takes about 0.3 s.
        assert.ok(slowAt - t0 < 4000, `"slow" arrived after ${(slowAt - t0).toFixed(0)} ms`);
        assert.ok(pauseMs < 1000, `pause took ${pauseMs.toFixed(0)} ms`);
      });
    });
  }

  test("a hart waiting in wfi keeps the session alive, says so, and can be paused", async () => {
    await withClient(async (dc) => {
      const output: string[] = [];
      dc.on("output", (e) => output.push(e.body.output));
      await launch(dc, guest("wfi.S"));
      await dc.continueRequest(T);
      await new Promise((r) => setTimeout(r, 200));
      const stop = await stopAfter(dc, () => dc.pauseRequest(T));
      assert.equal(stop.body.reason, "pause");
      assert.match(output.join(""), /waits in wfi/);
      assert.equal((await topFrame(dc)).line, lineOf(guest("wfi.S"), "wfi") + 1);
    });
  });

  test("requests that need a stopped guest are refused while it runs", async () => {
    await withClient(async (dc) => {
      await launch(dc, SPIN);
      await dc.continueRequest(T);
      assert.match(await failing(dc.stepInRequest(T)), /running; pause it first/);
      assert.match(await failing(dc.stackTraceRequest(T)), /running/);
      assert.match(await failing(dc.evaluateRequest({ expression: "a0", context: "watch" })), /running/);
      await stopAfter(dc, () => dc.pauseRequest(T));
    });
  });

  test("a run longer than a second reports progress, and cancelling it pauses", async () => {
    await withClient(async (dc) => {
      await launch(dc, SPIN);
      const started = dc.waitForEvent("progressStart", 5000);
      await dc.continueRequest(T);
      const start = (await started) as DebugProtocol.ProgressStartEvent;
      assert.equal(start.body.cancellable, true);
      assert.match(start.body.message ?? "", /instructions/);
      await dc.waitForEvent("progressUpdate", 2000);
      const ended = dc.waitForEvent("progressEnd");
      const stop = await stopAfter(dc, () => dc.customRequest("cancel", { progressId: start.body.progressId }));
      assert.equal(stop.body.reason, "pause");
      await ended;
    });
  });

  test("maxInstructions stops the guest at the limit", async () => {
    await withClient(async (dc) => {
      await launch(dc, SPIN, { maxInstructions: 5000 });
      const stop = await stopAfter(dc, () => dc.continueRequest(T));
      assert.equal(stop.body.reason, "pause");
      assert.match(stop.body.description ?? "", /Instruction limit \(5000\)/);
      assert.equal(await value(dc, "$instret"), 5000n);
    });
  });

  test("terminate ends a running guest; stepping afterwards is refused", async () => {
    await withClient(async (dc) => {
      await launch(dc, SPIN);
      await dc.continueRequest(T);
      await Promise.all([dc.terminateRequest(), dc.waitForEvent("terminated")]);
      assert.match(await failing(dc.stepInRequest(T)), /no program is running/);
    });
  });

  test("pause when already stopped reports a stop; requests without a program fail", async () => {
    await withClient(async (dc) => {
      await dc.initializeRequest();
      assert.match(await failing(dc.continueRequest(T)), /no program/);
      assert.match(await failing(dc.stackTraceRequest(T)), /no program/);
      assert.match(await failing(dc.variablesRequest({ variablesReference: 1 })), /unknown variables reference/);
    });
    await withClient(async (dc) => {
      await launch(dc, CALLS);
      const stop = await stopAfter(dc, () => dc.pauseRequest(T));
      assert.equal(stop.body.reason, "pause");
    });
  });

  test("disconnect while running: answered, the run ends with no stop after it, and the adapter exits cleanly", async () => {
    const dc = new SpawnedAdapterClient();
    try {
      await launch(dc, SPIN);
      const running = dc.waitForEvent("progressStart", 5000);
      await dc.continueRequest(T);
      await running;
      const events: DebugProtocol.Event[] = [];
      for (const name of ["stopped", "terminated", "exited", "output", "progressStart", "progressUpdate", "progressEnd"]) dc.on(name, (e) => events.push(e));
      const runEnded = dc.waitForEvent("progressEnd");
      const response = await dc.disconnectRequest({});
      assert.equal(response.success, true);
      await runEnded;
      // Longer than the run's progress interval (250 ms): a guest still running would report again.
      await new Promise((r) => setTimeout(r, 600));
      const after = events.filter((e) => e.seq > response.seq).map((e) => e.event);
      assert.deepEqual(after, ["progressEnd"], "after the disconnect the run only closes its progress: no stop, no output, no more progress");
      // What a client does after disconnecting: close its end. The adapter exits, with status 0.
      dc.adapter.stdin.end();
      const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error("the adapter did not exit within 5 s")), 5000).unref());
      assert.deepEqual(await Promise.race([dc.exited, timeout]), { code: 0, signal: null });
    } finally {
      if (dc.adapter.exitCode === null) dc.adapter.kill();
    }
  });
});

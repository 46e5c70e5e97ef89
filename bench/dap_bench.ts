/**
 * The debug adapter's benchmark, driven over stdio by DebugClient exactly as VS Code drives it
 * (build first: `node scripts/build.mjs`; run: `npx tsx bench/dap_bench.ts [--json]`).
 *
 *  - stepIn round trip: the median time from sending `stepIn` (instruction granularity) to its
 *    `stopped` event, over STEPS steps of test/dap/guests/spin.S (target < 5 ms).
 *  - breakpoint overhead: wall time of `continue` → `exited` for test/dap/guests/dap_bench.S with
 *    100 source breakpoints (on code that never runs) and 4 data breakpoints (on memory nothing
 *    touches), divided by the same run with none (target ≤ 1.3×). Median of RUNS runs each.
 *  - disassemble: the median time of VS Code's request for 600 instructions (offset −200) around
 *    the pc (target < 20 ms).
 */
import * as path from "node:path";
import { DebugClient } from "@vscode/debugadapter-testsupport";
import type { DebugProtocol } from "@vscode/debugprotocol";
import { ADAPTER, CLIENT_CAPABILITIES, guest, lineOf } from "../test/support/dap";

const STEPS = 200;
const RUNS = 3;
const DISASSEMBLIES = 50;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function session<T>(program: string, configure: (dc: DebugClient) => Promise<unknown>, body: (dc: DebugClient) => Promise<T>): Promise<T> {
  const dc = new DebugClient("node", ADAPTER, "hyperstep");
  dc.defaultTimeout = 120_000;
  await dc.start();
  try {
    await dc.initializeRequest(CLIENT_CAPABILITIES);
    const stopped = dc.waitForEvent("stopped");
    await Promise.all([
      dc.waitForEvent("initialized").then(() => configure(dc)).then(() => dc.configurationDoneRequest()),
      dc.launchRequest({ program, stopOnEntry: true } as DebugProtocol.LaunchRequestArguments),
    ]);
    await stopped;
    return await body(dc);
  } finally {
    await dc.stop();
  }
}

async function stepRoundTrip(): Promise<number> {
  return session(guest("spin.S"), async () => {}, async (dc) => {
    const times: number[] = [];
    for (let i = 0; i < STEPS; i++) {
      const stopped = dc.waitForEvent("stopped");
      const t0 = performance.now();
      await dc.stepInRequest({ threadId: 1, granularity: "instruction" });
      await stopped;
      times.push(performance.now() - t0);
    }
    return median(times);
  });
}

async function runTime(withBreakpoints: boolean): Promise<number> {
  const file = guest("dap_bench.S");
  const dead = lineOf(file, "dead");
  return session(file, async (dc) => {
    if (!withBreakpoints) return;
    const bps = Array.from({ length: 100 }, (_, i) => ({ line: dead + 1 + i }));
    const r = await dc.setBreakpointsRequest({ source: { path: file }, breakpoints: bps });
    if (r.body.breakpoints.filter((b) => b.verified).length !== 100) throw new Error("not all 100 breakpoints were verified");
    const ids = [];
    for (let i = 0; i < 4; i++) ids.push((await dc.dataBreakpointInfoRequest({ name: `*(u64*)(watched + ${i * 8})` })).body.dataId!);
    const d = await dc.setDataBreakpointsRequest({ breakpoints: ids.map((dataId) => ({ dataId, accessType: "readWrite" as const })) });
    if (!d.body.breakpoints.every((b) => b.verified)) throw new Error("data breakpoints were not verified");
  }, async (dc) => {
    const exited = dc.waitForEvent("exited");
    const t0 = performance.now();
    await dc.continueRequest({ threadId: 1 });
    await exited;
    return performance.now() - t0;
  });
}

async function disassembleTime(): Promise<number> {
  return session(guest("calls.S"), async (dc) => dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: "inner" }] }), async (dc) => {
    const stopped = dc.waitForEvent("stopped");
    await dc.continueRequest({ threadId: 1 });
    await stopped;
    const ip = (await dc.stackTraceRequest({ threadId: 1 })).body.stackFrames[0].instructionPointerReference!;
    const times: number[] = [];
    for (let i = 0; i < DISASSEMBLIES; i++) {
      const t0 = performance.now();
      const r = await dc.disassembleRequest({ memoryReference: ip, instructionOffset: -200, instructionCount: 600, resolveSymbols: true });
      times.push(performance.now() - t0);
      if (r.body?.instructions.length !== 600) throw new Error("disassemble returned the wrong count");
    }
    return median(times);
  });
}

async function main(): Promise<void> {
  const step = await stepRoundTrip();
  const plain: number[] = [];
  const loaded: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    plain.push(await runTime(false));
    loaded.push(await runTime(true));
  }
  const disasm = await disassembleTime();
  const figures = {
    stepInRoundTripMs: step,
    runMs: { none: median(plain), breakpoints: median(loaded) },
    breakpointOverhead: median(loaded) / median(plain),
    disassemble600Ms: disasm,
  };
  if (process.argv.includes("--json")) {
    console.log(JSON.stringify(figures));
    return;
  }
  const ok = (good: boolean) => (good ? "ok" : "MISSED");
  console.log(`adapter: ${path.relative(process.cwd(), ADAPTER)}`);
  console.log(`stepIn round trip (median of ${STEPS}):          ${step.toFixed(2)} ms   target < 5 ms      ${ok(step < 5)}`);
  console.log(`run, no breakpoints (median of ${RUNS}):          ${figures.runMs.none.toFixed(0)} ms`);
  console.log(`run, 100 source + 4 data breakpoints:         ${figures.runMs.breakpoints.toFixed(0)} ms   ratio ${figures.breakpointOverhead.toFixed(2)}×   target ≤ 1.3×   ${ok(figures.breakpointOverhead <= 1.3)}`);
  console.log(`disassemble 600 instructions (median of ${DISASSEMBLIES}): ${disasm.toFixed(2)} ms   target < 20 ms     ${ok(disasm < 20)}`);
}

void main();

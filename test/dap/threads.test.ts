import assert from "node:assert/strict";
import { test } from "node:test";
import type { DebugClient } from "@vscode/debugadapter-testsupport";
import { guest, launch, lineOf, stopAfter, withClient } from "../support/dap";

const SMP = guest("smp.S");
const SMP_C = guest("smp_c.c");

/** The registers scope of thread `threadId`'s top frame, by name. */
async function registers(dc: DebugClient, threadId: number): Promise<Map<string, string>> {
  const frame = (await dc.stackTraceRequest({ threadId })).body.stackFrames[0];
  const scopes = (await dc.scopesRequest({ frameId: frame.id })).body.scopes;
  const regs = scopes.find((s) => s.name === "Registers")!;
  const vars = (await dc.variablesRequest({ variablesReference: regs.variablesReference })).body.variables;
  return new Map(vars.map((v) => [v.name, v.value]));
}

/** Natively each hart is a thread; under a VMM each vCPU is, and the guest sees the same. */
const HOSTS = [
  { technique: "native", thread: "hart" },
  { technique: "trap-and-emulate", thread: "vCPU" },
  { technique: "binary-translation", thread: "vCPU" },
  { technique: "hardware-assisted", thread: "vCPU" },
] as const;

/** The pc of the thread's guest frame (under a VMM, a step that exited shows the VMM's frame above it, on that thread). */
const pcOf = async (dc: DebugClient, threadId: number) =>
  (await dc.stackTraceRequest({ threadId })).body.stackFrames.find((f) => f.instructionPointerReference)?.instructionPointerReference;

for (const { technique, thread } of HOSTS) {
test(`smp under ${technique}: each ${thread} is a thread with its own stack and registers; a breakpoint stops all, on the one that hit it`, async () => {
  await withClient(async (dc) => {
    const entry = await launch(dc, SMP, { smp: 2, technique });
    assert.equal(entry.body.threadId, 1);
    assert.equal(entry.body.allThreadsStopped, true);
    assert.deepEqual((await dc.threadsRequest()).body.threads.map((t) => [t.id, t.name]), [[1, `${thread} 0`], [2, `${thread} 1`]]);
    const [h0, h1] = [await registers(dc, 1), await registers(dc, 2)];
    assert.deepEqual([h0.get("a0"), h1.get("a0")], ["0x0000000000000000", "0x0000000000000001"]);
    const frames = [(await dc.stackTraceRequest({ threadId: 1 })).body.stackFrames[0], (await dc.stackTraceRequest({ threadId: 2 })).body.stackFrames[0]];
    assert.notEqual(frames[0].id, frames[1].id);
    assert.deepEqual(frames.map((f) => f.line), [lineOf(SMP, "entry"), lineOf(SMP, "entry")]);

    await dc.setBreakpointsRequest({ source: { path: SMP }, breakpoints: [{ line: lineOf(SMP, "other") }] });
    const hit = await stopAfter(dc, () => dc.continueRequest({ threadId: 1 }));
    assert.deepEqual([hit.body.reason, hit.body.threadId, hit.body.allThreadsStopped], ["breakpoint", 2, true]);
    assert.equal((await dc.stackTraceRequest({ threadId: 2 })).body.stackFrames[0].line, lineOf(SMP, "other"));
    // Hart 0 ran its quantum first (1000 instructions: 2, then 499 rounds of its loop) and stopped too.
    assert.equal((await dc.stackTraceRequest({ threadId: 1 })).body.stackFrames[0].line, lineOf(SMP, "hart0"));
    assert.equal((await registers(dc, 1)).get("t1"), "0x00000000000001f3");
  });
});

test(`smp under ${technique}: a step steps the selected thread's ${thread}; the others stay where they are`, async () => {
  await withClient(async (dc) => {
    await launch(dc, SMP, { smp: 2, technique });
    const before = [await pcOf(dc, 1), await pcOf(dc, 2)];
    const stepped = await stopAfter(dc, () => dc.nextRequest({ threadId: 2, granularity: "instruction" }));
    assert.deepEqual([stepped.body.reason, stepped.body.threadId], ["step", 2]);
    assert.deepEqual([await pcOf(dc, 1), await pcOf(dc, 2)], [before[0], `0x${(BigInt(before[1]!) + 2n).toString(16).padStart(16, "0")}`]);
    await stopAfter(dc, () => dc.nextRequest({ threadId: 2, granularity: "instruction" }));
    assert.equal(await pcOf(dc, 1), before[0]);
    assert.equal((await registers(dc, 2)).get("s0"), "0x0000000000000001");
    assert.equal((await registers(dc, 1)).get("s0"), "0x0000000000000000");
  });
});
}

test("smp: C expressions read the selected thread's frame, on every hart", async () => {
  await withClient(async (dc) => {
    await launch(dc, SMP_C, { smp: 2 });
    await dc.setBreakpointsRequest({ source: { path: SMP_C }, breakpoints: [{ line: lineOf(SMP_C, "counted") }] });
    await stopAfter(dc, () => dc.continueRequest({ threadId: 1 }));
    // Both harts reach the line within their first quanta; run until each has stopped there.
    const stoppedAt = async (threadId: number) => (await dc.stackTraceRequest({ threadId })).body.stackFrames[0];
    while ((await stoppedAt(2)).line !== lineOf(SMP_C, "counted")) await stopAfter(dc, () => dc.continueRequest({ threadId: 1 }));
    const frame = await stoppedAt(2);
    const evaluate = async (expression: string) => (await dc.evaluateRequest({ expression, frameId: frame.id, context: "watch" })).body.result;
    assert.equal(await evaluate("hart"), "1");
    assert.equal(await evaluate("s->hart"), "1");
    assert.equal(await evaluate("s->count"), "10");
    assert.equal(await evaluate("s == &slots[1]"), "1");
  });
});

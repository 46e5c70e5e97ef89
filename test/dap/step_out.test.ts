import { test } from "node:test";
import assert from "node:assert/strict";
import type { DebugProtocol } from "@vscode/debugprotocol";
import path from "node:path";
import { launch, stopAfter, topFrame, withClient } from "../support/dap";
import { ROOT } from "../support/guests";

const SHADOW = path.join(ROOT, "sample-guests/shadow-paging/shadow_paging.S");
const T = { threadId: 1 };

test("Step Out of a function whose caller the stack cannot show stops after its return, and says why", async () => {
  await withClient(async (dc) => {
    await launch(dc, SHADOW, { technique: "trap-and-emulate" });
    // In show, after `call puts`: ra points back into show, and show keeps its own return address in s4.
    await dc.setBreakpointsRequest({ source: { path: SHADOW }, breakpoints: [{ line: 121 }] });
    await stopAfter(dc, () => dc.continueRequest(T));
    assert.deepEqual((await dc.stackTraceRequest(T)).body.stackFrames.map((f) => f.name), ["show+0xa"], "the stack shows no caller");
    await dc.setBreakpointsRequest({ source: { path: SHADOW }, breakpoints: [] });
    const said = dc.waitForEvent("output") as Promise<DebugProtocol.OutputEvent>;
    const started = performance.now();
    const stop = await stopAfter(dc, () => dc.stepOutRequest(T));
    assert.ok(performance.now() - started < 5000, "it does not run away");
    assert.equal(stop.body.reason, "step");
    assert.match((await said).body.output, /^Step Out: the caller of show is not known .*stopping after its next return/);
    const frame = await topFrame(dc);
    assert.equal(frame.line, 100, "back in the caller just after the first `call show` (line 99), not after a later one");
  });
});

import { test } from "node:test";
import assert from "node:assert/strict";
import { guest, launch, stopAfter, withClient } from "../support/dap";

const LOOP = guest("trap_loop.S");

test("a guest stuck in a trap loop stops the run with a clear reason, not silently", async () => {
  await withClient(async (dc) => {
    await launch(dc, LOOP);
    const started = performance.now();
    const stop = await stopAfter(dc, () => dc.continueRequest({ threadId: 1 }));
    assert.ok(performance.now() - started < 5000, "found at once, not after seconds of trapping");
    assert.equal(stop.body.reason, "exception");
    assert.match(stop.body.description ?? "", /^Trap loop: 4096 traps in a row without a retired instruction, the last fetch-access at 0x0$/);
    const info = await dc.exceptionInfoRequest({ threadId: 1 });
    assert.equal(info.body.exceptionId, "Trap loop");
    assert.match(info.body.description ?? "", /^Trap loop: the guest took 4096 traps in a row/);
    assert.match(info.body.description ?? "", /Instruction access fault/);
  });
});

import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { launch, stopAfter, topFrame, withClient } from "../support/dap";
import { ROOT } from "../support/guests";

const SHADOW = path.join(ROOT, "sample-guests/shadow-paging/shadow_paging.S");
const T = { threadId: 1 };

async function stopAtLine(dc: Parameters<Parameters<typeof withClient>[0]>[0], line: number, technique: string) {
  await launch(dc, SHADOW, { technique });
  await dc.setBreakpointsRequest({ source: { path: SHADOW }, breakpoints: [{ line }] });
  await stopAfter(dc, () => dc.continueRequest(T));
  await dc.setBreakpointsRequest({ source: { path: SHADOW }, breakpoints: [] });
}

test("Step Into Target offers the VMM's emulation of a line's sensitive instruction, and goes there", async () => {
  await withClient(async (dc) => {
    await stopAtLine(dc, 100, "trap-and-emulate"); // csrw satp,s3
    const { targets } = (await dc.customRequest("stepInTargets", { frameId: 0 })).body;
    assert.deepEqual(targets.map((t: { label: string }) => t.label), ["VMM: emulate csrw satp,s3"]);
    const stop = await stopAfter(dc, () => dc.stepInRequest({ ...T, targetId: targets[0].id }));
    assert.match(stop.body.description ?? "", /^Inside the VMM: emulated csrrw: virtual satp/);
    assert.match((await topFrame(dc)).name, /vmm: emulate/);
  });
});

test("Step Into Target offers a line's call, and under hardware assistance says when an instruction did not exit", async () => {
  await withClient(async (dc) => {
    await stopAtLine(dc, 102, "hardware-assisted"); // call show
    const { targets } = (await dc.customRequest("stepInTargets", { frameId: 0 })).body;
    assert.equal(targets.length, 1);
    assert.match(targets[0].label, /^Into the call: jalr/);
    await stopAfter(dc, () => dc.stepInRequest({ ...T, targetId: targets[0].id }));
    assert.match((await topFrame(dc)).name, /^show/, "in the function it calls");
  });
  await withClient(async (dc) => {
    await stopAtLine(dc, 100, "hardware-assisted"); // csrw satp in VS-mode: no exit
    const { targets } = (await dc.customRequest("stepInTargets", { frameId: 0 })).body;
    const stop = await stopAfter(dc, () => dc.stepInRequest({ ...T, targetId: targets[0].id }));
    assert.equal(stop.body.description, "csrw satp,s3 ran without a VM exit: the hardware executed it for the guest");
    assert.equal((await topFrame(dc)).line, 101);
  });
});

import assert from "node:assert/strict";
import * as path from "node:path";
import { test } from "node:test";
import type { DebugClient } from "@vscode/debugadapter-testsupport";
import { launch, lineOf, repl, stopAfter, withClient } from "../support/dap";
import { ROOT } from "../support/guests";

const LESSON = path.join(ROOT, "sample-guests/two-vms/two_vms.S");
/** The lesson's "two-vms: mixed techniques" configuration: alpha under trap-and-emulate, beta under hardware assistance. */
const MIXED = {
  technique: "trap-and-emulate", memory: "1M", hostMemory: "16736K", pageSharing: { scanPagesPerTick: 64 },
  vms: [{ name: "alpha" }, { name: "beta", technique: "hardware-assisted" }],
};

const lineOn = async (dc: DebugClient, threadId: number) => (await dc.stackTraceRequest({ threadId })).body.stackFrames[0].line;

test("several VMs: each vCPU is a thread named for its VM; a breakpoint holds in every VM and stops on the VM's thread that reached it", async () => {
  await withClient(async (dc) => {
    const entry = await launch(dc, LESSON, MIXED);
    assert.equal(entry.body.threadId, 1);
    assert.deepEqual((await dc.threadsRequest()).body.threads.map((t) => [t.id, t.name]), [[1, "alpha · vCPU 0"], [2, "beta · vCPU 0"]]);
    await dc.setBreakpointsRequest({ source: { path: LESSON }, breakpoints: [{ line: lineOf(LESSON, "booted") }] });
    const first = await stopAfter(dc, () => dc.continueRequest({ threadId: 1 }));
    assert.deepEqual([first.body.reason, first.body.threadId], ["breakpoint", 1], "alpha boots in its first slice");
    assert.equal(await lineOn(dc, 1), lineOf(LESSON, "booted"));
    assert.notEqual(await lineOn(dc, 2), lineOf(LESSON, "booted"), "beta has not booted yet");
    const second = await stopAfter(dc, () => dc.continueRequest({ threadId: 1 }));
    assert.deepEqual([second.body.reason, second.body.threadId], ["breakpoint", 2], "then beta, in its slice");
    assert.equal(await lineOn(dc, 2), lineOf(LESSON, "booted"));
    // Each thread's views are its VM's: beta runs under hardware assistance, alpha under trap-and-emulate.
    const frame = (await dc.stackTraceRequest({ threadId: 2 })).body.stackFrames[0];
    const stats = (await dc.evaluateRequest({ expression: "stats", context: "repl", frameId: frame.id })).body.result;
    // Every VM's totals, then the selected thread's VM's exits: beta's, under hardware assistance (guest-page faults).
    assert.match(stats, /^VM +instructions +exits +exit cycles +world switches\nalpha +\d+ +\d+ +\d+ +[1-9]\d*\nbeta +\d+ +\d+ +\d+ +\d+\nall VMs /);
    assert.match(stats, /beta \(the selected thread's VM\):\nreason[^]*guest-page-fault/);
    // $instret is the selected thread's VM's, as the stats table counts it.
    const counted = Object.fromEntries([...stats.matchAll(/^(alpha|beta) +(\d+)/gm)].map((m) => [m[1], m[2]]));
    for (const [threadId, vm] of [[1, "alpha"], [2, "beta"]] as const) {
      const top = (await dc.stackTraceRequest({ threadId })).body.stackFrames[0];
      assert.equal((await dc.evaluateRequest({ expression: "$instret", context: "watch", frameId: top.id, format: { hex: false } })).body.result, counted[vm], vm);
    }
    assert.notEqual(counted.alpha, counted.beta);
    assert.match(await repl(dc, "sharing"), /page sharing/);
  });
});

test("several VMs: a world-switch exception breakpoint with a condition on the VM stops when that VM leaves the host hart", async () => {
  await withClient(async (dc) => {
    await launch(dc, LESSON, MIXED, () =>
      dc.setExceptionBreakpointsRequest({ filters: [], filterOptions: [{ filterId: "vm-exit-world-switch", condition: 'vm == "beta"' }] }));
    const stop = await stopAfter(dc, () => dc.continueRequest({ threadId: 1 }));
    assert.deepEqual([stop.body.reason, stop.body.threadId], ["exception", 2]);
    assert.match(stop.body.description ?? "", /world switch/);
    const info = await dc.exceptionInfoRequest({ threadId: 2 });
    assert.match(info.body.description ?? "", /beta's time slice is over/);
    // A step of alpha's thread runs alpha alone; beta stays where it left off.
    const betaLine = await lineOn(dc, 2);
    const stepped = await stopAfter(dc, () => dc.nextRequest({ threadId: 1, granularity: "instruction" }));
    assert.equal(stepped.body.threadId, 1);
    assert.equal(await lineOn(dc, 2), betaLine);
  });
});

test("several VMs: `host` draws the host's RAM with each frame's VM, and frames that pages of both VMs share", async () => {
  await withClient(async (dc) => {
    await launch(dc, LESSON, MIXED);
    await dc.setBreakpointsRequest({ source: { path: LESSON }, breakpoints: [{ line: lineOf(LESSON, "worked") }] });
    const stop = await stopAfter(dc, () => dc.continueRequest({ threadId: 1 }));
    assert.equal(stop.body.threadId, 1);
    const host = await repl(dc, "host");
    assert.match(host, /alpha: the VMM: shadow-table pool/);
    assert.match(host, /beta: the VMM: the technique's pool \(G-stage table/);
    assert.match(host, /shared by 2 guest pages: GPA alpha 0x800[0-9a-f]+, beta 0x800[0-9a-f]+/);
    const body = (await dc.customRequest("hyperstep/host")).body as { runs: { owner: string; vms?: string[] }[] };
    assert.ok(body.runs.some((r) => r.owner === "shared" && r.vms?.includes("alpha") && r.vms.includes("beta")), "the Host view's runs name both VMs");
  });
});

test("several VMs: time travel takes the whole host back, to the last breakpoint any VM reached, and forward again the same way", async () => {
  await withClient(async (dc) => {
    await launch(dc, LESSON, MIXED);
    await dc.setBreakpointsRequest({ source: { path: LESSON }, breakpoints: [{ line: lineOf(LESSON, "booted") }, { line: lineOf(LESSON, "worked") }] });
    const hits: [number | undefined, number][] = [];
    for (let i = 0; i < 3; i++) {
      const stop = await stopAfter(dc, () => dc.continueRequest({ threadId: 1 }));
      hits.push([stop.body.threadId, await lineOn(dc, stop.body.threadId!)]);
    }
    assert.deepEqual(hits, [[1, lineOf(LESSON, "booted")], [2, lineOf(LESSON, "booted")], [1, lineOf(LESSON, "worked")]]);
    const stats = await repl(dc, "stats");
    const back = await stopAfter(dc, () => dc.reverseContinueRequest({ threadId: 1 }));
    assert.deepEqual([back.body.threadId, await lineOn(dc, 2)], [2, lineOf(LESSON, "booted")], "back at beta's boot");
    assert.notEqual(await lineOn(dc, 1), lineOf(LESSON, "worked"), "alpha is back before its work");
    const again = await stopAfter(dc, () => dc.continueRequest({ threadId: 1 }));
    assert.deepEqual([again.body.threadId, await lineOn(dc, 1)], [1, lineOf(LESSON, "worked")]);
    assert.equal(await repl(dc, "stats"), stats, "the same exits, counts and cycles as the first time");
  });
});

import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import type { DevicesBody, HostBody } from "../../src/debug/custom_requests";
import { launch, repl, stopAfter, withClient } from "../support/dap";

const DIR = path.join(__dirname, "../../sample-guests/ballooning");
const PROGRAM = path.join(DIR, "ballooning.S");

test("ballooning: `balloon 256K` in the console, and hyperstep/host and hyperstep/devices show the 64 pages in the balloon and their frames free", async () => {
  await withClient(async (dc) => {
    await launch(dc, PROGRAM, { technique: "hardware-assisted", memory: "2M", hostMemory: "9540K", balloon: true }, () =>
      dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: "inflated" }] }));
    // Set before the driver is ready: the driver reads num_pages once it is.
    assert.match(await repl(dc, "balloon 256K"), /^balloon target set to 64 pages \(256 KiB\) \(num_pages 64\)/);
    const stop = await stopAfter(dc, () => dc.continueRequest({ threadId: 1 }));
    assert.equal(stop.body.reason, "breakpoint");
    const host = (await dc.customRequest("hyperstep/host")).body as HostBody;
    assert.deepEqual(host.balloon, { targetPages: 64, actual: 64, pages: 64, runs: [{ gpa: "0x800c6000", pages: 64 }], framesFreed: 64 });
    assert.deepEqual(host.runs.filter((r) => r.owner === "free").map((r) => r.frames), [64, 59]);
    const devices = (await dc.customRequest("hyperstep/devices")).body as DevicesBody;
    const balloon = devices.devices.find((d) => d.id === "virtio6")!;
    assert.equal(balloon.label, "virtio-mmio 6: balloon");
    const pages = balloon.nodes.find((n) => n.label === "pages in the balloon")!;
    assert.equal(pages.value, "64 (256 KiB)");
    assert.deepEqual(pages.children?.map((c) => [c.label, c.value, c.memoryReference]), [["0x800c6000", "64 pages, to 0x80105fff", "gpa:0x800c6000"]]);
    assert.equal(await repl(dc, "balloon"), [
      "balloon target 64 pages (256 KiB); the driver says it holds 64 pages (256 KiB) (actual)",
      "guest pages in the balloon: 64, GPA 0x800c6000–0x80105fff",
      "host frames freed by inflated pages: 64 frames (256 KiB)",
    ].join("\n"));
  });
});

test("ballooning with several VMs: `balloon beta 256K` inflates beta's balloon alone, and the frames it frees are the host's for either VM", async () => {
  await withClient(async (dc) => {
    await launch(dc, PROGRAM, { technique: "hardware-assisted", memory: "2M", balloon: true, vms: [{ name: "alpha" }, { name: "beta", technique: "trap-and-emulate" }] }, () =>
      dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: "inflated" }] }));
    assert.match(await repl(dc, "balloon beta 256K"), /^balloon target set to 64 pages \(256 KiB\)/);
    await assert.rejects(repl(dc, "balloon gamma 256K"), /'gamma' is not a VM: the VMs are alpha, beta/);
    const stop = await stopAfter(dc, () => dc.continueRequest({ threadId: 1 }));
    assert.deepEqual([stop.body.reason, stop.body.threadId], ["breakpoint", 2], "beta's driver inflates; alpha's balloon stays empty");
    assert.match(await repl(dc, "balloon beta"), /^balloon target 64 pages \(256 KiB\); the driver says it holds 64 pages/);
    assert.match(await repl(dc, "balloon alpha"), /^balloon target 0 pages \(0 KiB\); the driver says it holds 0 pages/);
    const host = (await dc.customRequest("hyperstep/host")).body as HostBody;
    assert.equal(host.runs.filter((r) => r.owner === "free").reduce((n, r) => n + r.frames, 0), 64, "beta's 64 frames, free for either VM");
  });
});

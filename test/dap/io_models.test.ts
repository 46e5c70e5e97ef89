import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import type { DevicesBody } from "../../src/debug/custom_requests";
import { failing, launch, stopAfter, withClient } from "../support/dap";

const DIR = path.join(__dirname, "../../sample-guests/io-models");
const PROGRAM = path.join(DIR, "io_models.S");
const DEVICES = { cwd: DIR, disk: { path: "disk.img", snapshot: true }, virtioConsole: true };

test("io-models, split: a virtio-notify breakpoint stops on the disk batch, and the Devices view shows the ring from both sides", async () => {
  await withClient(async (dc) => {
    await launch(dc, PROGRAM, { ...DEVICES, technique: "trap-and-emulate", deviceModel: "split" }, () =>
      dc.setExceptionBreakpointsRequest({ filters: [], filterOptions: [{ filterId: "vm-exit-virtio-notify", condition: "chains == 4" }] }));
    const stop = await stopAfter(dc, () => dc.continueRequest({ threadId: 1 }));
    assert.equal(stop.body.reason, "exception");
    assert.match(stop.body.description ?? "", /^VM exit \d+: virtio notify/);
    const body = (await dc.customRequest("hyperstep/devices")).body as DevicesBody;
    const blk = body.devices.find((d) => d.id === "virtio0")!;
    const model = blk.nodes.find((n) => n.label === "device model")!;
    assert.match(model.value ?? "", /^split:/);
    assert.equal(model.children?.[0].value, "driver: available 4 · backend: seen 4, used 4 · 0 waiting");
    const console = body.devices.find((d) => d.id === "virtio1")!;
    assert.equal(console.label, "virtio-mmio 1: console");
  });
});

test("io-models: deviceModel passthrough of the console fails the launch, naming the attribute", async () => {
  await withClient(async (dc) => {
    await dc.initializeRequest();
    const message = await failing(dc.launchRequest({ program: PROGRAM, ...DEVICES, technique: "trap-and-emulate", deviceModel: { "virtio-console": "passthrough" } } as never));
    assert.match(message, /'deviceModel' "passthrough" is for virtio-blk only .*not virtio-console/);
  });
});

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { ROOT } from "../support/guests";
import { failing, launch, repl, stopAfter, withClient } from "../support/dap";

const LESSON = path.join(ROOT, "sample-guests", "iommu");
const GUEST = path.join(LESSON, "iommu.S");
const PASSTHROUGH = { technique: "trap-and-emulate", deviceModel: "passthrough", disk: { path: path.join(LESSON, "disk.img"), snapshot: true } };

describe("the iommu lesson: a passed-through disk and a refused DMA", () => {
  test("the IOMMU-fault filter stops on the rogue DMA; the Devices view and `iommu` show the fault record", async () => {
    await withClient(async (dc) => {
      await launch(dc, GUEST, PASSTHROUGH, () =>
        dc.setExceptionBreakpointsRequest({ filters: [], filterOptions: [{ filterId: "vm-exit-iommu-fault" }] }));
      await stopAfter(dc, () => dc.continueRequest({ threadId: 1 }));
      const info = (await dc.exceptionInfoRequest({ threadId: 1 })).body;
      assert.match(info.exceptionId, /^VM exit \d+: IOMMU fault$/);
      assert.match(info.description!, /refused virtio0's DMA write at guest-physical 0x88000000/);
      const iommu = await repl(dc, "iommu");
      assert.match(iommu, /^RISC-V IOMMU \(iommu\) at 0x3010000\n {2}ddtp: 0x[0-9a-f]+ \(1LVL, table at 0x[0-9a-f]+\)\n/);
      assert.match(iommu, /\n {2}faults: 1\n {4}fault 1: write\/AMO guest-page fault \(23\), device 0, IOVA 0x88000000\n/);
      assert.match(iommu, /\n {2}fault queue: head 1, tail 1 of 128/);
      assert.match(await repl(dc, "info devices virtio0"), /^virtio-mmio 0: blk \(passed through\) \(virtio0\)/);
    });
  });

  test("`iommu` says why it has nothing to show without pass-through; pass-through natively fails the launch", async () => {
    await withClient(async (dc) => {
      await launch(dc, GUEST, { technique: "trap-and-emulate" });
      assert.match(await repl(dc, "iommu"), /^iommu shows the IOMMU of a device passed through to the guest/);
    });
    await withClient(async (dc) => {
      await dc.initializeRequest();
      const error = await failing(dc.launchRequest({ program: GUEST, ...PASSTHROUGH, technique: "native" } as never));
      assert.match(error, /'deviceModel' "passthrough" needs a VMM technique/);
    });
  });
});

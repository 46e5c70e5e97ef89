import * as assert from "node:assert/strict";
import * as path from "node:path";
import * as vscode from "vscode";
import type { MarkedNode } from "../../../src/extension/panels/device_changes";
import { screenshot } from "./screenshot";
import { endSession, startStopped } from "./session";
import { until } from "./wait";

/** Every node of the Devices tree, depth first. */
const flat = (nodes: readonly MarkedNode[]): MarkedNode[] => nodes.flatMap((n) => [n, ...flat(n.children)]);

describe("the io-models lesson under the split device model", () => {
  let session: vscode.DebugSession;
  // Before each disk batch (written, then read back), and before the console's line.
  const breakpoints = [new vscode.FunctionBreakpoint("blk_batch"), new vscode.FunctionBreakpoint("console_puts")];
  type State = { devices: MarkedNode[]; devicesExpanded: string[] };
  const state = async () => (await vscode.commands.executeCommand("hyperstep.panelState")) as State;
  const model = (s: State) => flat(s.devices).find((n) => n.key.startsWith("virtio0") && n.key.endsWith("device model"));

  before(async () => {
    const lesson = path.join(vscode.workspace.workspaceFolders![0].uri.fsPath, "io-models");
    session = await startStopped({
      type: "hyperstep", request: "launch", name: "io-models split", program: path.join(lesson, "io_models.S"), cwd: lesson,
      technique: "trap-and-emulate", disk: { path: "disk.img", snapshot: true }, virtioConsole: true, deviceModel: "split",
    }, breakpoints, "a stop at the first blk_batch");
  });

  after(() => endSession(session, breakpoints));

  it("Devices shows virtio-blk's shared ring from both sides: the driver's available index and the backend's", async () => {
    await vscode.commands.executeCommand("workbench.view.debug");
    // Room in the side bar for the picture: hide the debug views it does not need.
    const available = new Set(await vscode.commands.getCommands(true));
    for (const view of ["workbench.debug.watchExpressionsView", "workbench.debug.loadedScriptsView", "workbench.debug.breakPointsView", "workbench.debug.variablesView"]) {
      if (available.has(`${view}.removeView`)) await vscode.commands.executeCommand(`${view}.removeView`);
    }
    await vscode.commands.executeCommand("hyperstep.devices.focus");
    const first = await until("the Devices tree at the first batch", async () => ((await state()).devices.length ? await state() : undefined));
    assert.deepEqual(first.devicesExpanded, [], "nothing changed yet: every device collapsed, so that the whole board fits");

    // The second batch: the first one's four chains went through the shared ring.
    await vscode.commands.executeCommand("workbench.action.debug.continue");
    const second = await until("the first batch in virtio-blk's model", async () => {
      const s = await state();
      return model(s)?.children[0]?.value?.startsWith("driver: available 4") ? s : undefined;
    });
    assert.equal(model(second)!.children[0]!.value, "driver: available 4 · backend: seen 4, used 4 · 0 waiting");
    await until("virtio-blk, where most changed, expanded", async () => ((await state()).devicesExpanded.includes("virtio0") ? true : undefined));
    await screenshot("panel-devices-split");

    await vscode.commands.executeCommand("workbench.action.debug.continue");
    const last = await until("both batches in virtio-blk's model", async () => {
      const s = await state();
      return model(s)?.children[0]?.value?.startsWith("driver: available 8") ? s : undefined;
    });
    assert.match(model(last)!.value ?? "", /^split:/);
    assert.equal(model(last)!.children[0]!.value, "driver: available 8 · backend: seen 8, used 8 · 0 waiting", "two batches of 4 chains: written, then read back");
  });
});

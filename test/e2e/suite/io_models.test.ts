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
  // After the disk batch (written and read back), before the console's line.
  const breakpoint = new vscode.FunctionBreakpoint("console_puts");

  before(async () => {
    const lesson = path.join(vscode.workspace.workspaceFolders![0].uri.fsPath, "io-models");
    session = await startStopped({
      type: "hyperstep", request: "launch", name: "io-models split", program: path.join(lesson, "io_models.S"), cwd: lesson,
      technique: "trap-and-emulate", disk: { path: "disk.img", snapshot: true }, virtioConsole: true, deviceModel: "split",
    }, [breakpoint], "a stop at console_puts");
  });

  after(() => endSession(session, [breakpoint]));

  it("Devices shows virtio-blk's shared ring from both sides: the driver's available index and the backend's", async () => {
    await vscode.commands.executeCommand("workbench.view.debug");
    // Room in the side bar for the picture: hide the debug views it does not need.
    const available = new Set(await vscode.commands.getCommands(true));
    for (const view of ["workbench.debug.watchExpressionsView", "workbench.debug.loadedScriptsView", "workbench.debug.breakPointsView", "workbench.debug.variablesView"]) {
      if (available.has(`${view}.removeView`)) await vscode.commands.executeCommand(`${view}.removeView`);
    }
    await vscode.commands.executeCommand("hyperstep.devices.focus");
    const model = await until("virtio-blk's device model in the Devices tree", async () => {
      const s = (await vscode.commands.executeCommand("hyperstep.panelState")) as { devices: MarkedNode[] };
      return flat(s.devices).find((n) => n.key.startsWith("virtio0") && n.key.endsWith("device model"));
    });
    assert.match(model.value ?? "", /^split:/);
    assert.equal(model.children[0]?.value, "driver: available 8 · backend: seen 8, used 8 · 0 waiting", "two batches of 4 chains: written, then read back");
    await screenshot("panel-devices-split");
  });
});

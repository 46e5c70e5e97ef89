import * as assert from "node:assert/strict";
import * as path from "node:path";
import * as vscode from "vscode";
import type { WireHostRun } from "../../../src/debug/custom_requests";
import { screenshot } from "./screenshot";
import { endSession, startStopped } from "./session";
import { showHostView } from "./side_bar";
import { until } from "./wait";

describe("the Host view on the page-sharing lesson", () => {
  let session: vscode.DebugSession;
  // The guest has filled its pages and waited while the VMM scanned them all.
  const breakpoint = new vscode.FunctionBreakpoint("shared_now");

  before(async () => {
    const lesson = path.join(vscode.workspace.workspaceFolders![0].uri.fsPath, "page-sharing");
    session = await startStopped({
      type: "hyperstep", request: "launch", name: "page-sharing", program: path.join(lesson, "page_sharing.S"), cwd: lesson,
      technique: "trap-and-emulate", memory: "1M", pageSharing: { scanPagesPerTick: 64 },
    }, [breakpoint], "a stop at shared_now");
  });

  after(() => endSession(session, [breakpoint]));

  it("shows the host's RAM by owner: the shadow pool, the guest's 256 pages on 3 frames (two of them shared), and 253 free frames", async () => {
    await showHostView();
    const runs = await until("the Host view's runs", async () => {
      const s = (await vscode.commands.executeCommand("hyperstep.panelState")) as { host: WireHostRun[] };
      return s.host.length ? s.host : undefined;
    });
    assert.deepEqual(runs.map((r) => [r.hpa, r.frames, r.owner, r.gpas.length]), [
      ["0x80000000", 2048, "shadow-pool", 0],
      ["0x80800000", 1, "guest", 1],
      ["0x80801000", 1, "shared", 247],
      ["0x80802000", 1, "shared", 8],
      ["0x80803000", 253, "free", 0],
    ]);
    assert.deepEqual(runs[3].gpas, ["0x80002000", "0x80003000", "0x80004000", "0x80005000", "0x80006000", "0x80007000", "0x80008000", "0x80009000"], "the lesson's 8 pattern pages");
    await vscode.commands.executeCommand("list.expand");
    await screenshot("panel-host");
  });
});

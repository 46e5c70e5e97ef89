import * as assert from "node:assert/strict";
import * as path from "node:path";
import * as vscode from "vscode";
import type { WireHostRun, WireSwap } from "../../../src/debug/custom_requests";
import { screenshot } from "./screenshot";
import { endSession, startStopped } from "./session";
import { revealLastHostRow, showHostView } from "./side_bar";
import { until } from "./wait";

describe("the Host view on the double-paging lesson", () => {
  let session: vscode.DebugSession;
  // The kernel is about to page out its coldest page, which the VMM swapped out before it.
  const breakpoint = new vscode.FunctionBreakpoint("pageout");

  before(async () => {
    const lesson = path.join(vscode.workspace.workspaceFolders![0].uri.fsPath, "double-paging");
    session = await startStopped({
      type: "hyperstep", request: "launch", name: "double-paging", program: path.join(lesson, "double_paging.S"), cwd: lesson,
      technique: "trap-and-emulate", memory: "1M", hostMemory: "8216K", hostSwap: "64K",
    }, [breakpoint], "a stop at pageout");
  });

  after(() => endSession(session, [breakpoint]));

  it("shows the swap area with the 3 guest pages the VMM swapped out, no free frame, and the Debug Console's swap agrees", async () => {
    await showHostView();
    const state = async () => (await vscode.commands.executeCommand("hyperstep.panelState")) as { host: WireHostRun[]; swap?: WireSwap };
    const shown = await until("the Host view's swap area", async () => {
      const s = await state();
      return s.swap ? s : undefined;
    });
    assert.deepEqual(shown.swap, { usedBytes: 12 * 1024, sizeBytes: 64 * 1024, swapped: ["0x80002000", "0x80003000", "0x80004000"] });
    assert.equal(shown.host.filter((r) => r.owner === "free").length, 0, "every host frame is in use: that is why the VMM swapped");
    const answer = (await session.customRequest("evaluate", { expression: "swap", context: "repl" })).result as string;
    assert.match(answer, /^swap area: 12 KiB of 64 KiB used \(3 of 16 pages\)$/m);
    assert.match(answer, /^3 guest pages swapped out: GPA 0x80002000, 0x80003000, 0x80004000$/m);
    // The swap area's row is the tree's last: in sight, opened on its pages.
    await revealLastHostRow();
    await screenshot("panel-host-swap");
  });
});

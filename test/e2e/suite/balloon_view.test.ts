import * as assert from "node:assert/strict";
import * as path from "node:path";
import * as vscode from "vscode";
import type { WireBalloon, WireHostRun } from "../../../src/debug/custom_requests";
import { screenshot } from "./screenshot";
import { endSession, startStopped } from "./session";
import { revealLastHostRow, showHostView } from "./side_bar";
import { nextEvent, until } from "./wait";

describe("the Host view on the ballooning lesson", () => {
  let session: vscode.DebugSession;
  // The driver has touched its pool and waits for a target; it stops again once it has inflated.
  const breakpoints = [new vscode.FunctionBreakpoint("waiting"), new vscode.FunctionBreakpoint("inflated")];

  before(async () => {
    const lesson = path.join(vscode.workspace.workspaceFolders![0].uri.fsPath, "ballooning");
    session = await startStopped({
      type: "hyperstep", request: "launch", name: "ballooning", program: path.join(lesson, "ballooning.S"), cwd: lesson,
      technique: "trap-and-emulate", memory: "2M", hostMemory: "9472K", balloon: true,
    }, breakpoints, "a stop at waiting");
  });

  after(() => endSession(session, breakpoints));

  it("after `balloon 256K` in the Debug Console, shows the 64 freed host frames and the balloon's 64 guest pages", async () => {
    await showHostView();
    const state = async () => (await vscode.commands.executeCommand("hyperstep.panelState")) as { host: WireHostRun[]; balloon?: WireBalloon };
    const before = await until("the Host view's balloon row", async () => (await state()).balloon);
    assert.deepEqual([before.pages, before.targetPages, before.actual], [0, 0, 0], "nothing ballooned at waiting");
    const answer = (await session.customRequest("evaluate", { expression: "balloon 256K", context: "repl" })).result as string;
    assert.match(answer, /^balloon target set to 64 pages \(256 KiB\)/);
    const stopped = nextEvent(vscode.debug.onDidChangeActiveStackItem, (item) => item instanceof vscode.DebugStackFrame, 20_000, "the stop at inflated");
    await vscode.commands.executeCommand("workbench.action.debug.continue");
    await stopped;
    const after = await until("the balloon's 64 pages in the Host view", async () => {
      const s = await state();
      return s.balloon?.pages === 64 ? s : undefined;
    });
    assert.deepEqual(after.balloon, { targetPages: 64, actual: 64, pages: 64, runs: [{ gpa: "0x800c6000", pages: 64 }], framesFreed: 64 });
    assert.ok(after.host.some((r) => r.owner === "free" && r.hpa === "0x808c2000" && r.frames === 64), "the pool's top 64 frames are free");
    // The balloon's row is the tree's last: in sight, opened on its pages.
    await revealLastHostRow();
    await screenshot("panel-host-balloon");
  });
});

import * as assert from "node:assert/strict";
import * as path from "node:path";
import * as vscode from "vscode";
import { click, screenshot } from "./screenshot";
import { nextEvent, within } from "./wait";

const EVENT_MS = 20_000;

describe("Step Into Target", () => {
  it("steps from a line into the VMM's emulation of its csrw satp", async () => {
    const folder = vscode.workspace.workspaceFolders![0];
    const program = path.join(folder.uri.fsPath, "shadow-paging", "shadow_paging.S");
    const breakpoint = new vscode.SourceBreakpoint(new vscode.Location(vscode.Uri.file(program), new vscode.Position(99, 0))); // csrw satp, s3
    vscode.debug.addBreakpoints([breakpoint]);
    try {
      const stopped = nextEvent(vscode.debug.onDidChangeActiveStackItem, (i) => i instanceof vscode.DebugStackFrame, EVENT_MS, "the stop at csrw satp");
      assert.equal(await within(EVENT_MS, vscode.debug.startDebugging(folder, {
        type: "hyperstep", request: "launch", name: "step targets", program, technique: "trap-and-emulate", stopOnEntry: false,
      }), "startDebugging"), true);
      const session = (await stopped)!.session;
      const inside = nextEvent(vscode.debug.onDidChangeActiveStackItem, (i) => i instanceof vscode.DebugStackFrame && i.frameId !== undefined, EVENT_MS, "the step into the VMM");
      // The editor's context menu command: it shows a menu of the line's targets.
      void vscode.commands.executeCommand("editor.debug.action.stepIntoTargets");
      await click("step-into-target", "text=VMM: emulate csrw satp,s3");
      await inside;
      const trace = (await session.customRequest("stackTrace", { threadId: 1 })) as { stackFrames: { name: string }[] };
      assert.equal(trace.stackFrames[0].name, "vmm: emulate csrw satp,s3");
      await screenshot("step-into-target-vmm");
      const ended = nextEvent(vscode.debug.onDidTerminateDebugSession, (s) => s.id === session.id, EVENT_MS, "the session to end");
      await vscode.debug.stopDebugging(session);
      await ended;
    } finally {
      vscode.debug.removeBreakpoints([breakpoint]);
    }
  });
});

import * as assert from "node:assert/strict";
import * as vscode from "vscode";
import { firstGuest } from "./guest";
import { screenshot } from "./screenshot";
import { nextEvent, within } from "./wait";

const EVENT_MS = 20_000;

interface Frame {
  line: number;
  instructionPointerReference?: string;
}

async function topFrame(session: vscode.DebugSession): Promise<Frame> {
  const trace = (await session.customRequest("stackTrace", { threadId: 1 })) as { stackFrames: Frame[] };
  return trace.stackFrames[0];
}

/** Runs a debug toolbar command and waits for VS Code to focus the frame it stopped in. */
async function stopAfter(command: string): Promise<void> {
  const focused = nextEvent(vscode.debug.onDidChangeActiveStackItem, (i) => i instanceof vscode.DebugStackFrame, EVENT_MS, `the stop after ${command}`);
  await vscode.commands.executeCommand(command);
  await focused;
}

describe("time travel", () => {
  it("Step Back and Reverse Continue from VS Code's debug toolbar commands", async () => {
    const { folder, guest } = await firstGuest();
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(guest));
    const stopped = nextEvent(vscode.debug.onDidChangeActiveStackItem, (i) => i instanceof vscode.DebugStackFrame, EVENT_MS, "the stop on entry");
    assert.equal(await within(EVENT_MS, vscode.debug.startDebugging(folder, {
      type: "hyperstep", request: "launch", name: "time travel", program: guest.fsPath, stopOnEntry: true,
    }), "startDebugging"), true);
    const session = (await stopped)!.session;
    try {
      const entry = await topFrame(session);
      const seen: Frame[] = [entry];
      for (let i = 0; i < 3; i++) {
        await stopAfter("workbench.action.debug.stepOver");
        seen.push(await topFrame(session));
      }
      await stopAfter("workbench.action.debug.stepBack");
      assert.deepEqual(await topFrame(session), seen[2], "one line back");
      await vscode.commands.executeCommand("workbench.view.debug");
      await screenshot("time-travel-step-back");
      // No breakpoints: Reverse Continue goes back to where the history begins, the entry.
      await stopAfter("workbench.action.debug.reverseContinue");
      assert.deepEqual(await topFrame(session), entry);
    } finally {
      const ended = nextEvent(vscode.debug.onDidTerminateDebugSession, (s) => s.id === session.id, EVENT_MS, "the session to end");
      await vscode.debug.stopDebugging(session);
      await ended;
    }
  });
});

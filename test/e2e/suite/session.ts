import * as assert from "node:assert/strict";
import * as vscode from "vscode";
import { nextEvent, within } from "./wait";

const EVENT_MS = 20_000;

/** Sets `breakpoints`, launches `config` in the workspace folder, and waits for its first stop (`what` names it in a time-out). */
export async function startStopped(config: vscode.DebugConfiguration, breakpoints: vscode.Breakpoint[], what: string): Promise<vscode.DebugSession> {
  await vscode.commands.executeCommand("workbench.action.closeAllEditors");
  vscode.debug.addBreakpoints(breakpoints);
  const stopped = nextEvent(vscode.debug.onDidChangeActiveStackItem, (item) => item !== undefined, EVENT_MS, what);
  assert.equal(await within(EVENT_MS, vscode.debug.startDebugging(vscode.workspace.workspaceFolders![0], config), "startDebugging"), true);
  return (await stopped)!.session;
}

/** Ends the session, removes the breakpoints it was started with, and closes the editors. */
export async function endSession(session: vscode.DebugSession, breakpoints: vscode.Breakpoint[]): Promise<void> {
  const ended = nextEvent(vscode.debug.onDidTerminateDebugSession, (s) => s.id === session.id, EVENT_MS, "the session to end");
  await vscode.debug.stopDebugging(session);
  await ended;
  vscode.debug.removeBreakpoints(breakpoints);
  await vscode.commands.executeCommand("workbench.action.closeAllEditors");
}

import * as assert from "node:assert/strict";
import { statSync } from "node:fs";
import * as path from "node:path";
import type { DebugProtocol } from "@vscode/debugprotocol";
import * as vscode from "vscode";
import { firstGuest } from "./guest";
import { screenshot } from "./screenshot";
import { nextEvent, within } from "./wait";

const EVENT_MS = 15_000;

interface AdapterMessage {
  session: vscode.DebugSession;
  message: DebugProtocol.ProtocolMessage;
}

/** What the debug adapter sends VS Code, seen through a tracker exactly as VS Code receives it. */
const fromAdapter = new vscode.EventEmitter<AdapterMessage>();

function isStoppedOnEntry(m: DebugProtocol.ProtocolMessage): boolean {
  return m.type === "event" && (m as DebugProtocol.Event).event === "stopped" && (m as DebugProtocol.StoppedEvent).body.reason === "entry";
}

function isLaunchResponse(m: DebugProtocol.ProtocolMessage): boolean {
  return m.type === "response" && (m as DebugProtocol.Response).command === "launch";
}

describe("debugging a guest", () => {
  let folder: vscode.WorkspaceFolder;
  let guest: vscode.Uri;
  let tracker: vscode.Disposable;

  before(async () => {
    ({ folder, guest } = await firstGuest());
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(guest));
    tracker = vscode.debug.registerDebugAdapterTrackerFactory("hyperstep", {
      createDebugAdapterTracker: (session) => ({ onDidSendMessage: (message) => fromAdapter.fire({ session, message }) }),
    });
  });

  after(() => tracker.dispose());

  it("stops on entry, then terminates when stopped", async () => {
    const stopped = nextEvent(fromAdapter.event, ({ message }) => isStoppedOnEntry(message), EVENT_MS, "a 'stopped' event with reason 'entry'");
    // VS Code focuses the top frame only when it has a source to show; otherwise it focuses the thread.
    const focused = nextEvent(vscode.debug.onDidChangeActiveStackItem, (item) => item !== undefined, EVENT_MS, "VS Code to focus the stopped thread");

    const started = await within(EVENT_MS, vscode.debug.startDebugging(folder, {
      type: "hyperstep", request: "launch", name: "e2e", program: guest.fsPath, stopOnEntry: true,
    }), "startDebugging");
    assert.equal(started, true, "startDebugging reported failure");

    const { session } = await stopped;
    assert.equal(session.type, "hyperstep");
    const item = await focused;
    assert.equal(item?.session.id, session.id);

    // Show the Run and Debug view, so the picture holds the call stack and the registers.
    await vscode.commands.executeCommand("workbench.view.debug");
    const png = await screenshot("stopped-on-entry");
    if (png) assert.ok(statSync(png).size > 0, `${png} is empty`);

    const terminated = nextEvent(vscode.debug.onDidTerminateDebugSession, (s) => s.id === session.id, EVENT_MS, "the session to terminate");
    await vscode.debug.stopDebugging(session);
    await terminated;
    assert.equal(vscode.debug.activeDebugSession, undefined);
  });

  const missing: [string, Record<string, unknown>][] = [
    ["no program", {}],
    ["a program that does not exist", { program: path.join(path.sep, "no", "such", "guest.S") }],
  ];
  for (const [what, fields] of missing) {
    it(`fails to launch with ${what}, naming 'program'`, async () => {
      const response = nextEvent(fromAdapter.event, ({ message }) => isLaunchResponse(message), EVENT_MS, "the adapter's response to 'launch'");

      // VS Code shows the adapter's error in a dialog. Under test it refuses to open dialogs, and
      // startDebugging rejects with the dialog's text instead of resolving to false.
      const outcome = await within(EVENT_MS, vscode.debug.startDebugging(folder, {
        type: "hyperstep", request: "launch", name: `e2e: ${what}`, stopOnEntry: true, ...fields,
      }).then((started) => ({ started, error: undefined }), (error: unknown) => ({ started: false, error })), "startDebugging to give up");
      assert.equal(outcome.started, false, "startDebugging reported success");
      if (outcome.error) assert.match(String(outcome.error), /'program'/);

      const launch = (await response).message as DebugProtocol.LaunchResponse;
      assert.equal(launch.success, false);
      assert.match(launch.message ?? "", /'program'/);
      assert.equal(vscode.debug.activeDebugSession, undefined);
    });
  }
});

import * as assert from "node:assert/strict";
import * as vscode from "vscode";
import { nextEvent, within } from "./wait";

const EVENT_MS = 20_000;

describe("the lessons in the default workspace (sample-guests/)", () => {
  it("every lesson is in the Run and Debug dropdown, and starts by name with its technique", async () => {
    const folder = vscode.workspace.workspaceFolders![0];
    const configurations = vscode.workspace.getConfiguration("launch", folder).get<{ name: string; program: string }[]>("configurations") ?? [];
    // A lesson is a folder with a README (other suites may leave scratch folders behind).
    const folders = (await vscode.workspace.fs.readDirectory(folder.uri)).filter(([name, type]) => type === vscode.FileType.Directory && !name.startsWith(".")).map(([name]) => name);
    const lessons = [];
    for (const name of folders) {
      if (await vscode.workspace.fs.stat(vscode.Uri.joinPath(folder.uri, name, "README.md")).then(() => true, () => false)) lessons.push(name);
    }
    assert.ok(lessons.length >= 9, `lessons found: ${lessons.join(", ")}`);
    for (const lesson of lessons) {
      assert.ok(configurations.some((c) => c.name.startsWith(`${lesson} (`)), `no configuration for ${lesson}: ${configurations.map((c) => c.name).join(", ")}`);
    }
    assert.equal(configurations[0].name, "hello (native)", "F5 starts the first lesson");
    const stopped = nextEvent(vscode.debug.onDidChangeActiveStackItem, (item) => item !== undefined, EVENT_MS, "the lesson to stop on entry");
    assert.equal(await within(EVENT_MS, vscode.debug.startDebugging(folder, "shadow-paging (trap-and-emulate)"), "startDebugging"), true);
    const session = (await stopped)!.session;
    assert.equal(session.configuration.technique, "trap-and-emulate");
    const exits = (await session.customRequest("hyperstep/exits", { count: 1 })) as { available: boolean };
    assert.equal(exits.available, true, "the guest runs under the VMM");
    const ended = nextEvent(vscode.debug.onDidTerminateDebugSession, (s) => s.id === session.id, EVENT_MS, "the session to end");
    await vscode.debug.stopDebugging(session);
    await ended;
  });
});

describe("the walkthrough's commands", () => {
  it("Start a Lesson starts the named lesson, and the Glossary opens", async () => {
    const stopped = nextEvent(vscode.debug.onDidChangeActiveStackItem, (item) => item !== undefined, EVENT_MS, "hello to stop on entry");
    await vscode.commands.executeCommand("hyperstep.startLesson", "hello (native)");
    const session = (await stopped)!.session;
    assert.equal(session.configuration.name, "hello (native)");
    const ended = nextEvent(vscode.debug.onDidTerminateDebugSession, (s) => s.id === session.id, EVENT_MS, "the session to end");
    await vscode.debug.stopDebugging(session);
    await ended;
    await vscode.commands.executeCommand("hyperstep.showGlossary", "vm-exit");
    await within(EVENT_MS, new Promise<void>((resolve) => {
      const seen = () => vscode.window.tabGroups.all.some((g) => g.tabs.some((t) => /glossary/i.test(t.label)));
      if (seen()) return resolve();
      const sub = vscode.window.tabGroups.onDidChangeTabs(() => seen() && (sub.dispose(), resolve()));
    }), "the glossary's tab");
    await vscode.commands.executeCommand("workbench.action.closeAllEditors");
  });
});

import * as assert from "node:assert/strict";
import * as path from "node:path";
import * as vscode from "vscode";
import type { RenderReport } from "../../../src/extension/panels/page_tables_panel";
import { click, screenshot } from "./screenshot";
import { nextEvent, until, within } from "./wait";

const EVENT_MS = 20_000;

describe("the VM Exits view", () => {
  let session: vscode.DebugSession;
  const breakpoint = new vscode.FunctionBreakpoint("show");

  before(async () => {
    await vscode.commands.executeCommand("workbench.action.closeAllEditors");
    vscode.debug.addBreakpoints([breakpoint]);
    const program = path.join(vscode.workspace.workspaceFolders![0].uri.fsPath, "shadow-paging", "shadow_paging.S");
    const stopped = nextEvent(vscode.debug.onDidChangeActiveStackItem, (item) => item !== undefined, EVENT_MS, "a stop in show");
    assert.equal(await within(EVENT_MS, vscode.debug.startDebugging(vscode.workspace.workspaceFolders![0], {
      type: "hyperstep", request: "launch", name: "exits view", program, technique: "trap-and-emulate", stopOnEntry: false,
    }), "startDebugging"), true);
    session = (await stopped)!.session;
  });

  after(async () => {
    const ended = nextEvent(vscode.debug.onDidTerminateDebugSession, (s) => s.id === session.id, EVENT_MS, "the session to end");
    await vscode.debug.stopDebugging(session);
    await ended;
    vscode.debug.removeBreakpoints([breakpoint]);
    await vscode.commands.executeCommand("workbench.action.closeAllEditors");
  });

  it("clicking an exit shows its guest pc's source line, in a remote VS Code too", async () => {
    await vscode.commands.executeCommand("workbench.action.closeAllEditors");
    await vscode.commands.executeCommand("workbench.view.debug");
    await vscode.commands.executeCommand("hyperstep.exits.focus");
    await until("exits in the VM Exits view", async () => {
      const s = (await vscode.commands.executeCommand("hyperstep.panelState")) as { exits?: RenderReport };
      return s.exits && s.exits.summary.columns[0]?.listRows > 0 ? s.exits : undefined;
    });
    const { exits } = (await session.customRequest("hyperstep/exits", { count: 1 })) as { exits: { pc: string }[] };
    const { instructions } = (await session.customRequest("disassemble", { memoryReference: exits[0].pc, instructionCount: 1, resolveSymbols: true })) as { instructions: { line?: number }[] };
    const line = instructions[0].line!;
    assert.ok(line > 0, "the first exit's pc has a source line");
    const opened = nextEvent(vscode.window.onDidChangeActiveTextEditor, (e) => e?.document.uri.path.endsWith("shadow_paging.S") === true, EVENT_MS, "the source to open");
    await click("first-exit", ".exit");
    const editor = (await opened)!;
    assert.equal(editor.document.uri.scheme, vscode.workspace.workspaceFolders![0].uri.scheme, "the workspace's own URI, not a file: URI built from a remote one");
    assert.equal(editor.selection.active.line + 1, line);
    await screenshot("panel-vm-exits-reveal");
  });

  it("an exit's ⟲ travels back to just before it, and every view shows that moment", async () => {
    await vscode.commands.executeCommand("hyperstep.exits.focus");
    const { exits } = (await session.customRequest("hyperstep/exits", { count: 1 })) as { exits: { seq: number; pc: string; instret: string }[] };
    const stopped = nextEvent(vscode.debug.onDidChangeActiveStackItem, (i) => i instanceof vscode.DebugStackFrame, EVENT_MS, "the stop before the exit");
    await click("first-exit-goto", ".exit .goto");
    await stopped;
    const pc = (await session.customRequest("evaluate", { expression: "pc", context: "watch" })) as { result: string };
    assert.equal(BigInt(pc.result), BigInt(exits[0].pc));
    const h = (await session.customRequest("hyperstep/history", {})) as { position: number; newest: number };
    assert.ok(h.position < h.newest, "the guest is in its past");
    const after = (await session.customRequest("hyperstep/exits", { count: 0 })) as { total: number };
    assert.equal(after.total, exits[0].seq - 1, "the exit log is that of the moment before the exit");
    await screenshot("panel-vm-exits-goto");
  });
});

describe("the VM Exits view after the guest ends", () => {
  it("keeps the ended run's exits until the next session starts", async () => {
    const program = path.join(vscode.workspace.workspaceFolders![0].uri.fsPath, "uart-mmio", "uart_mmio.S");
    const ended = nextEvent(vscode.debug.onDidTerminateDebugSession, (s) => s.name === "exits after the end", EVENT_MS, "the guest to end");
    assert.equal(await within(EVENT_MS, vscode.debug.startDebugging(vscode.workspace.workspaceFolders![0], {
      type: "hyperstep", request: "launch", name: "exits after the end", program, technique: "trap-and-emulate", stopOnEntry: false,
    }), "startDebugging"), true);
    await ended;
    assert.equal(vscode.debug.activeDebugSession, undefined, "no session is left");
    // As a student would: the Debug Console had the panel while the guest ran.
    await vscode.commands.executeCommand("hyperstep.exits.focus");
    const report = await until("the ended run's exits in the VM Exits view", async () => {
      const s = (await vscode.commands.executeCommand("hyperstep.panelState")) as { exits?: RenderReport };
      return s.exits?.summary.columns[0]?.label === "exits of exits after the end, which has ended" ? s.exits : undefined;
    });
    assert.ok(report.summary.columns[0].listRows > 10, "the list shows them");
    assert.ok(report.summary.columns[0].entries > 10, `the UART guest's register accesses (${report.summary.columns[0].entries})`);
    await screenshot("panel-vm-exits-ended");
  });
});

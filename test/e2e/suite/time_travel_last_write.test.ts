import * as assert from "node:assert/strict";
import * as path from "node:path";
import * as vscode from "vscode";
import type { MemorySummary, RenderSummary } from "../../../src/webview/model/messages";
import { click, rightClick, screenshot } from "./screenshot";
import { nextEvent, within } from "./wait";

const EVENT_MS = 20_000;

interface PanelState {
  memory: MemorySummary[];
  pageTables?: { summary: RenderSummary };
}

const panels = async () => (await vscode.commands.executeCommand("hyperstep.panelState")) as PanelState;

/** Polls the panels' reports until `test` accepts them. */
async function until(what: string, test: (s: PanelState) => boolean): Promise<void> {
  const deadline = Date.now() + EVENT_MS;
  while (!test(await panels())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The item of VS Code's context menu with this title (the workbench draws it, in a shadow root Playwright's CSS reaches). */
const menuItem = (title: string) => `.monaco-menu .action-item .action-label:has-text("${title}")`;

// Runs after panels.test.ts (the files run in name order): the panels keep their last report, which
// that file reads as its own session's.
describe("Go to Last Write in the panels' context menus (shadow-paging, trap-and-emulate)", () => {
  let session: vscode.DebugSession;
  const breakpoints: vscode.Breakpoint[] = [new vscode.FunctionBreakpoint("m_trap")];
  const program = () => path.join(vscode.workspace.workspaceFolders![0].uri.fsPath, "shadow-paging", "shadow_paging.S");
  const value = async (expression: string) => BigInt((await session.customRequest("evaluate", { expression, context: "watch" })).result);
  const repl = async (expression: string) => (await session.customRequest("evaluate", { expression, context: "repl" })).result as string;
  /** Waits for the stop that `action` causes. */
  const stopAfter = async (what: string, action: () => Thenable<unknown>) => {
    const stopped = nextEvent(vscode.debug.onDidChangeActiveStackItem, (item) => item instanceof vscode.DebugStackFrame, EVENT_MS, `a stop after ${what}`);
    await action();
    await stopped;
  };
  /** Back at the end of the run (m_trap, after the S-mode edit of l0_a[0]), from wherever in its past. */
  const toTheEnd = () => stopAfter("continue", () => vscode.commands.executeCommand("workbench.action.debug.continue"));
  /** The debugger is at the S-mode store that edited l0_a[0], just before it. */
  const atTheEdit = async () => {
    assert.equal(await value("$priv"), 1n, "in S-mode, not at the M-mode build of the table");
    assert.match(await repl("x/1i pc"), /sd\s+t1,\s*0\(t0\)/);
    assert.equal(await value("t1"), await value("((page_c >> 12) << 10) | 0xc7"), "about to store the PTE for page_c");
  };

  before(async () => {
    await vscode.commands.executeCommand("workbench.action.closeAllEditors");
    vscode.debug.addBreakpoints(breakpoints);
    const stopped = nextEvent(vscode.debug.onDidChangeActiveStackItem, (item) => item !== undefined, EVENT_MS, "a stop in m_trap");
    assert.equal(await within(EVENT_MS, vscode.debug.startDebugging(vscode.workspace.workspaceFolders![0], {
      type: "hyperstep", request: "launch", name: "last write", program: program(), technique: "trap-and-emulate", stopOnEntry: false,
    }), "startDebugging"), true);
    session = (await stopped)!.session;
  });

  after(async () => {
    const ended = nextEvent(vscode.debug.onDidTerminateDebugSession, (s) => s.id === session.id, EVENT_MS, "the session to end");
    await vscode.debug.stopDebugging(session);
    await ended;
    vscode.debug.removeBreakpoints(breakpoints);
    await vscode.commands.executeCommand("workbench.action.closeAllEditors");
  });

  it("Memory panel: right-click a byte of the PTE, Go to Last Write of This 8-Byte Word", async () => {
    await vscode.commands.executeCommand("workbench.action.closeSidebar");
    const l0 = await value("l0_a");
    await vscode.commands.executeCommand("hyperstep.showMemory", "gpa:l0_a");
    await until("the Memory panel at l0_a", (s) => s.memory[0]?.address !== undefined && BigInt(s.memory[0].address) === l0 && s.memory[0].rows.length > 0);
    // The PTE's third byte: the word that holds it is the PTE.
    await rightClick("memory-byte", `.mrow[data-addr="0x${l0.toString(16)}"] .hex .b[data-off="2"]`);
    await screenshot("last-write-memory-menu");
    await stopAfter("Go to Last Write", () => click("memory-last-write", menuItem("Go to Last Write of This 8-Byte Word")));
    await atTheEdit();
  });

  it("Page Tables panel: right-click the guest's PTE row, Go to Last Write of This PTE", async () => {
    await toTheEnd();
    const l0 = await value("l0_a");
    // The walk of TEST_VA opens the guest table down to its leaf, l0_a[0].
    await vscode.commands.executeCommand("hyperstep.showPageTables", "0x40000000");
    await until("the walk of 0x40000000 in the Page Tables panel", (s) => (s.pageTables?.summary.walk.length ?? 0) > 0);
    await rightClick("pte-row", `.row[data-vscode-context*=':0x${l0.toString(16)}"']`);
    await screenshot("last-write-pte-menu");
    await stopAfter("Go to Last Write", () => click("pte-last-write", menuItem("Go to Last Write of This PTE")));
    await atTheEdit();
  });
});

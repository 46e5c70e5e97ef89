import * as assert from "node:assert/strict";
import * as path from "node:path";
import * as vscode from "vscode";
import type { TranslationCacheBody } from "../../../src/debug/custom_requests";
import type { RenderReport } from "../../../src/extension/panels/page_tables_panel";
import { click, screenshot } from "./screenshot";
import { endSession, startStopped } from "./session";
import { nextEvent, until } from "./wait";

/** Polls the Translation Cache panel's render report until `test` accepts it. */
function untilReport(what: string, test: (r: RenderReport) => boolean): Promise<RenderReport> {
  return until(what, async () => {
    const { translationCache } = (await vscode.commands.executeCommand("hyperstep.panelState")) as { translationCache?: RenderReport };
    return translationCache && test(translationCache) ? translationCache : undefined;
  });
}

describe("the Translation Cache panel", () => {
  const program = () => path.join(vscode.workspace.workspaceFolders![0].uri.fsPath, "binary-translation", "binary_translation.S");
  const atPrint = new vscode.FunctionBreakpoint("print_decimal");

  it("lists the blocks and their chains, shows one beside its translation, and reveals a guest pc in the source", async function () {
    this.timeout(60_000);
    // A breakpoint keeps the VMM stepping through the TC, which chains nothing: stop instead at the
    // kernel's first UART write (a VM exit), after its 100 rounds ran chained.
    const session = await startStopped({ type: "hyperstep", request: "launch", name: "tc panel", program: program(), technique: "binary-translation", stopOnEntry: true }, [], "the stop on entry");
    try {
      await session.customRequest("setExceptionBreakpoints", { filters: [], filterOptions: [{ filterId: "vm-exit-mmio-write" }] });
      const stopped = nextEvent(vscode.debug.onDidChangeActiveStackItem, (i) => i instanceof vscode.DebugStackFrame, 20_000, "the first UART write");
      await vscode.commands.executeCommand("workbench.action.debug.continue");
      await stopped;
      await vscode.commands.executeCommand("workbench.action.closeSidebar");
      await vscode.commands.executeCommand("workbench.action.closePanel");
      await vscode.commands.executeCommand("hyperstep.showTranslationCache");
      const tc = (await session.customRequest("hyperstep/translationCache", {})) as TranslationCacheBody;
      assert.ok(tc.blocks.length >= 2, `the kernel's code is translated (${tc.blocks.length} blocks)`);
      const report = await untilReport("the blocks", (r) => r.summary.columns[0].listRows > 0);
      const [blocks, lines] = report.summary.columns;
      assert.equal(blocks.listRows, tc.blocks.length, "a row per block");
      assert.ok(blocks.rows.some((r) => r.includes("add_round")), "the helper's block, by its symbol");
      assert.ok(report.summary.header.includes(`${tc.stats!.blocks}blocks`), `the block count on top: ${report.summary.header.join(" / ")}`);
      const addRound = tc.blocks.find((b) => b.symbol === "add_round")!;
      assert.equal(addRound.runs, 100, "the helper ran once a round, chained");
      assert.ok(blocks.rows.some((r) => r.split(" | ")[1] === "add_round" && r.split(" | ")[4] === "100"), `its runs in the list: ${blocks.rows.join(" / ")}`);
      assert.equal(lines.label.startsWith(`Block ${tc.blocks[0].guestPc}`), true, "the most recently used block is shown");
      assert.equal(lines.listRows, tc.blocks[0].rows.length, "a line per TC word");
      assert.ok(lines.rows.some((r) => /rewritten — (callout|stub|branch|chained)/.test(r)), `a rewritten word says why: ${lines.rows.join(" / ")}`);
      assert.ok(tc.stats!.chains > 0, "the loop ran chained");
      assert.ok(report.summary.header.includes(`${tc.stats!.chains}chains`), `the chain count on top: ${report.summary.header.join(" / ")}`);
      assert.ok(blocks.rows.some((r) => /^0x[0-9a-f]+ (in 0x[0-9a-f]+ )?[a-z_]/.test(r.split(" | ").at(-1) ?? "")), `a block names where its chain goes: ${blocks.rows.join(" / ")}`);
      await screenshot("panel-translation-cache");

      const { instructions } = (await session.customRequest("disassemble", { memoryReference: tc.blocks[0].guestPc, instructionCount: 1, resolveSymbols: true })) as { instructions: { line?: number }[] };
      const line = instructions[0].line!;
      assert.ok(line > 0, "the block's first guest instruction has a source line");
      // The source is already open beside the panel: the click moves its cursor, no new editor need open.
      await vscode.commands.executeCommand("workbench.action.focusFirstEditorGroup");
      await vscode.window.showTextDocument(vscode.window.activeTextEditor!.document, { selection: new vscode.Range(0, 0, 0, 0) });
      await click("tc-guest-pc", "table.translation a.pc");
      await until("the block's source line", () => {
        const e = vscode.window.activeTextEditor;
        return e?.document.uri.path.endsWith("binary_translation.S") && e.selection.active.line + 1 === line ? e : undefined;
      });
      await screenshot("panel-translation-cache-reveal");
      // Another block, chosen in the list, is shown beside its translation.
      await click("tc-second-block", "table.blocks tr.block:nth-of-type(3)");
      await untilReport("the second block", (r) => r.summary.columns[1].label.startsWith(`Block ${tc.blocks[1].guestPc}`));
    } finally {
      await endSession(session, []);
    }
  });

  it("says the cache exists under binary-translation only", async () => {
    const session = await startStopped({ type: "hyperstep", request: "launch", name: "tc panel native", program: program(), technique: "native", stopOnEntry: false }, [atPrint], "a stop in print_decimal");
    try {
      await vscode.commands.executeCommand("hyperstep.showTranslationCache");
      await untilReport("the message", (r) => r.summary.header.some((h) => h.includes("exists under binary-translation only")));
      await screenshot("panel-translation-cache-native");
    } finally {
      await endSession(session, [atPrint]);
    }
  });
});

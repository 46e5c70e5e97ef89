import * as assert from "node:assert/strict";
import * as path from "node:path";
import * as vscode from "vscode";
import type { RenderReport } from "../../../src/extension/panels/page_tables_panel";
import { click, screenshot } from "./screenshot";
import { endSession, startStopped } from "./session";

const EVENT_MS = 20_000;

interface PanelState {
  pageTables?: RenderReport;
  exits?: RenderReport;
}

/** Polls the panels' state until `test` accepts it. */
async function until<T>(what: string, test: (s: PanelState) => T | undefined): Promise<T> {
  const deadline = Date.now() + EVENT_MS;
  for (;;) {
    const s = (await vscode.commands.executeCommand("hyperstep.panelState")) as PanelState;
    const found = test(s);
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out after ${EVENT_MS} ms waiting for ${what}; the panels show ${JSON.stringify(s).slice(0, 800)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("panels under paravirtualization", () => {
  let session: vscode.DebugSession;
  // The kernel's system-call handler for the process's exit: it runs on the process's address space.
  const breakpoint = new vscode.FunctionBreakpoint("sys_exit");

  before(async () => {
    const program = path.join(vscode.workspace.workspaceFolders![0].uri.fsPath, "paravirtual", "pv_kernel.S");
    session = await startStopped({ type: "hyperstep", request: "launch", name: "paravirtual panels", program, technique: "paravirtual", stopOnEntry: false }, [breakpoint], "a stop at sys_exit");
  });

  after(() => endSession(session, [breakpoint]));

  it("Page Tables shows the guest's machine frames, each beside its pseudo-physical frame, pinned tables marked, and walks them", async () => {
    await vscode.commands.executeCommand("workbench.action.closeSidebar");
    await vscode.commands.executeCommand("workbench.action.closePanel");
    await vscode.commands.executeCommand("hyperstep.showPageTables", "0x40000000");
    const report = await until("the guest's column with its pseudo-physical frames, and a walk", (s) =>
      s.pageTables?.summary.columns[0]?.pseudo?.some((p) => p !== "") && s.pageTables.summary.walk.length ? s.pageTables : undefined);
    const [guest] = report.summary.columns;
    assert.equal(report.summary.columns.length, 1, "direct paging: no shadow, no G stage");
    assert.match(guest.label, /^guest \(satp, ASID 1\): machine frames, walked by the hart$/);
    const pseudo = guest.pseudo!;
    // The process's root: [1] → its level-1 table → its level-0 table; [2] → the kernel's level-1
    // table, shared with the boot tables. (The read-only mappings of page-table pages, which the
    // unit tests check, lie at the end of the kernel's 2 MiB pages, below the rows drawn first.)
    assert.ok(pseudo.some((p) => /^pfn 0x[0-9a-f]+ pinned L1$/.test(p)), `a pointer to a pinned level-1 table: ${JSON.stringify(pseudo)}`);
    assert.ok(pseudo.some((p) => /^pfn 0x[0-9a-f]+ pinned L0$/.test(p)), `its level-0 table, which maps the process's pages: ${JSON.stringify(pseudo)}`);
    assert.ok(pseudo.includes("pfn 0x0"), "the kernel's first 2 MiB page: pseudo-physical frame 0");
    const header = report.summary.header.join("\n");
    assert.match(header, /direct paging: the guest's tables hold machine frames/);
    assert.match(header, /machine-to-phys: hpa 0x[0-9a-f]+…0x[0-9a-f]+ → pfn 0x0… \(gpa 0x80000000…\)/);
    assert.match(header, /6 pinned page tables and 13 spare page-table frames/);
    const walk = report.summary.walk.join("\n");
    assert.match(walk, /^result: hpa 0x[0-9a-f]+ = pseudo-physical 0x80[0-9a-f]{6} \(frame 0x[0-9a-f]+\)$/m, "the process's code page, as the guest numbers it");
    assert.match(walk, /table: machine frame 0x[0-9a-f]+ = pseudo-physical frame 0x[0-9a-f]+ \(gpa 0x[0-9a-f]+\), pinned as a level-2 table/);
    await screenshot("panel-page-tables-pv");
  });

  it("VM Exits shows each hypercall with what the VMM validated: the batched mmu_update with its count, and the refused updates", async () => {
    await vscode.commands.executeCommand("workbench.view.debug");
    await vscode.commands.executeCommand("hyperstep.exits.focus");
    await until("the PV run's exits", (s) => (s.exits && s.exits.summary.columns[0].entries > 0 ? s.exits : undefined));
    await click("pv-mmu-update-reason", 'tr.reason:has-text("hypercall mmu_update")');
    await click("pv-violation-reason", 'tr.reason:has-text("PV violation")');
    const report = await until("the mmu_update and PV violation exits alone", (s) =>
      s.exits && s.exits.summary.columns[0].listRows === 4 && s.exits.summary.columns[0].rows.length === 4 ? s.exits : undefined);
    const [notOurs, writable, batch, satp] = report.summary.columns[0].rows; // newest first
    assert.match(satp, /pv-violation.*csrrw: csrrw is privileged for a paravirtual kernel/);
    assert.match(batch, /hypercall-mmu-update0x[0-9a-f]+650cecall: mmu_update\(0x[0-9a-f]+, 0x5\) → ok: validated and wrote 5 page-table entries in one exit\n/);
    assert.match(batch, /\ncount: 5\n/);
    assert.match(batch, /\nerror: ok\n/);
    // The two updates validation refused: each says what it found.
    assert.match(writable, /pv-violation.*mmu_update\(0x[0-9a-f]+, 0x1\) → EPERM: request 0 refused \(frame 0x[0-9a-f]+ is a page-table frame: it may be mapped read-only, never writable\)/);
    assert.match(notOurs, /pv-violation.*mmu_update\(0x[0-9a-f]+, 0x1\) → EPERM: request 0 refused \(frame 0x[0-9a-f]+ is not the guest's own\)/);
    assert.match(notOurs, /\nerror: EPERM\n/);
    await vscode.commands.executeCommand("workbench.action.toggleMaximizedPanel");
    await screenshot("panel-exits-pv");
    await vscode.commands.executeCommand("workbench.action.toggleMaximizedPanel");
    await click("pv-show-all-reasons", 'vscode-button:has-text("Show all reasons")');
  });
});

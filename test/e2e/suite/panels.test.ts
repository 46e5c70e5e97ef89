import * as assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import * as vscode from "vscode";
import { memoryUriParts } from "../../../src/extension/panels/memory_address";
import type { MarkedNode } from "../../../src/extension/panels/device_changes";
import type { RenderReport } from "../../../src/extension/panels/page_tables_panel";
import type { MemorySummary } from "../../../src/webview/model/messages";
import { screenshot } from "./screenshot";
import { nextEvent, within } from "./wait";

const EVENT_MS = 20_000;
/** The repository (the suite runs from out/e2e/): the benchmark guest lives under bench/. */
const ROOT = path.resolve(__dirname, "../..");

interface PanelState {
  pageTables?: RenderReport;
  pageTablesOpen: boolean;
  exits?: RenderReport;
  devices: MarkedNode[];
  memory: MemorySummary[];
}

const state = async () => (await vscode.commands.executeCommand("hyperstep.panelState")) as PanelState;

/** Polls the panels' state (every `pollMs`) until `test` accepts it. */
async function until<T>(what: string, test: (s: PanelState) => T | undefined, ms = EVENT_MS, pollMs = 50): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const found = test(await state());
    if (found !== undefined && found !== false) return found;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}; the panels show ${JSON.stringify(await state(), (_, v) => (typeof v === "bigint" ? String(v) : v)).slice(0, 600)}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

const find = (nodes: readonly MarkedNode[], key: string): MarkedNode | undefined => {
  for (const n of nodes) {
    if (n.key === key) return n;
    const below = find(n.children, key);
    if (below) return below;
  }
  return undefined;
};

/** Waits for the Page Tables panel to show a column `column` accepts, and a walk. */
function untilColumnAndWalk(what: string, column: (c: RenderReport["summary"]["columns"][number]) => boolean): Promise<RenderReport> {
  return until(what, (s) => (s.pageTables && s.pageTables.summary.columns.some(column) && s.pageTables.summary.walk.length ? s.pageTables : undefined));
}

/** Ends the session, and closes what it opened. */
async function stopAndClose(session: vscode.DebugSession): Promise<void> {
  await stop(session);
  await vscode.commands.executeCommand("workbench.action.closeAllEditors");
}

/** Opens the Page Tables panel walking `address`, with room for the picture: the panel beside the source, nothing else. */
async function showPageTablesWalking(address: string): Promise<void> {
  await vscode.commands.executeCommand("workbench.action.closeSidebar");
  await vscode.commands.executeCommand("workbench.action.closePanel");
  await vscode.commands.executeCommand("hyperstep.showPageTables", address);
}

/** The breakpoints startStoppedAt set, which stop() removes again. */
let ours: vscode.Breakpoint[] = [];

/** Launches `program` and waits for its first stop at a breakpoint (a function's name, or a breakpoint with its conditions). */
async function startStoppedAt(program: string, at: string | vscode.Breakpoint, extra: Record<string, unknown> = {}): Promise<vscode.DebugSession> {
  const breakpoint = typeof at === "string" ? new vscode.FunctionBreakpoint(at) : at;
  ours.push(breakpoint);
  vscode.debug.addBreakpoints([breakpoint]);
  const where = breakpoint instanceof vscode.FunctionBreakpoint ? breakpoint.functionName : breakpoint instanceof vscode.SourceBreakpoint ? `line ${breakpoint.location.range.start.line + 1}` : "a breakpoint";
  const focused = nextEvent(vscode.debug.onDidChangeActiveStackItem, (item) => item !== undefined, EVENT_MS, `a stop at ${where}`);
  const started = await within(EVENT_MS, vscode.debug.startDebugging(vscode.workspace.workspaceFolders![0], {
    type: "hyperstep", request: "launch", name: `panels: ${path.basename(program)}`, program, stopOnEntry: false, ...extra,
  }), "startDebugging");
  assert.equal(started, true);
  return (await focused)!.session;
}

/** Ends the session and forgets the breakpoints it stopped at. */
async function stop(session: vscode.DebugSession): Promise<void> {
  const ended = nextEvent(vscode.debug.onDidTerminateDebugSession, (s) => s.id === session.id, EVENT_MS, "the session to end");
  await vscode.debug.stopDebugging(session);
  await ended;
  vscode.debug.removeBreakpoints(ours);
  ours = [];
}

describe("panels", () => {
  let session: vscode.DebugSession;

  before(async () => {
    await vscode.commands.executeCommand("workbench.action.closeAllEditors");
    const program = path.join(vscode.workspace.workspaceFolders![0].uri.fsPath, "shadow-paging", "shadow_paging.S");
    session = await startStoppedAt(program, "show");
  });

  after(async () => {
    if (vscode.debug.activeDebugSession) await stop(vscode.debug.activeDebugSession);
    await vscode.commands.executeCommand("workbench.action.closeAllEditors");
  });

  it("Page Tables shows the guest's Sv39 tree and walks an address through it", async () => {
    await vscode.commands.executeCommand("hyperstep.showPageTables");
    const report = await until("the Page Tables panel to render", (s) => s.pageTables);
    // shadow_paging.S, address space A: root[0] and root[2] gigapages, root[1] → l1[0] → l0[0].
    assert.deepEqual(report.summary.columns.map((c) => [c.id, c.entries, c.listRows]), [["guest", 5, 5]]);
    assert.deepEqual(report.summary.diff, { missing: 0, stale: 0, permissions: 0, device: 0 }, "native has no shadow to compare with");

    await vscode.commands.executeCommand("hyperstep.showPageTables", "0x40000000");
    const walked = await until("the walk of 0x40000000", (s) => (s.pageTables?.summary.walk.length ? s.pageTables : undefined));
    const walk = walked.summary.walk.join("\n");
    assert.match(walk, /^the hart's walk of va 0x40000000:$/m);
    assert.match(walk, /# 1 S level 2 \[1\] PTE 0x[0-9a-f]{16} V------- → table 0x[0-9a-f]+ {2}\(at pa:0x[0-9a-f]+\)/);
    assert.match(walk, /# 3 S level 0 \[0\] PTE 0x[0-9a-f]{16} VRW---AD leaf → 0x[0-9a-f]+/);
    assert.match(walk, /^ +ok {3}S: the leaf permits a read from S-mode$/m);
    assert.match(walk, /^result: pa 0x8[0-9a-f]{7}$/m);
    // Room for the picture: the panel beside the guest's source, nothing else.
    await vscode.commands.executeCommand("workbench.action.closeSidebar");
    await vscode.commands.executeCommand("workbench.action.closePanel");
    await screenshot("panel-page-tables");
  });

  it("memory opens per address space, and writes through the memory URI reach the guest", async () => {
    const satp = BigInt((await session.customRequest("evaluate", { expression: "satp", context: "watch" })).result);
    const root = (satp & ((1n << 44n) - 1n)) << 12n;
    const uri = (offset: bigint, length: number) => vscode.Uri.from(memoryUriParts(session.id, `pa:0x${(root + offset).toString(16)}`, { from: 0, to: length }));
    const bytes = await vscode.workspace.fs.readFile(uri(0n, 24));
    assert.equal(bytes.length, 24);
    assert.equal(Buffer.from(bytes).readBigUInt64LE(16), (0x80000n << 10n) | 0xefn, "root[2]: the RAM gigapage, V R W X G A D");
    // root[511] is unused; an entry without V stays invalid, so the guest is not disturbed.
    await vscode.workspace.fs.writeFile(uri(511n * 8n, 8), new Uint8Array([0x34, 0x12, 0, 0, 0, 0, 0, 0]));
    const back = (await session.customRequest("evaluate", { expression: `*(u64*)0x${(root + 511n * 8n).toString(16)}`, context: "watch" })).result;
    assert.equal(BigInt(back), 0x1234n);

    assert.equal(await vscode.commands.executeCommand("hyperstep.openMemory", "gva:0x80000000"), undefined, "native has no gva space");
    // Without the Hex Editor extension (as here), memory opens in Hyperstep's own Memory panel.
    assert.equal(vscode.extensions.getExtension("ms-vscode.hexeditor"), undefined);
    const opened = await vscode.commands.executeCommand("hyperstep.openMemory", "pa:0x80000000");
    assert.deepEqual(opened, { in: "memoryPanel", memoryReference: "pa:0x80000000" });
    const ram = Buffer.from((await session.customRequest("readMemory", { memoryReference: "pa:0x80000000", count: 16 })).data, "base64").toString("hex");
    const shown = await until("the Memory panel at pa:0x80000000", (s) => s.memory.find((m) => m.address === "0x80000000" && m.rows[0]?.bytes === ram));
    assert.equal(shown.space, "pa");
    assert.deepEqual(shown.spaces, ["va", "pa"], "natively there is no gpa (nor gva, hpa) to offer");
    await screenshot("panel-memory-native");
  });

  it("Devices shows the UART, CLINT and PLIC, and marks what changed since the last stop", async () => {
    await vscode.commands.executeCommand("workbench.view.debug");
    // Room in the side bar: hide the debug views these pictures do not need.
    const available = new Set(await vscode.commands.getCommands(true));
    for (const view of ["workbench.debug.watchExpressionsView", "workbench.debug.loadedScriptsView", "workbench.debug.breakPointsView"]) {
      if (available.has(`${view}.removeView`)) await vscode.commands.executeCommand(`${view}.removeView`);
    }
    await vscode.commands.executeCommand("hyperstep.devices.focus");
    const first = await until("the Devices tree", (s) => (s.devices.length ? s.devices : undefined));
    assert.deepEqual(first.map((d) => d.key), ["uart", "clint", "plic"]);
    assert.equal(find(first, "uart/registers/LSR")?.value, "0x60");
    const sentBefore = Number(find(first, "uart/bytes sent")?.value);

    // The next stop at show: the previous call printed its line, so the UART has sent more.
    await vscode.commands.executeCommand("workbench.action.debug.continue");
    const changed = await until("a changed mark after continuing", (s) => {
      const sent = find(s.devices, "uart/bytes sent");
      return sent?.changed ? s.devices : undefined;
    });
    assert.ok(Number(find(changed, "uart/bytes sent")?.value) > sentBefore);
    assert.equal(find(changed, "uart")?.changedBelow, true);
    assert.equal(find(changed, "uart/registers/LSR")?.changed, false, "LSR is the same at both stops");
    assert.equal(find(changed, "clint/mtime")?.changed, true, "time advanced with the instructions retired");
    await vscode.commands.executeCommand("hyperstep.showPageTables");
    await screenshot("panel-devices");
  });

  it("VM Exits says plainly that the native technique has no VMM", async () => {
    await vscode.commands.executeCommand("hyperstep.exits.focus");
    // The view may still show what it said for an earlier session: wait for this one's answer.
    const report = await until("the VM Exits view to say there is no VMM", (s) => (s.exits && /^no VMM/.test(s.exits.summary.columns[0].label) ? s.exits : undefined));
    assert.match(report.summary.columns[0].label, /^no VMM: the guest runs natively \(launch with "technique" "trap-and-emulate", "hardware-assisted", "binary-translation" or "paravirtual" to see exits\)$/);
    assert.equal(report.summary.columns[0].listRows, 0);
    await screenshot("panel-exits");
  });

  it("refreshes the Page Tables panel within 1 s of a step (printing the median against its 100 ms target), with 64 MiB mapped through 4 KiB pages", async () => {
    await stop(session);
    await vscode.commands.executeCommand("workbench.action.closeAllEditors");
    session = await startStoppedAt(path.join(ROOT, "bench/guest-map64m.S"), "ready");
    await vscode.commands.executeCommand("workbench.action.closeSidebar");
    await vscode.commands.executeCommand("workbench.action.closePanel");
    await vscode.commands.executeCommand("hyperstep.showPageTables", "");
    let report = await until("the 64 MiB table", (s) => (s.pageTables?.summary.columns[0]?.entries === 16417 ? s.pageTables : undefined));
    const column = report.summary.columns[0];
    assert.equal(column.listRows, 16417, "every level expanded: 1 + 32 + 16384 rows in the list");
    assert.ok(column.domRows < 120, `only the visible rows are in the DOM, not ${column.domRows}`);

    // The guest flips a PTE every third instruction: those refreshes carry the whole table, the others
    // find it unchanged.
    const changed: number[] = [];
    const unchanged: number[] = [];
    const webview: number[] = [];
    const requests: number[] = [];
    for (let i = 0; i < 18; i++) {
      const seq = report.seq;
      await vscode.commands.executeCommand("workbench.action.debug.stepInto");
      report = await until(`the refresh after step ${i + 1}`, (s) => (s.pageTables && s.pageTables.seq > seq && s.pageTables.summary.columns[0]?.entries === 16417 ? s.pageTables : undefined));
      (report.unchanged ? unchanged : changed).push(report.sinceStop);
      if (!report.unchanged) webview.push(report.webview);
      requests.push(report.request);
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const all = [...changed, ...unchanged];
    console.log(`panels: Page Tables refresh after a step, 'stopped' to rendered, 64 MiB in 4 KiB pages (16417 entries), ${all.length} steps: ` +
      `median ${median(all).toFixed(1)} ms; table changed ${median(changed).toFixed(1)} ms (n=${changed.length}, webview's own share ${median(webview).toFixed(1)} ms, max ${Math.max(...changed).toFixed(1)} ms); ` +
      `unchanged ${median(unchanged).toFixed(1)} ms (n=${unchanged.length}); of which the custom request's round trip ${median(requests).toFixed(1)} ms; target < 100 ms`);
    assert.ok(changed.length >= 5 && unchanged.length >= 5, "both kinds of refresh were measured");
    await screenshot("panel-page-tables-64m");
    // The target is 100 ms; on a loaded two-core CI machine the workbench's own round trips dominate,
    // so the test guards responsiveness (a refresh well under a second) and prints the figure.
    assert.ok(median(all) < 1000, `the median refresh took ${median(all).toFixed(1)} ms`);
    await vscode.commands.executeCommand("workbench.action.toggleSidebarVisibility");
  });

  it("opens the Page Tables panel within 3 s, median of 5 openings (printing it against its 300 ms target), with 64 MiB mapped through 4 KiB pages", async function () {
    this.timeout(120_000); // a launch and five openings, each up to the bound on a loaded machine
    await stop(session);
    await vscode.commands.executeCommand("workbench.action.closeAllEditors");
    session = await startStoppedAt(path.join(ROOT, "bench/guest-map64m.S"), "ready");
    const opening: number[] = [];
    const webviewStartup: number[] = [];
    for (let i = 0; i < 5; i++) {
      await vscode.commands.executeCommand("workbench.action.closeAllEditors");
      const closed = await until("the panel to close", (s) => (s.pageTablesOpen ? undefined : s));
      const seq = closed.pageTables?.seq ?? 0;
      // From the command to the webview's report that it drew the whole table: the user's wait,
      // give or take the 50 ms that `until` polls at.
      const t0 = performance.now();
      await vscode.commands.executeCommand("hyperstep.showPageTables", "");
      const report = await until(`opening ${i + 1}`, (s) => (s.pageTables && s.pageTables.seq > seq && s.pageTables.summary.columns[0]?.entries === 16417 ? s.pageTables : undefined));
      opening.push(performance.now() - t0);
      webviewStartup.push(report.startup ?? NaN);
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    console.log(`panels: Page Tables opening, command to rendered, 64 MiB in 4 KiB pages (16417 entries), 5 openings: median ${median(opening).toFixed(1)} ms ` +
      `(of which the webview's start-up to its 'ready' ${median(webviewStartup).toFixed(1)} ms; max ${Math.max(...opening).toFixed(1)} ms); target < 300 ms`);
    // As for the refresh: the bound guards responsiveness on a loaded CI machine, the figure is printed.
    assert.ok(median(opening) < 3000, `the median opening took ${median(opening).toFixed(1)} ms`);
  });
});

describe("panels under the VMM (trap-and-emulate)", () => {
  let session: vscode.DebugSession;

  before(async () => {
    await vscode.commands.executeCommand("workbench.action.closeAllEditors");
    const program = path.join(vscode.workspace.workspaceFolders![0].uri.fsPath, "shadow-paging", "shadow_paging.S");
    session = await startStoppedAt(program, "show", { technique: "trap-and-emulate" });
  });

  after(() => stopAndClose(session));

  it("Page Tables shows the VMM's shadow table beside the guest's, and how they differ", async () => {
    await showPageTablesWalking("0x40000000");
    const report = await untilColumnAndWalk("the guest and shadow columns", (c) => c.id.startsWith("shadow:"));
    const columns = report.summary.columns;
    assert.equal(columns[0].id, "guest");
    assert.equal(columns[0].entries, 5, "address space A, as natively");
    const shadow = columns.find((c) => c.id.startsWith("shadow:"))!;
    assert.ok(shadow.entries > 0, "the shadow holds the translations the guest has faulted in");
    // The shadow is filled lazily, so it lacks what the guest has not touched yet.
    assert.ok(report.summary.diff.missing > 0, `missing ${report.summary.diff.missing}`);
    assert.match(report.summary.walk.join("\n"), /shadow/i, "the walk goes through the shadow too");
    await screenshot("panel-page-tables-shadow");
  });

  it("lines the shadow's entries up with the guest's by address, and explains what the shadow does by design", async () => {
    const report = await untilColumnAndWalk("the aligned columns", (c) => c.id.startsWith("shadow:") && c.rows.some((r) => r !== ""));
    const [guest, shadow] = report.summary.columns;
    assert.equal(guest.listRows, shadow.listRows, "one list of lines for both columns");
    const path = (key: string) => key.slice(key.indexOf("/") + 1);
    const pairs = guest.rows.map((g, i) => [g, shadow.rows[i]] as const);
    for (const [g, s] of pairs) if (g && s) assert.equal(path(s), path(g), `line ${g} | ${s}: the same addresses side by side`);
    // The guest maps its kernel (gva 0x8000_0000..) with the gigapage root[2]; the shadow maps the
    // pages the guest touched there in 4 KiB pieces, each on a line the gigapage covers.
    assert.ok(pairs.some(([g, s]) => g === "" && /\/2\.\d+\.\d+$/.test(s)), `a shadow piece of the guest's gigapage: ${JSON.stringify(pairs)}`);
    assert.ok(pairs.some(([g, s]) => g !== "" && s === ""), "a guest entry the shadow lacks (not faulted in yet) faces a gap");
    assert.ok(report.summary.header.some((l) => /^p2m: gpa 0x80000000…0x87ffffff → hpa 0x[0-9a-f]+…0x[0-9a-f]+ \(128 MiB of guest RAM\)$/.test(l)), report.summary.header.join("\n"));
    assert.ok(report.summary.header.some((l) => l.startsWith("By design, not differences: U on every shadow page · guest superpages in 4 KiB pieces")));
    const hints = report.summary.hints.join("\n");
    assert.match(hints, /the guest's kernel runs deprivileged, in host U-mode/, "the legend says why the shadow sets U");
    assert.match(hints, /one 4 KiB page per hidden page fault/, "and why it splits a guest superpage");
    assert.match(hints, /Part of the guest's 1 GiB page \[2\]/, "a shadow piece's own tooltip names the guest page it comes from");
    // An editor column beside the source on a 1440-pixel screen: the panel must read there.
    await vscode.commands.executeCommand("workbench.action.closeSidebar");
    await screenshot("panel-page-tables-1440", { width: 1440, height: 900 });
  });

  it("says the UART's region is an emulated device, never shadowed, rather than promising a hidden page fault", async () => {
    await vscode.commands.executeCommand("hyperstep.showPageTables", "0x10000000");
    const report = await until("the walk of the UART's address", (s) =>
      s.pageTables?.summary.walk.some((l) => l.startsWith("result: emulated device")) ? s.pageTables : undefined);
    const walk = report.summary.walk.join("\n");
    assert.match(walk, /^result: emulated device \(uart\): never shadowed, every access exits \(mmio-read\)$/m);
    assert.doesNotMatch(walk, /hidden page fault/);
    assert.ok(report.summary.diff.device >= 1, "the guest's gigapage over the devices is marked a device, not missing");
  });

  it("VM Exits lists the exits with their reasons and costs", async () => {
    await vscode.commands.executeCommand("workbench.view.debug");
    await vscode.commands.executeCommand("hyperstep.exits.focus");
    const report = await until("exits in the VM Exits view", (s) => (s.exits && s.exits.summary.columns[0]?.listRows > 0 ? s.exits : undefined));
    assert.ok(report.summary.columns[0].entries > 0);
    const exits = (await session.customRequest("hyperstep/exits", { count: 5 })) as { total: number; reasons: { id: string; count: number }[] };
    assert.ok(exits.total > 0);
    for (const id of ["hidden-page-fault", "csr-write"]) {
      assert.ok((exits.reasons.find((r) => r.id === id)?.count ?? 0) > 0, `some ${id} exits`);
    }
    await screenshot("panel-vm-exits");
  });
});

/** A breakpoint on the line after the first line of the shadow-paging lesson that contains `text`. */
function afterLine(file: string, text: string): vscode.SourceBreakpoint {
  const line = readFileSync(file, "utf8").split("\n").findIndex((l) => l.includes(text));
  assert.ok(line >= 0, `no line with '${text}' in ${file}`);
  return new vscode.SourceBreakpoint(new vscode.Location(vscode.Uri.file(file), new vscode.Position(line + 1, 0)));
}

/**
 * Continues until the guest stops on source line `line`. Continuing from a breakpoint whose
 * instruction takes a hidden page fault stops on it once more under trap-and-emulate (the VM's run
 * loop checks breakpoints again after the exit), so one continue may not be enough.
 */
async function continueToLine(session: vscode.DebugSession, line: number): Promise<void> {
  for (let tries = 0; tries < 3; tries++) {
    const stopped = nextEvent(vscode.debug.onDidChangeActiveStackItem, (item) => item !== undefined, EVENT_MS, `a stop on line ${line}`);
    await vscode.commands.executeCommand("workbench.action.debug.continue");
    const item = await stopped;
    const top = (await session.customRequest("stackTrace", { threadId: (item as vscode.DebugStackFrame).threadId, levels: 1 })).stackFrames[0];
    if (top.line === line) return;
  }
  assert.fail(`the guest did not stop on line ${line}`);
}

describe("Page Tables follows what the hart does (trap-and-emulate)", () => {
  let session: vscode.DebugSession;
  const program = () => path.join(vscode.workspace.workspaceFolders![0].uri.fsPath, "shadow-paging", "shadow_paging.S");

  let later: vscode.SourceBreakpoint;

  before(async () => {
    await vscode.commands.executeCommand("workbench.action.closeAllEditors");
    // The second stop: just after the `sd` that edits A's PTE (a guest-pt-write exit), before sfence.vma.
    later = afterLine(program(), "a guest-pt-write exit under the VMM");
    ours.push(later);
    vscode.debug.addBreakpoints([later]);
    // The first: just after `csrw satp, s3`; the guest is in address space B, whose shadow the hart has not run on yet.
    session = await startStoppedAt(program(), afterLine(program(), "csrw    satp, s3"), { technique: "trap-and-emulate" });
  });

  after(() => stopAndClose(session));

  it("after a satp switch, the shadow side is the new address space's root, empty, with nothing falsely stale", async () => {
    await showPageTablesWalking("0x40000000");
    const report = await untilColumnAndWalk("B's shadow beside B's table, with a walk", (c) => c.id.includes("asid=2"));
    const [guest, shadow] = report.summary.columns;
    assert.match(guest.label, /ASID 2/, "the guest side is address space B");
    assert.match(shadow.id, /^shadow:sv39 root=0x[0-9a-f]+ asid=2 S$/, "the shadow side follows the active root");
    assert.equal(shadow.entries, 0, "which the hart has not filled yet");
    assert.equal(report.summary.diff.stale, 0);
    assert.equal(report.summary.diff.missing, 2, "B's two RAM leaves are not in its shadow yet");
    const walk = report.summary.walk.join("\n");
    assert.match(walk, /^result: hidden page fault: the shadow has no entry yet; the VMM fills it from the guest's table/m);
    await screenshot("panel-page-tables-satp-switch");
  });

  it("at the guest page-table write, the result is the stale page the hart still uses, not the guest's new target", async () => {
    await continueToLine(session, later.location.range.start.line + 1);
    const report = await until("the stale walk at the page-table write", (s) =>
      s.pageTables?.summary.walk.some((l) => l.startsWith("result: stale")) ? s.pageTables : undefined);
    const walk = report.summary.walk.join("\n");
    const guest = /^ {3}= gpa (0x[0-9a-f]+) = hpa (0x[0-9a-f]+) \(p2m\)$/m.exec(walk);
    const hart = /^ {3}= hpa (0x[0-9a-f]+)$/m.exec(walk);
    assert.ok(guest && hart, walk);
    assert.notEqual(hart[1], guest[2]);
    assert.match(walk, new RegExp(`^result: stale: the hart still uses hpa ${hart[1]}, although the guest's table now says gpa ${guest[1]} = hpa ${guest[2]}, until the guest's sfence\\.vma$`, "m"));
    assert.equal(report.summary.diff.stale, 1, "the one entry the edit made stale");
    await screenshot("panel-page-tables-stale");
  });
});

describe("panels under the VMM (hardware-assisted)", () => {
  let session: vscode.DebugSession;

  before(async () => {
    await vscode.commands.executeCommand("workbench.action.closeAllEditors");
    const program = path.join(vscode.workspace.workspaceFolders![0].uri.fsPath, "nested-paging", "nested_paging.S");
    // The third call of show: the guest runs in VS-mode on table A again, after `csrw satp` switched
    // it to B and back, and has printed two lines through the UART, which the G stage leaves unmapped.
    session = await startStoppedAt(program, new vscode.FunctionBreakpoint("show", true, undefined, "==3"), { technique: "hardware-assisted" });
  });

  after(() => stopAndClose(session));

  it("stops in the included file, in VS-mode on address space A", async () => {
    const frame = vscode.debug.activeStackItem;
    assert.ok(frame instanceof vscode.DebugStackFrame);
    const top = (await session.customRequest("stackTrace", { threadId: frame.threadId, levels: 1 })).stackFrames[0];
    assert.equal(path.basename(top.source.path), "shadow_paging.S", "nested_paging.S is one #include of it");
    assert.equal(top.name, "show");
    const satp = BigInt((await session.customRequest("evaluate", { expression: "satp", context: "watch" })).result);
    assert.equal(satp >> 60n, 8n, "Sv39");
    assert.equal((satp >> 44n) & 0xffffn, 1n, "ASID 1: address space A");
  });

  it("Page Tables shows the G-stage table beside the guest's, and walks an address in two stages", async () => {
    await showPageTablesWalking("0x40000000");
    const report = await until("the guest and G-stage columns with a walk", (s) =>
      s.pageTables && s.pageTables.summary.columns.some((c) => c.id === "gstage") && s.pageTables.summary.walk.length ? s.pageTables : undefined);
    const columns = report.summary.columns;
    assert.deepEqual(columns.map((c) => c.id), ["guest", "gstage"]);
    assert.equal(columns[0].entries, 5, "address space A, as natively");
    assert.ok(columns[1].entries > 0 && columns[1].listRows > 0, `the G stage maps the guest's RAM: ${JSON.stringify(columns[1])}`);
    assert.match(columns[1].label, /G-stage/);
    assert.deepEqual(report.summary.diff, { missing: 0, stale: 0, permissions: 0, device: 0 }, "no shadow to compare with");
    // Tens of thousands of 4 KiB leaves, in whole tables of contiguous pages: each table one line,
    // except the one the walk opened to show its leaf.
    assert.ok(columns[1].entries > 30_000, `the G stage maps 128 MiB page by page: ${columns[1].entries} entries`);
    assert.ok(columns[1].listRows < 700, `grouped into ranges: ${columns[1].listRows} lines`);
    assert.ok(columns[1].rows.some((r) => /\.0-511$/.test(r)), `a closed group of 512 leaves: ${columns[1].rows.join(" ")}`);
    assert.ok(report.summary.header.some((l) => /\(128 MiB of guest RAM\)$/.test(l)), "the p2m's size");

    const walk = report.summary.walk.join("\n");
    assert.match(walk, /G-stage walk of gpa 0x[0-9a-f]+ \(where the VS level-2 PTE lives\)/);
    assert.match(walk, /#12 VS level 0 \[0\] PTE 0x[0-9a-f]{16} VRW---AD leaf → 0x[0-9a-f]+ {2}\(at gpa:0x[0-9a-f]+ = hpa:0x[0-9a-f]+\)/);
    assert.match(walk, /G-stage walk of gpa 0x[0-9a-f]+ \(the access's guest-physical address\)/);
    assert.match(walk, /^result: hpa 0x[0-9a-f]+ \(gpa 0x8[0-9a-f]{7}\)$/m);
    assert.doesNotMatch(walk, /fault|FAIL/);
    // Sv39 over Sv39x4 with 4 KiB pages: each of the guest's 3 PTE reads needs a G-stage walk of 3
    // reads first, and so does the access: the hart's own walk.
    assert.match(walk, /^15 page-table reads by the hardware$/m);
    // The walk is long and both tables are wide: the picture gets the whole window.
    await vscode.commands.executeCommand("workbench.action.focusSecondEditorGroup");
    await vscode.commands.executeCommand("workbench.action.toggleMaximizeEditorGroup");
    await screenshot("panel-page-tables-gstage");
    await vscode.commands.executeCommand("workbench.action.toggleMaximizeEditorGroup");
  });

  it("opens the Page Tables panel, 32,833 G-stage entries beside the guest's table, within 1.5 s (printing the median against its 300 ms target)", async () => {
    const times: number[] = [];
    const parts: RenderReport[] = [];
    for (let i = 0; i < 5; i++) {
      await vscode.commands.executeCommand("workbench.action.closeAllEditors");
      await until("the panel to close", (s) => (s.pageTablesOpen ? undefined : s));
      const before = (await state()).pageTables?.seq ?? -1;
      const t0 = performance.now();
      await vscode.commands.executeCommand("hyperstep.showPageTables");
      const report = await until("the opened panel's tables", (s) =>
        s.pageTables && s.pageTables.seq > before && s.pageTables.summary.columns.some((c) => c.id === "gstage") ? s.pageTables : undefined, EVENT_MS, 5);
      times.push(performance.now() - t0);
      parts.push(report);
      assert.ok(report.summary.columns[1].domRows > 0, "drawn");
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    console.log(`panels: Page Tables opens, command to tables drawn, guest table + G stage (hardware-assisted): median ${median(times).toFixed(1)} ms ` +
      `(n=${times.length}, min ${Math.min(...times).toFixed(1)} ms, max ${Math.max(...times).toFixed(1)} ms; of which the webview's start, created to ready, ${median(parts.map((p) => p.startup ?? NaN)).toFixed(1)} ms, the tables' request ` +
      `${median(parts.map((p) => p.request)).toFixed(1)} ms and the webview's own drawing ${median(parts.map((p) => p.webview)).toFixed(1)} ms); target < 300 ms`);
    // As for the refresh: a loaded two-core machine adds the workbench's own latency, so the guard is
    // looser than the target, and the figure is printed.
    assert.ok(median(times) < 1500, `the panel took ${median(times).toFixed(1)} ms to open`);
  });

  it("VM Exits lists the hardware-assisted reasons: devices fault in the G stage", async () => {
    await vscode.commands.executeCommand("workbench.view.debug");
    await vscode.commands.executeCommand("hyperstep.exits.focus");
    const report = await until("exits in the VM Exits view", (s) => (s.exits && s.exits.summary.columns[0]?.listRows > 0 ? s.exits : undefined));
    assert.equal(report.summary.columns[0].label, "exits");
    const exits = (await session.customRequest("hyperstep/exits", { count: 5 })) as { total: number; reasons: { id: string; count: number }[] };
    assert.equal(report.summary.columns[0].entries, exits.total);
    const count = (id: string) => exits.reasons.find((r) => r.id === id)?.count ?? 0;
    // The two lines printed: S-mode's UART accesses reach the VMM as guest-page faults, not MMIO exits.
    assert.ok(count("guest-page-fault") > 0, "the UART's accesses are guest-page faults");
    assert.equal(count("mmio-read"), 0);
  });
});

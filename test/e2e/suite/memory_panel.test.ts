import * as assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import * as vscode from "vscode";
import type { MemorySummary } from "../../../src/webview/model/messages";
import { click, screenshot, typeText, wheel } from "./screenshot";
import { nextEvent, within } from "./wait";

const EVENT_MS = 20_000;

const reports = async () => ((await vscode.commands.executeCommand("hyperstep.panelState")) as { memory: MemorySummary[] }).memory;

/** Polls the newest Memory panel's report until `test` accepts it. */
async function until(what: string, test: (s: MemorySummary) => boolean, ms = EVENT_MS): Promise<MemorySummary> {
  const deadline = Date.now() + ms;
  for (;;) {
    const s = (await reports())[0];
    if (s && test(s)) return s;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}; the panel shows ${JSON.stringify(s).slice(0, 800)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const fetched = (s: MemorySummary) => s.rows.length > 0 && s.rows.every((r) => !r.bytes.includes(" "));
/** The byte at `offset` of the row at `address`, as two hex digits. */
const byteOf = (s: MemorySummary, address: bigint, offset: number) => s.rows.find((r) => BigInt(r.address) === address)?.bytes.slice(2 * offset, 2 * offset + 2);
const le64 = (v: bigint) => Array.from({ length: 8 }, (_, i) => Number((v >> BigInt(8 * i)) & 0xffn).toString(16).padStart(2, "0")).join("");

describe("the Memory panel (supervisor-boot, hardware-assisted)", () => {
  let session: vscode.DebugSession;
  const breakpoints: vscode.Breakpoint[] = [new vscode.FunctionBreakpoint("probe")];
  const program = () => path.join(vscode.workspace.workspaceFolders![0].uri.fsPath, "supervisor-boot", "supervisor_boot.S");
  const value = async (expression: string) => BigInt((await session.customRequest("evaluate", { expression, context: "watch" })).result);
  /** Runs a debug command and waits for the stop it ends in. */
  const stopAfter = async (command: string) => {
    const stopped = nextEvent(vscode.debug.onDidChangeActiveStackItem, (item) => item instanceof vscode.DebugStackFrame, EVENT_MS, `a stop after ${command}`);
    await vscode.commands.executeCommand(command);
    await stopped;
  };

  before(async () => {
    await vscode.commands.executeCommand("workbench.action.closeAllEditors");
    vscode.debug.addBreakpoints(breakpoints);
    const stopped = nextEvent(vscode.debug.onDidChangeActiveStackItem, (item) => item !== undefined, EVENT_MS, "a stop in probe");
    assert.equal(await within(EVENT_MS, vscode.debug.startDebugging(vscode.workspace.workspaceFolders![0], {
      type: "hyperstep", request: "launch", name: "memory panel", program: program(), technique: "hardware-assisted", boot: "supervisor", stopOnEntry: false,
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

  it("follows sp, marks the bytes a step changed, and writes an edit the guest then reads", async () => {
    await vscode.commands.executeCommand("workbench.action.closeSidebar");
    await vscode.commands.executeCommand("workbench.action.closePanel");
    await vscode.commands.executeCommand("hyperstep.showMemory", "gva:sp");
    let sp = await value("sp");
    let s = await until("the panel at sp", (r) => r.address !== undefined && BigInt(r.address) === sp && fetched(r));
    assert.deepEqual(s.spaces, ["gva", "gpa", "hpa"]);
    assert.equal(s.space, "gva");
    assert.equal(BigInt(s.rows[0].address), sp & ~15n, "sp's row is the first on screen");
    assert.ok(s.domRows < 80, `only the rows in sight are in the DOM, not ${s.domRows}`);
    assert.ok(s.fetched <= 4096, `only the blocks in sight were read, not ${s.fetched} bytes`);

    // addi sp, sp, -16: the view follows sp down; nothing in memory changed.
    await stopAfter("workbench.action.debug.stepOver");
    sp = await value("sp");
    s = await until("the panel to follow sp", (r) => r.address !== undefined && BigInt(r.address) === sp && fetched(r));
    assert.ok(s.rows.every((r) => r.changed.length === 0), "a register step changes no memory");

    // sd ra, 0(sp) and sd a1, 8(sp): the saved registers appear, marked as changed.
    await stopAfter("workbench.action.debug.stepOver");
    const ra = await value("ra");
    s = await until("ra saved at sp", (r) => r.rows[0]?.bytes.slice(0, 16) === le64(ra) && r.rows[0].changed.length > 0);
    assert.ok(s.rows[0].changed.every((o) => o < 8), `only ra's bytes are marked: ${s.rows[0].changed}`);
    await stopAfter("workbench.action.debug.stepOver");
    const a1 = await value("a1");
    s = await until("a1 saved at sp+8", (r) => r.rows[0]?.bytes.slice(16, 32) === le64(a1) && r.rows[0].changed.some((o) => o >= 8));
    assert.ok(s.rows[0].changed.every((o) => o >= 8), `the previous step's bytes are no longer marked: ${s.rows[0].changed}`);
    await screenshot("panel-memory-changed");

    // Edit the saved a1's low byte: probe reloads it into a0 before calling puts.
    const low = Number(a1 & 0xffn);
    const edited = (low + 6) & 0xff;
    const wanted = (a1 & ~0xffn) | BigInt(edited);
    await click("memory-byte", `.mrow[data-addr="0x${sp.toString(16)}"] .b[data-off="8"]`);
    await typeText("memory-byte", `${edited.toString(16).padStart(2, "0")}\n`);
    s = await until("the edited byte", (r) => byteOf(r, sp, 8) === edited.toString(16).padStart(2, "0"));
    assert.ok(s.rows[0].changed.includes(8), "an edit differs from the last stop too");
    await screenshot("panel-memory-edited");

    const source = readFileSync(program(), "utf8").split("\n");
    const afterLoad = source.findIndex((l) => /^\s+ld\s+a0, 8\(sp\)/.test(l)) + 1; // 0-based: the line after the ld
    const there = new vscode.SourceBreakpoint(new vscode.Location(vscode.Uri.file(program()), new vscode.Position(afterLoad, 0)));
    breakpoints.push(there);
    vscode.debug.addBreakpoints([there]);
    await stopAfter("workbench.action.debug.continue");
    assert.equal(await value("a0"), wanted, "the guest loaded the byte written through the panel");
  });

  it("pages far past its first window, reading only the rows in sight", async () => {
    await vscode.commands.executeCommand("hyperstep.showMemory", "gva:sp");
    const sp = await value("sp");
    const start = await until("the panel at sp", (r) => r.expression === "sp" && fetched(r));
    // The list holds 65536 rows at a time, sp's row in the middle: 512 KiB further is past its end, so
    // the list must have moved under the wheel (a turn that overshoots the end stops there).
    await wheel("memory-far", ".scroller", 400_000, 5);
    const far = await until("rows 640 KiB further", (r) => r.expression === "sp" && BigInt(r.rows[0].address) > sp + 0xa0000n && fetched(r));
    const at = BigInt(far.rows[0].address);
    const ram = await session.customRequest("readMemory", { memoryReference: `gva:0x${at.toString(16)}`, count: 16 });
    assert.equal(far.rows[0].bytes, Buffer.from(ram.data, "base64").toString("hex"));
    assert.ok(far.domRows < 80, `only the rows in sight are in the DOM, not ${far.domRows}`);
    assert.ok(far.fetched - start.fetched < 64 * 1024, `only what was scrolled past on screen was read, not ${far.fetched - start.fetched} bytes`);
    await screenshot("panel-memory-far");
  });

  it("shows bytes it cannot read as ??, in any space the session offers", async () => {
    await vscode.commands.executeCommand("hyperstep.showMemory", "gpa:0x0");
    const s = await until("gpa 0 in a second panel", (r) => r.space === "gpa" && r.address === "0x0" && fetched(r));
    assert.equal(s.rows[0].bytes, "??".repeat(16), "no RAM at guest-physical 0");
    assert.ok(s.rows.every((r) => r.changed.length === 0));
    await screenshot("panel-memory-unreadable");
  });

  it("opens from a register's memory reference in the Variables view, in the space it names", async () => {
    const sp = await value("sp");
    // What the Variables view's context menu passes: its item, whose reference is the guest's `va:` view.
    await vscode.commands.executeCommand("hyperstep.showMemory", { sessionId: session.id, variable: { name: "sp", memoryReference: `va:0x${sp.toString(16)}` } });
    const s = await until("sp's reference in a panel", (r) => r.expression === `0x${sp.toString(16)}` && fetched(r));
    assert.equal(s.space, "gva", "under a VMM, va is the guest-virtual space");
    assert.equal(BigInt(s.rows[0].address), sp & ~15n);
  });
});

import * as assert from "node:assert/strict";
import * as vscode from "vscode";
import { firstGuest } from "./guest";
import { screenshot } from "./screenshot";
import { nextEvent, within } from "./wait";

/** A guest with two errors: a missing operand on line 3 and a bad base register on line 4. */
const BROKEN = "_start:\n  li a0, 1\n  addi a0, a0\n  lw a1, 0(a9)\n  csrr t0, mstatus\n";

/** Writes `text` to zz-language/`name` in the workspace and shows it. */
async function openGuest(name: string, text: string): Promise<vscode.TextDocument> {
  const { folder } = await firstGuest();
  const uri = vscode.Uri.joinPath(folder.uri, "zz-language", name);
  await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(text));
  const document = await vscode.workspace.openTextDocument(uri);
  await vscode.window.showTextDocument(document);
  return document;
}

const openBroken = () => openGuest("broken.S", BROKEN);

async function hoverText(uri: vscode.Uri, line: number, character: number): Promise<string> {
  const hovers = await within(10_000, vscode.commands.executeCommand<vscode.Hover[]>(
    "vscode.executeHoverProvider", uri, new vscode.Position(line, character)), "hover");
  return hovers.flatMap((h) => h.contents.map((c) => (typeof c === "string" ? c : c.value))).join("\n");
}

/** Hover text once it matches `pattern`: the document is assembled a moment after it opens. */
async function hoverWhen(uri: vscode.Uri, line: number, character: number, pattern: RegExp): Promise<string> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const text = await hoverText(uri, line, character);
    if (pattern.test(text) || Date.now() > deadline) return text;
    await new Promise((r) => setTimeout(r, 100));
  }
}

const errorsOf = (uri: vscode.Uri) => vscode.languages.getDiagnostics(uri).filter((d) => d.source === "hyperstep");

describe("language support for guest assembly", () => {
  let document: vscode.TextDocument;

  before(async () => {
    document = await openBroken();
  });

  it("shows every assembly error in the Problems panel with its exact range", async () => {
    if (errorsOf(document.uri).length < 2) {
      await nextEvent(vscode.languages.onDidChangeDiagnostics, () => errorsOf(document.uri).length >= 2, 10_000, "diagnostics for broken.S");
    }
    const errors = errorsOf(document.uri).map((d) => ({
      range: [d.range.start.line, d.range.start.character, d.range.end.line, d.range.end.character],
      severity: d.severity,
      message: d.message,
    }));
    assert.equal(errors.length, 2, JSON.stringify(errors));
    assert.deepEqual(errors[0]!.range, [2, 2, 2, 6]);
    assert.match(errors[0]!.message, /'addi' takes two registers and an immediate/);
    assert.deepEqual(errors[1]!.range, [3, 11, 3, 13]);
    assert.match(errors[1]!.message, /base register/);
    assert.equal(errors[0]!.severity, vscode.DiagnosticSeverity.Error);
  });

  it("clears the errors once the file is fixed (re-assembled on change)", async () => {
    const editor = await vscode.window.showTextDocument(document);
    const cleared = nextEvent(vscode.languages.onDidChangeDiagnostics, () => errorsOf(document.uri).length === 0, 10_000, "diagnostics to clear");
    await editor.edit((e) => {
      e.replace(new vscode.Range(2, 0, 3, 14), "  addi a0, a0, 1\n  lw a1, 0(a0)");
    });
    await cleared;
    assert.deepEqual(errorsOf(document.uri), []);
  });

  it("completes mnemonics, registers and CSR names", async () => {
    const complete = async (line: number, character: number) => {
      const list = await within(10_000, vscode.commands.executeCommand<vscode.CompletionList>(
        "vscode.executeCompletionItemProvider", document.uri, new vscode.Position(line, character)), "completion");
      return list.items.map((i) => (typeof i.label === "string" ? i.label : i.label.label));
    };
    const atStart = await complete(1, 2);
    for (const m of ["addi", "csrrw", "sfence.vma", "hlv.d", "li", "c.addi"]) assert.ok(atStart.includes(m), `${m} missing from ${atStart.length} items`);
    const operands = await complete(1, 5);
    assert.ok(operands.includes("a0") && operands.includes("x31") && operands.includes("sp"));
    const csr = await complete(4, 11);
    for (const c of ["mstatus", "mepc", "hgatp", "vsatp"]) assert.ok(csr.includes(c), `${c} missing`);
  });

  it("documents instructions and CSRs on hover", async () => {
    const hover = async (line: number, character: number) => {
      const hovers = await within(10_000, vscode.commands.executeCommand<vscode.Hover[]>(
        "vscode.executeHoverProvider", document.uri, new vscode.Position(line, character)), "hover");
      return hovers.flatMap((h) => h.contents.map((c) => (typeof c === "string" ? c : c.value))).join("\n");
    };
    assert.match(await hover(4, 3), /csrr rd, csr.*pseudo-instruction[\s\S]*Read a CSR/);
    assert.match(await hover(4, 12), /`mstatus` — CSR 0x300[\s\S]*Machine status/);
    assert.match(await hover(1, 3), /`li rd, imm`/);
  });

  it("shows a label's address and a #define's value on hover", async () => {
    const guest = await openGuest("names.S", [
      "#define UART_BASE 0x10000000", // 0
      "#define UART_LSR (UART_BASE + 5)", // 1
      "_start:", // 2
      "  li t0, UART_LSR", // 3
      "  call puts", // 4
      "puts:", // 5
      "  ret", // 6
      "",
    ].join("\n"));
    assert.match(await hoverWhen(guest.uri, 4, 8, /label at/), /^`puts`: label at `0x8000\w{4}`, defined on line 6$/);
    assert.match(await hoverText(guest.uri, 5, 1), /^`puts`: label at `0x8000\w{4}`/, "on the definition too");
    assert.match(await hoverText(guest.uri, 3, 12), /#define UART_LSR \(UART_BASE \+ 5\)[\s\S]*= `0x10000005` \(268435461\), defined on line 2/);
    assert.match(await hoverText(guest.uri, 1, 24), /#define UART_BASE 0x10000000/, "inside another #define");
  });

  it("offers 'did you mean' for a misspelt CSR, and the fix assembles", async () => {
    const guest = await openGuest("typo.S", "_start:\n  csrr t0, mtvek\n");
    if (errorsOf(guest.uri).length === 0) {
      await nextEvent(vscode.languages.onDidChangeDiagnostics, () => errorsOf(guest.uri).length > 0, 10_000, "diagnostics for typo.S");
    }
    const [error] = errorsOf(guest.uri);
    assert.match(error!.message, /found 'mtvek'; did you mean 'mtvec'\?/);
    const actions = await within(10_000, vscode.commands.executeCommand<vscode.CodeAction[]>(
      "vscode.executeCodeActionProvider", guest.uri, error!.range, vscode.CodeActionKind.QuickFix.value), "code actions");
    const fix = actions.find((a) => a.title === "Did you mean 'mtvec'?");
    assert.ok(fix?.edit, `quick fixes: ${actions.map((a) => a.title).join(", ")}`);
    assert.equal(fix.isPreferred, true);
    const cleared = nextEvent(vscode.languages.onDidChangeDiagnostics, () => errorsOf(guest.uri).length === 0, 10_000, "the error to clear");
    assert.ok(await vscode.workspace.applyEdit(fix.edit));
    assert.equal(guest.lineAt(1).text, "  csrr t0, mtvec");
    await cleared;
  });

  it("folds .macro blocks and #regions, but only #regions label the minimap", async () => {
    const body = Array.from({ length: 12 }, (_, i) => `  addi a0, a0, ${i}`);
    const guest = await openGuest("minimap.S", [
      "# region Boot code", // 0
      "_start:", // 1
      ...body, // 2-13
      "# endregion", // 14
      ".macro SAVE_ALL frame", // 15
      ...body, // 16-27
      ".endm", // 28
      "  SAVE_ALL 1", // 29
      "",
    ].join("\n"));
    const ranges = await within(10_000, vscode.commands.executeCommand<vscode.FoldingRange[]>(
      "vscode.executeFoldingRangeProvider", guest.uri), "folding ranges");
    const found = ranges.map((r) => [r.start, r.end, r.kind]);
    assert.deepEqual(found.find(([start]) => start === 0), [0, 14, vscode.FoldingRangeKind.Region]);
    assert.deepEqual(found.find(([start]) => start === 15), [15, 28, undefined]);
    assert.deepEqual(found.find(([start]) => start === 1), [1, 13, undefined], "a label folds its indented body");
    // The minimap shows "Boot code" as a section label, and no "SAVE_ALL frame" (look at the picture).
    await screenshot("editor-minimap-sections");
  });
});

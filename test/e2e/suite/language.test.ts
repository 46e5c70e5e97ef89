import * as assert from "node:assert/strict";
import * as vscode from "vscode";
import { firstGuest } from "./guest";
import { nextEvent, within } from "./wait";

/** A guest with two errors: a missing operand on line 3 and a bad base register on line 4. */
const BROKEN = "_start:\n  li a0, 1\n  addi a0, a0\n  lw a1, 0(a9)\n  csrr t0, mstatus\n";

async function openBroken(): Promise<vscode.TextDocument> {
  const { folder } = await firstGuest();
  const uri = vscode.Uri.joinPath(folder.uri, "zz-language", "broken.S");
  await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(BROKEN));
  const document = await vscode.workspace.openTextDocument(uri);
  await vscode.window.showTextDocument(document);
  return document;
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
});

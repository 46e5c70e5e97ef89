/**
 * The editor's language features for guest assembly, wired to VS Code: every assembly error in the
 * Problems panel as you type (with a quick fix where the assembler suggests one), completion, hovers
 * (instructions, CSRs, registers, and the guest's own labels and #defines) and folding. The logic
 * is in the pure modules beside this one; this file keeps the last assembly of each open document.
 * The assemblies run in a worker thread (assembler_client.ts), so a slow one never blocks the editor.
 */
import * as vscode from "vscode";
import { completionsAt, type AsmItemKind } from "./completion";
import { AssemblerClient } from "./assembler_client";
import type { AsmProblem, EditorAssembly } from "./diagnostics";
import { clearOnDelete } from "./deleted_files";
import { foldingRanges } from "./folding";
import { hoverAt } from "./hover";
import { nameMarkdown, type NameTable } from "./names";

const GUEST_LANGUAGE = "riscv-asm";
/** Re-assemble this long after the last keystroke: quick enough to feel live, rare enough to stay cheap. */
const CHANGE_DELAY_MS = 300;

export function registerLanguage(context: vscode.ExtensionContext): void {
  const assemblies = registerAssemblyProblems(context);
  context.subscriptions.push(
    vscode.languages.registerCompletionItemProvider(GUEST_LANGUAGE, { provideCompletionItems }, ".", " ", ","),
    vscode.languages.registerHoverProvider(GUEST_LANGUAGE, { provideHover: (d, p) => provideHover(d, p, assemblies.names(d)) }),
    vscode.languages.registerCodeActionsProvider(GUEST_LANGUAGE, {
      provideCodeActions: (d, _range, ctx) => quickFixes(d, ctx, assemblies.problems(d)),
    }, { providedCodeActionKinds: [vscode.CodeActionKind.QuickFix] }),
    vscode.languages.registerFoldingRangeProvider(GUEST_LANGUAGE, { provideFoldingRanges }),
  );
}

/** What the last assembly of each open document found, for the hover and the quick fixes. */
interface Assemblies {
  names(document: vscode.TextDocument): NameTable;
  problems(document: vscode.TextDocument): AsmProblem[];
}

/** Assembles open guest files on open, save and (debounced) change; every error goes to the Problems panel. */
function registerAssemblyProblems(context: vscode.ExtensionContext): Assemblies {
  const collection = vscode.languages.createDiagnosticCollection("hyperstep-asm");
  const assembler = new AssemblerClient(context.asAbsolutePath("dist/assembler_worker.js"));
  /** The files (the document and what it includes) each document last put problems on. */
  const reported = new Map<string, vscode.Uri[]>();
  const timers = new Map<string, ReturnType<typeof setTimeout>>();
  const last = new Map<string, EditorAssembly>();
  /** The labels of the last assembly without errors: while the file is being edited, addresses stay shown. */
  const lastNames = new Map<string, EditorAssembly["names"]>();

  const check = async (document: vscode.TextDocument) => {
    if (document.languageId !== GUEST_LANGUAGE) return;
    const key = document.uri.toString();
    const assembly = await assembler.assemble(key, { fileName: document.uri.fsPath, text: document.getText(), unsaved: unsavedTexts(document) });
    if (!assembly) return; // a newer check of the document, or its closing, came first
    for (const uri of reported.get(key) ?? []) collection.delete(uri);
    last.set(key, assembly);
    if (assembly.problems.length === 0) lastNames.set(key, assembly.names);
    const byFile = new Map<string, vscode.Diagnostic[]>([[document.uri.fsPath, []]]);
    for (const p of assembly.problems) {
      const d = new vscode.Diagnostic(new vscode.Range(p.range.line, p.range.start, p.range.line, p.range.end), p.message, vscode.DiagnosticSeverity.Error);
      d.source = "hyperstep";
      if (!byFile.has(p.file)) byFile.set(p.file, []);
      byFile.get(p.file)!.push(d);
    }
    const uris: vscode.Uri[] = [];
    for (const [file, diagnostics] of byFile) {
      const uri = file === document.uri.fsPath ? document.uri : vscode.Uri.file(file);
      collection.set(uri, diagnostics);
      uris.push(uri);
    }
    reported.set(key, uris);
  };
  const later = (document: vscode.TextDocument) => {
    const key = document.uri.toString();
    clearTimeout(timers.get(key));
    timers.set(key, setTimeout(() => {
      timers.delete(key);
      void check(document);
    }, CHANGE_DELAY_MS));
  };

  context.subscriptions.push(
    collection,
    assembler,
    vscode.workspace.onDidOpenTextDocument((document) => void check(document)),
    vscode.workspace.onDidSaveTextDocument((document) => void check(document)),
    vscode.workspace.onDidChangeTextDocument((e) => later(e.document)),
    vscode.workspace.onDidCloseTextDocument((document) => {
      const key = document.uri.toString();
      clearTimeout(timers.get(key));
      assembler.cancel(key);
      for (const uri of reported.get(key) ?? []) collection.delete(uri);
      reported.delete(key);
      last.delete(key);
      lastNames.delete(key);
    }),
    { dispose: () => timers.forEach((t) => clearTimeout(t)) },
  );
  // A deleted file takes its problems with it, even while its (closed) document lingers in memory.
  context.subscriptions.push(clearOnDelete(collection));
  for (const document of vscode.workspace.textDocuments) void check(document);
  return {
    names: (document) => {
      const key = document.uri.toString();
      const assembly = last.get(key);
      return { names: lastNames.get(key) ?? [], defines: assembly?.defines ?? [], stale: (assembly?.problems.length ?? 0) > 0 };
    },
    problems: (document) => last.get(document.uri.toString())?.problems ?? [],
  };
}

/** The other files open with unsaved changes: what `document` includes is read from these, the rest from disk. */
function unsavedTexts(document: vscode.TextDocument): Map<string, string> {
  return new Map(vscode.workspace.textDocuments
    .filter((d) => d !== document && d.isDirty && d.uri.scheme === "file")
    .map((d) => [d.uri.fsPath, d.getText()]));
}

const ITEM_KINDS: Record<AsmItemKind, vscode.CompletionItemKind> = {
  mnemonic: vscode.CompletionItemKind.Keyword,
  register: vscode.CompletionItemKind.Variable,
  csr: vscode.CompletionItemKind.Constant,
  directive: vscode.CompletionItemKind.Module,
};

function provideCompletionItems(document: vscode.TextDocument, position: vscode.Position): vscode.CompletionItem[] {
  const prefix = document.lineAt(position.line).text.slice(0, position.character);
  // Mnemonics contain dots (`fence.i`), directives start with one: the word being completed includes them.
  const wordRange = document.getWordRangeAtPosition(position, /[A-Za-z_.$][\w.$]*/);
  return completionsAt(prefix).map((c) => {
    const item = new vscode.CompletionItem(c.label, ITEM_KINDS[c.kind]);
    item.detail = c.detail;
    if (c.documentation) item.documentation = new vscode.MarkdownString(c.documentation);
    if (wordRange) item.range = new vscode.Range(wordRange.start, position);
    return item;
  });
}

function provideHover(document: vscode.TextDocument, position: vscode.Position, names: NameTable): vscode.Hover | undefined {
  const at = { file: document.uri.fsPath, line: position.line + 1 };
  const h = hoverAt(document.lineAt(position.line).text, position.character, (word) => nameMarkdown(names, word, at));
  if (!h) return undefined;
  return new vscode.Hover(new vscode.MarkdownString(h.markdown), new vscode.Range(position.line, h.start, position.line, h.end));
}

/** The assembler's suggested fix for each of our diagnostics in the request, matched by range and message. */
function quickFixes(document: vscode.TextDocument, context: vscode.CodeActionContext, problems: AsmProblem[]): vscode.CodeAction[] {
  const actions: vscode.CodeAction[] = [];
  for (const d of context.diagnostics) {
    if (d.source !== "hyperstep") continue;
    const p = problems.find((q) => q.replacement !== undefined && q.file === document.uri.fsPath && q.message === d.message &&
      q.range.line === d.range.start.line && q.range.start === d.range.start.character && q.range.end === d.range.end.character);
    if (!p) continue;
    const action = new vscode.CodeAction(`Did you mean '${p.replacement}'?`, vscode.CodeActionKind.QuickFix);
    action.edit = new vscode.WorkspaceEdit();
    action.edit.replace(document.uri, d.range, p.replacement!);
    action.diagnostics = [d];
    action.isPreferred = true;
    actions.push(action);
  }
  return actions;
}

function provideFoldingRanges(document: vscode.TextDocument): vscode.FoldingRange[] {
  const lines = Array.from({ length: document.lineCount }, (_, i) => document.lineAt(i).text);
  const tabSize = vscode.window.visibleTextEditors.find((e) => e.document === document)?.options.tabSize;
  const kinds = { region: vscode.FoldingRangeKind.Region, comment: vscode.FoldingRangeKind.Comment };
  return foldingRanges(lines, typeof tabSize === "number" ? tabSize : undefined)
    .map((f) => new vscode.FoldingRange(f.start, f.end, f.kind && kinds[f.kind]));
}

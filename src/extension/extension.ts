import * as vscode from "vscode";
import { completionsAt, type AsmItemKind } from "./completion";
import { HyperstepConfigurationProvider } from "./debug_configuration";
import { InlineAdapterFactory } from "./adapter_factory";
import { assembleForProblems } from "./diagnostics";
import { hoverAt } from "./hover";
import { registerPanels } from "./panels/register";
import { registerLaunchProblems } from "./launch_problems";
import { registerStatusBar } from "./status_bar";
import { registerUartTerminals } from "./uart_terminal";
import { readSourceFile } from "../target/program_file";

const GUEST_LANGUAGE = "riscv-asm";
/** Re-assemble this long after the last keystroke: quick enough to feel live, rare enough to stay cheap. */
const CHANGE_DELAY_MS = 300;

export function activate(context: vscode.ExtensionContext): void {
  const provider = new HyperstepConfigurationProvider();
  context.subscriptions.push(
    vscode.debug.registerDebugConfigurationProvider("hyperstep", provider),
    vscode.debug.registerDebugConfigurationProvider("hyperstep", provider, vscode.DebugConfigurationProviderTriggerKind.Dynamic),
    vscode.debug.registerDebugAdapterDescriptorFactory("hyperstep", new InlineAdapterFactory()),
  );
  registerLaunchProblems(context);
  registerUartTerminals(context);
  registerStatusBar(context);
  registerAssemblyProblems(context);
  registerPanels(context);
  context.subscriptions.push(
    vscode.languages.registerCompletionItemProvider(GUEST_LANGUAGE, { provideCompletionItems }, ".", " ", ","),
    vscode.languages.registerHoverProvider(GUEST_LANGUAGE, { provideHover }),
  );
}

export function deactivate(): void {}

/** Assembles open guest files on open, save and (debounced) change; every error goes to the Problems panel. */
function registerAssemblyProblems(context: vscode.ExtensionContext): void {
  const collection = vscode.languages.createDiagnosticCollection("hyperstep-asm");
  /** The files (the document and what it includes) each document last put problems on. */
  const reported = new Map<string, vscode.Uri[]>();
  const timers = new Map<string, ReturnType<typeof setTimeout>>();

  const check = (document: vscode.TextDocument) => {
    if (document.languageId !== GUEST_LANGUAGE) return;
    const key = document.uri.toString();
    for (const uri of reported.get(key) ?? []) collection.delete(uri);
    const problems = assembleForProblems(document.uri.fsPath, document.getText(), readSource);
    const byFile = new Map<string, vscode.Diagnostic[]>([[document.uri.fsPath, []]]);
    for (const p of problems) {
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
      check(document);
    }, CHANGE_DELAY_MS));
  };

  context.subscriptions.push(
    collection,
    vscode.workspace.onDidOpenTextDocument(check),
    vscode.workspace.onDidSaveTextDocument(check),
    vscode.workspace.onDidChangeTextDocument((e) => later(e.document)),
    vscode.workspace.onDidCloseTextDocument((document) => {
      const key = document.uri.toString();
      clearTimeout(timers.get(key));
      for (const uri of reported.get(key) ?? []) collection.delete(uri);
      reported.delete(key);
    }),
    { dispose: () => timers.forEach((t) => clearTimeout(t)) },
  );
  vscode.workspace.textDocuments.forEach(check);
}

/** An included file's text: the open editor's (maybe unsaved) text, else the file on disk. */
function readSource(path: string): string | undefined {
  const open = vscode.workspace.textDocuments.find((d) => d.uri.scheme === "file" && d.uri.fsPath === path);
  if (open) return open.getText();
  // Not readFileSync: `#include "/dev/zero"` or a FIFO would freeze the extension host.
  return readSourceFile(path);
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

function provideHover(document: vscode.TextDocument, position: vscode.Position): vscode.Hover | undefined {
  const h = hoverAt(document.lineAt(position.line).text, position.character);
  if (!h) return undefined;
  return new vscode.Hover(new vscode.MarkdownString(h.markdown), new vscode.Range(position.line, h.start, position.line, h.end));
}

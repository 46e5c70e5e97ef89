import { readFileSync } from "node:fs";
import type { DebugProtocol } from "@vscode/debugprotocol";
import * as vscode from "vscode";
import type { AsmDiagnostic } from "../asm/diagnostics";
import { assemblyErrorsIn, launchProblems, launchSucceeded } from "./adapter_messages";
import { clearOnDelete } from "./deleted_files";

/**
 * A launch that fails on assembly errors puts them in the Problems panel, so F5 on a broken guest
 * (open or not) points at each error. The next successful launch clears them. The message itself is
 * the adapter's error response, which VS Code shows in its dialog and in the Debug Console.
 *
 * Files open in an editor are already checked live (extension.ts), so a launch error identical to
 * one shown there is not repeated, and opening or editing a file hands it back to the live check.
 */
export function registerLaunchProblems(context: vscode.ExtensionContext): void {
  const collection = vscode.languages.createDiagnosticCollection("hyperstep-launch");

  const report = (errors: AsmDiagnostic[]) => {
    collection.clear();
    const byFile = new Map<string, vscode.Diagnostic[]>();
    for (const p of launchProblems(errors, lineText)) {
      const d = new vscode.Diagnostic(new vscode.Range(p.range.line, p.range.start, p.range.line, p.range.end), p.message, vscode.DiagnosticSeverity.Error);
      d.source = "hyperstep";
      if (!byFile.has(p.file)) byFile.set(p.file, []);
      byFile.get(p.file)!.push(d);
    }
    for (const [file, diagnostics] of byFile) {
      const uri = vscode.Uri.file(file);
      const shown = vscode.languages.getDiagnostics(uri);
      collection.set(uri, diagnostics.filter((d) => !shown.some((s) => s.message === d.message && s.range.isEqual(d.range))));
    }
  };
  const handBack = (document: vscode.TextDocument) => collection.delete(document.uri);

  context.subscriptions.push(
    collection,
    vscode.debug.registerDebugAdapterTrackerFactory("hyperstep", {
      createDebugAdapterTracker: () => {
        // The adapter reports the errors twice (an output event, then the failed response): act once per attempt.
        let reported = false;
        return {
          onWillReceiveMessage: (m: DebugProtocol.ProtocolMessage) => {
            if (m.type === "request" && ["launch", "restart"].includes((m as DebugProtocol.Request).command)) reported = false;
          },
          onDidSendMessage: (m: DebugProtocol.ProtocolMessage) => {
            const errors = assemblyErrorsIn(m);
            if (errors && !reported) report(errors);
            else if (launchSucceeded(m)) collection.clear();
            reported ||= errors !== undefined;
          },
        };
      },
    }),
    clearOnDelete(collection),
    vscode.workspace.onDidOpenTextDocument(handBack),
    vscode.workspace.onDidChangeTextDocument((e) => {
      if (e.contentChanges.length > 0) handBack(e.document);
    }),
  );
}

/** A 1-based line of a file as the adapter assembled it (from disk: VS Code saves before launching). */
function lineText(file: string, line: number): string {
  const open = vscode.workspace.textDocuments.find((d) => d.uri.scheme === "file" && d.uri.fsPath === file);
  if (open) return line - 1 < open.lineCount ? open.lineAt(line - 1).text : "";
  try {
    return readFileSync(file, "utf8").split(/\r?\n/)[line - 1] ?? "";
  } catch {
    return "";
  }
}

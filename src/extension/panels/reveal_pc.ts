import * as vscode from "vscode";
import { request } from "./session_watch";

/**
 * Shows a guest pc of `session`: its source line when the program has one, else the Disassembly view
 * (with a message naming `what` is there, since that view cannot be pointed at an address). The source
 * opens where it is already visible, else in `column` (a panel in the editor area passes a column
 * other than its own, so that the source does not cover it).
 */
export async function revealGuestPc(session: vscode.DebugSession, pc: string, what: string, column?: vscode.ViewColumn): Promise<void> {
  const r = await request<{ instructions?: { location?: { path?: string }; line?: number; instruction?: string }[] }>(session, "disassemble", { memoryReference: pc, instructionCount: 1, resolveSymbols: true });
  const insn = r.ok ? r.body.instructions?.[0] : undefined;
  if (insn?.location?.path && insn.line) {
    const position = new vscode.Position(insn.line - 1, 0);
    const uri = sourceUri(insn.location.path);
    // By path: a remote session's URI and the open document's may spell the authority differently.
    const shown = vscode.window.visibleTextEditors.find((e) => e.document.uri.scheme === uri.scheme && e.document.uri.path === uri.path);
    await vscode.window.showTextDocument(uri, { selection: new vscode.Range(position, position), preview: true, viewColumn: shown?.viewColumn ?? column });
    return;
  }
  await vscode.commands.executeCommand("debug.action.openDisassemblyView");
  void vscode.window.showInformationMessage(`${what} at guest pc ${pc}${insn?.instruction ? `: ${insn.instruction}` : ""} (no source line for it).`);
}

/**
 * A DAP source path as a URI. VS Code hands a remote session's paths to the extension already as
 * URIs (`vscode-remote://…`); a plain path is a file.
 */
export function sourceUri(path: string): vscode.Uri {
  return /^[a-z][a-z0-9+.-]+:\/\//i.test(path) ? vscode.Uri.parse(path) : vscode.Uri.file(path);
}

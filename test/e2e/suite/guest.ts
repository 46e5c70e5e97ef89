import * as vscode from "vscode";

/** The workspace folder the runner opened (a copy of sample-guests/) and its first assembly guest. */
export async function firstGuest(): Promise<{ folder: vscode.WorkspaceFolder; guest: vscode.Uri }> {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error("no workspace folder is open: run the suite through test/e2e/run.mjs");
  const found = await vscode.workspace.findFiles(new vscode.RelativePattern(folder, "**/*.S"));
  const guest = found.sort((a, b) => a.fsPath.localeCompare(b.fsPath))[0];
  if (!guest) throw new Error(`no .S guest in ${folder.uri.fsPath}`);
  return { folder, guest };
}

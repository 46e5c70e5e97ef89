import * as vscode from "vscode";

/** Opens Run and Debug with the Host view in sight: the side bar's other views are taken away (for the screenshot). */
export async function showHostView(): Promise<void> {
  await vscode.commands.executeCommand("workbench.view.debug");
  const available = new Set(await vscode.commands.getCommands(true));
  for (const view of ["workbench.debug.watchExpressionsView", "workbench.debug.loadedScriptsView", "workbench.debug.breakPointsView", "workbench.debug.variablesView", "hyperstep.devices"]) {
    if (available.has(`${view}.removeView`)) await vscode.commands.executeCommand(`${view}.removeView`);
  }
  await vscode.commands.executeCommand("hyperstep.host.focus");
}

/** Brings the Host view's last row (the balloon or the swap area) into sight, opened on its pages. */
export async function revealLastHostRow(): Promise<void> {
  await vscode.commands.executeCommand("hyperstep.host.focus");
  // The tree takes the focus a moment after the view does.
  await new Promise((r) => setTimeout(r, 300));
  await vscode.commands.executeCommand("list.focusLast");
  await vscode.commands.executeCommand("list.expand");
  await new Promise((r) => setTimeout(r, 300));
  await vscode.commands.executeCommand("list.focusLast");
}

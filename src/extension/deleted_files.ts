import * as vscode from "vscode";

/**
 * Drops a collection's problems on files that are deleted, even while a closed editor's document
 * lingers in memory. Deleting a folder reports the folder alone, so everything under it goes too.
 */
export function clearOnDelete(collection: vscode.DiagnosticCollection): vscode.Disposable {
  const watcher = vscode.workspace.createFileSystemWatcher("**/*", true, true, false);
  const listener = watcher.onDidDelete((gone) => {
    const inside = gone.toString() + "/";
    const stale: vscode.Uri[] = [];
    collection.forEach((uri) => {
      if (uri.toString() === gone.toString() || uri.toString().startsWith(inside)) stale.push(uri);
    });
    for (const uri of stale) collection.delete(uri);
  });
  return vscode.Disposable.from(listener, watcher);
}

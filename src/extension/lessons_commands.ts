import * as vscode from "vscode";

/**
 * The lessons as a course: the walkthrough (package.json `walkthroughs`) and the commands its steps
 * use. The lessons ship inside the extension (sample-guests/); a student works on a copy of them in a
 * folder of their own, which becomes the workspace, so every lesson's configuration is in the Run and
 * Debug dropdown (sample-guests/.vscode/launch.json).
 */
export function registerLessons(context: vscode.ExtensionContext): void {
  context.subscriptions.push(
    vscode.commands.registerCommand("hyperstep.openLessons", () => openLessons(context)),
    vscode.commands.registerCommand("hyperstep.startLesson", (name?: unknown) => startLesson(context, typeof name === "string" ? name : undefined)),
    vscode.commands.registerCommand("hyperstep.showGlossary", (section?: unknown) => showGlossary(context, typeof section === "string" ? section : undefined)),
    // A walkthrough step is done once its lesson has run (its completionEvents watch these keys).
    vscode.debug.onDidStartDebugSession((s) => {
      const lesson = /^([a-z-]+) \(/.exec(s.configuration.name)?.[1];
      if (s.type === "hyperstep" && lesson) void vscode.commands.executeCommand("setContext", `hyperstep.ran.${lesson.replace(/-/g, "_")}`, true);
    }),
  );
}

/** The workspace folder that holds the lessons (hello/ and a launch.json offering it), if one is open. */
function lessonsFolder(): vscode.WorkspaceFolder | undefined {
  return vscode.workspace.workspaceFolders?.find((f) =>
    (vscode.workspace.getConfiguration("launch", f).get<{ name?: string }[]>("configurations") ?? []).some((c) => c.name === "hello (native)"));
}

async function openLessons(context: vscode.ExtensionContext): Promise<void> {
  const open = lessonsFolder();
  if (open) {
    await vscode.commands.executeCommand("markdown.showPreview", vscode.Uri.joinPath(open.uri, "hello", "README.md"));
    return;
  }
  const parent = await vscode.window.showOpenDialog({
    canSelectFolders: true, canSelectFiles: false, canSelectMany: false, openLabel: "Put the lessons here",
    title: "Hyperstep: choose a folder for your copy of the lessons (a hyperstep-lessons folder is made in it)",
  });
  if (!parent?.[0]) return;
  const target = vscode.Uri.joinPath(parent[0], "hyperstep-lessons");
  const exists = await vscode.workspace.fs.stat(target).then(() => true, () => false);
  if (!exists) await vscode.workspace.fs.copy(vscode.Uri.joinPath(context.extensionUri, "sample-guests"), target);
  await vscode.commands.executeCommand("vscode.openFolder", target);
}

async function startLesson(context: vscode.ExtensionContext, name: string | undefined): Promise<void> {
  const folder = lessonsFolder();
  if (!folder) {
    const choice = await vscode.window.showInformationMessage("Hyperstep: the lessons are not open in this window. Open a copy of them first.", "Open the Lessons");
    if (choice) await openLessons(context);
    return;
  }
  if (!name) {
    await vscode.commands.executeCommand("workbench.view.debug");
    return;
  }
  if (!(await vscode.debug.startDebugging(folder, name))) void vscode.window.showErrorMessage(`Hyperstep: the lesson '${name}' did not start (see the Debug Console).`);
}

async function showGlossary(context: vscode.ExtensionContext, section: string | undefined): Promise<void> {
  const uri = vscode.Uri.joinPath(context.extensionUri, "media", "glossary.md");
  await vscode.commands.executeCommand("markdown.showPreview", section ? uri.with({ fragment: section }) : uri);
}

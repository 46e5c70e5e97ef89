import * as vscode from "vscode";
import { AVAILABLE_TECHNIQUES } from "../target/techniques";
import { fileConfigurations, fromParent, configurationsIn, type LaunchConfiguration } from "./lessons";

const GUEST_LANGUAGE = "riscv-asm";

/**
 * Launch configurations without writing any: F5 on an open guest file with no launch.json; *Create a
 * launch.json file* (portable paths, with a technique); and, in the Run and Debug dropdown under
 * "Hyperstep…", every lesson of the workspace with its technique (lessons.ts).
 */
export class HyperstepConfigurationProvider implements vscode.DebugConfigurationProvider {
  /** Initial (Create a launch.json file) and Dynamic (the dropdown): the lessons, else the open guest file. */
  async provideDebugConfigurations(folder: vscode.WorkspaceFolder | undefined): Promise<vscode.DebugConfiguration[]> {
    const lessons = folder ? await lessonConfigurations(folder) : [];
    return lessons.length > 0 ? lessons : activeFileConfigurations(folder);
  }

  resolveDebugConfiguration(
    _folder: vscode.WorkspaceFolder | undefined,
    config: vscode.DebugConfiguration,
  ): vscode.ProviderResult<vscode.DebugConfiguration> {
    // An empty configuration is what VS Code sends for F5 without a launch.json.
    if (!config.type && !config.request && !config.name) {
      const editor = vscode.window.activeTextEditor;
      if (!editor || editor.document.languageId !== GUEST_LANGUAGE) {
        void vscode.window.showErrorMessage("Hyperstep: open a RISC-V assembly (.S/.s) file to debug it, or pick a lesson in the Run and Debug view.");
        return undefined;
      }
      return { type: "hyperstep", request: "launch", name: "Hyperstep: debug this file", program: editor.document.uri.fsPath, stopOnEntry: true };
    }
    return config;
  }
}

/** The configurations of every lesson folder (one with its own .vscode/launch.json) directly under `folder`. */
async function lessonConfigurations(folder: vscode.WorkspaceFolder): Promise<LaunchConfiguration[]> {
  const files = await vscode.workspace.findFiles(new vscode.RelativePattern(folder, "*/.vscode/launch.json"));
  const lessons = await Promise.all(files.map(async (uri) => {
    const lesson = vscode.workspace.asRelativePath(uri, false).split("/")[0];
    return fromParent(lesson, configurationsIn(new TextDecoder().decode(await vscode.workspace.fs.readFile(uri))));
  }));
  return lessons.flat().sort((a, b) => a.name.localeCompare(b.name));
}

function activeFileConfigurations(folder: vscode.WorkspaceFolder | undefined): LaunchConfiguration[] {
  const document = vscode.window.activeTextEditor?.document;
  if (!document || document.languageId !== GUEST_LANGUAGE) return [];
  const relative = folder ? vscode.workspace.asRelativePath(document.uri, false) : undefined;
  const inFolder = folder && relative !== undefined && relative !== document.uri.fsPath;
  return fileConfigurations(inFolder ? relative : document.uri.fsPath, AVAILABLE_TECHNIQUES).map((c) =>
    inFolder ? c : { ...c, program: document.uri.fsPath });
}

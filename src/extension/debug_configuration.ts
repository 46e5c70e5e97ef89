import * as vscode from "vscode";

const GUEST_LANGUAGE = "riscv-asm";

/**
 * Lets F5 work on an open guest file with no launch.json, and offers "Hyperstep: debug this file"
 * in the Run and Debug dropdown.
 */
export class HyperstepConfigurationProvider implements vscode.DebugConfigurationProvider {
  provideDebugConfigurations(): vscode.DebugConfiguration[] {
    const editor = vscode.window.activeTextEditor;
    if (!editor || editor.document.languageId !== GUEST_LANGUAGE) return [];
    return [configurationFor(editor.document.uri.fsPath)];
  }

  resolveDebugConfiguration(
    _folder: vscode.WorkspaceFolder | undefined,
    config: vscode.DebugConfiguration,
  ): vscode.ProviderResult<vscode.DebugConfiguration> {
    // An empty configuration is what VS Code sends for F5 without a launch.json.
    if (!config.type && !config.request && !config.name) {
      const editor = vscode.window.activeTextEditor;
      if (!editor || editor.document.languageId !== GUEST_LANGUAGE) {
        void vscode.window.showErrorMessage("Hyperstep: open a RISC-V assembly (.S/.s) file to debug it, or add a launch configuration.");
        return undefined;
      }
      return configurationFor(editor.document.uri.fsPath);
    }
    return config;
  }
}

function configurationFor(program: string): vscode.DebugConfiguration {
  return { type: "hyperstep", request: "launch", name: "Hyperstep: debug this file", program, stopOnEntry: true };
}

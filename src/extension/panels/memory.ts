import * as vscode from "vscode";
import { memoryUriParts, parseMemoryAddress } from "./memory_address";
import type { SessionWatch } from "./session_watch";

const HEX_EDITOR = "ms-vscode.hexeditor";

export function memoryUri(session: vscode.DebugSession, memoryReference: string, range?: { from: number; to: number }): vscode.Uri {
  return vscode.Uri.from(memoryUriParts(session.id, memoryReference, range));
}

/**
 * Opens VS Code's memory view (the hex editor over the session's memory file system) at a reference.
 * The adapter is asked for one byte first, so a wrong address space or an unmapped address is
 * reported in its own words instead of as an empty editor.
 */
export async function openMemory(session: vscode.DebugSession, memoryReference: string): Promise<vscode.Uri | undefined> {
  try {
    const probe = (await session.customRequest("readMemory", { memoryReference, count: 1 })) as { data?: string };
    if (!probe?.data) {
      void vscode.window.showWarningMessage(`Nothing readable is mapped at ${memoryReference}.`);
      return undefined;
    }
  } catch (e) {
    void vscode.window.showErrorMessage(`Cannot open memory at ${memoryReference}: ${e instanceof Error ? e.message : String(e)}`);
    return undefined;
  }
  const uri = memoryUri(session, memoryReference);
  if (vscode.extensions.getExtension(HEX_EDITOR)) {
    await vscode.commands.executeCommand("vscode.openWith", uri, "hexEditor.hexedit");
  } else {
    const install = "Show Hex Editor extension";
    void vscode.window.showInformationMessage(`VS Code shows memory in the Hex Editor extension (${HEX_EDITOR}), which is not installed.`, install).then((choice) => {
      if (choice === install) void vscode.commands.executeCommand("workbench.extensions.search", HEX_EDITOR);
    });
  }
  return uri;
}

/** The "Hyperstep: Open Memory at Address…" command. */
export async function openMemoryCommand(watch: SessionWatch, initial?: string): Promise<vscode.Uri | undefined> {
  const session = watch.session;
  if (!session) {
    void vscode.window.showWarningMessage("Open Memory needs a stopped Hyperstep debug session.");
    return undefined;
  }
  const text = initial ?? (await vscode.window.showInputBox({
    title: "Hyperstep: Open Memory at Address",
    prompt: "An address space and an address: gva:, gpa:, hpa: (under a VMM) or va:, pa:",
    placeHolder: "gpa:0x80000000",
    validateInput: (t) => (t.trim() === "" ? undefined : parseMemoryAddress(t).ok ? undefined : (parseMemoryAddress(t) as { message: string }).message),
  }));
  if (text === undefined || text.trim() === "") return undefined;
  const parsed = parseMemoryAddress(text);
  if (!parsed.ok) {
    void vscode.window.showErrorMessage(parsed.message);
    return undefined;
  }
  return openMemory(session, parsed.memoryReference);
}

import * as vscode from "vscode";
import { memoryUriParts, parseMemoryAddress } from "./memory_address";
import type { MemoryPanels } from "./memory_panel";
import type { SessionWatch } from "./session_watch";

const HEX_EDITOR = "ms-vscode.hexeditor";

export function memoryUri(session: vscode.DebugSession, memoryReference: string, range?: { from: number; to: number }): vscode.Uri {
  return vscode.Uri.from(memoryUriParts(session.id, memoryReference, range));
}

/** Where a memory reference was opened: VS Code's hex editor over the memory URI, or our Memory panel. */
export type OpenedMemory = { in: "hexEditor"; uri: vscode.Uri } | { in: "memoryPanel"; memoryReference: string };

/**
 * Opens a memory reference in the Hex Editor extension when it is installed (VS Code's own memory
 * view), else in our Memory panel. The adapter is asked for one byte first, so a wrong address space
 * is reported in its own words instead of as an empty editor.
 */
export async function openMemory(session: vscode.DebugSession, memoryReference: string, panels: MemoryPanels): Promise<OpenedMemory | undefined> {
  let readable: boolean;
  try {
    const probe = (await session.customRequest("readMemory", { memoryReference, count: 1 })) as { data?: string };
    readable = Boolean(probe?.data);
  } catch (e) {
    void vscode.window.showErrorMessage(`Cannot open memory at ${memoryReference}: ${e instanceof Error ? e.message : String(e)}`);
    return undefined;
  }
  if (!vscode.extensions.getExtension(HEX_EDITOR)) {
    // Our panel shows unreadable bytes as such, so an unmapped address opens too.
    panels.show(memoryReference);
    return { in: "memoryPanel", memoryReference };
  }
  if (!readable) {
    void vscode.window.showWarningMessage(`Nothing readable is mapped at ${memoryReference}.`);
    return undefined;
  }
  const uri = memoryUri(session, memoryReference);
  await vscode.commands.executeCommand("vscode.openWith", uri, "hexEditor.hexedit");
  return { in: "hexEditor", uri };
}

/** The "Hyperstep: Open Memory at Address…" command. */
export async function openMemoryCommand(watch: SessionWatch, panels: MemoryPanels, initial?: string): Promise<OpenedMemory | undefined> {
  const session = watch.session;
  if (!session) {
    void vscode.window.showWarningMessage("Open Memory needs a stopped Hyperstep debug session.");
    return undefined;
  }
  const text = initial ?? (await vscode.window.showInputBox({
    title: "Hyperstep: Open Memory at Address",
    prompt: "An address space and an address: gva:, gpa:, hpa: (under a VMM) or va:, pa: (natively)",
    placeHolder: "pa:0x80000000",
    validateInput: (t) => (t.trim() === "" ? undefined : parseMemoryAddress(t).ok ? undefined : (parseMemoryAddress(t) as { message: string }).message),
  }));
  if (text === undefined || text.trim() === "") return undefined;
  const parsed = parseMemoryAddress(text);
  if (!parsed.ok) {
    void vscode.window.showErrorMessage(parsed.message);
    return undefined;
  }
  return openMemory(session, parsed.memoryReference, panels);
}

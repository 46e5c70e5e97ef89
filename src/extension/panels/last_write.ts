import * as vscode from "vscode";
import { MEMORY_REFERENCE } from "../../webview/model/messages";
import type { SessionWatch } from "./session_watch";

/**
 * "Go to Last Write" in the right-click menus of the Memory panel (a byte, or the 8-byte word that
 * holds it) and of the Page Tables panel (a guest PTE): the Debug Console's `lastwrite REF LEN`, whose
 * stop moves the debugger, and every view with it, to just before that store. The webviews mark what
 * can be right-clicked with `data-vscode-context` ({ webviewSection, ref }), which VS Code hands to
 * the command; package.json shows each item only on its section.
 */
export function registerLastWrite(watch: SessionWatch): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand("hyperstep.lastWriteByte", (context: unknown) => lastWrite(watch, context, 1)),
    vscode.commands.registerCommand("hyperstep.lastWriteWord", (context: unknown) => lastWrite(watch, context, 8)),
    vscode.commands.registerCommand("hyperstep.lastWritePte", (context: unknown) => lastWrite(watch, context, 8)),
  ];
}

/** Travels to the last store to `length` bytes at the right-clicked reference (a word: the aligned one that holds it). */
async function lastWrite(watch: SessionWatch, context: unknown, length: number): Promise<void> {
  const ref = (context as { ref?: unknown } | undefined)?.ref;
  const session = watch.session;
  // What a webview sends is checked before use, as every message of theirs is (messages.ts).
  if (typeof ref !== "string" || !MEMORY_REFERENCE.test(ref) || !session) return;
  const [space, address] = ref.split(":");
  const start = BigInt(address) & ~BigInt(length - 1);
  try {
    const r = await session.customRequest("evaluate", { expression: `lastwrite ${space}:0x${start.toString(16)} ${length}`, context: "repl" }) as { result: string };
    void vscode.window.showInformationMessage(`Hyperstep: ${r.result}.`);
  } catch (e) {
    void vscode.window.showWarningMessage(`Hyperstep: no last write of ${ref}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

import type { DebugProtocol } from "@vscode/debugprotocol";
import * as vscode from "vscode";
import { UART_INPUT_REQUEST } from "../debug/session";
import { forTerminal, launchSucceeded, uartOutputIn } from "./adapter_messages";

export const UART_TERMINAL_NAME = "Hyperstep UART";
const SETTING = "uartTerminal";

/**
 * The guest's serial console in a VS Code terminal, like QEMU's `-serial stdio`: it shows the UART
 * output as the adapter sends it and feeds what the user types to the guest's UART receiver.
 * Keystrokes go as typed (Enter is "\r", as on a real serial line); echo is the guest's job.
 */
class UartPty implements vscode.Pseudoterminal {
  private readonly writes = new vscode.EventEmitter<string>();
  readonly onDidWrite = this.writes.event;
  /** Output that arrived before VS Code opened the terminal; undefined once it is open. */
  private early: string[] | undefined = [];
  private closed = false;

  constructor(private readonly session: vscode.DebugSession) {}

  open(): void {
    for (const text of this.early ?? []) this.writes.fire(text);
    this.early = undefined;
  }

  close(): void {
    this.closed = true;
  }

  handleInput(text: string): void {
    if (this.closed) return;
    this.session.customRequest(UART_INPUT_REQUEST, { text }).then(undefined, (e: unknown) => {
      this.show(`\r\n[hyperstep: the guest did not get this input: ${e instanceof Error ? e.message : String(e)}]\r\n`);
    });
  }

  /** Shows guest output (already in terminal form). */
  show(text: string): void {
    if (this.early) this.early.push(text);
    else this.writes.fire(text);
  }

  dispose(): void {
    this.writes.dispose();
  }
}

/** One UART terminal per hyperstep session, opened once the guest has loaded and closed when the session ends. */
export function registerUartTerminals(context: vscode.ExtensionContext): void {
  const open = new Map<string, { pty: UartPty; terminal?: vscode.Terminal }>();

  const end = (session: vscode.DebugSession) => {
    const entry = open.get(session.id);
    open.delete(session.id);
    entry?.terminal?.dispose();
    entry?.pty.dispose();
  };

  context.subscriptions.push(
    vscode.debug.registerDebugAdapterTrackerFactory("hyperstep", {
      createDebugAdapterTracker: (session) => {
        if (!vscode.workspace.getConfiguration("hyperstep", session.workspaceFolder).get<boolean>(SETTING, true)) return undefined;
        const entry: { pty: UartPty; terminal?: vscode.Terminal } = { pty: new UartPty(session) };
        open.set(session.id, entry);
        return {
          onDidSendMessage: (m: DebugProtocol.ProtocolMessage) => {
            const text = uartOutputIn(m);
            if (text !== undefined) entry.pty.show(forTerminal(text));
            else if (!entry.terminal && launchSucceeded(m) && open.has(session.id)) {
              // Opened only now, so a launch that fails leaves no terminal behind.
              entry.terminal = vscode.window.createTerminal({ name: UART_TERMINAL_NAME, pty: entry.pty, iconPath: new vscode.ThemeIcon("plug") });
              entry.terminal.show(true);
            }
          },
        };
      },
    }),
    vscode.debug.onDidTerminateDebugSession(end),
    { dispose: () => [...open.values()].forEach(({ terminal, pty }) => (terminal?.dispose(), pty.dispose())) },
  );
}

import * as vscode from "vscode";

/** A stop of a Hyperstep session, with when the extension saw the adapter's `stopped` event. */
export interface StopInfo {
  session: vscode.DebugSession;
  /** performance.now() at the `stopped` event: where the panels' refresh time is measured from. */
  at: number;
}

/**
 * Watches Hyperstep sessions through a DebugAdapterTracker: a stop, a resume, an end. The panels
 * refresh on stops of the focused session; while it runs they keep what they show.
 */
export class SessionWatch implements vscode.Disposable {
  private readonly stoppedEmitter = new vscode.EventEmitter<StopInfo>();
  private readonly changedEmitter = new vscode.EventEmitter<vscode.DebugSession | undefined>();
  private readonly invalidatedEmitter = new vscode.EventEmitter<vscode.DebugSession>();
  private readonly stopped = new Map<string, number>();
  private readonly disposables: vscode.Disposable[];
  /** Fires on every stop of a Hyperstep session. */
  readonly onStopped = this.stoppedEmitter.event;
  /** Fires when the focused Hyperstep session changes, resumes or ends (undefined: none now). */
  readonly onChanged = this.changedEmitter.event;
  /** Fires when the adapter says guest state changed while stopped (it sends `invalidated` after every write to memory or a register). */
  readonly onInvalidated = this.invalidatedEmitter.event;

  constructor() {
    this.disposables = [
      this.stoppedEmitter,
      this.changedEmitter,
      this.invalidatedEmitter,
      vscode.debug.registerDebugAdapterTrackerFactory("hyperstep", {
        createDebugAdapterTracker: (session) => ({
          onDidSendMessage: (m: { type?: string; event?: string }) => {
            if (m.type !== "event") return;
            if (m.event === "stopped") {
              const at = performance.now();
              this.stopped.set(session.id, at);
              this.stoppedEmitter.fire({ session, at });
            } else if (m.event === "continued") {
              this.stopped.delete(session.id);
            } else if (m.event === "invalidated") {
              this.invalidatedEmitter.fire(session);
            }
          },
          onWillReceiveMessage: (m: { type?: string; command?: string }) => {
            if (m.type === "request" && ["continue", "next", "stepIn", "stepOut", "restart"].includes(m.command ?? "")) this.stopped.delete(session.id);
          },
          onWillStopSession: () => {
            this.stopped.delete(session.id);
            this.changedEmitter.fire(undefined);
          },
        }),
      }),
      vscode.debug.onDidChangeActiveDebugSession((s) => this.changedEmitter.fire(s?.type === "hyperstep" ? s : undefined)),
    ];
  }

  /** The focused Hyperstep session, if any. */
  get session(): vscode.DebugSession | undefined {
    const s = vscode.debug.activeDebugSession;
    return s?.type === "hyperstep" ? s : undefined;
  }

  /**
   * What a side-bar tree needs to stay current: `refresh` at each stop of the focused session, when
   * the focus changes, and when the view is shown again.
   */
  refreshing(view: vscode.TreeView<unknown>, refresh: () => Promise<void>): vscode.Disposable[] {
    return [
      this.onStopped((s) => {
        if (s.session.id === this.session?.id) void refresh();
      }),
      this.onChanged(() => void refresh()),
      view.onDidChangeVisibility(() => void refresh()),
    ];
  }

  /** When the focused session last stopped, if it is stopped now. */
  stoppedAt(session: vscode.DebugSession): number | undefined {
    return this.stopped.get(session.id);
  }

  dispose(): void {
    this.disposables.forEach((d) => d.dispose());
  }
}

/** A custom request's body, or the adapter's error message. */
export async function request<T>(session: vscode.DebugSession, command: string, args?: unknown): Promise<{ ok: true; body: T } | { ok: false; message: string }> {
  try {
    return { ok: true, body: (await session.customRequest(command, args)) as T };
  } catch (e) {
    return { ok: false, message: e instanceof Error ? e.message : String(e) };
  }
}

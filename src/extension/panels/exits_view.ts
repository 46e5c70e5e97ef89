import * as vscode from "vscode";
import { ENDED_EVENT, EXITS_REQUEST, type EndedBody, type ExitsBody } from "../../debug/custom_requests";
import { endedExits } from "../../webview/model/exits";
import { parseViewMessage, type HostMessage } from "../../webview/model/messages";
import type { RenderReport } from "./page_tables_panel";
import { revealGuestPc } from "./reveal_pc";
import { request, type SessionWatch } from "./session_watch";
import { webviewHtml, webviewOptions } from "./webview_html";

export const EXITS_VIEW_ID = "hyperstep.exits";
/** Exits the list shows at once (newest first); the counts and the timeline cover the whole log. */
const PAGE = 500;

/**
 * The VM Exits view in the Run and Debug side bar: the exit log newest first, filtered by reason,
 * with counts and modelled cycles per reason and a timeline of exits against retired instructions.
 * Clicking an exit reveals its guest pc in the source, else in the Disassembly view; its ⟲ travels
 * back in time to just before it.
 */
export class ExitsView implements vscode.WebviewViewProvider, vscode.Disposable {
  private view: vscode.WebviewView | undefined;
  private ready = false;
  private seq = 0;
  private started = new Map<number, { at: number; request: number }>();
  private reasons: string[] = [];
  /** The last session's exits as its guest ended, shown until another Hyperstep session starts. */
  private ended: { session: string; body: EndedBody } | undefined;
  lastReport: RenderReport | undefined;
  private readonly disposables: vscode.Disposable[];

  constructor(private readonly extensionUri: vscode.Uri, private readonly watch: SessionWatch) {
    this.disposables = [
      vscode.window.registerWebviewViewProvider(EXITS_VIEW_ID, this),
      watch.onStopped((s) => {
        if (s.session.id === watch.session?.id) void this.refresh(s.at);
      }),
      watch.onChanged(() => void this.refresh()),
      vscode.debug.onDidReceiveDebugSessionCustomEvent((e) => {
        if (e.session.type !== "hyperstep" || e.event !== ENDED_EVENT) return;
        this.ended = { session: e.session.name, body: e.body as EndedBody };
        void this.refresh();
      }),
      // The ended event and the session's end reach the extension in either order.
      vscode.debug.onDidTerminateDebugSession((s) => {
        if (s.type === "hyperstep") void this.refresh();
      }),
      vscode.debug.onDidStartDebugSession((s) => {
        if (s.type === "hyperstep") this.ended = undefined;
      }),
    ];
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    this.ready = false;
    view.webview.options = webviewOptions(this.extensionUri);
    view.webview.html = webviewHtml(view.webview, this.extensionUri, "exits", "VM Exits");
    view.webview.onDidReceiveMessage((raw) => this.receive(raw));
    view.onDidChangeVisibility(() => void this.refresh());
    view.onDidDispose(() => (this.view = undefined));
  }

  private receive(raw: unknown): void {
    const m = parseViewMessage(raw);
    if (!m) return;
    if (m.type === "ready") {
      this.ready = true;
      void this.refresh();
    } else if (m.type === "filter") {
      this.reasons = m.reasons;
      void this.refresh();
    } else if (m.type === "rendered") {
      const started = this.started.get(m.seq);
      if (started === undefined) return;
      this.started.delete(m.seq);
      this.lastReport = { seq: m.seq, sinceStop: performance.now() - started.at, webview: m.ms, request: started.request, unchanged: false, summary: m.summary };
    } else if (m.type === "reveal") {
      const session = this.watch.session;
      if (session) revealGuestPc(session, m.pc, "Exit").catch((e: unknown) => void vscode.window.showWarningMessage(`Cannot show the exit at guest pc ${m.pc}: ${e instanceof Error ? e.message : String(e)}`));
    } else if (m.type === "goto") {
      this.travel(m.seq).catch((e: unknown) => void vscode.window.showWarningMessage(`Cannot travel to exit #${m.seq}: ${e instanceof Error ? e.message : String(e)}`));
    }
  }

  async refresh(stoppedAt?: number): Promise<void> {
    if (!this.view?.visible || !this.ready) return;
    const seq = ++this.seq;
    const started = { at: stoppedAt ?? performance.now(), request: 0 };
    this.started.clear();
    this.started.set(seq, started);
    const session = this.watch.session;
    if (!session && this.ended) return void this.post({ type: "exits", seq, session: this.ended.session, ended: true, body: endedExits(this.ended.body, this.reasons) });
    if (!session) return void this.post({ type: "empty", seq, message: "Start a Hyperstep debug session to see its VM exits." });
    const t0 = performance.now();
    const r = await request<ExitsBody>(session, EXITS_REQUEST, { reasons: this.reasons, count: PAGE });
    started.request = performance.now() - t0;
    if (seq !== this.seq) return;
    if (!r.ok) return void this.post({ type: "empty", seq, message: `The exit log is not available now: ${r.message}` });
    await this.post({ type: "exits", seq, session: session.name, body: r.body });
  }

  /** Time travel to just before an exit: the Debug Console's `goto exit N`, whose stop refreshes every view. */
  private async travel(seq: number): Promise<void> {
    const session = this.watch.session;
    if (session) await session.customRequest("evaluate", { expression: `goto exit ${seq}`, context: "repl" });
  }

  private post(m: HostMessage): Thenable<boolean> {
    return this.view ? this.view.webview.postMessage(m) : Promise.resolve(false);
  }

  dispose(): void {
    this.disposables.forEach((d) => d.dispose());
  }
}

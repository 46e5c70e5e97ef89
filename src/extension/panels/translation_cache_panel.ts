import * as vscode from "vscode";
import { TRANSLATION_CACHE_REQUEST, type TranslationCacheBody } from "../../debug/custom_requests";
import { parseViewMessage, type HostMessage } from "../../webview/model/messages";
import type { RenderReport } from "./page_tables_panel";
import { revealGuestPc } from "./reveal_pc";
import { request, type SessionWatch } from "./session_watch";
import { webviewOptions, wirePanel } from "./webview_html";

export const TRANSLATION_CACHE_VIEW_TYPE = "hyperstep.translationCache";

/**
 * The Translation Cache panel: binary translation's TC for the focused session, its statistics, its
 * blocks, and a block's guest code beside its translation (`hyperstep/translationCache`). It asks
 * again on every stop while visible; clicking a guest pc reveals it as the VM Exits view does.
 */
export class TranslationCachePanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private ready = false;
  private seq = 0;
  private started = new Map<number, { at: number; request: number }>();
  lastReport: RenderReport | undefined;
  private readonly disposables: vscode.Disposable[];

  constructor(private readonly extensionUri: vscode.Uri, private readonly watch: SessionWatch) {
    this.disposables = [
      watch.onStopped((s) => {
        if (s.session.id === watch.session?.id) void this.refresh(s.at);
      }),
      watch.onChanged(() => void this.refresh()),
      vscode.window.registerWebviewPanelSerializer(TRANSLATION_CACHE_VIEW_TYPE, {
        deserializeWebviewPanel: async (panel) => this.adopt(panel),
      }),
    ];
  }

  show(): void {
    if (this.panel) return this.panel.reveal(undefined, true);
    const viewColumn = vscode.window.activeTextEditor ? vscode.ViewColumn.Beside : vscode.ViewColumn.Active;
    this.adopt(vscode.window.createWebviewPanel(TRANSLATION_CACHE_VIEW_TYPE, "Translation Cache", { viewColumn, preserveFocus: true }, webviewOptions(this.extensionUri)));
  }

  private adopt(panel: vscode.WebviewPanel): void {
    this.panel = panel;
    this.ready = false;
    wirePanel(panel, this.extensionUri, { name: "translation_cache", title: "Translation Cache" }, {
      receive: (m) => this.receive(m),
      visible: () => void this.refresh(),
      disposed: () => (this.panel = undefined),
    });
  }

  private receive(raw: unknown): void {
    const m = parseViewMessage(raw);
    if (!m) return; // a malformed message is dropped, never acted on
    if (m.type === "ready") {
      this.ready = true;
      void this.refresh();
    } else if (m.type === "rendered") {
      const started = this.started.get(m.seq);
      if (started !== undefined) {
        this.started.delete(m.seq);
        this.lastReport = { seq: m.seq, sinceStop: performance.now() - started.at, webview: m.ms, request: started.request, unchanged: false, summary: m.summary };
      } else if (m.seq === this.lastReport?.seq) {
        // Another block chosen: what the panel shows changed, not how long the refresh took.
        this.lastReport = { ...this.lastReport, summary: m.summary };
      }
    } else if (m.type === "reveal") {
      const session = this.watch.session;
      const column = this.panel?.viewColumn === vscode.ViewColumn.One ? vscode.ViewColumn.Two : vscode.ViewColumn.One;
      if (session) revealGuestPc(session, m.pc, "Translated code", column).catch((e: unknown) => void vscode.window.showWarningMessage(`Cannot show guest pc ${m.pc}: ${e instanceof Error ? e.message : String(e)}`));
    }
  }

  /** Fetches the cache and sends it to the webview, unless it is hidden or a newer refresh started. */
  async refresh(stoppedAt?: number): Promise<void> {
    if (!this.panel?.visible || !this.ready) return;
    const seq = ++this.seq;
    const started = { at: stoppedAt ?? performance.now(), request: 0 };
    this.started.clear();
    this.started.set(seq, started);
    const session = this.watch.session;
    if (!session) return void this.post({ type: "empty", seq, message: "Start a Hyperstep debug session under binary-translation and stop it to see its translation cache." });
    const t0 = performance.now();
    const r = await request<TranslationCacheBody>(session, TRANSLATION_CACHE_REQUEST, {});
    started.request = performance.now() - t0;
    if (seq !== this.seq) return;
    if (!r.ok) return void this.post({ type: "empty", seq, message: `The translation cache is not available now: ${r.message}` });
    await this.post({ type: "translationCache", seq, session: session.name, body: r.body });
  }

  private post(m: HostMessage): Thenable<boolean> {
    return this.panel ? this.panel.webview.postMessage(m) : Promise.resolve(false);
  }

  dispose(): void {
    this.panel?.dispose();
    this.disposables.forEach((d) => d.dispose());
  }
}

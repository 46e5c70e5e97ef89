import * as vscode from "vscode";
import { PAGE_TABLES_REQUEST, WALK_REQUEST, type PageTablesBody, type PageTablesUnchanged, type WalkBody } from "../../debug/custom_requests";
import { parseViewMessage, type HostMessage, type RenderSummary } from "../../webview/model/messages";
import { request, type SessionWatch } from "./session_watch";
import { webviewOptions, wirePanel } from "./webview_html";

export const PAGE_TABLES_VIEW_TYPE = "hyperstep.pageTables";

/** What the webview last reported, and how long the refresh took from the adapter's `stopped` event. */
export interface RenderReport {
  seq: number;
  /** From the `stopped` event (or the refresh's start) to the webview's report, in ms. */
  sinceStop: number;
  /** The webview's own time to build and draw, in ms. */
  webview: number;
  /** The custom request's round trip, in ms. */
  request: number;
  /** The tables had not changed since the last refresh, so only their version travelled. */
  unchanged: boolean;
  /** Page Tables: from creating the webview to its script's `ready`, in ms (what opening costs before any data). */
  startup?: number;
  summary: RenderSummary;
}

/**
 * The Page Tables panel: one webview panel showing the focused session's guest table beside the
 * VMM's shadow or G-stage table. It asks the adapter for `hyperstep/pageTables` on every stop while
 * it is visible, and `hyperstep/walk` whenever the webview asks for a walk, and restores itself
 * after a reload (the webview keeps its own UI state).
 */
export class PageTablesPanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private seq = 0;
  private started = new Map<number, { at: number; request: number; unchanged: boolean }>();
  /** The session and version of the tables the webview holds. */
  private shown: { session: string; version: string } | undefined;
  private ready = false;
  /** When the webview was created, and how long it took to say it was ready. */
  private createdAt = 0;
  private startup = 0;
  private pendingWalk: string | undefined;
  lastReport: RenderReport | undefined;
  private readonly reported = new vscode.EventEmitter<RenderReport>();
  readonly onDidReport = this.reported.event;
  private readonly disposables: vscode.Disposable[];

  constructor(private readonly extensionUri: vscode.Uri, private readonly watch: SessionWatch) {
    this.disposables = [
      this.reported,
      watch.onStopped((s) => {
        if (s.session.id === watch.session?.id) void this.refresh(s.at);
      }),
      watch.onChanged(() => void this.refresh()),
      vscode.window.registerWebviewPanelSerializer(PAGE_TABLES_VIEW_TYPE, {
        deserializeWebviewPanel: async (panel) => this.adopt(panel),
      }),
    ];
  }

  /** Opens (or reveals) the panel; with an address, shows its walk. */
  show(walkAddress?: string): void {
    if (walkAddress !== undefined) this.pendingWalk = walkAddress;
    if (this.panel) {
      this.panel.reveal(undefined, true);
      this.postWalk();
      return;
    }
    // Beside the guest's source when one is open, so both stay in sight while stepping.
    const viewColumn = vscode.window.activeTextEditor ? vscode.ViewColumn.Beside : vscode.ViewColumn.Active;
    this.adopt(vscode.window.createWebviewPanel(PAGE_TABLES_VIEW_TYPE, "Page Tables", { viewColumn, preserveFocus: true }, webviewOptions(this.extensionUri)));
  }

  private adopt(panel: vscode.WebviewPanel): void {
    this.panel = panel;
    this.ready = false;
    this.createdAt = performance.now();
    wirePanel(panel, this.extensionUri, { name: "page_tables", title: "Page Tables" }, {
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
      this.startup = performance.now() - this.createdAt;
      this.shown = undefined;
      this.postWalk();
      void this.refresh();
    } else if (m.type === "rendered") {
      const started = this.started.get(m.seq);
      if (started !== undefined) {
        this.started.delete(m.seq);
        this.lastReport = { seq: m.seq, sinceStop: performance.now() - started.at, webview: m.ms, request: started.request, unchanged: started.unchanged, startup: this.startup, summary: m.summary };
      } else if (m.seq === this.lastReport?.seq) {
        // A redraw of the same data (a walk, a click): what it shows changed, not how long the refresh took.
        this.lastReport = { ...this.lastReport, summary: m.summary };
      } else {
        return;
      }
      this.reported.fire(this.lastReport);
    } else if (m.type === "openMemory") {
      void vscode.commands.executeCommand("hyperstep.openMemory", m.memoryReference);
    } else if (m.type === "walk") {
      void this.walk(m.id, { address: m.address, access: m.access, space: m.space });
    }
  }

  /** The adapter's walk the webview asked for, or why there is none. */
  private async walk(id: number, args: { address: string; access: string; space: string }): Promise<void> {
    const session = this.watch.session;
    if (!session) return void this.post({ type: "walked", id, error: "no Hyperstep session is stopped" });
    const r = await request<WalkBody>(session, WALK_REQUEST, args);
    await this.post(r.ok ? { type: "walked", id, body: r.body } : { type: "walked", id, error: r.message });
  }

  private postWalk(): void {
    if (!this.panel || !this.ready || this.pendingWalk === undefined) return;
    void this.post({ type: "walk", address: this.pendingWalk });
    this.pendingWalk = undefined;
  }

  /** Fetches the tables and sends them to the webview, unless it is hidden or a newer refresh started. */
  async refresh(stoppedAt?: number): Promise<void> {
    if (!this.panel?.visible || !this.ready) return;
    const seq = ++this.seq;
    const started = { at: stoppedAt ?? performance.now(), request: 0, unchanged: false };
    this.started.clear();
    this.started.set(seq, started);
    const session = this.watch.session;
    if (!session) {
      this.shown = undefined;
      return void this.post({ type: "empty", seq, message: "Start a Hyperstep debug session and stop it to see its page tables." });
    }
    const t0 = performance.now();
    const unlessVersion = this.shown?.session === session.id ? this.shown.version : undefined;
    const r = await request<PageTablesBody | PageTablesUnchanged>(session, PAGE_TABLES_REQUEST, unlessVersion ? { unlessVersion } : {});
    started.request = performance.now() - t0;
    if (seq !== this.seq) return;
    if (!r.ok) {
      this.shown = undefined;
      return void this.post({ type: "empty", seq, message: `The page tables are not available now: ${r.message}` });
    }
    this.shown = { session: session.id, version: r.body.version };
    if ("unchanged" in r.body) {
      started.unchanged = true;
      return void this.post({ type: "unchanged", seq });
    }
    await this.post({ type: "pageTables", seq, session: session.name, body: r.body });
  }

  private post(m: HostMessage): Thenable<boolean> {
    return this.panel ? this.panel.webview.postMessage(m) : Promise.resolve(false);
  }

  get isOpen(): boolean {
    return this.panel !== undefined;
  }

  dispose(): void {
    this.panel?.dispose();
    this.disposables.forEach((d) => d.dispose());
  }
}

import * as vscode from "vscode";
import { ADDRESS_SPACES_REQUEST, type AddressSpacesBody } from "../../debug/custom_requests";
import { parseViewMessage, type HostMessage, type MemorySummary, type ViewMessage } from "../../webview/model/messages";
import { encodeBytes, UNREADABLE } from "../../webview/model/memory";
import { request, type SessionWatch } from "./session_watch";
import { webviewHtml, webviewOptions } from "./webview_html";

export const MEMORY_VIEW_TYPE = "hyperstep.memory";

/**
 * The Memory panels: each a webview of one address space at an address expression (see
 * src/webview/memory). The webview asks for what it shows; this side turns its asks into DAP
 * readMemory, writeMemory and evaluate requests to the focused session, and tells it of stops,
 * of writes, and of a change of session. Used when the Hex Editor is absent, and by "Show Memory".
 */
export class MemoryPanels implements vscode.Disposable {
  private readonly panels: MemoryPanel[] = [];
  private readonly disposables: vscode.Disposable[];

  constructor(private readonly extensionUri: vscode.Uri, private readonly watch: SessionWatch) {
    this.disposables = [
      watch.onStopped((s) => {
        if (s.session.id === watch.session?.id) this.panels.forEach((p) => void p.stopped());
      }),
      watch.onInvalidated((session) => {
        if (session.id === watch.session?.id) this.panels.forEach((p) => p.post({ type: "memoryInvalidated" }));
      }),
      watch.onChanged(() => this.panels.forEach((p) => void p.sessionChanged())),
      vscode.window.registerWebviewPanelSerializer(MEMORY_VIEW_TYPE, {
        deserializeWebviewPanel: async (panel) => {
          this.adopt(panel);
        },
      }),
    ];
  }

  /**
   * Shows `target` ("sp", "gpa:0x80001000") in the panel already showing it, or in a new one; without
   * a target, reveals the last panel (or opens one on `sp`).
   */
  show(target?: string): void {
    const same = target === undefined ? this.panels.at(-1) : this.panels.find((p) => p.target === target);
    if (same) return same.reveal(target);
    const viewColumn = vscode.window.activeTextEditor ? vscode.ViewColumn.Beside : vscode.ViewColumn.Active;
    const panel = vscode.window.createWebviewPanel(MEMORY_VIEW_TYPE, "Memory", { viewColumn, preserveFocus: true }, { ...webviewOptions(this.extensionUri), retainContextWhenHidden: true });
    this.adopt(panel).reveal(target ?? "sp");
  }

  /** What each open panel last drew, the newest panel first. */
  get reports(): MemorySummary[] {
    return this.panels.flatMap((p) => (p.lastSummary ? [p.lastSummary] : [])).reverse();
  }

  private adopt(webviewPanel: vscode.WebviewPanel): MemoryPanel {
    const panel = new MemoryPanel(webviewPanel, this.extensionUri, this.watch, () => this.panels.splice(this.panels.indexOf(panel), 1));
    this.panels.push(panel);
    return panel;
  }

  dispose(): void {
    [...this.panels].forEach((p) => p.dispose());
    this.disposables.forEach((d) => d.dispose());
  }
}

class MemoryPanel {
  lastSummary: MemorySummary | undefined;
  /** The address box text last sent or drawn. */
  target: string | undefined;
  private ready = false;
  /** The session whose spaces the webview has. */
  private shownSession: string | undefined;
  private readonly disposables: vscode.Disposable[];

  constructor(private readonly panel: vscode.WebviewPanel, extensionUri: vscode.Uri, private readonly watch: SessionWatch, onDispose: () => void) {
    panel.webview.options = webviewOptions(extensionUri);
    panel.webview.html = webviewHtml(panel.webview, extensionUri, "memory", "Memory");
    this.disposables = [
      panel.webview.onDidReceiveMessage((m) => void this.receive(m)),
      panel.onDidDispose(() => {
        this.disposables.forEach((d) => d.dispose());
        onDispose();
      }),
    ];
  }

  reveal(target: string | undefined): void {
    this.panel.reveal(undefined, true);
    if (target === undefined) return;
    this.target = target;
    if (this.ready) this.post({ type: "memoryShow", target });
  }

  post(m: HostMessage): void {
    void this.panel.webview.postMessage(m);
  }

  /** A stop of the focused session: the webview compares with the stop before, unless the session is new to it. */
  async stopped(): Promise<void> {
    if (!this.ready) return;
    if (this.shownSession !== this.watch.session?.id) return this.sessionChanged();
    this.post({ type: "memoryStopped" });
  }

  async sessionChanged(): Promise<void> {
    if (!this.ready) return;
    const session = this.watch.session;
    if (!session) {
      this.shownSession = undefined;
      return this.post({ type: "empty", seq: 0, message: "Start a Hyperstep debug session and stop it to see its memory." });
    }
    const r = await request<AddressSpacesBody>(session, ADDRESS_SPACES_REQUEST);
    // A session that is not stopped yet says so; its first stop brings the spaces.
    if (!r.ok || session.id !== this.watch.session?.id) return;
    this.shownSession = session.id;
    this.post({ type: "memorySession", session: session.name, technique: r.body.technique, spaces: r.body.spaces });
  }

  private async receive(raw: unknown): Promise<void> {
    const m = parseViewMessage(raw);
    if (!m) return; // a malformed message is dropped, never acted on
    if (m.type === "ready") {
      this.ready = true;
      this.shownSession = undefined;
      await this.sessionChanged();
      if (this.target !== undefined) this.post({ type: "memoryShow", target: this.target });
      return;
    }
    if (m.type === "memoryRendered") {
      this.lastSummary = m.summary;
      this.target = m.summary.expression ? `${m.summary.space}:${m.summary.expression}` : this.target;
      this.panel.title = `Memory ${m.summary.space}:${m.summary.expression}`;
      return;
    }
    const session = this.watch.session;
    if (!session) return;
    const reply = await answer(session, m);
    if (reply) this.post(reply);
  }

  dispose(): void {
    this.panel.dispose();
  }
}

/** The DAP requests behind the webview's asks. */
async function answer(session: vscode.DebugSession, m: ViewMessage): Promise<HostMessage | undefined> {
  if (m.type === "memoryRead") {
    const bytes = await readRange(session, m.space, BigInt(m.address), m.count);
    return bytes ? { type: "memoryData", id: m.id, bytes: encodeBytes(bytes) } : undefined;
  }
  if (m.type === "memoryEvaluate") {
    const r = await request<{ result: string }>(session, "evaluate", { expression: m.expression, context: "watch" });
    return r.ok ? { type: "memoryValue", id: m.id, address: r.body.result } : { type: "memoryValue", id: m.id, error: r.message };
  }
  if (m.type === "memoryWrite") {
    const data = Buffer.from(m.data, "hex").toString("base64");
    const r = await request(session, "writeMemory", { memoryReference: `${m.space}:${m.address}`, data });
    return r.ok ? { type: "memoryWritten", id: m.id } : { type: "memoryWritten", id: m.id, error: r.message };
  }
  return undefined;
}

/**
 * `count` bytes from `address`, UNREADABLE where the adapter reports unreadable bytes; undefined when
 * it cannot answer now (the guest runs). readMemory answers with the readable bytes from the start and
 * how many unreadable ones follow, so a range that mixes both takes a request per stretch.
 */
async function readRange(session: vscode.DebugSession, space: string, address: bigint, count: number): Promise<Int16Array | undefined> {
  const out = new Int16Array(count).fill(UNREADABLE);
  for (let done = 0; done < count; ) {
    const r = await request<{ data?: string; unreadableBytes?: number }>(session, "readMemory", { memoryReference: `${space}:0x${(address + BigInt(done)).toString(16)}`, count: count - done });
    if (!r.ok) return undefined;
    const data = Buffer.from(r.body.data ?? "", "base64");
    out.set(data.subarray(0, count - done), done);
    const step = data.length + (r.body.unreadableBytes ?? 0);
    if (step === 0) break;
    done += step;
  }
  return out;
}

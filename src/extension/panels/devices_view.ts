import * as vscode from "vscode";
import { DEVICES_REQUEST, type DevicesBody } from "../../debug/custom_requests";
import { markChanges, type DeviceSnapshot, type MarkedNode } from "./device_changes";
import { deviceNodeCommand } from "./device_links";
import { request, type SessionWatch } from "./session_watch";

export const DEVICES_VIEW_ID = "hyperstep.devices";

/**
 * The Devices tree in the Run and Debug side bar: the guest's device models (UART, CLINT, PLIC and the
 * virtio devices), refreshed on every stop, with what changed since the previous stop marked.
 *
 * Devices start collapsed, so that the whole board fits in the view. At a stop, the device with the
 * most changes since the last one is expanded and scrolled to the top: that is the one the step was
 * about (the CLINT's clock changes at every stop, a disk request changes a dozen ring fields); the
 * others that changed keep their mark. VS Code keeps whatever the user expanded or collapsed by hand.
 */
export class DevicesView implements vscode.TreeDataProvider<MarkedNode>, vscode.Disposable {
  private roots: MarkedNode[] = [];
  private parents = new Map<MarkedNode, MarkedNode>();
  private readonly snapshots = new Map<string, DeviceSnapshot>();
  private readonly changed = new vscode.EventEmitter<MarkedNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly view: vscode.TreeView<MarkedNode>;
  private readonly disposables: vscode.Disposable[];
  private seq = 0;
  /** The keys of the nodes VS Code shows expanded, as it reports them. */
  private readonly open = new Set<string>();

  constructor(private readonly watch: SessionWatch) {
    this.view = vscode.window.createTreeView(DEVICES_VIEW_ID, { treeDataProvider: this, showCollapseAll: true });
    this.view.message = "Start a Hyperstep debug session to see its devices.";
    this.disposables = [
      this.view,
      this.changed,
      ...watch.refreshing(this.view, () => this.refresh()),
      this.view.onDidExpandElement((e) => this.open.add(e.element.key)),
      this.view.onDidCollapseElement((e) => this.open.delete(e.element.key)),
      vscode.debug.onDidTerminateDebugSession((s) => this.snapshots.delete(s.id)),
    ];
  }

  /** The trees as last shown (for tests and the state command). */
  get current(): readonly MarkedNode[] {
    return this.roots;
  }

  /** The devices shown expanded (for tests and the state command). */
  get expanded(): string[] {
    return this.roots.filter((n) => this.open.has(n.key)).map((n) => n.key);
  }

  async refresh(): Promise<void> {
    const seq = ++this.seq;
    const session = this.watch.session;
    if (!session || !this.watch.stoppedAt(session)) {
      if (!session) {
        this.roots = [];
        this.view.message = "Start a Hyperstep debug session to see its devices.";
        this.changed.fire(undefined);
      }
      return;
    }
    if (!this.view.visible) return;
    const r = await request<DevicesBody>(session, DEVICES_REQUEST);
    if (seq !== this.seq) return;
    if (!r.ok) {
      this.view.message = `Devices are not available now: ${r.message}`;
      return;
    }
    const { roots, snapshot } = markChanges(r.body.devices, this.snapshots.get(session.id));
    this.snapshots.set(session.id, snapshot);
    this.roots = roots;
    this.parents = new Map();
    const note = (n: MarkedNode): void => n.children.forEach((c) => {
      this.parents.set(c, n);
      note(c);
    });
    roots.forEach(note);
    this.view.message = roots.length ? undefined : `The ${r.body.technique} technique shows no devices.`;
    this.changed.fire(undefined);
    const changes = (n: MarkedNode): number => n.children.reduce((sum, c) => sum + changes(c), n.changed ? 1 : 0);
    const busiest = roots.filter((n) => n.changedBelow).reduce<MarkedNode | undefined>((best, n) => (best && changes(best) >= changes(n) ? best : n), undefined);
    if (!busiest) return;
    // Revealing its last row scrolls its rows into view; revealing the device then brings its title
    // back to the top when they do not all fit.
    await this.view.reveal(busiest, { expand: true, select: false, focus: false });
    const last = busiest.children.at(-1);
    if (seq !== this.seq || !last) return;
    await this.view.reveal(last, { select: false, focus: false });
    if (seq !== this.seq) return;
    await this.view.reveal(busiest, { select: false, focus: false });
  }

  getParent(node: MarkedNode): MarkedNode | undefined {
    return this.parents.get(node);
  }

  getChildren(node?: MarkedNode): MarkedNode[] {
    return node ? node.children : this.roots;
  }

  getTreeItem(node: MarkedNode): vscode.TreeItem {
    const collapsed = node.children.length === 0
      ? vscode.TreeItemCollapsibleState.None
      : vscode.TreeItemCollapsibleState.Collapsed;
    const item = new vscode.TreeItem(node.label, collapsed);
    item.id = node.key;
    item.description = node.changed ? `${node.value ?? ""}  ● changed` : node.value;
    if (node.changed) item.iconPath = new vscode.ThemeIcon("diff-modified", new vscode.ThemeColor("charts.orange"));
    else if (node.changedBelow) item.iconPath = new vscode.ThemeIcon("circle-small-filled", new vscode.ThemeColor("charts.orange"));
    const tip = [node.tooltip, node.changed ? "Changed since the last stop." : node.changedBelow ? "Something below changed since the last stop." : undefined].filter(Boolean).join("\n");
    if (tip) item.tooltip = tip;
    item.contextValue = node.changed ? "changed" : "device";
    item.command = deviceNodeCommand(node);
    return item;
  }

  dispose(): void {
    this.disposables.forEach((d) => d.dispose());
  }
}

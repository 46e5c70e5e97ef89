import * as vscode from "vscode";
import { DEVICES_REQUEST, type DevicesBody } from "../../debug/custom_requests";
import { markChanges, type DeviceSnapshot, type MarkedNode } from "./device_changes";
import { deviceNodeCommand } from "./device_links";
import { request, type SessionWatch } from "./session_watch";

export const DEVICES_VIEW_ID = "hyperstep.devices";

/**
 * The Devices tree in the Run and Debug side bar: the guest's device models (UART, CLINT, PLIC, and
 * later virtio), refreshed on every stop, with what changed since the previous stop marked.
 */
export class DevicesView implements vscode.TreeDataProvider<MarkedNode>, vscode.Disposable {
  private roots: MarkedNode[] = [];
  private readonly snapshots = new Map<string, DeviceSnapshot>();
  private readonly changed = new vscode.EventEmitter<MarkedNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly view: vscode.TreeView<MarkedNode>;
  private readonly disposables: vscode.Disposable[];
  private seq = 0;

  constructor(private readonly watch: SessionWatch) {
    this.view = vscode.window.createTreeView(DEVICES_VIEW_ID, { treeDataProvider: this, showCollapseAll: true });
    this.view.message = "Start a Hyperstep debug session to see its devices.";
    this.disposables = [
      this.view,
      this.changed,
      watch.onStopped((s) => {
        if (s.session.id === watch.session?.id) void this.refresh();
      }),
      watch.onChanged(() => void this.refresh()),
      this.view.onDidChangeVisibility(() => void this.refresh()),
      vscode.debug.onDidTerminateDebugSession((s) => this.snapshots.delete(s.id)),
    ];
  }

  /** The trees as last shown (for tests and the state command). */
  get current(): readonly MarkedNode[] {
    return this.roots;
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
    this.view.message = roots.length ? undefined : `The ${r.body.technique} technique shows no devices.`;
    this.changed.fire(undefined);
  }

  getChildren(node?: MarkedNode): MarkedNode[] {
    return node ? node.children : this.roots;
  }

  getTreeItem(node: MarkedNode): vscode.TreeItem {
    const depth = node.key.split("/").length;
    const collapsed = node.children.length === 0
      ? vscode.TreeItemCollapsibleState.None
      : depth <= 1 ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed;
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

import * as vscode from "vscode";
import { HOST_REQUEST, type HostBody, type WireBalloon, type WireHostRun, type WireSwap } from "../../debug/custom_requests";
import { request, type SessionWatch } from "./session_watch";

export const HOST_VIEW_ID = "hyperstep.host";

/** A row: a run of host frames, one guest page on a shared frame, the balloon, or a run of guest pages in it; the swap area, or one guest page in it. */
type HostNode =
  | { run: WireHostRun; gpa?: string; vm?: string }
  | { balloon: WireBalloon; pages?: { gpa: string; pages: number } }
  | { swap: WireSwap; gpa?: string };

const ICONS: Record<string, string> = { "shadow-pool": "server", "technique-pool": "server", "io-pool": "server", guest: "vm", shared: "link", free: "circle-outline" };

/**
 * The Host tree in the Run and Debug side bar (issue 17): the host's RAM as the VMM hands it out,
 * run by run: the VMM's own pools, the guest's pages with their GPAs, each shared frame with the
 * guest pages on it, and the free frames; then, when the board has a virtio-balloon, the guest pages
 * in it (their frames went back to free); last, when the VMM swaps, its swap area on the host's disk
 * with the guest pages swapped out. Refreshed on every stop; without a VMM only the balloon.
 */
export class HostView implements vscode.TreeDataProvider<HostNode>, vscode.Disposable {
  private runs: WireHostRun[] = [];
  private balloon: WireBalloon | undefined;
  private swap: WireSwap | undefined;
  private readonly changed = new vscode.EventEmitter<HostNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly view: vscode.TreeView<HostNode>;
  private readonly disposables: vscode.Disposable[];
  private seq = 0;

  constructor(private readonly watch: SessionWatch) {
    this.view = vscode.window.createTreeView(HOST_VIEW_ID, { treeDataProvider: this });
    this.view.message = "Start a Hyperstep debug session under a VMM technique to see the host's memory.";
    this.disposables = [
      this.view,
      this.changed,
      ...watch.refreshing(this.view, () => this.refresh()),
    ];
  }

  /** The runs as last shown (for tests and the state command). */
  get current(): readonly WireHostRun[] {
    return this.runs;
  }

  /** The balloon as last shown, when the board has one. */
  get currentBalloon(): WireBalloon | undefined {
    return this.balloon;
  }

  /** The swap area as last shown, when the VMM swaps. */
  get currentSwap(): WireSwap | undefined {
    return this.swap;
  }

  async refresh(): Promise<void> {
    const seq = ++this.seq;
    const session = this.watch.session;
    if (!session || !this.watch.stoppedAt(session) || !this.view.visible) return;
    const r = await request<HostBody>(session, HOST_REQUEST);
    if (seq !== this.seq) return;
    if (!r.ok) {
      this.view.message = `The host's memory is not available now: ${r.message}`;
      return;
    }
    this.runs = r.body.runs;
    this.balloon = r.body.balloon;
    this.swap = r.body.swap;
    const frames = this.runs.reduce((n, run) => n + run.frames, 0);
    this.view.message = this.runs.length
      ? `${frames.toLocaleString("en-US")} host frames of 4 KiB`
      : `The ${r.body.technique} technique has no VMM: the guest owns the machine's memory${this.balloon ? " (its balloon is below)" : ""}.`;
    this.changed.fire(undefined);
  }

  getChildren(node?: HostNode): HostNode[] {
    if (!node) return [...this.runs.map((run) => ({ run })), ...(this.balloon ? [{ balloon: this.balloon }] : []), ...(this.swap ? [{ swap: this.swap }] : [])];
    if ("balloon" in node) return node.pages ? [] : node.balloon.runs.map((pages) => ({ balloon: node.balloon, pages }));
    if ("swap" in node) return node.gpa === undefined ? node.swap.swapped.map((gpa) => ({ swap: node.swap, gpa })) : [];
    return node.gpa === undefined && node.run.owner === "shared" ? node.run.gpas.map((gpa, i) => ({ run: node.run, gpa, vm: node.run.vms?.[i] })) : [];
  }

  getTreeItem(node: HostNode): vscode.TreeItem {
    if ("balloon" in node) return balloonItem(node.balloon, node.pages);
    if ("swap" in node) return swapItem(node.swap, node.gpa);
    const { run } = node;
    if (node.gpa !== undefined) {
      const item = new vscode.TreeItem(`${node.vm ? `${node.vm} · ` : ""}GPA ${node.gpa}`);
      item.tooltip = `Guest page ${node.gpa} is mapped to host frame ${run.hpa}, read-only while shared: the guest's next store to it is a cow-break exit.`;
      return item;
    }
    const hpa = BigInt(run.hpa);
    const end = `0x${(hpa + BigInt(run.frames * 4096 - 1)).toString(16)}`;
    const label = run.frames === 1 ? run.hpa : `${run.hpa}–${end}`;
    const item = new vscode.TreeItem(label, run.owner === "shared" ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
    const count = `${run.frames.toLocaleString("en-US")} frame${run.frames === 1 ? "" : "s"}`;
    // With several VMs, a guest run or pool names its VM.
    const whose = run.vms && run.owner !== "shared" ? `${run.vms[0]} · ` : "";
    item.description = run.owner === "guest" ? `${whose}${count} · guest RAM from GPA ${run.gpas[0]}`
      : run.owner === "shared" ? `shared by ${run.gpas.length} guest page${run.gpas.length === 1 ? "" : "s"}${run.vms && new Set(run.vms).size > 1 ? ` of ${[...new Set(run.vms)].join(" and ")}` : ""}`
        : `${whose}${count} · ${run.label}`;
    item.tooltip = `Host-physical ${label}: ${count}, ${run.label}.`;
    item.iconPath = new vscode.ThemeIcon(ICONS[run.owner] ?? "circle-outline");
    item.id = `${run.hpa}/${run.owner}`;
    return item;
  }

  dispose(): void {
    this.disposables.forEach((d) => d.dispose());
  }
}

/** The balloon's row (its pages in it, and what the VMM freed), or one run of the guest pages in it. */
function balloonItem(b: WireBalloon, run: { gpa: string; pages: number } | undefined): vscode.TreeItem {
  const pages = (n: number) => `${n.toLocaleString("en-US")} page${n === 1 ? "" : "s"}`;
  if (run) {
    const end = `0x${(BigInt(run.gpa) + BigInt(run.pages * 4096 - 1)).toString(16)}`;
    const item = new vscode.TreeItem(run.pages === 1 ? `GPA ${run.gpa}` : `GPA ${run.gpa}–${end}`);
    item.description = pages(run.pages);
    item.tooltip = "Guest pages the balloon driver gave the device: the VMM zeroed and freed their host frames; the guest's next touch of one backs it afresh.";
    return item;
  }
  const item = new vscode.TreeItem("balloon", b.runs.length ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
  item.description = `${pages(b.pages)} in it · target ${b.targetPages}, actual ${b.actual}${b.framesFreed === undefined ? "" : ` · ${b.framesFreed.toLocaleString("en-US")} host frames freed`}`;
  item.tooltip = "The guest's virtio-balloon (virtio-mmio slot 6): the Debug Console's `balloon SIZE` sets its target.";
  item.iconPath = new vscode.ThemeIcon("fold");
  item.id = "balloon";
  return item;
}

/** The swap area's row, or the row of guest page `gpa` in it. */
function swapItem(swap: WireSwap, gpa: string | undefined): vscode.TreeItem {
  if (gpa !== undefined) {
    const item = new vscode.TreeItem(`GPA ${gpa}`);
    item.tooltip = `Guest page ${gpa} is in the swap area, in no host frame: the guest's next access to it is a host-swap-in exit.`;
    return item;
  }
  const pages = swap.swapped.length;
  const item = new vscode.TreeItem("swap area", pages > 0 ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
  item.description = `${pages} guest page${pages === 1 ? "" : "s"} swapped out · ${swap.usedBytes / 1024} of ${swap.sizeBytes / 1024} KiB`;
  item.tooltip = "The VMM's swap area on the host's disk (hostSwap): the guest pages it swapped out when no host frame was free.";
  item.iconPath = new vscode.ThemeIcon("archive");
  item.id = "swap";
  return item;
}

import "@vscode-elements/elements/dist/vscode-button/index.js";
import "@vscode-elements/elements/dist/vscode-textfield/index.js";
import "@vscode-elements/elements/dist/vscode-single-select/index.js";
import "@vscode-elements/elements/dist/vscode-option/index.js";
import type { PageTablesBody } from "../../debug/custom_requests";
import { parseHostMessage, type RenderSummary } from "../model/messages";
import {
  FLAG_NAMES, buildTrees, diffShadow, renderWindow, visibleRows, walkAddress,
  type AddressWalk, type PtRow, type PtTree, type ShadowDiff,
} from "../model/page_tables";
import { el, hex, host } from "../shared/host";

/**
 * The Page Tables panel: the guest's table and, beside it, the VMM's shadow or G-stage table, each a
 * tree of rows drawn only where the scrolled list is visible. An address box walks one GVA through
 * them. Everything shown is derived from the last `pageTables` message; the UI state (expanded rows,
 * the address, the chosen shadow) survives hiding and reloads through setState.
 */

interface UiState {
  expanded: string[];
  walk: string;
  shadowId?: string;
  initialized: boolean;
}

const ROW_HEIGHT = 22;
const api = host<UiState>();
const ui: UiState = api.getState() ?? { expanded: [], walk: "", initialized: false };
const expanded = new Set(ui.expanded);

let body: PageTablesBody | undefined;
let trees: PtTree[] = [];
let diff: ShadowDiff | undefined;
let walk: AddressWalk | undefined;
let onPath = new Set<string>();
let columns: Column[] = [];
let emptyMessage = "Waiting for a stopped Hyperstep session…";
let sessionName = "";
/** The sequence number of the data on screen: redraws report under it. */
let shownSeq = -1;

const app = document.getElementById("app")!;

interface Column {
  tree: PtTree;
  rows: PtRow[];
  scroller: HTMLDivElement;
  spacer: HTMLDivElement;
  window: { start: number; end: number };
}

function save(): void {
  ui.expanded = [...expanded];
  api.setState(ui);
}

/**
 * Under hardware assistance only the guest's M-mode code runs on shadow tables (it is trapped and
 * emulated); the guest's own table is walked by the hart over the G stage. Those shadows are then shown
 * only when picked, and never compared with the guest's table, which they do not shadow.
 */
const hardwareAssisted = (): boolean => trees.some((t) => t.kind === "gstage");

function shownTrees(): PtTree[] {
  const guest = trees.filter((t) => t.kind === "guest");
  const shadows = trees.filter((t) => t.kind === "shadow");
  const picked = shadows.find((t) => t.id === ui.shadowId);
  const shadow = picked ?? (hardwareAssisted() ? undefined : shadows.find((t) => t.active) ?? shadows[0]);
  return [...guest, ...(shadow ? [shadow] : []), ...trees.filter((t) => t.kind === "gstage")];
}

function computeWalk(): void {
  walk = undefined;
  onPath = new Set();
  const text = ui.walk.trim();
  if (!text || !body) return;
  let addr: bigint;
  try {
    addr = BigInt(text.replace(/^(gva|va):/i, "").replace(/_/g, ""));
  } catch {
    walk = { walks: [], references: 0, fault: `'${text}' is not an address` };
    return;
  }
  const shadow = shownTrees().find((t) => t.kind === "shadow");
  walk = walkAddress(trees, body, addr, shadow?.id);
  for (const w of walk.walks) {
    w.walk.path.forEach((r, i) => {
      onPath.add(r.key);
      // Open the way down to the rows on the path.
      if (i < w.walk.path.length - 1) expanded.add(r.key);
    });
  }
}

function flagCells(row: PtRow): HTMLElement[] {
  return FLAG_NAMES.map((n, i) => el("span", `flag ${(row.flags >> i) & 1 ? "on" : "off"}`, (row.flags >> i) & 1 ? n : "·"));
}

function rowElement(col: Column, row: PtRow, i: number): HTMLElement {
  const d = diff?.rows.get(row.key);
  const below = diff?.below.get(row.key);
  const cls = ["row", `level${row.level}`, row.leaf ? "leaf" : "pointer", d ? `diff-${d.status}` : "", onPath.has(row.key) ? "on-path" : ""].join(" ");
  const twisty = el("span", "twisty", row.children ? (expanded.has(row.key) ? "▾" : "▸") : "");
  const pteLink = el("a", "pte", hex(row.pte, 16));
  pteLink.title = `Open memory at ${col.tree.tableSpace}:${hex(row.pteAddr)} (this PTE)`;
  pteLink.href = "#";
  pteLink.dataset.ref = `${col.tree.tableSpace}:${hex(row.pteAddr)}`;
  const targetSpace = row.leaf ? col.tree.output : col.tree.tableSpace;
  const target = el("a", "target", `${row.leaf ? "→" : "⤷"} ${hex(row.target)}`);
  target.href = "#";
  target.dataset.ref = `${targetSpace}:${hex(row.target)}`;
  target.title = row.leaf ? `Open memory at ${targetSpace}:${hex(row.target)} (the page it maps)` : `Next table at ${targetSpace}:${hex(row.target)}`;
  const badge = d && d.status !== "same" && d.status !== "shadowed" ? el("span", `badge ${d.status}`, d.status) : below && below.missing + below.stale + below.permissions > 0
    ? el("span", "badge summary", [below.missing && `${below.missing} missing`, below.stale && `${below.stale} stale`, below.permissions && `${below.permissions} perm`].filter(Boolean).join(" · "))
    : undefined;
  // Depth shows inside the first cell only, so every other column lines up across levels.
  const tree = el("span", "tree", twisty, el("span", "index", `[${row.index}]`));
  tree.style.paddingLeft = `${(2 - row.level) * 14}px`;
  const e = el("div", cls, tree, pteLink,
    el("span", "ppn", hex(row.pte >> 10n & ((1n << 44n) - 1n))),
    el("span", "flags", ...flagCells(row)), target,
    el("span", "range", `${hex(BigInt.asUintN(64, row.start))}…${hex(BigInt.asUintN(64, row.end - 1n))}`), badge);
  e.style.top = `${i * ROW_HEIGHT}px`;
  e.dataset.key = row.key;
  e.title = [`level ${row.level}, index ${row.index}, PTE at ${col.tree.tableSpace}:${hex(row.pteAddr)}`, d?.note].filter(Boolean).join("\n");
  return e;
}

function drawWindow(col: Column, force = false): void {
  const w = renderWindow(col.rows.length, col.scroller.scrollTop, col.scroller.clientHeight || 600, ROW_HEIGHT);
  if (!force && w.start === col.window.start && w.end === col.window.end) return;
  col.window = w;
  const nodes: HTMLElement[] = [];
  for (let i = w.start; i < w.end; i++) nodes.push(rowElement(col, col.rows[i], i));
  col.spacer.replaceChildren(...nodes);
}

function columnElement(tree: PtTree, scrollTop: number): { element: HTMLElement; column: Column } {
  const rows = visibleRows(tree.rows, expanded);
  const spacer = el("div", "spacer");
  spacer.style.height = `${rows.length * ROW_HEIGHT}px`;
  const scroller = el("div", "scroller", spacer);
  scroller.tabIndex = 0;
  scroller.setAttribute("role", "tree");
  scroller.setAttribute("aria-label", tree.label);
  const column: Column = { tree, rows, scroller, spacer, window: { start: -1, end: -1 } };
  let pending = false;
  scroller.addEventListener("scroll", () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      drawWindow(column);
    });
  });
  spacer.addEventListener("click", (ev) => onRowClick(ev, column));
  // The title takes two lines that ellipsize on their own (the full text is its tooltip); the column
  // header scrolls with the rows, so a narrow column never lets it spill into its neighbour.
  const detail = `${tree.input} → ${tree.output} · root ${tree.tableSpace}:${hex(tree.rootAddr)} · ${tree.size} entries${tree.truncated ? " (truncated)" : ""}${tree.active ? "" : " · not active"}`;
  const title = el("div", "column-title",
    el("div", "title-main", el("span", `kind ${tree.kind}`, tree.kind === "gstage" ? "G-stage" : tree.kind), ` ${tree.label}`),
    el("div", "title-detail muted", detail));
  title.title = `${tree.label}\n${detail}`;
  const header = el("div", "row header", el("span", "tree", "level · index"), el("span", "pte", "PTE"),
    el("span", "ppn", "PPN"), el("span", "flags", ...FLAG_NAMES.map((n) => el("span", "flag", n))), el("span", "target", "maps / next"), el("span", "range", "range"));
  scroller.prepend(header);
  const element = el("section", "column", title, scroller);
  requestAnimationFrame(() => {
    scroller.scrollTop = scrollTop;
  });
  return { element, column };
}

function onRowClick(ev: MouseEvent, col: Column): void {
  const target = ev.target as HTMLElement;
  const link = target.closest("a");
  if (link?.dataset.ref) {
    ev.preventDefault();
    api.postMessage({ type: "openMemory", memoryReference: link.dataset.ref });
    return;
  }
  const rowEl = target.closest<HTMLElement>(".row");
  const row = col.rows.find((r) => r.key === rowEl?.dataset.key);
  if (!row?.children) return;
  if (expanded.has(row.key)) expanded.delete(row.key);
  else expanded.add(row.key);
  save();
  render();
}

function walkElement(): HTMLElement | undefined {
  if (!walk) return undefined;
  const lines = walkLines();
  return el("div", `walk ${walk.fault ? "fault" : "ok"}`, ...lines.map((l) => el("div", "walk-step", l)));
}

/** The walk's outcome first (it stays in sight when a long two-stage walk scrolls), then its steps. */
function walkLines(): string[] {
  if (!walk) return [];
  const outcome: string[] = [];
  if (walk.result) {
    const via = walk.gpa !== undefined ? ` (gpa ${hex(walk.gpa)})` : walk.hpa !== undefined ? ` (hpa ${hex(walk.hpa)})` : "";
    outcome.push(`result: ${walk.result.space}:${hex(walk.result.addr)}${via}`);
  }
  if (walk.fault) outcome.push(`fault: ${walk.fault}`);
  if (walk.walks.length) outcome.push(`${walk.references} page-table read${walk.references === 1 ? "" : "s"} by the hardware`);
  const lines: string[] = [];
  // Under two stages every PTE read is numbered, so the n×m cost reads off the box.
  const twoStage = walk.walks.some((w) => w.stage === "G");
  let ref = 0;
  for (const w of walk.walks) {
    lines.push(`${w.purpose}:`);
    for (const r of w.walk.path) {
      const n = twoStage ? `#${String(++ref).padStart(2)} ` : "";
      lines.push(`   ${n}level ${r.level} [${r.index}] PTE ${hex(r.pte, 16)} ${FLAG_NAMES.map((f, i) => ((r.flags >> i) & 1 ? f : "-")).join("")} ${r.leaf ? "leaf →" : "→ table"} ${hex(r.target)}`);
    }
    if (w.walk.missing) lines.push(`   ${twoStage ? `#${String(++ref).padStart(2)} ` : ""}level ${w.walk.missing.level} [${w.walk.missing.index}] invalid`);
    if (w.walk.out !== undefined) lines.push(`   = ${hex(w.walk.out)}`);
    else if (w.walk.fault) lines.push(`   stops: ${w.walk.fault}`);
  }
  return [...outcome, ...lines];
}

function toolbar(): HTMLElement {
  const field = document.createElement("vscode-textfield") as HTMLElement & { value: string };
  field.setAttribute("placeholder", "GVA to walk, e.g. 0x40000000");
  field.setAttribute("aria-label", "guest-virtual address to walk");
  field.value = ui.walk;
  const go = () => {
    ui.walk = field.value;
    save();
    computeWalk();
    render();
    reportRendered(shownSeq, performance.now());
  };
  field.addEventListener("keydown", (e) => {
    if ((e as KeyboardEvent).key === "Enter") go();
  });
  const button = document.createElement("vscode-button");
  button.textContent = "Walk";
  button.addEventListener("click", go);
  const bar = el("div", "toolbar", field, button);
  const shadows = trees.filter((t) => t.kind === "shadow");
  const hardware = hardwareAssisted();
  if (shadows.length > (hardware ? 0 : 1)) {
    const select = document.createElement("vscode-single-select") as HTMLElement & { value: string };
    select.setAttribute("aria-label", hardware ? "shadow table of the guest's M-mode code to show" : "shadow table to compare");
    const shown = shownTrees().find((t) => t.kind === "shadow")?.id ?? "";
    const options = [...(hardware ? [{ id: "", text: "no shadow (M-mode code only)" }] : []), ...shadows.map((t) => ({ id: t.id, text: `${t.label}${t.active ? " (active)" : ""}` }))];
    for (const { id, text } of options) {
      const o = document.createElement("vscode-option") as HTMLElement & { value: string };
      o.value = id;
      o.textContent = text;
      if (id === shown) o.setAttribute("selected", "");
      select.append(o);
    }
    select.addEventListener("change", () => {
      ui.shadowId = select.value;
      save();
      refreshDerived();
      render();
    });
    bar.append(select);
  }
  return bar;
}

function legend(): HTMLElement | undefined {
  if (!diff) return undefined;
  const c = diff.counts;
  return el("div", "legend",
    el("span", "badge missing", `${c.missing} missing`), " not yet in the shadow · ",
    el("span", "badge stale", `${c.stale} stale`), " shadow disagrees with the guest · ",
    el("span", "badge permissions", `${c.permissions} permissions`), " same page, other rights · ",
    el("span", "muted", `${c.same} shadow entries agree`));
}

function refreshDerived(): void {
  const shown = shownTrees();
  const guest = shown.find((t) => t.kind === "guest");
  const shadow = shown.find((t) => t.kind === "shadow");
  diff = guest && shadow && body && !hardwareAssisted() ? diffShadow(guest, shadow, body) : undefined;
  computeWalk();
}

function summary(): RenderSummary {
  return {
    columns: columns.map((c) => ({ id: c.tree.id, label: c.tree.label, domRows: c.spacer.childElementCount, listRows: c.rows.length, entries: c.tree.size })),
    diff: { missing: diff?.counts.missing ?? 0, stale: diff?.counts.stale ?? 0, permissions: diff?.counts.permissions ?? 0 },
    walk: walkLines(),
  };
}

function render(): void {
  const scrolls = new Map(columns.map((c) => [c.tree.id, c.scroller.scrollTop]));
  if (!body) {
    columns = [];
    app.replaceChildren(el("p", "empty", emptyMessage));
    return;
  }
  const head = el("div", "heading", el("strong", undefined, "Page tables"), el("span", "muted", ` ${sessionName} · ${body.technique}${body.p2m.length ? ` · p2m ${body.p2m.map((r) => `gpa ${r.gpa} → hpa ${r.hpa} (${r.size})`).join(", ")}` : ""}`));
  const built = shownTrees().map((t) => columnElement(t, scrolls.get(t.id) ?? 0));
  columns = built.map((b) => b.column);
  const grid = el("div", `columns n${built.length}`, ...built.map((b) => b.element));
  app.replaceChildren(head, toolbar(), ...(body.note ? [el("p", "note", body.note)] : []), ...[legend(), walkElement()].filter((x): x is HTMLElement => x !== undefined), grid);
  for (const c of columns) drawWindow(c, true);
}

window.addEventListener("message", (event) => {
  const m = parseHostMessage(event.data);
  if (!m) return;
  const t0 = performance.now();
  if (m.type === "walk") {
    ui.walk = m.address;
    save();
    computeWalk();
    render();
    reportRendered(shownSeq, t0);
    return;
  }
  if (m.type === "unchanged") {
    // The same tables as on screen: nothing to redraw, but the stop is accounted for.
    shownSeq = m.seq;
    reportRendered(m.seq, t0);
    return;
  }
  if (m.type === "empty") {
    body = undefined;
    trees = [];
    emptyMessage = m.message;
    render();
  } else if (m.type === "pageTables") {
    body = m.body;
    sessionName = m.session;
    trees = buildTrees(body);
    if (!ui.initialized) {
      // First data ever: open the upper levels so the leaves show without a dozen clicks.
      for (const t of trees) for (const r of t.rows) if (r.children) {
        expanded.add(r.key);
        for (const c of r.children) if (c.children) expanded.add(c.key);
      }
      ui.initialized = true;
      save();
    }
    refreshDerived();
    render();
  } else {
    return;
  }
  shownSeq = m.seq;
  reportRendered(m.seq, t0);
});

/** Tells the extension what is on screen, once the browser has laid out and painted it. */
function reportRendered(seq: number, t0: number): void {
  if (seq < 0) return;
  requestAnimationFrame(() => setTimeout(() => api.postMessage({ type: "rendered", seq, ms: performance.now() - t0, summary: summary() }), 0));
}

render();
api.postMessage({ type: "ready" });

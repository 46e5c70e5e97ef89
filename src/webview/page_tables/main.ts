import "@vscode-elements/elements/dist/vscode-button/index.js";
import "@vscode-elements/elements/dist/vscode-textfield/index.js";
import "@vscode-elements/elements/dist/vscode-single-select/index.js";
import "@vscode-elements/elements/dist/vscode-option/index.js";
import type { PageTablesBody, WalkBody } from "../../debug/custom_requests";
import { parseHostMessage, type RenderSummary, type WalkAccess, type WalkSpaceName } from "../model/messages";
import { alignedLines, lineGroups, lineKeys, lineOpen, type Line } from "../model/page_table_lines";
import {
  applyMarks, buildTrees, p2mLines, renderWindow, walkLines, walkRows,
  type PtTree, type ShadowDiff,
} from "../model/page_tables";
import { SPLIT_NOTE, U_NOTE } from "../model/shadow_notes";
import { directPagingLines, type DirectPagingBody } from "../model/direct_paging";
import { el, hex, host } from "../shared/host";
import { headerRow, lineElement } from "./rows";

/**
 * The Page Tables panel: the guest's table and, beside it, the VMM's shadow or G-stage table, each a
 * tree of rows drawn only where the scrolled list is visible, marked with the adapter's comparison.
 * The guest's table and its shadow translate the same addresses: their rows line up by address and
 * scroll together.
 * An address box asks the adapter for the walk the hardware makes (`hyperstep/walk`) and shows it,
 * its PTEs outlined in the trees. The UI state (expanded rows, the address and access, the chosen
 * shadow) survives hiding and reloads through setState.
 */

interface UiState {
  expanded: string[];
  walk: string;
  access?: WalkAccess;
  /** A shadow the user chose, and the active shadow then: the choice holds until another root becomes active. */
  shadowPick?: { id: string; active: string };
  initialized: boolean;
}

const ROW_HEIGHT = 22;
const api = host<UiState>();
const ui: UiState = api.getState() ?? { expanded: [], walk: "", initialized: false };
const expanded = new Set(ui.expanded);

let body: PageTablesBody | undefined;
let trees: PtTree[] = [];
let diff: ShadowDiff | undefined;
let walk: WalkBody | undefined;
let walkError: string | undefined;
/** The last walk asked for: answers to older ones are dropped. */
let walkId = 0;
let onPath = new Set<string>();
let columns: Column[] = [];
let emptyMessage = "Waiting for a stopped Hyperstep session…";
let sessionName = "";
/** The sequence number of the data on screen: redraws report under it. */
let shownSeq = -1;

const app = document.getElementById("app")!;

/** Columns that show the same lines: the guest's table and its shadow, or a table alone. */
interface ColumnGroup {
  trees: PtTree[];
  lines: Line[];
  columns: Column[];
}

interface Column {
  tree: PtTree;
  group: ColumnGroup;
  /** Which cell of each line is this column's. */
  side: number;
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

/** The shadow shown: the one the user picked while the same root stays active, else the active one. */
function shownShadow(): PtTree | undefined {
  const shadows = trees.filter((t) => t.kind === "shadow");
  const active = shadows.find((t) => t.active);
  const pick = ui.shadowPick;
  const picked = pick && pick.active === (active?.id ?? "") ? shadows.find((t) => t.id === pick.id) : undefined;
  if (pick && !picked && pick.id === "") return undefined;
  return picked ?? active ?? (hardwareAssisted() ? undefined : shadows[0]);
}

function shownTrees(): PtTree[] {
  const shadow = shownShadow();
  return [...trees.filter((t) => t.kind === "guest"), ...(shadow ? [shadow] : []), ...trees.filter((t) => t.kind === "gstage")];
}

/** Asks the adapter for the walk in the address box (an expression, with an optional space prefix). */
function requestWalk(): void {
  const text = ui.walk.trim();
  const id = ++walkId;
  if (!text) {
    walk = undefined;
    walkError = undefined;
    placeWalk();
    return;
  }
  const m = /^(va|gva|gpa):\s*/i.exec(text);
  const space = (m ? m[1].toLowerCase() : "va") as WalkSpaceName;
  api.postMessage({ type: "walk", id, address: text.slice(m ? m[0].length : 0), access: ui.access ?? "r", space });
}

/** Outlines the walk's PTEs in the trees, and opens the way down to them. */
function placeWalk(): void {
  onPath = new Set();
  if (!walk) return;
  const placed = walkRows(shownTrees(), walk);
  onPath = placed.onPath;
  for (const k of placed.expand) expanded.add(k);
  save();
}

/** Under paravirtualization, the guest's tables hold machine frames: its column shows them as the guest numbers them. */
function directPagingOf(tree: PtTree): DirectPagingBody | undefined {
  return tree.kind === "guest" ? body?.directPaging : undefined;
}

function drawWindow(col: Column, force = false): void {
  const { lines } = col.group;
  const w = renderWindow(lines.length, col.scroller.scrollTop, col.scroller.clientHeight || 600, ROW_HEIGHT);
  if (!force && w.start === col.window.start && w.end === col.window.end) return;
  col.window = w;
  const guestSide = col.tree.kind === "shadow" ? col.group.trees.findIndex((t) => t.kind === "guest") : -1;
  const nodes: HTMLElement[] = [];
  for (let i = w.start; i < w.end; i++) {
    const line = lines[i];
    const e = lineElement(line, {
      tree: col.tree, side: col.side, guestSide: guestSide >= 0 ? guestSide : undefined, rangeElsewhere: col.side > 0,
      diff, onPath, open: lineOpen(line, expanded), directPaging: directPagingOf(col.tree),
    });
    e.style.top = `${i * ROW_HEIGHT}px`;
    e.dataset.line = String(i);
    nodes.push(e);
  }
  col.spacer.replaceChildren(...nodes);
}

function columnElement(group: ColumnGroup, side: number, scrollTop: number): { element: HTMLElement; column: Column } {
  const tree = group.trees[side];
  const spacer = el("div", "spacer");
  spacer.style.height = `${group.lines.length * ROW_HEIGHT}px`;
  const scroller = el("div", "scroller", spacer);
  scroller.tabIndex = 0;
  scroller.setAttribute("role", "tree");
  scroller.setAttribute("aria-label", tree.label);
  const column: Column = { tree, group, side, scroller, spacer, window: { start: -1, end: -1 } };
  let pending = false;
  scroller.addEventListener("scroll", () => {
    // Aligned columns scroll together, so each line stays beside its counterpart.
    for (const other of group.columns) if (other !== column && other.scroller.scrollTop !== scroller.scrollTop) other.scroller.scrollTop = scroller.scrollTop;
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
  scroller.prepend(headerRow(side > 0, directPagingOf(tree) !== undefined));
  const element = el("section", `column ${side > 0 ? "beside" : ""}`, title, scroller);
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
  const line = col.group.lines[Number(target.closest<HTMLElement>(".row")?.dataset.line)];
  const keys = line ? lineKeys(line) : [];
  if (keys.length === 0) return;
  const open = lineOpen(line, expanded);
  for (const k of keys) {
    if (open) expanded.delete(k);
    else expanded.add(k);
  }
  save();
  render();
}

/** What the walk box shows: the adapter's walk, or why there is none. */
function shownWalkLines(): string[] {
  if (walk) return walkLines(walk);
  return walkError ? [`cannot walk ${ui.walk.trim()}: ${walkError}`] : [];
}

function walkElement(): HTMLElement | undefined {
  const lines = shownWalkLines();
  if (lines.length === 0) return undefined;
  const kind = walk ? `result-${walk.result.kind}` : "result-error";
  return el("div", `walk ${kind}`, ...lines.map((l) => el("div", "walk-step", l)));
}

function select<T extends string>(cls: string, label: string, options: { id: T; text: string }[], chosen: T, onChange: (value: T) => void): HTMLElement {
  const box = document.createElement("vscode-single-select") as HTMLElement & { value: string };
  box.className = cls;
  box.setAttribute("aria-label", label);
  for (const { id, text } of options) {
    const o = document.createElement("vscode-option") as HTMLElement & { value: string };
    o.value = id;
    o.textContent = text;
    if (id === chosen) o.setAttribute("selected", "");
    box.append(o);
  }
  box.addEventListener("change", () => onChange(box.value as T));
  return box;
}

function toolbar(): HTMLElement {
  const field = document.createElement("vscode-textfield") as HTMLElement & { value: string };
  field.setAttribute("placeholder", "address to walk, e.g. 0x40000000, sp, gpa:0x80001000");
  field.setAttribute("aria-label", "address to walk: an expression; gva: or gpa: names its address space");
  field.value = ui.walk;
  const go = () => {
    ui.walk = field.value;
    save();
    requestWalk();
  };
  field.addEventListener("keydown", (e) => {
    if ((e as KeyboardEvent).key === "Enter") go();
  });
  const access = select<WalkAccess>("access", "access to walk for", [{ id: "r", text: "read" }, { id: "w", text: "write" }, { id: "x", text: "execute" }], ui.access ?? "r", (a) => {
    ui.access = a;
    save();
    requestWalk();
  });
  const button = document.createElement("vscode-button");
  button.textContent = "Walk";
  button.addEventListener("click", go);
  const bar = el("div", "toolbar", field, access, button);
  const shadows = trees.filter((t) => t.kind === "shadow");
  const hardware = hardwareAssisted();
  if (shadows.length > (hardware ? 0 : 1)) {
    const shown = shownShadow()?.id ?? "";
    const options = [...(hardware ? [{ id: "", text: "no shadow (M-mode code only)" }] : []), ...shadows.map((t) => ({ id: t.id, text: `${t.label}${t.active ? " (active)" : ""}` }))];
    bar.append(select("shadow-pick", hardware ? "shadow table of the guest's M-mode code to show" : "shadow table to compare", options, shown, (id) => {
      ui.shadowPick = { id, active: shadows.find((t) => t.active)?.id ?? "" };
      save();
      refreshDerived();
      render();
    }));
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
    el("span", "badge device", `${c.device} device`), " never shadowed, every access exits · ",
    el("span", "muted", `${c.same} shadow entries agree`),
    el("div", "by-design", "By design, not differences: ", explained("U on every shadow page", U_NOTE), " · ", explained("guest superpages in 4 KiB pieces", SPLIT_NOTE), " (hover a row's ", el("span", "hint-mark", "?"), ")"));
}

/** A phrase whose explanation is its tooltip. */
function explained(text: string, why: string): HTMLElement {
  const e = el("span", "explained", text);
  e.title = why;
  return e;
}

/**
 * The adapter's marks on the shown shadow, and on the guest's leaves when that shadow is the active
 * one (they say how the guest's table compares with the active root).
 */
function refreshDerived(): void {
  const shadow = shownShadow();
  const guest = shadow?.active ? trees.filter((t) => t.kind === "guest") : [];
  diff = shadow && body ? applyMarks([...guest, shadow], body.marks) : undefined;
  placeWalk();
}

function summary(): RenderSummary {
  return {
    columns: columns.map((c) => ({
      id: c.tree.id, label: c.tree.label, domRows: c.spacer.childElementCount, listRows: c.group.lines.length, entries: c.tree.size,
      rows: Array.from(c.spacer.children).slice(0, 40).map((r) => (r as HTMLElement).dataset.key ?? ""),
      ...(directPagingOf(c.tree) ? { pseudo: Array.from(c.spacer.children).slice(0, 40).map(pseudoText) } : {}),
    })),
    diff: { missing: diff?.counts.missing ?? 0, stale: diff?.counts.stale ?? 0, permissions: diff?.counts.permissions ?? 0, device: diff?.counts.device ?? 0 },
    walk: shownWalkLines(),
    header: Array.from(app.querySelectorAll<HTMLElement>(".heading, .heading > div, .legend, .legend > div")).map(ownLine),
    hints: [...new Set(Array.from(app.querySelectorAll<HTMLElement>(".explained")).map((e) => e.closest<HTMLElement>("[title]")?.title ?? ""))],
  };
}

/** A row's pseudo-physical cell and pinned mark, as shown ("pfn 0x3 pinned L1"). */
function pseudoText(row: Element): string {
  return [row.querySelector(".pseudo")?.textContent, row.querySelector(".badge.pinned")?.textContent].filter(Boolean).join(" ");
}

/** An element's own line of text: without the lines its <div> children make (textContent needs no layout, as innerText would). */
function ownLine(e: HTMLElement): string {
  return Array.from(e.childNodes).filter((n) => !(n instanceof HTMLDivElement)).map((n) => n.textContent).join("");
}

function render(): void {
  const scrolls = new Map(columns.map((c) => [c.tree.id, c.scroller.scrollTop]));
  if (!body) {
    columns = [];
    app.replaceChildren(el("p", "empty", emptyMessage));
    return;
  }
  const p2m = p2mLines(body);
  const head = el("div", "heading", el("strong", undefined, "Page tables"), el("span", "muted", ` ${sessionName} · ${body.technique}`),
    ...(p2m.length ? [el("div", "p2m muted", `p2m: ${p2m.join("; ")}`)] : []),
    ...(body.directPaging ? directPagingLines(body.directPaging).map((l) => el("div", "p2m muted", l)) : []));
  const built = lineGroups(shownTrees()).flatMap((trees) => {
    const group: ColumnGroup = { trees, lines: alignedLines(trees, expanded), columns: [] };
    const made = trees.map((t, side) => columnElement(group, side, scrolls.get(t.id) ?? 0));
    group.columns = made.map((m) => m.column);
    return made;
  });
  columns = built.map((b) => b.column);
  const grid = el("div", `columns n${built.length}${built.some((b) => b.column.side > 0) ? " aligned" : ""}`, ...built.map((b) => b.element));
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
    render();
    requestWalk();
    return;
  }
  if (m.type === "walked") {
    if (m.id !== walkId) return; // an answer to an older question
    walk = m.body;
    walkError = m.error;
    placeWalk();
    render();
    reportRendered(shownSeq, t0);
    return;
  }
  if (m.type === "unchanged") {
    // The same tables as on screen: nothing to redraw, but the stop is accounted for, and the walk
    // asked again (the privilege or a CSR may have changed).
    shownSeq = m.seq;
    reportRendered(m.seq, t0);
    requestWalk();
    return;
  }
  if (m.type === "empty") {
    body = undefined;
    trees = [];
    walk = undefined;
    walkError = undefined;
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
    requestWalk();
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

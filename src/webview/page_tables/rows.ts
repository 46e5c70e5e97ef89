import type { Cell, Line } from "../model/page_table_lines";
import { FLAG_NAMES, type PtRow, type PtTree, type ShadowDiff } from "../model/page_tables";
import { coverNote, coverText, shadowNotes } from "../model/shadow_notes";
import { frameNote, type DirectPagingBody } from "../model/direct_paging";
import { el, hex } from "../shared/host";

/**
 * One line of a Page Tables column, as DOM: a table entry (a pointer, a leaf, or a group of
 * contiguous leaves), or the gap where this table has no entry for the line's addresses.
 */

/** What a row needs besides its line: how the rows compare, the walk, what is open. */
export interface RowContext {
  tree: PtTree;
  /** Which cell of the line is this column's. */
  side: number;
  /** The guest's cell on the same line, for a shadow column aligned with the guest's. */
  guestSide?: number;
  /** The line's addresses are shown by another column of the same lines. */
  rangeElsewhere: boolean;
  diff?: ShadowDiff;
  onPath: ReadonlySet<string>;
  open: boolean;
  /** Under paravirtualization, for the guest's column: its machine frames as the guest numbers them. */
  directPaging?: DirectPagingBody;
}

function flagCells(row: PtRow): HTMLElement[] {
  return FLAG_NAMES.map((n, i) => el("span", `flag ${(row.flags >> i) & 1 ? "on" : "off"}`, (row.flags >> i) & 1 ? n : "·"));
}

function memoryLink(cls: string, text: string, ref: string, title: string): HTMLAnchorElement {
  const a = el("a", cls, text);
  a.href = "#";
  a.dataset.ref = ref;
  a.title = title;
  return a;
}

function rangeCell(start: bigint, end: bigint): HTMLElement {
  return el("span", "range", hex(BigInt.asUintN(64, start)), el("span", "range-end", `…${hex(BigInt.asUintN(64, end - 1n))}`));
}

/** The header row: what each cell of the rows below holds. */
export function headerRow(rangeElsewhere: boolean, pseudoPhysical = false): HTMLElement {
  return el("div", "row header", el("span", "tree", "index"), el("span", "pte", "PTE"),
    el("span", "ppn", "PPN"), el("span", "flags", ...FLAG_NAMES.map((n) => el("span", "flag", n))), el("span", "target", "maps / next"),
    pseudoPhysical ? el("span", "pseudo", "pseudo-physical") : undefined,
    rangeElsewhere ? undefined : el("span", "range", "range"));
}

/** The cell beside an entry's machine frame: its pseudo-physical frame (the tooltip says how), and a mark for a pinned table. */
function pseudoCell(dp: DirectPagingBody, row: PtRow): { cell: HTMLElement; mark?: HTMLElement; title: string } {
  const note = frameNote(dp, row);
  const cell = el("span", "pseudo", note.text);
  cell.title = note.title;
  const mark = note.pinned ? el("span", "badge pinned", note.pinned.text) : undefined;
  if (mark) mark.title = note.pinned!.title;
  return { cell, mark, title: [note.title, note.pinned?.title].filter(Boolean).join("\n") };
}

export function lineElement(line: Line, ctx: RowContext): HTMLElement {
  const cell = line.cells[ctx.side];
  return cell.row ? entryElement(cell.row, line, ctx) : gapElement(line, cell, ctx);
}

function indent(e: HTMLElement, depth: number): HTMLElement {
  // Depth shows inside the first cell only, so every other column lines up across levels.
  e.style.setProperty("--depth", String(depth));
  return e;
}

function gapElement(line: Line, cell: Cell, ctx: RowContext): HTMLElement {
  // No index: the line's index belongs to the other column's entry, not to this table.
  const e = el("div", "row gap", indent(el("span", "gap-text", cell.cover ? coverText(cell.cover) : ""), line.depth));
  e.title = cell.cover ? coverNote(cell.cover) : `No valid entry in ${ctx.tree.label} for these addresses.`;
  return e;
}

function entryElement(row: PtRow, line: Line, ctx: RowContext): HTMLElement {
  const { tree, diff } = ctx;
  const d = diff?.rows.get(row.key);
  const below = diff?.below.get(row.key);
  const cls = ["row", `level${row.level}`, row.leaf ? "leaf" : "pointer", row.group ? "group" : "", d ? `diff-${d.status}` : "", ctx.onPath.has(row.key) ? "on-path" : ""].join(" ");
  const twisty = el("span", "twisty", row.children ? (ctx.open ? "▾" : "▸") : "");
  const lastLeaf = row.group ? row.children![row.children!.length - 1] : undefined;
  const index = el("span", "index", lastLeaf ? `[${row.index}…${lastLeaf.index}]` : `[${row.index}]`);
  const pte = lastLeaf
    ? el("span", "pte muted", `${row.group} contiguous pages`)
    : memoryLink("pte", hex(row.pte, 16), `${tree.tableSpace}:${hex(row.pteAddr)}`, `Open memory at ${tree.tableSpace}:${hex(row.pteAddr)} (this PTE)`);
  const targetSpace = row.leaf || row.group ? tree.output : tree.tableSpace;
  const target = memoryLink("target", `${row.leaf || row.group ? "→" : "⤷"} ${hex(row.target)}${lastLeaf ? "…" : ""}`, `${targetSpace}:${hex(row.target)}`,
    lastLeaf ? `${targetSpace}:${hex(row.target)}…${hex(lastLeaf.target + 0xfffn)}: open memory at the first page`
      : row.leaf ? `Open memory at ${targetSpace}:${hex(row.target)} (the page it maps)` : `Next table at ${targetSpace}:${hex(row.target)}`);
  const badge = d && d.status !== "same" && d.status !== "shadowed" ? el("span", `badge ${d.status}`, d.status) : below && below.missing + below.stale + below.permissions > 0
    ? el("span", "badge summary", [below.missing && `${below.missing} missing`, below.stale && `${below.stale} stale`, below.permissions && `${below.permissions} perm`].filter(Boolean).join(" · "))
    : undefined;
  const notes = ctx.guestSide === undefined ? [] : shadowNotes(line.cells[ctx.guestSide], row);
  const pseudo = ctx.directPaging && pseudoCell(ctx.directPaging, row);
  const e = el("div", cls, indent(el("span", "tree", twisty, index), line.depth), pte,
    el("span", "ppn", hex(row.pte >> 10n & ((1n << 44n) - 1n))),
    el("span", "flags", ...flagCells(row)), target, pseudo?.cell,
    ctx.rangeElsewhere ? undefined : rangeCell(row.start, row.end), notes.length ? el("span", "explained hint-mark", "?") : undefined, badge, pseudo?.mark);
  e.dataset.key = row.key;
  // The right-click menu's "Go to Last Write" (package.json, webview/context) on a guest table's PTE.
  if (!lastLeaf && tree.kind === "guest") e.dataset.vscodeContext = JSON.stringify({ webviewSection: "pte", ref: `${tree.tableSpace}:${hex(row.pteAddr)}` });
  e.title = [
    lastLeaf ? `${row.group} leaves, indices ${row.index}…${lastLeaf.index}, each a page further on: click to list them` : `level ${row.level}, index ${row.index}, PTE ${hex(row.pte, 16)} at ${tree.tableSpace}:${hex(row.pteAddr)}`,
    `${tree.input} ${hex(BigInt.asUintN(64, row.start))}…${hex(BigInt.asUintN(64, row.end - 1n))}`,
    d?.note, ...notes, pseudo?.title,
  ].filter(Boolean).join("\n");
  return e;
}

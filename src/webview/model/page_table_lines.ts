import type { PtRow, PtTree } from "./page_tables";

/**
 * The lines the Page Tables panel's columns show, pure. Tables that translate the same addresses
 * (the guest's table and its shadow: both guest-virtual) are aligned: line i of every column is the
 * same range of addresses, so an entry and its counterpart sit side by side. A table without an entry
 * there shows a gap, and, when a leaf above covers the range (a guest gigapage the shadow maps in
 * 4 KiB pieces), that leaf. A table alone (the G stage) has lines of its own.
 */

/** One table's part of a line: its entry for the range, or the leaf above that covers the range. */
export interface Cell {
  row?: PtRow;
  cover?: PtRow;
}

export interface Line {
  level: number;
  index: number;
  /** How many lines it is below: its level's, one more inside a group of leaves. */
  depth: number;
  cells: Cell[];
}

/**
 * The lines of `trees` (aligned by address), descending only below lines one of whose entries is
 * expanded: what the scrolled columns show. Each table's rows are in index order (as the adapter
 * reads them), so the tables merge in one pass: this runs on every redraw of 16,000-entry tables.
 */
export function alignedLines(trees: readonly PtTree[], expanded: ReadonlySet<string>): Line[] {
  const out: Line[] = [];
  const n = trees.length;
  const visit = (lists: (readonly PtRow[] | undefined)[], covers: (PtRow | undefined)[], depth: number): void => {
    const at = new Array<number>(n).fill(0);
    for (;;) {
      let index = Infinity;
      for (let i = 0; i < n; i++) {
        const r = lists[i]?.[at[i]];
        if (r && r.index < index) index = r.index;
      }
      if (index === Infinity) return;
      const cells: Cell[] = new Array<Cell>(n);
      let level = 0;
      let open = false;
      for (let i = 0; i < n; i++) {
        const r = lists[i]?.[at[i]];
        if (r && r.index === index) {
          at[i]++;
          cells[i] = { row: r };
          level = r.level;
          if (r.children && expanded.has(r.key)) open = true;
        } else {
          cells[i] = { cover: covers[i] };
        }
      }
      out.push({ level, index, depth, cells });
      if (open) visit(cells.map((c) => c.row?.children), cells.map((c) => (c.row ? (c.row.leaf ? c.row : undefined) : c.cover)), depth + 1);
    }
  };
  visit(trees.map((t) => t.rows), new Array<PtRow | undefined>(n).fill(undefined), 0);
  return out;
}

/**
 * The shown trees in groups that share their lines: the guest's table with a shadow of it, each other
 * tree alone. With a G stage (hardware assistance) a shadow serves the guest's M-mode code, which does
 * not use the guest's table: nothing lines up there.
 */
export function lineGroups(shown: readonly PtTree[]): PtTree[][] {
  const shadow = shown.find((t) => t.kind === "shadow");
  const guest = shown.find((t) => t.kind === "guest");
  if (!shadow || !guest || shown.some((t) => t.kind === "gstage")) return shown.map((t) => [t]);
  return shown.filter((t) => t !== shadow).map((t) => (t === guest ? [guest, shadow] : [t]));
}

/** Whether a line's entries are open: any of them expanded. */
export function lineOpen(line: Line, expanded: ReadonlySet<string>): boolean {
  return line.cells.some((c) => c.row?.children && expanded.has(c.row.key));
}

/** The keys a click on a line opens or closes: every entry on it with something below. */
export function lineKeys(line: Line): string[] {
  return line.cells.flatMap((c) => (c.row?.children ? [c.row.key] : []));
}

import type { PageTablesBody, WalkBody, WireTable, WireTree } from "../../debug/custom_requests";

/**
 * The Page Tables panel's data shaping, pure (no DOM, no VS Code): trees of rows from the
 * `hyperstep/pageTables` body (the G stage's long runs of leaves grouped), the adapter's
 * comparison marks placed on those rows, and the adapter's walk of one address (`hyperstep/walk`)
 * placed on them and told line by line. Nothing here walks a table: the adapter does, with the
 * hart's own walker.
 */

export interface PtRow {
  /**
   * `<tree id>/<index>.<index>…` (a group's last part `<first>-<last>`): stable across refreshes, so
   * expansion and selection survive them.
   */
  key: string;
  level: number;
  index: number;
  pte: bigint;
  /** Where the PTE itself lives (in the tree's table space). */
  pteAddr: bigint;
  flags: number;
  leaf: boolean;
  /** The input range the entry covers: [start, end). Sv39 addresses are sign-extended from bit 38. */
  start: bigint;
  end: bigint;
  /** The physical address it points at: a leaf's page (a group's first), or the next table. */
  target: bigint;
  /** A group of contiguous leaves (its children): how many. Its PTE and flags are the first leaf's. */
  group?: number;
  children?: PtRow[];
}

export interface PtTree {
  id: string;
  kind: WireTree["kind"];
  label: string;
  mode: WireTree["mode"];
  input: string;
  output: string;
  tableSpace: string;
  active: boolean;
  truncated: boolean;
  rootAddr: bigint;
  rows: PtRow[];
  /** Valid entries in the tree. */
  size: number;
}

export const FLAG_NAMES = ["V", "R", "W", "X", "U", "G", "A", "D"] as const;
const PPN_MASK = (1n << 44n) - 1n;

export function signExtend39(a: bigint): bigint {
  return BigInt.asIntN(39, a);
}

/**
 * The G stage maps guest RAM page by page: tens of thousands of leaves, in whole tables of contiguous
 * pages. A run of at least this many leaves becomes one collapsible row (the leaves below it), so the
 * table reads as the ranges it maps.
 */
const GROUP_MIN = 16;

/** The rows of a tree; with `groupRuns` (the G stage's default), long runs of leaves as one row each. */
export function buildTree(t: WireTree, groupRuns = t.kind === "gstage"): PtTree {
  let size = 0;
  const sv39 = t.mode === "sv39";
  const visit = (table: WireTable, level: number, base: bigint, prefix: string): PtRow[] => {
    const rows: PtRow[] = [];
    const span = 1n << BigInt(12 + 9 * level);
    const tableAddr = BigInt(table.addr);
    const sep = prefix.endsWith("/") ? "" : ".";
    const row = (index: number, pte: bigint): PtRow => {
      const raw = base + BigInt(index) * span;
      const start = sv39 ? signExtend39(raw) : raw;
      return {
        key: `${prefix}${sep}${index}`, level, index, pte, pteAddr: tableAddr + BigInt(index * 8), flags: Number(pte & 0xffn),
        leaf: (pte & 0xen) !== 0n, start, end: start + span, target: ((pte >> 10n) & PPN_MASK) << 12n,
      };
    };
    for (const [first, pteText, extra] of table.entries) {
      const firstPte = BigInt(pteText);
      if (typeof extra === "object") {
        const pointer = row(first, firstPte);
        pointer.children = visit(extra, level - 1, base + BigInt(first) * span, pointer.key);
        rows.push(pointer);
        size++;
        continue;
      }
      // A run is `extra` consecutive leaves whose PTEs step by one page.
      const count = extra ?? 1;
      const leaf = (k: number) => row(first + k, firstPte + (BigInt(k) << 10n));
      size += count;
      if (!groupRuns || count < GROUP_MIN) {
        for (let k = 0; k < count; k++) rows.push(leaf(k));
        continue;
      }
      const head = leaf(0);
      let leaves: PtRow[] | undefined;
      rows.push({
        ...head, key: `${prefix}${sep}${first}-${first + count - 1}`, leaf: false, end: head.start + BigInt(count) * span, group: count,
        // Made when first asked for (the group opened, or a walk through it): the G stage has tens of
        // thousands of leaves, and the panel opens with its groups closed.
        get children() {
          return (leaves ??= Array.from({ length: count }, (_, k) => leaf(k)));
        },
      });
    }
    return rows;
  };
  const rows = visit(t.root, 2, 0n, `${t.id}/`);
  return {
    id: t.id, kind: t.kind, label: t.label, mode: t.mode, input: t.input, output: t.output, tableSpace: t.tableSpace,
    active: t.active, truncated: t.truncated, rootAddr: BigInt(t.root.addr), rows, size,
  };
}

export function buildTrees(body: PageTablesBody): PtTree[] {
  return body.trees.map((t) => buildTree(t));
}

/** A size in bytes as people say it: 128 MiB, 4 KiB, 1 GiB (or in bytes, when not a whole unit). */
export function sizeText(bytes: bigint): string {
  for (const [unit, shift] of [["GiB", 30n], ["MiB", 20n], ["KiB", 10n]] as const) {
    if (bytes >= 1n << shift && bytes % (1n << shift) === 0n) return `${bytes >> shift} ${unit}`;
  }
  return `${bytes} bytes`;
}

/** The p2m, one region a line: where the guest's physical memory lives in the host's, and how much of it. */
export function p2mLines(body: Pick<PageTablesBody, "p2m">): string[] {
  return body.p2m.map((r) => `gpa ${r.gpa}…${hexEnd(r.gpa, r.size)} → hpa ${r.hpa}…${hexEnd(r.hpa, r.size)} (${sizeText(BigInt(r.size))} of guest RAM)`);
}

const hexEnd = (base: string, size: string) => `0x${(BigInt(base) + BigInt(size) - 1n).toString(16)}`;

/** The range of rows to put in the DOM for a scroll position, with `overscan` rows either side. */
export function renderWindow(total: number, scrollTop: number, viewportHeight: number, rowHeight: number, overscan = 8): { start: number; end: number } {
  const first = Math.floor(Math.max(0, scrollTop) / rowHeight);
  const count = Math.ceil(Math.max(0, viewportHeight) / rowHeight);
  return { start: Math.max(0, Math.min(total, first - overscan)), end: Math.min(total, first + count + overscan) };
}

/** How a row compares (vmm_view.ts's ShadowMark): the adapter says, from what the VMM knows. */
export type DiffStatus = PageTablesBody["marks"][string][number][1];

export interface RowDiff {
  status: DiffStatus;
  note: string;
}

type Problems = { missing: number; stale: number; permissions: number };

export interface ShadowDiff {
  rows: Map<string, RowDiff>;
  /** Per non-leaf row: how many leaves below it are missing, stale or differ in permissions. */
  below: Map<string, Problems>;
  counts: Record<DiffStatus, number>;
}

function leaves(rows: readonly PtRow[], out: PtRow[] = []): PtRow[] {
  for (const r of rows) {
    if (r.leaf) out.push(r);
    else if (r.children) leaves(r.children, out);
  }
  return out;
}

/** Places the adapter's marks on the leaves of `trees` (by the address of each leaf's first byte). */
export function applyMarks(trees: readonly PtTree[], marks: PageTablesBody["marks"]): ShadowDiff {
  const rows = new Map<string, RowDiff>();
  const counts: Record<DiffStatus, number> = { missing: 0, shadowed: 0, device: 0, same: 0, stale: 0, permissions: 0 };
  const below = new Map<string, Problems>();
  for (const tree of trees) {
    const list = marks[tree.id];
    if (!list) continue;
    const byStart = new Map(leaves(tree.rows).map((r) => [BigInt.asUintN(64, r.start), r]));
    for (const [va, status, note] of list) {
      const row = byStart.get(BigInt(va));
      if (!row) continue;
      rows.set(row.key, { status, note });
      counts[status]++;
    }
    const sum = (list: readonly PtRow[]): Problems => {
      const total = { missing: 0, stale: 0, permissions: 0 };
      for (const r of list) {
        if (r.children) {
          const t = sum(r.children);
          below.set(r.key, t);
          total.missing += t.missing;
          total.stale += t.stale;
          total.permissions += t.permissions;
        } else {
          const st = rows.get(r.key)?.status;
          if (st === "missing" || st === "stale" || st === "permissions") total[st]++;
        }
      }
      return total;
    };
    sum(tree.rows);
  }
  return { rows, below, counts };
}

/** A walk placed on the trees: the rows whose PTEs it reads, and the rows to open to show them. */
export interface WalkOnTrees {
  onPath: Set<string>;
  expand: Set<string>;
}

/** The rows of `trees` whose PTE each walk step read: the step's PTE address in its tree's table space. */
export function walkRows(trees: readonly PtTree[], walk: WalkBody): WalkOnTrees {
  const onPath = new Set<string>();
  const expand = new Set<string>();
  const finders = new Map<string, (pteAddr: bigint) => Placed | undefined>();
  for (const w of walk.walks) {
    for (const step of w.steps) {
      const tree = trees.find((t) => t.id === step.tree);
      const [space, addr] = step.pteAddr.split(":");
      if (!tree || space !== tree.tableSpace) continue;
      let find = finders.get(tree.id);
      if (!find) finders.set(tree.id, (find = pteFinder(tree)));
      const found = find(BigInt(addr));
      if (!found) continue;
      onPath.add(found.row.key);
      for (const k of found.above) expand.add(k);
    }
  }
  return { onPath, expand };
}

/** A PTE's row, with the rows above it. */
interface Placed {
  row: PtRow;
  above: string[];
}

/**
 * Finds a tree's rows by the address of their PTE. A group holds no PTE of its own, and its leaves
 * are found by their place in it, so a walk makes only the group it passes through list its leaves.
 */
function pteFinder(tree: PtTree): (pteAddr: bigint) => Placed | undefined {
  const byPte = new Map<bigint, Placed>();
  const groups: Placed[] = [];
  const visit = (list: readonly PtRow[], above: string[]) => {
    for (const r of list) {
      if (r.group !== undefined) {
        groups.push({ row: r, above });
        continue;
      }
      byPte.set(r.pteAddr, { row: r, above });
      if (r.children) visit(r.children, [...above, r.key]);
    }
  };
  visit(tree.rows, []);
  return (pteAddr) => {
    const found = byPte.get(pteAddr);
    if (found) return found;
    const g = groups.find(({ row }) => pteAddr >= row.pteAddr && pteAddr < row.pteAddr + BigInt(row.group! * 8));
    return g && { row: g.row.children![Number(pteAddr - g.row.pteAddr) / 8], above: [...g.above, g.row.key] };
  };
}

function flagText(pte: bigint): string {
  return FLAG_NAMES.map((n, i) => ((Number(pte & 0xffn) >> i) & 1 ? n : "-")).join("");
}

/**
 * The walk as the panel shows it: what comes of the access first (it stays in sight when a long
 * two-stage walk scrolls), then each walk: every PTE the hardware reads, numbered in its order, each
 * G-stage walk headed by what it locates, and what the walker found.
 */
export function walkLines(walk: WalkBody): string[] {
  const lines = [`result: ${walk.result.text}`, `${walk.references} page-table read${walk.references === 1 ? "" : "s"} by the hardware`];
  if (walk.note) lines.push(`(${walk.note})`);
  for (const w of walk.walks) {
    lines.push(`${w.title}:`);
    for (const s of w.steps) {
      if (s.begins) lines.push(`  G-stage walk of gpa ${s.begins.gpa} (${s.begins.purpose}):`);
      const pte = BigInt(s.pte);
      const target = `0x${(((pte >> 10n) & ((1n << 44n) - 1n)) << 12n).toString(16)}`;
      const leads = (pte & 1n) === 0n ? "invalid" : (pte & 0xen) === 0n ? `→ table ${target}` : `leaf → ${target}`;
      const n = s.ref === undefined ? "" : `#${String(s.ref).padStart(2)} `;
      const where = `${s.pteAddr}${s.hpa ? ` = ${s.hpa}` : ""}`;
      lines.push(`   ${n}${s.stage === "guest" ? "" : `${s.stage.toUpperCase()} `}level ${s.level} [${s.index}] PTE ${`0x${pte.toString(16).padStart(16, "0")}`} ${flagText(pte)} ${leads}  (at ${where})`);
      for (const note of s.notes) lines.push(`        ${note}`);
    }
    lines.push(w.ok ? `   = ${w.end}` : `   stops: ${w.end}`);
  }
  return lines;
}

import type { PageTablesBody, WireTable, WireTree } from "../../debug/custom_requests";

/**
 * The Page Tables panel's data shaping, pure (no DOM, no VS Code): trees of rows from the
 * `hyperstep/pageTables` body, the rows a set of expanded nodes makes visible, the walk of one address
 * through a tree, and the comparison of the guest's table with a shadow table.
 */

export interface PtRow {
  /** `<tree id>/<index>.<index>…`: stable across refreshes, so expansion and selection survive them. */
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
  /** The physical address it points at: a leaf's page, or the next table. */
  target: bigint;
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

export function buildTree(t: WireTree): PtTree {
  let size = 0;
  const sv39 = t.mode === "sv39";
  const visit = (table: WireTable, level: number, base: bigint, prefix: string): PtRow[] => {
    const rows: PtRow[] = [];
    const span = 1n << BigInt(12 + 9 * level);
    const tableAddr = BigInt(table.addr);
    const sep = prefix.endsWith("/") ? "" : ".";
    for (const [first, pteText, extra] of table.entries) {
      // A run is `extra` consecutive leaves whose PTEs step by one page.
      const count = typeof extra === "number" ? extra : 1;
      const firstPte = BigInt(pteText);
      for (let k = 0; k < count; k++) {
        const index = first + k;
        const pte = firstPte + (BigInt(k) << 10n);
        const raw = base + BigInt(index) * span;
        const start = sv39 ? signExtend39(raw) : raw;
        const key = `${prefix}${sep}${index}`;
        const row: PtRow = {
          key, level, index, pte, pteAddr: tableAddr + BigInt(index * 8), flags: Number(pte & 0xffn),
          leaf: (pte & 0xen) !== 0n, start, end: start + span, target: ((pte >> 10n) & PPN_MASK) << 12n,
        };
        if (typeof extra === "object") row.children = visit(extra, level - 1, raw, key);
        rows.push(row);
      }
    }
    size += rows.length;
    return rows;
  };
  const rows = visit(t.root, 2, 0n, `${t.id}/`);
  return {
    id: t.id, kind: t.kind, label: t.label, mode: t.mode, input: t.input, output: t.output, tableSpace: t.tableSpace,
    active: t.active, truncated: t.truncated, rootAddr: BigInt(t.root.addr), rows, size,
  };
}

export function buildTrees(body: PageTablesBody): PtTree[] {
  return body.trees.map(buildTree);
}

/** Depth-first rows, descending only into expanded ones: what a scrolled list shows. */
export function visibleRows(rows: readonly PtRow[], expanded: ReadonlySet<string>): PtRow[] {
  const out: PtRow[] = [];
  const visit = (list: readonly PtRow[]) => {
    for (const r of list) {
      out.push(r);
      if (r.children && expanded.has(r.key)) visit(r.children);
    }
  };
  visit(rows);
  return out;
}

/** The range of rows to put in the DOM for a scroll position, with `overscan` rows either side. */
export function renderWindow(total: number, scrollTop: number, viewportHeight: number, rowHeight: number, overscan = 8): { start: number; end: number } {
  const first = Math.floor(Math.max(0, scrollTop) / rowHeight);
  const count = Math.ceil(Math.max(0, viewportHeight) / rowHeight);
  return { start: Math.max(0, Math.min(total, first - overscan)), end: Math.min(total, first + count + overscan) };
}

export interface TreeWalk {
  /** The rows the walk reads, from the root down. */
  path: PtRow[];
  /** The invalid entry the walk read last, when it stopped at one (the tree holds valid entries only). */
  missing?: { level: number; index: number; pteAddr: bigint };
  /** PTEs the hardware reads for this walk: the path, plus the invalid entry it stopped at. */
  reads: number;
  /** Where the address leads, when the walk reaches a leaf. */
  out?: bigint;
  /** Why it stops otherwise. */
  fault?: string;
}

/** Walks `addr` through a tree's rows by its index bits (no permission checks), as the hardware would. */
export function walkTree(tree: PtTree, addr: bigint): TreeWalk {
  const path: PtRow[] = [];
  if (tree.mode === "sv39" ? signExtend39(addr) !== BigInt.asIntN(64, addr) : addr >> 41n !== 0n) {
    return { path, reads: 0, fault: `0x${BigInt.asUintN(64, addr).toString(16)} is outside ${tree.mode}'s ${tree.mode === "sv39" ? "39-bit" : "41-bit"} range` };
  }
  let rows: readonly PtRow[] | undefined = tree.rows;
  let table = tree.rootAddr;
  for (let level = 2; level >= 0; level--) {
    const width = level === 2 && tree.mode === "sv39x4" ? 2047n : 511n;
    const index = Number((addr >> BigInt(12 + 9 * level)) & width);
    const row: PtRow | undefined = rows?.find((r) => r.index === index);
    if (!row) return { path, missing: { level, index, pteAddr: table + BigInt(index * 8) }, reads: path.length + 1, fault: `no valid entry at index ${index} of level ${level}` };
    path.push(row);
    if (row.leaf) {
      const offset = BigInt.asUintN(64, addr) & ((1n << BigInt(12 + 9 * level)) - 1n);
      if (row.target & ((1n << BigInt(12 + 9 * level)) - 1n)) return { path, reads: path.length, fault: `misaligned superpage at level ${level}` };
      return { path, reads: path.length, out: row.target + offset };
    }
    rows = row.children;
    table = row.target;
  }
  return { path, reads: path.length, fault: "a pointer at level 0" };
}

/** Guest-physical → host-physical through the p2m (identity under native). */
export function p2mTranslate(body: Pick<PageTablesBody, "p2m">, gpa: bigint): bigint | undefined {
  if (body.p2m.length === 0) return gpa;
  for (const r of body.p2m) {
    const base = BigInt(r.gpa);
    if (gpa >= base && gpa < base + BigInt(r.size)) return BigInt(r.hpa) + (gpa - base);
  }
  return undefined;
}

/**
 * How a row compares with the other table:
 * - guest leaves: `missing` (no shadow entry yet: the next access is a hidden page fault) or `shadowed`;
 * - shadow leaves: `same`, `stale` (the guest's table now says otherwise, or nothing), or `permissions`
 *   (same page, other rights: typically W removed from a write-protected guest page-table page).
 */
export type DiffStatus = "missing" | "shadowed" | "same" | "stale" | "permissions";

export interface RowDiff {
  status: DiffStatus;
  note: string;
}

export interface ShadowDiff {
  rows: Map<string, RowDiff>;
  /** Per non-leaf row: how many leaves below it are missing, stale or differ in permissions. */
  below: Map<string, { missing: number; stale: number; permissions: number }>;
  counts: Record<DiffStatus, number>;
}

/**
 * R W X. U is left out: a shadow sets it on the guest kernel's pages too, because the deprivileged
 * guest runs in host U-mode; that is the VMM's doing, not a difference from the guest's table.
 */
const RIGHTS = 0x0e;

function leaves(rows: readonly PtRow[], out: PtRow[] = []): PtRow[] {
  for (const r of rows) {
    if (r.leaf) out.push(r);
    else if (r.children) leaves(r.children, out);
  }
  return out;
}

function flagText(f: number): string {
  return FLAG_NAMES.map((n, i) => ((f >> i) & 1 ? n : "-")).join("");
}

/** Compares the guest's table (GVA→GPA) with a shadow table (GVA→HPA) through the p2m. */
export function diffShadow(guest: PtTree, shadow: PtTree, body: Pick<PageTablesBody, "p2m" | "writeProtected">): ShadowDiff {
  const rows = new Map<string, RowDiff>();
  const counts: Record<DiffStatus, number> = { missing: 0, shadowed: 0, same: 0, stale: 0, permissions: 0 };
  const protectedPages = new Set(body.writeProtected.map((a) => BigInt(a) >> 12n));
  const set = (row: PtRow, d: RowDiff) => {
    rows.set(row.key, d);
    counts[d.status]++;
  };
  const shadowLeaves = leaves(shadow.rows).sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  for (const s of shadowLeaves) {
    const g = walkTree(guest, s.start);
    const guestLeaf = g.path[g.path.length - 1];
    if (g.out === undefined || !guestLeaf) {
      set(s, { status: "stale", note: "the guest's table no longer maps this address" });
      continue;
    }
    const expected = p2mTranslate(body, g.out);
    if (expected !== s.target) {
      set(s, { status: "stale", note: `the guest now maps it to gpa 0x${g.out.toString(16)}${expected === undefined ? " (no host memory)" : ` = hpa 0x${expected.toString(16)}`}` });
      continue;
    }
    const wantRights = guestLeaf.flags & RIGHTS;
    if ((s.flags & RIGHTS) !== wantRights) {
      const why = protectedPages.has(g.out >> 12n) ? "a write-protected guest page-table page" : (guestLeaf.flags & 0x80) === 0 ? "W held back until the guest's D bit is set" : "rights differ";
      set(s, { status: "permissions", note: `guest ${flagText(guestLeaf.flags)}, shadow ${flagText(s.flags)}: ${why}` });
      continue;
    }
    set(s, { status: "same", note: `matches the guest's entry through the p2m` });
  }
  for (const g of leaves(guest.rows)) {
    const n = countInRange(shadowLeaves, g.start, g.end);
    if (n === 0) set(g, { status: "missing", note: "not in the shadow yet: the first access is a hidden page fault" });
    else set(g, { status: "shadowed", note: `${n} shadow entr${n === 1 ? "y" : "ies"} cover${n === 1 ? "s" : ""} it` });
  }
  const below = new Map<string, { missing: number; stale: number; permissions: number }>();
  const sum = (list: readonly PtRow[]): { missing: number; stale: number; permissions: number } => {
    const total = { missing: 0, stale: 0, permissions: 0 };
    for (const r of list) {
      if (r.children) {
        const t = sum(r.children);
        below.set(r.key, t);
        total.missing += t.missing;
        total.stale += t.stale;
        total.permissions += t.permissions;
      } else {
        const s = rows.get(r.key)?.status;
        if (s === "missing" || s === "stale" || s === "permissions") total[s]++;
      }
    }
    return total;
  };
  sum(guest.rows);
  sum(shadow.rows);
  return { rows, below, counts };
}

function countInRange(sorted: readonly PtRow[], start: bigint, end: bigint): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid].start < start) lo = mid + 1;
    else hi = mid;
  }
  let n = 0;
  for (let i = lo; i < sorted.length && sorted[i].start < end; i++) n++;
  return n;
}

export interface AddressWalk {
  /**
   * The walks in the order the hardware makes them. Under two-stage translation each guest PTE read
   * is its own one-row walk, preceded by the G-stage walk that locates it.
   */
  walks: { tree: string; stage: "guest" | "shadow" | "G"; purpose: string; walk: TreeWalk }[];
  /** PTEs the hardware reads: the shadow walk under shadow paging; both stages, up to 15, under two-stage translation. */
  references: number;
  /** Two-stage translation: the guest-physical address between the stages. */
  gpa?: bigint;
  /** The final address, in the last tree's output space. */
  result?: { space: string; addr: bigint };
  /** Under a VMM without a G stage: where the p2m puts the guest-physical result. */
  hpa?: bigint;
  fault?: string;
}

const hexAddr = (a: bigint) => `0x${BigInt.asUintN(64, a).toString(16)}`;

/**
 * The full walk of one guest-virtual address: through the guest's table; then, under shadow paging,
 * the shadow table's own walk of it (the one the hart makes); under two-stage translation, the G-stage
 * walk of every guest PTE before it is read, then of the final guest-physical address (up to 15
 * memory references for Sv39 over Sv39x4). Without a guest table (satp or vsatp Bare), the address
 * is guest-physical: only the G stage, if any, translates it.
 */
export function walkAddress(trees: readonly PtTree[], body: Pick<PageTablesBody, "p2m">, gva: bigint, shadowId?: string): AddressWalk {
  const guest = trees.find((t) => t.kind === "guest");
  const gstage = trees.find((t) => t.kind === "gstage");
  if (gstage) return twoStageWalk(guest, gstage, gva);
  const shadow = trees.find((t) => t.id === shadowId) ?? trees.find((t) => t.kind === "shadow" && t.active);
  const out: AddressWalk = { walks: [], references: 0 };
  if (!guest) return { ...out, fault: "the guest does not translate (satp is Bare)" };
  const g = walkTree(guest, gva);
  out.walks.push({ tree: guest.id, stage: "guest", purpose: `guest walk of gva ${hexAddr(gva)}`, walk: g });
  out.references = g.reads;
  if (g.out === undefined) return { ...out, fault: `guest: ${g.fault}` };
  if (shadow) {
    const s = walkTree(shadow, gva);
    out.walks.push({ tree: shadow.id, stage: "shadow", purpose: "the shadow table's walk, which the hart actually does", walk: s });
    out.references = s.reads;
  }
  out.result = { space: guest.output, addr: g.out };
  if (body.p2m.length) {
    const hpa = p2mTranslate(body, g.out);
    if (hpa === undefined) out.fault = `gpa ${hexAddr(g.out)} has no host memory`;
    else out.hpa = hpa;
  }
  return out;
}

function twoStageWalk(guest: PtTree | undefined, gstage: PtTree, gva: bigint): AddressWalk {
  const out: AddressWalk = { walks: [], references: 0 };
  const gWalk = (gpa: bigint, purpose: string): TreeWalk => {
    const w = walkTree(gstage, gpa);
    out.walks.push({ tree: gstage.id, stage: "G", purpose: `G-stage walk of gpa ${hexAddr(gpa)} (${purpose})`, walk: w });
    out.references += w.reads;
    return w;
  };
  let gpa = gva;
  if (guest) {
    const g = walkTree(guest, gva);
    const reads = [...g.path.map((row) => ({ level: row.level, pteAddr: row.pteAddr, row })), ...(g.missing ? [{ ...g.missing, row: undefined }] : [])];
    for (const [i, step] of reads.entries()) {
      const located = gWalk(step.pteAddr, `where the guest's level-${step.level} PTE lives`);
      if (located.out === undefined) return { ...out, fault: `G stage: the guest's level-${step.level} PTE at gpa ${hexAddr(step.pteAddr)}: ${located.fault}` };
      const last = i === reads.length - 1;
      const walk: TreeWalk = { path: step.row ? [step.row] : [], reads: 1, ...(last ? { out: g.out, fault: g.fault } : {}) };
      out.walks.push({ tree: guest.id, stage: "guest", purpose: `guest level-${step.level} PTE at gpa ${hexAddr(step.pteAddr)} = hpa ${hexAddr(located.out)}`, walk });
      out.references++;
    }
    if (g.out === undefined) return { ...out, fault: `guest: ${g.fault}` };
    gpa = g.out;
  }
  out.gpa = gpa;
  const final = gWalk(gpa, guest ? "the access" : "vsatp is Bare: gpa = gva");
  if (final.out === undefined) return { ...out, fault: `G stage: ${final.fault}` };
  return { ...out, result: { space: gstage.output, addr: final.out } };
}

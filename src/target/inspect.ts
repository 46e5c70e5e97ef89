import type { DeviceState } from "../machine/device";
import type { AddressSpace } from "./target";

/**
 * What the panels show of a target (page tables, device models, the exit log), in terms that do not
 * depend on the technique. A bare machine fills the guest tree and the devices; a VM under the VMM
 * adds its shadow trees (trap-and-emulate) or its G-stage tree (hardware-assisted), the p2m, and its
 * exit log. The debug adapter turns these into the bodies of the `hyperstep/…` custom requests.
 */

// ---- page tables ----

/** One valid entry of a page-table page. */
export interface PtEntry {
  /** 0..511 (0..2047 at the root of an Sv39x4 G-stage table). */
  index: number;
  pte: bigint;
  /** The next-level table, for a valid non-leaf entry above level 0. */
  next?: PtTable;
}

/** One page-table page: where it lives (in the tree's `tableSpace`) and its valid entries, by index. */
export interface PtTable {
  addr: bigint;
  entries: PtEntry[];
}

/**
 * - `guest`: the guest's own table (its satp, or vsatp under the H extension): guest-virtual → guest-physical.
 * - `shadow`: a VMM shadow table (trap-and-emulate): guest-virtual → host-physical.
 * - `gstage`: the G-stage table (hardware-assisted, hgatp): guest-physical → host-physical.
 */
export type PageTableKind = "guest" | "shadow" | "gstage";

export interface PageTableTree {
  /** Stable across stops: "guest", "gstage", "shadow:<key>". */
  id: string;
  kind: PageTableKind;
  /** What the user reads, e.g. "guest (satp, ASID 1)" or "shadow A, S-mode". */
  label: string;
  /** Sv39x4 has a 2048-entry root (two more bits of guest-physical address). */
  mode: "sv39" | "sv39x4";
  /** The addresses the table translates from and into, and where its own pages live. */
  input: AddressSpace;
  output: AddressSpace;
  tableSpace: AddressSpace;
  root: PtTable;
  /** The table the hart walks right now (the current shadow root); a guest tree is always active. */
  active: boolean;
  /** Entries were left out beyond the limit the caller asked for. */
  truncated: boolean;
}

/** A guest-physical region and the host-physical memory behind it. */
export interface P2mRange {
  gpa: bigint;
  hpa: bigint;
  size: bigint;
}

export interface PageTableSet {
  trees: PageTableTree[];
  /** Empty under `native` (guest-physical is physical). */
  p2m: P2mRange[];
  /** Guest-physical pages that hold guest page tables and that the VMM write-protects in its shadows. */
  writeProtected: bigint[];
  /** Why a tree is absent, e.g. "satp is Bare: the guest does not translate". */
  note?: string;
  /** Under paravirtualization, whose guest tables hold machine frames: how to read them as the guest numbers its frames. */
  directPaging?: DirectPagingView;
}

/** The machine-to-phys table (machine ranges → pseudo-physical frames and guest-physical addresses) and the pinned page-table frames. */
export interface DirectPagingView {
  m2p: { hpa: bigint; gpa: bigint; pfn: bigint; size: bigint }[];
  /** Machine addresses of the frames the guest pinned as page tables, with their level (−1: a spare page-table frame). */
  pinned: { hpa: bigint; level: number }[];
}

const PPN_MASK = (1n << 44n) - 1n;

/** The physical address a PTE points at (a leaf's page or the next table). */
export function ptePhysical(pte: bigint): bigint {
  return ((pte >> 10n) & PPN_MASK) << 12n;
}

/** Valid and none of R, W, X: a pointer to the next level. */
export function isPointer(pte: bigint): boolean {
  return (pte & 1n) === 1n && (pte & 0xen) === 0n;
}

/**
 * Reads a whole Sv39 (or Sv39x4) tree, valid entries only, depth first, stopping after `limit`
 * entries. `readPte` reads one PTE in the tree's table space, or undefined where nothing is readable.
 */
export function readPageTable(
  root: bigint,
  mode: "sv39" | "sv39x4",
  readPte: (addr: bigint) => bigint | undefined,
  limit = 1 << 17,
): { root: PtTable; truncated: boolean } {
  let left = limit;
  let truncated = false;
  const visit = (addr: bigint, level: number, width: number): PtTable => {
    const table: PtTable = { addr, entries: [] };
    for (let index = 0; index < width; index++) {
      const pte = readPte(addr + BigInt(index * 8));
      if (pte === undefined || (pte & 1n) === 0n) continue;
      if (left-- <= 0) {
        truncated = true;
        break;
      }
      const entry: PtEntry = { index, pte };
      if (level > 0 && isPointer(pte)) entry.next = visit(ptePhysical(pte), level - 1, 512);
      table.entries.push(entry);
    }
    return table;
  };
  return { root: visit(root, 2, mode === "sv39x4" ? 2048 : 512), truncated };
}

// ---- devices ----

export type { DeviceNode, DeviceState } from "../machine/device";

// ---- exits ----

/** An exit record as the panels read it (the VMM's `VmExit` has this shape and more). */
export interface ExitRecordView {
  seq: number;
  vcpu: number;
  /** Guest pc and virtual privilege (0 U, 1 S, 3 M). */
  pc: bigint;
  priv: number;
  /** Guest instructions retired before the exit. */
  instret: bigint;
  reason: string;
  instruction?: { mnemonic: string };
  /** Reason-specific facts (CSR, GVA/GPA, device, …); bigints are shown in hex. */
  details: object;
  /** What the VMM did, in one sentence. */
  action: string;
  cycles: number;
}

export interface ExitReasonInfo {
  id: string;
  label: string;
  description: string;
}

export interface ExitLogSnapshot {
  /** Every reason this technique can produce, in display order. */
  reasons: readonly ExitReasonInfo[];
  /** The records the log still holds, oldest first (callers do not modify it). */
  records: readonly ExitRecordView[];
  /** Count and modelled cycles per reason since the VM started (the log's bound loses nothing here). */
  stats: readonly { reason: string; count: number; cycles: number }[];
  /** Records dropped from the front of the log by its bound. */
  dropped: number;
}

/** The panels' view of a target; every part is optional, and what is absent shows as "not provided". */
export interface TargetInspection {
  /** The guest's table and the VMM's tables, at most `limit` valid entries each. */
  pageTableTrees?(limit: number): PageTableSet;
  /** The guest-visible device models. */
  deviceStates?(): DeviceState[];
  /** Undefined: this technique has no VMM, hence no exits. */
  exitLog?(): ExitLogSnapshot | undefined;
}

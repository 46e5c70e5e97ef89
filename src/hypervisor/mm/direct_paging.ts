import { PT_POOL_FRAMES, PV_ERR } from "../pv/abi";

/**
 * Direct paging (Xen's): the paravirtual guest's page tables hold machine frame numbers and the
 * hart walks them as they are, with no shadow copy. That is safe only because the VMM validates
 * every entry before it is written, keeps every page-table page read-only to the guest, and lets
 * `satp` point only at a validated root. The invariant this class keeps:
 *
 *   every frame the hart can reach through satp is a pinned table of the right level, and every
 *   valid entry in a pinned table either points at a pinned table one level down, or is a leaf that
 *   maps only the guest's own frames, and never a page-table frame writable.
 *
 * Tables are typed by level, as Xen types L1–L4 pages: level 2 is a root, level 0 holds 4 KiB
 * leaves. A frame in `tables` with level −1 is a spare page-table frame: read-only to the guest,
 * zero, and not yet a table (the boot pool).
 */

export interface Refusal {
  /** PV_ERR: EINVAL for a malformed request, EPERM for one that would break isolation, EBUSY for a table in use. */
  code: number;
  why: string;
}

export interface PteWrite {
  /** Machine address of the entry, its level, and the entry before and after. */
  ptr: number;
  level: number;
  before: bigint;
  after: bigint;
}

const LEAF_SPAN = [1, 512, 512 * 512];
const PPN_MASK = (1n << 44n) - 1n;
const hex = (n: number | bigint) => `0x${n.toString(16)}`;

/** Where the VMM put the boot page tables and the pages it shares with the guest (boot()). */
export interface BootLayout {
  /** Pseudo-physical frames (from the start of guest RAM). */
  startInfoPfn: number;
  sharedInfoPfn: number;
  rootPfn: number;
  poolPfn: number;
}

export class DirectPaging {
  /** Page-table frames (machine frame numbers) and their level; −1: a spare, read-only frame. */
  readonly tables = new Map<number, number>();

  constructor(
    /** Host RAM, seen from its base address `ramBase`. */
    private readonly view: DataView,
    private readonly ramBase: number,
    /** The guest's machine frames: firstMfn … firstMfn + nrPages − 1. */
    readonly firstMfn: number,
    readonly nrPages: number,
    /** A RAM write the VMM made (decoded code there must go). */
    private readonly written: (hpa: number, len: number) => void,
  ) {}

  owns(mfn: number, frames = 1): boolean {
    return mfn >= this.firstMfn && mfn + frames <= this.firstMfn + this.nrPages;
  }

  read(hpa: number): bigint {
    return this.view.getBigUint64(hpa - this.ramBase, true);
  }

  private write(hpa: number, value: bigint): void {
    this.view.setBigUint64(hpa - this.ramBase, value, true);
    this.written(hpa, 8);
  }

  /**
   * Builds the boot address space in the top 2 MiB of guest RAM, as Xen's domain builder does:
   * pseudo-physical frame p at virtual address `virtBase` + p·4096, kernel-only, by 2 MiB leaves,
   * except the top 2 MiB, mapped by 4 KiB leaves so that the page-table frames in it (the three boot
   * tables and the spare pool) are read-only. Returns where everything is.
   */
  boot(virtBase: number): BootLayout {
    this.tables.clear();
    const top = this.nrPages - 512;
    const layout: BootLayout = { startInfoPfn: top, sharedInfoPfn: top + 1, rootPfn: top + 2, poolPfn: top + 5 };
    const root = this.firstMfn + top + 2, l1 = root + 1, l0 = root + 2;
    for (let f = 0; f < 3 + PT_POOL_FRAMES; f++) this.zero(root + f);
    const rwx = 0xcfn; // V R W X A D
    const ro = 0x43n; // V R A
    const leaf = (mfn: number, flags: bigint) => (BigInt(mfn) << 10n) | flags;
    const vpn = Math.floor(virtBase / 4096);
    this.write(root * 4096 + ((vpn >>> 18) & 511) * 8, leaf(l1, 1n));
    for (let i = 0; i < this.nrPages / 512; i++) {
      const at = l1 * 4096 + (((vpn >>> 9) + i) & 511) * 8;
      this.write(at, i * 512 === top ? leaf(l0, 1n) : leaf(this.firstMfn + i * 512, rwx));
    }
    for (let j = 0; j < 512; j++) {
      const pfn = top + j;
      const isTable = pfn >= layout.rootPfn && pfn < layout.poolPfn + PT_POOL_FRAMES;
      this.write(l0 * 4096 + j * 8, leaf(this.firstMfn + pfn, isTable ? ro : rwx));
    }
    this.tables.set(root, 2).set(l1, 1).set(l0, 0);
    for (let f = 0; f < PT_POOL_FRAMES; f++) this.tables.set(this.firstMfn + layout.poolPfn + f, -1);
    return layout;
  }

  private zero(mfn: number): void {
    new Uint8Array(this.view.buffer, this.view.byteOffset + mfn * 4096 - this.ramBase, 4096).fill(0);
    this.written(mfn * 4096, 4096);
  }

  /** Why entry `pte` may not sit in a table of `level`, or undefined when it may. */
  checkEntry(pte: bigint, level: number): Refusal | undefined {
    if ((pte & 1n) === 0n) return undefined;
    if (pte >> 54n !== 0n) return { code: PV_ERR.EINVAL, why: "bits 63:54 are reserved" };
    if ((pte & 6n) === 4n) return { code: PV_ERR.EINVAL, why: "W without R is reserved" };
    const mfn = Number((pte >> 10n) & PPN_MASK);
    if ((pte & 0xen) === 0n) {
      if (level === 0) return { code: PV_ERR.EINVAL, why: "a level-0 entry must be a leaf" };
      if (this.tables.get(mfn) !== level - 1) return { code: PV_ERR.EINVAL, why: `frame ${hex(mfn)} is not a pinned level-${level - 1} table` };
      return undefined;
    }
    const span = LEAF_SPAN[level];
    if (mfn % span !== 0) return { code: PV_ERR.EINVAL, why: `a level-${level} leaf must be ${span}-frame aligned` };
    if (!this.owns(mfn, span)) return { code: PV_ERR.EPERM, why: `frame ${hex(mfn)}${span > 1 ? ` (+${span - 1})` : ""} is not the guest's own` };
    if ((pte & 4n) !== 0n) {
      for (const [t, lv] of this.tables) {
        if (t >= mfn && t < mfn + span) return { code: PV_ERR.EPERM, why: `frame ${hex(t)} is a page-table frame${lv < 0 ? " (spare)" : ""}: it may be mapped read-only, never writable` };
      }
    }
    return undefined;
  }

  /** One mmu_update request: the entry at machine address `ptr` becomes `val`, if it may. */
  update(ptr: number, val: bigint): PteWrite | Refusal {
    if (ptr % 8 !== 0) return { code: PV_ERR.EINVAL, why: `ptr ${hex(ptr)} is not 8-byte aligned` };
    const level = this.tables.get(Math.floor(ptr / 4096));
    if (level === undefined || level < 0) return { code: PV_ERR.EINVAL, why: `ptr ${hex(ptr)} is not in a pinned page table` };
    const refused = this.checkEntry(val, level);
    if (refused) return refused;
    const before = this.read(ptr);
    this.write(ptr, val);
    return { ptr, level, before, after: val };
  }

  /**
   * Makes frame `mfn` a table of `level` (Xen's MMUEXT_PIN_Ln_TABLE): it must be the guest's, not a
   * table already, mapped writable by no table, and every entry it holds must be valid at `level`.
   */
  pin(mfn: number, level: number): Refusal | undefined {
    if (!(level >= 0 && level <= 2)) return { code: PV_ERR.EINVAL, why: `level ${level} is not 0, 1 or 2` };
    if (!this.owns(mfn)) return { code: PV_ERR.EPERM, why: `frame ${hex(mfn)} is not the guest's own` };
    const now = this.tables.get(mfn);
    if (now !== undefined && now >= 0) return { code: PV_ERR.EINVAL, why: `frame ${hex(mfn)} is already a pinned level-${now} table` };
    const writable = this.writableMapping(mfn);
    if (writable !== undefined) return { code: PV_ERR.EPERM, why: `frame ${hex(mfn)} is mapped writable by the entry at ${hex(writable)}: unmap it first` };
    for (let i = 0; i < 512; i++) {
      const refused = this.checkEntry(this.read(mfn * 4096 + i * 8), level);
      if (refused) return { code: refused.code, why: `entry ${i}: ${refused.why}` };
    }
    this.tables.set(mfn, level);
    return undefined;
  }

  /** Gives frame `mfn` back as ordinary memory: not while it is the root in use or a table points at it. */
  unpin(mfn: number, currentRootMfn: number): Refusal | undefined {
    const level = this.tables.get(mfn);
    if (level === undefined || level < 0) return { code: PV_ERR.EINVAL, why: `frame ${hex(mfn)} is not a pinned table` };
    if (mfn === currentRootMfn) return { code: PV_ERR.EBUSY, why: `frame ${hex(mfn)} is the root in use` };
    const user = this.pointerTo(mfn);
    if (user !== undefined) return { code: PV_ERR.EBUSY, why: `the entry at ${hex(user)} points at it` };
    this.tables.delete(mfn);
    return undefined;
  }

  /** The machine address of an entry in a table that maps `mfn` writable, if any. */
  private writableMapping(mfn: number): number | undefined {
    return this.findEntry((pte, level) => (pte & 0xfn) === 0x7n || (pte & 0xfn) === 0xfn
      ? this.covers(pte, level, mfn) : false);
  }

  /** The machine address of a non-leaf entry that points at `mfn`, if any. */
  private pointerTo(mfn: number): number | undefined {
    return this.findEntry((pte) => (pte & 0xfn) === 1n && Number((pte >> 10n) & PPN_MASK) === mfn);
  }

  private covers(pte: bigint, level: number, mfn: number): boolean {
    const first = Number((pte >> 10n) & PPN_MASK);
    return mfn >= first && mfn < first + LEAF_SPAN[level];
  }

  private findEntry(match: (pte: bigint, level: number) => boolean): number | undefined {
    for (const [t, level] of this.tables) {
      if (level < 0) continue;
      for (let i = 0; i < 512; i++) {
        const at = t * 4096 + i * 8;
        if (match(this.read(at), level)) return at;
      }
    }
    return undefined;
  }
}

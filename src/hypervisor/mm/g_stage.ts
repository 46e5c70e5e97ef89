import type { Ram } from "../../machine/memory";

/**
 * The VMM's G-stage (nested) table for hardware-assisted virtualization: a real Sv39x4 table in host
 * memory, mapping guest-physical to host-physical, that the hart walks through `hgatp` (privileged
 * spec 1.12, "Hypervisor Extension", two-stage address translation).
 *
 * - Sv39x4 translates 41-bit guest-physical addresses: the root has 2048 entries (16 KiB) and must be
 *   16 KiB aligned; the levels below are ordinary 512-entry Sv39 pages.
 * - Every G-stage access counts as a U-mode access, so leaves carry U. They also carry A and D, so the
 *   hardware never has to set them (nor fault for them); G is left clear, as the spec asks.
 * - Only the ranges the VMM maps (guest RAM, as far as the guest's PMP allows: hardware_assisted.ts)
 *   are present. MMIO stays unmapped, so a device access becomes a guest-page fault, that is, an exit.
 * - Table pages come from a pool in the VMM's own memory that no leaf ever maps. The pool is a
 *   free list like the shadow pool's (shadow_paging.ts), plus one 16 KiB-aligned run for the root.
 *
 * Changing a mapping (protect) changes the table only: the caller flushes the hart's G-stage TLB
 * entries for that address (hfence.gvma), as a hypervisor must after editing its table. Nothing here
 * walks the table: the hart does (mmu.ts), and so do the debugger's views, through it.
 */

export type GStagePageSize = "4K" | "2M" | "1G";

/** One contiguous guest-physical range and the host memory behind it (a p2m region has this shape). */
export interface GStageRange {
  gpa: number;
  hpa: number;
  size: number;
}

export interface GStageRights {
  r: boolean;
  w: boolean;
  x: boolean;
}

export interface GStageStats {
  pagesInUse: number;
  poolPages: number;
  leaves: number;
}

/** The table cannot be built as asked: a misaligned or overlapping range, or the pool is too small. */
export class GStageError extends Error {
  override readonly name = "GStageError";
}

const V = 1n, R = 2n, W = 4n, X = 8n, U = 16n, A = 64n, D = 128n;
const PAGE = 4096;
const ROOT_PAGES = 4;
const ROOT_ENTRIES = 2048;
/** Sv39x4 guest-physical addresses have 41 bits. */
export const GPA_LIMIT = 2 ** 41;
const LEVEL_OF: Record<GStagePageSize, number> = { "4K": 0, "2M": 1, "1G": 2 };
const HGATP_MODE_SV39X4 = 8n;

const span = (level: number): number => 2 ** (12 + 9 * level);
const indexAt = (gpa: number, level: number): number => Math.floor(gpa / span(level)) % (level === 2 ? ROOT_ENTRIES : 512);

export class GStageTable {
  readonly rootHpa: number;
  private readonly free: number[] = [];
  private readonly used = new Set<number>();
  private leafCount = 0;
  /** The ranges the table maps as built, while no page of them has been protected since; else undefined. */
  private built: string | undefined;

  /**
   * @param ram host RAM (the pool and the mapped host memory lie in it)
   * @param poolBase, poolPages the VMM memory the table pages are taken from
   * @param vmid the VMID hgatp carries (tags the hart's G-stage TLB entries)
   */
  constructor(
    private readonly ram: Ram,
    readonly poolBase: number,
    readonly poolPages: number,
    readonly vmid = 1,
  ) {
    if (poolBase % PAGE !== 0 || !ram.contains(poolBase, poolPages * PAGE)) throw new GStageError("the G-stage pool must be whole pages of host RAM");
    if (!Number.isInteger(vmid) || vmid < 0 || vmid >= 1 << 14) throw new GStageError(`a VMID has 14 bits, not ${vmid}`);
    const rootHpa = Math.ceil(poolBase / (ROOT_PAGES * PAGE)) * ROOT_PAGES * PAGE;
    if (rootHpa + ROOT_PAGES * PAGE > poolBase + poolPages * PAGE) throw new GStageError("the G-stage pool has no room for a 16 KiB-aligned root");
    this.rootHpa = rootHpa;
    for (let p = poolBase + (poolPages - 1) * PAGE; p >= poolBase; p -= PAGE) {
      if (p < rootHpa || p >= rootHpa + ROOT_PAGES * PAGE) this.free.push(p);
    }
    this.zero(rootHpa, ROOT_PAGES * PAGE);
  }

  /** hgatp: MODE = 8 (Sv39x4), the VMID, and the root's PPN. */
  get hgatp(): bigint {
    return (HGATP_MODE_SV39X4 << 60n) | (BigInt(this.vmid) << 44n) | BigInt(this.rootHpa / PAGE);
  }

  /**
   * Empties the table and maps `ranges` with leaves of `pageSize` (4 KiB by default, so the panel
   * shows a real tree). Every range must be aligned to the page size on both sides. Building the
   * table it already is does nothing: every VM entry after a guest's PMP change asks for a table, and
   * it is usually the one there (a table over 64 MiB takes milliseconds to write).
   */
  build(ranges: readonly GStageRange[], pageSize: GStagePageSize = "4K"): void {
    const key = `${pageSize} ${ranges.map((r) => `${r.gpa}:${r.hpa}:${r.size}`).join(" ")}`;
    if (key === this.built) return;
    const level = LEVEL_OF[pageSize];
    const size = span(level);
    const sorted = [...ranges].sort((a, b) => a.gpa - b.gpa);
    sorted.forEach((r, i) => {
      if (r.gpa % size || r.hpa % size || r.size % size || r.size <= 0) {
        throw new GStageError(`range gpa 0x${r.gpa.toString(16)} → hpa 0x${r.hpa.toString(16)} (0x${r.size.toString(16)} bytes) is not aligned to ${pageSize} pages`);
      }
      if (r.gpa < 0 || r.gpa + r.size > GPA_LIMIT) throw new GStageError(`range gpa 0x${r.gpa.toString(16)} (0x${r.size.toString(16)} bytes) lies outside Sv39x4's 41-bit guest-physical space`);
      const next = sorted[i + 1];
      if (next && next.gpa < r.gpa + r.size) throw new GStageError(`ranges at gpa 0x${r.gpa.toString(16)} and 0x${next.gpa.toString(16)} overlap`);
    });
    this.clear();
    const leaf = V | R | W | X | U | A | D;
    for (const r of sorted) {
      for (let off = 0; off < r.size; off += size) {
        const slot = this.slotFor(r.gpa + off, level);
        this.writePte(slot, (BigInt((r.hpa + off) / PAGE) << 10n) | leaf);
        this.leafCount++;
      }
    }
    this.built = key;
  }

  /**
   * Sets the rights of the 4 KiB guest page holding `gpa` (a superpage around it is split first).
   * All three false unmaps it. Returns false when the page is not mapped or the pool is dry.
   */
  protect(gpa: number, rights: GStageRights): boolean {
    const slot = this.pageSlot(gpa);
    if (slot < 0) return false;
    this.built = undefined;
    const pte = this.readPte(slot);
    const keep = pte & ~(R | W | X);
    if (!rights.r && !rights.w && !rights.x) {
      this.writePte(slot, 0n);
      this.leafCount--;
      return true;
    }
    // W without R is reserved in a PTE: a write-only request keeps R.
    const r = rights.r || rights.w;
    this.writePte(slot, keep | (r ? R : 0n) | (rights.w ? W : 0n) | (rights.x ? X : 0n));
    return true;
  }

  /** Maps the 4 KiB guest page at `gpa` onto host page `hpa` with `rights` (R or X): a guest page just backed. */
  map(gpa: number, hpa: number, rights: GStageRights): void {
    const slot = this.slotFor(gpa, 0);
    if ((this.readPte(slot) & V) === 0n) this.leafCount++;
    const r = rights.r || rights.w;
    this.writePte(slot, (BigInt(hpa / PAGE) << 10n) | V | U | A | D | (r ? R : 0n) | (rights.w ? W : 0n) | (rights.x ? X : 0n));
    this.built = undefined;
  }

  /**
   * Maps the 4 KiB guest page at `gpa` read-only onto host page `hpa` (a split device's register
   * image, io/register_image.ts). The next build() drops it, as it drops every mapping it did not make.
   */
  mapReadOnly(gpa: number, hpa: number): void {
    const slot = this.slotFor(gpa, 0);
    if ((this.readPte(slot) & V) === 0n) this.leafCount++;
    this.writePte(slot, (BigInt(hpa / PAGE) << 10n) | V | R | U | A);
    this.built = undefined;
  }

  stats(): GStageStats {
    return { pagesInUse: this.used.size + ROOT_PAGES, poolPages: this.poolPages, leaves: this.leafCount };
  }

  /** Whether a host-physical address lies in the table's pool (never guest-reachable). */
  inPool(hpa: number): boolean {
    return hpa >= this.poolBase && hpa < this.poolBase + this.poolPages * PAGE;
  }

  readPte(hpa: number): bigint {
    return this.ram.view.getBigUint64(hpa - this.ram.base, true);
  }

  private writePte(hpa: number, pte: bigint): void {
    this.ram.noteWritten(hpa - this.ram.base, 8);
    this.ram.view.setBigUint64(hpa - this.ram.base, pte, true);
  }

  private zero(hpa: number, bytes: number): void {
    this.ram.bytes.fill(0, hpa - this.ram.base, hpa - this.ram.base + bytes);
  }

  private clear(): void {
    for (const p of this.used) this.free.push(p);
    this.used.clear();
    this.zero(this.rootHpa, ROOT_PAGES * PAGE);
    this.leafCount = 0;
  }

  private allocPage(): number {
    const page = this.free.pop();
    if (page === undefined) throw new GStageError(`the G-stage pool (${this.poolPages} pages) is exhausted`);
    this.used.add(page);
    this.zero(page, PAGE);
    return page;
  }

  /** The PTE slot for `gpa` at `level`, creating the tables above it. */
  private slotFor(gpa: number, level: number): number {
    let table = this.rootHpa;
    for (let l = 2; l > level; l--) {
      const slot = table + indexAt(gpa, l) * 8;
      const pte = this.readPte(slot);
      if ((pte & V) !== 0n) {
        table = Number(pte >> 10n) * PAGE;
        continue;
      }
      const page = this.allocPage();
      this.writePte(slot, (BigInt(page / PAGE) << 10n) | V);
      table = page;
    }
    return table + indexAt(gpa, level) * 8;
  }

  /** The 4 KiB leaf slot for `gpa`, splitting superpages on the way; −1 when unmapped or the pool is dry. */
  private pageSlot(gpa: number): number {
    if (!(gpa >= 0 && gpa < GPA_LIMIT)) return -1;
    let table = this.rootHpa;
    for (let level = 2; level >= 0; level--) {
      const slot = table + indexAt(gpa, level) * 8;
      const pte = this.readPte(slot);
      if ((pte & V) === 0n) return -1;
      if ((pte & (R | X)) === 0n) {
        table = Number(pte >> 10n) * PAGE;
        continue;
      }
      if (level === 0) return slot;
      if (this.free.length === 0) return -1;
      // Split the superpage into 512 leaves of the next size with the same rights.
      const page = this.allocPage();
      const step = BigInt(span(level - 1) / PAGE) << 10n;
      for (let i = 0; i < 512; i++) this.writePte(page + i * 8, pte + BigInt(i) * step);
      this.leafCount += 511;
      this.writePte(slot, (BigInt(page / PAGE) << 10n) | V);
      table = page;
    }
    return -1;
  }
}

/**
 * The architectural TLB: 256 entries, 4-way set associative (64 sets indexed by the low bits of the
 * 4 KiB virtual page number, round-robin replacement), tagged by ASID, with global entries matching
 * every ASID. It keeps a translation until `sfence.vma` removes it or a fifth page of the same set
 * evicts it, so a guest that edits its page tables without a fence keeps seeing the old mapping, as
 * on hardware. (Four ways keep code and data pages at equally aligned addresses from evicting
 * each other, which a direct-mapped TLB did all the time.)
 *
 * Like QEMU, a superpage is cached one 4 KiB piece at a time; each piece remembers its level so that
 * `sfence.vma` with an address removes every piece of the superpage containing that address.
 * An entry caches a translation that succeeded; `mmu.ts` re-walks when an access is not permitted
 * by the cached flags or needs D set (QEMU does the same), so stale entries only ever grant.
 *
 * With the H extension an entry also has an address space: HOST for HS-level (single-stage)
 * translations, or the VMID of a guest for a two-stage translation (guest virtual page → host
 * physical page, the VS-stage leaf's flags in `flags`, the G-stage leaf's in `gflags`). VS-stage
 * global entries match every ASID of their own VMID only. A guest entry made while vsatp was Bare has
 * ASID −1 (no ASID can be −1), so it never serves an Sv39 lookup: satp-like mode changes take effect
 * at once. HFENCE.GVMA flushes whole VMIDs (the spec allows ignoring its address): entries are not
 * tagged with the guest-physical address.
 */
export const TLB_SIZE = 256;
const WAYS = 4;
const SETS = TLB_SIZE / WAYS;
/** The address space of single-stage (HS-level, or no H extension) entries. */
export const HOST = -1;
/** For flush(): every guest entry, whatever its VMID. */
export const ALL_GUESTS = -2;

export interface TlbEntry {
  /** Virtual page number (bits 38:12 of the address). */
  vpn: number;
  asid: number;
  global: boolean;
  /** 0 = 4 KiB, 1 = 2 MiB, 2 = 1 GiB page. */
  level: number;
  /** Physical page number of this 4 KiB piece. */
  ppn: number;
  /** The leaf PTE's low 8 bits (V R W X U G A D) as cached (the VS-stage leaf's for a guest entry). */
  flags: number;
  /** Guest entries only: the VMID, and the G-stage leaf's flags. */
  vmid?: number;
  gflags?: number;
}

/**
 * The int32 key of an empty slot `slot` of a direct-mapped cache of `size` slots whose tags are page
 * numbers: one whose low bits are not the slot's, which no page that maps to the slot has. Translated
 * code compares page numbers with int32 keys (keyR, keyW), not with the Float64Array tags: V8's
 * interpreter and baseline tiers allocate a heap number for every element read from a Float64Array,
 * and a new translated function runs there until V8 has optimized it.
 */
export const noKey = (slot: number, size: number): number => (slot + 1) & (size - 1);

/** A page number as a slot's int32 key, or the empty key when it is not an int32 (that page then takes the slow path). */
export const keyOf = (vp: number, slot: number, size: number): number => (vp === (vp | 0) ? vp : noKey(slot, size));

export class Tlb {
  /**
   * @param derived caches of this TLB's translations, direct-mapped by the low bits of the virtual
   *   page number (the hart's software TLB tags): an entry that goes away takes its slot with it.
   *   Arrays, not a callback: optimized code that inlines a callback keeps that one hart's closure,
   *   and is thrown away when the hart is.
   * @param keys the same caches' tags as int32 keys (see noKey), for translated code.
   */
  constructor(private readonly derived: readonly Float64Array[] = [], private readonly keys: readonly Int32Array[] = []) {}

  readonly vpn = new Int32Array(TLB_SIZE).fill(-1);
  readonly asid = new Int32Array(TLB_SIZE);
  /** PTE flags in bits 7:0, level in bits 9:8. */
  readonly flags = new Int32Array(TLB_SIZE);
  readonly ppn = new Float64Array(TLB_SIZE);
  /** HOST, or the VMID of a two-stage entry. */
  readonly space = new Int32Array(TLB_SIZE);
  readonly gflags = new Int32Array(TLB_SIZE);
  private readonly victim = new Uint8Array(SETS);
  /**
   * Entries that are pieces of a superpage. While there are none, an entry for a page lives only in
   * that page's set, so a fence for one address looks at four slots, not all of them: the VMM fences
   * one shadow page at a time on every guest page-table update it applies.
   */
  private superpagePieces = 0;

  /** The slot holding vpn for asid in address space `space`, or −1. */
  lookup(vpn: number, asid: number, space = HOST): number {
    const first = (vpn & (SETS - 1)) * WAYS;
    for (let i = first; i < first + WAYS; i++) {
      if (this.vpn[i] === vpn && this.space[i] === space && (this.asid[i] === asid || (this.flags[i] & 0x20) !== 0)) return i;
    }
    return -1;
  }

  insert(vpn: number, asid: number, pteFlags: number, level: number, ppn: number, space = HOST, gflags = 0): number {
    let i = this.lookup(vpn, asid, space);
    if (i < 0) {
      const set = vpn & (SETS - 1);
      const first = set * WAYS;
      i = first;
      while (i < first + WAYS && this.vpn[i] !== -1) i++;
      if (i === first + WAYS) {
        i = first + this.victim[set];
        this.victim[set] = (this.victim[set] + 1) % WAYS;
      }
    }
    if (this.vpn[i] !== -1) {
      if (this.flags[i] >> 8 !== 0) this.superpagePieces--;
      this.evicted(this.vpn[i]);
    }
    if (level !== 0) this.superpagePieces++;
    this.vpn[i] = vpn;
    this.asid[i] = asid;
    this.flags[i] = (pteFlags & 0xff) | (level << 8);
    this.ppn[i] = ppn;
    this.space[i] = space;
    this.gflags[i] = gflags;
    return i;
  }

  /**
   * sfence.vma semantics within address space `space` (HOST, a VMID, or ALL_GUESTS). vpn < 0: every
   * address; asid < 0: every ASID. With an ASID, global entries stay (privileged spec 1.12, 4.2.1).
   */
  flush(vpn: number, asid: number, space = HOST): void {
    const oneSet = vpn >= 0 && this.superpagePieces === 0;
    const from = oneSet ? (vpn & (SETS - 1)) * WAYS : 0;
    const to = oneSet ? from + WAYS : TLB_SIZE;
    for (let i = from; i < to; i++) {
      const v = this.vpn[i];
      if (v === -1) continue;
      const s = this.space[i];
      if (space === ALL_GUESTS ? s === HOST : s !== space) continue;
      const f = this.flags[i];
      if (asid >= 0 && ((f & 0x20) !== 0 || this.asid[i] !== asid)) continue;
      if (vpn >= 0) {
        const shift = 9 * (f >> 8);
        if (v >>> shift !== vpn >>> shift) continue;
      }
      this.vpn[i] = -1;
      if (f >> 8 !== 0) this.superpagePieces--;
      this.evicted(v);
    }
  }

  private evicted(vpn: number): void {
    for (const tags of this.derived) tags[vpn & (tags.length - 1)] = NaN;
    for (const keys of this.keys) keys[vpn & (keys.length - 1)] = noKey(vpn & (keys.length - 1), keys.length);
  }

  entries(): TlbEntry[] {
    const out: TlbEntry[] = [];
    for (let i = 0; i < TLB_SIZE; i++) {
      if (this.vpn[i] === -1) continue;
      const f = this.flags[i];
      const e: TlbEntry = { vpn: this.vpn[i], asid: this.asid[i], global: (f & 0x20) !== 0, level: f >> 8, ppn: this.ppn[i], flags: f & 0xff };
      if (this.space[i] !== HOST) {
        e.vmid = this.space[i];
        e.gflags = this.gflags[i];
      }
      out.push(e);
    }
    return out;
  }
}

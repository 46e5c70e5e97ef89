import type { Ram } from "../../machine/memory";

/** What the shadow tables need of the host hart's TLB: sfence.vma for (vpn or −1, host ASID or −1). */
export interface HostTlb {
  flush(vpn: number, asid: number): void;
}

/**
 * Shadow page tables: real Sv39 tables in host memory, mapping guest-virtual to host-physical, that
 * the hart walks while the guest runs (its satp points at one of these roots).
 *
 * - One root per guest translation context: "bare M" / "bare S/U" (the guest runs in virtual M-mode,
 *   or its satp is Bare: the shadow maps GPA → HPA; M and S/U differ only in what the guest's PMP
 *   lets them reach), or an Sv39 context keyed by the guest's root table, ASID,
 *   privilege (S or U) and SUM/MXR. Guest U-mode thus runs on a root that holds no guest-kernel page.
 * - Roots are cached across address-space switches, at most `maxRoots` of them, evicting the least
 *   recently used. Each root has its own host ASID, so switching roots needs no host TLB flush.
 * - Entries are filled lazily, one 4 KiB page at a time (guest superpages are shadowed piecewise),
 *   always with U = 1 (the guest runs in host U-mode), A = 1, and D = W.
 * - Guest page-table pages are write-protected: an entry that maps one never has W. Every entry
 *   remembers the guest PTEs (slots) its walk read; a guest store to one of those marks the entry
 *   stale. Stale entries keep translating, as a TLB entry would, until an sfence.vma whose operands
 *   select them (the "lazy shadow update" of the lecture): the guest then sees exactly what the
 *   native hart with its TLB shows it.
 * - Shadow pages come from a pool in the VMM's own memory, which no shadow entry ever maps.
 */
export type ShadowContext =
  | { kind: "bare"; machine: boolean; mprv: boolean }
  | { kind: "sv39"; guestRoot: number; guestAsid: number; priv: 0 | 1; sum: boolean; mxr: boolean };

export function contextKey(c: ShadowContext): string {
  if (c.kind === "bare") return c.mprv ? "bare M MPRV" : c.machine ? "bare M" : "bare S/U";
  return `sv39 root=0x${c.guestRoot.toString(16)} asid=${c.guestAsid} ${c.priv === 1 ? "S" : "U"}${c.sum ? " SUM" : ""}${c.mxr ? " MXR" : ""}`;
}

/** Whether two contexts are the same (what equal keys mean, without building the keys). */
export function sameContext(a: ShadowContext, b: ShadowContext): boolean {
  if (a.kind === "bare") return b.kind === "bare" && a.machine === b.machine && a.mprv === b.mprv;
  return b.kind === "sv39" && a.guestRoot === b.guestRoot && a.guestAsid === b.guestAsid && a.priv === b.priv && a.sum === b.sum && a.mxr === b.mxr;
}

export interface ShadowEntry {
  root: ShadowRoot;
  /** Guest-virtual page number (bits 38:12). */
  vpn: number;
  /** Host-physical address of the shadow leaf PTE. */
  pteHpa: number;
  gpaPage: number;
  hpaPage: number;
  r: boolean;
  w: boolean;
  x: boolean;
  /** Guest PTE addresses (GPA) the walk read; empty for the bare context. */
  slots: number[];
  /** Level of the guest leaf (a superpage piece must be dropped with the whole superpage). */
  guestLevel: number;
  guestGlobal: boolean;
  stale: boolean;
  /** Its place in the lists of the readers of the PTEs in `slots` (one per slot), of the stale entries, of its page's writers. */
  readonly watches: PteReader[];
  staleMember: Member | undefined;
  writerMember: Member | undefined;
}

/**
 * An entry's place in one of the ShadowMmu's lists of entries, which it leaves in constant time
 * (the last member takes its place). The VMM installs and drops entries on most shadow-paging
 * exits: sets of entries cost a hash of the entry per add and delete, most of those exits' time.
 */
export class Member {
  /** Its index in `list`, or −1 when it is not in it. */
  at = -1;

  constructor(readonly entry: ShadowEntry, readonly list: Member[]) {}

  join(): void {
    this.at = this.list.length;
    this.list.push(this);
  }

  leave(): void {
    const list = this.list;
    const last = list.pop()!;
    if (last !== this) {
      list[this.at] = last;
      last.at = this.at;
    }
    this.at = -1;
  }
}

/** An entry's place among the readers of one guest PTE. */
export class PteReader extends Member {
  constructor(entry: ShadowEntry, readonly pte: WatchedPte) {
    super(entry, pte.readers);
  }
}

/** A guest PTE that some entries' walks read: those entries (a store there makes them stale) and its page. */
interface WatchedPte {
  /** Its index in the ShadowMmu's slotIndex (its GPA / 8). */
  readonly key: number;
  readonly readers: Member[];
  readonly page: PageTableRefs;
}

/** A guest page-table page: how many walks of entries read a PTE in it (a PTE read twice by one walk counts twice). */
interface PageTableRefs {
  readonly page: number;
  walks: number;
}

export interface ShadowRoot {
  key: string;
  context: ShadowContext;
  hostAsid: number;
  rootHpa: number;
  /** The host satp value that selects this root (Sv39, its host ASID, its root page). */
  satp: bigint;
  /** Every table page of this root (root first). */
  pages: number[];
  entries: Map<number, ShadowEntry>;
}

export interface ShadowStats {
  roots: number;
  pagesInUse: number;
  poolPages: number;
  entries: number;
  stale: number;
  writeProtectedPages: number;
  evictions: number;
}

const V = 1, R = 2, W = 4, X = 8, U = 16, A = 64, D = 128;
/** The permissions a shadow entry may grant, as its PTE bits. */
export const PTE_R = R, PTE_W = W, PTE_X = X;

export class ShadowMmu {
  private readonly free: number[] = [];
  private readonly roots = new Map<string, ShadowRoot>();
  private readonly freeAsids: number[] = [];
  /**
   * Guest PTE slot → the entries whose walk read it. Keyed by GPA / 8, not the GPA: guest RAM sits
   * above 2 GiB, where a GPA is no small integer and a map must hash it as a float.
   */
  private readonly slotIndex = new Map<number, WatchedPte>();
  /** Guest page number → how many entries' walks read a PTE in it: a page-table page while it is here. */
  private readonly ptRefs = new Map<number, PageTableRefs>();
  /** Guest page number → entries mapping it writable (to write-protect it when it becomes a page table). */
  private readonly writers = new Map<number, Member[]>();
  private readonly stale: Member[] = [];
  /** Guest pages the technique write-protects for itself (binary translation: pages it translated code from). */
  private readonly protectedPages = new Set<number>();
  evictions = 0;
  current: ShadowRoot | undefined;
  /**
   * An entry mapped for the next VM entry's single instruction only: a fetch from a page whose every
   * fetch the VMM must check (shadow_faults.ts). The technique runs that entry for one step and then
   * takes the entry down (`endOneShot`).
   */
  oneShot: ShadowEntry | undefined;

  /**
   * @param ram host RAM
   * @param poolBase, poolPages the VMM memory the tables are taken from
   * @param hostTlb the host hart's TLB, whose entries for a shadow page go with the page (an object,
   *   not a callback: optimized code would hold on to one VM's closure and be thrown away with it)
   */
  constructor(
    private readonly ram: Ram,
    readonly poolBase: number,
    readonly poolPages: number,
    readonly maxRoots: number,
    private readonly hostTlb: HostTlb,
  ) {
    this.reset();
  }

  reset(): void {
    this.roots.clear();
    this.slotIndex.clear();
    this.ptRefs.clear();
    this.writers.clear();
    this.stale.length = 0;
    this.protectedPages.clear();
    this.free.length = 0;
    for (let i = this.poolPages - 1; i >= 0; i--) this.free.push(this.poolBase + i * 4096);
    this.freeAsids.length = 0;
    for (let a = this.maxRoots; a >= 1; a--) this.freeAsids.push(a);
    this.current = undefined;
    this.oneShot = undefined;
    this.evictions = 0;
    this.hostTlb.flush(-1, -1);
  }

  /** Takes down the one-shot entry after the entry it was made for. */
  endOneShot(): void {
    if (this.oneShot) this.remove(this.oneShot);
    this.oneShot = undefined;
  }

  /** The root for a context, created (and an old one evicted) if needed; it becomes the most recent. */
  rootFor(context: ShadowContext): ShadowRoot {
    // The current root is the most recently used one already: most VM entries stay on it.
    if (this.current && sameContext(this.current.context, context)) return this.current;
    const key = contextKey(context);
    let root = this.roots.get(key);
    if (root) {
      this.roots.delete(key);
      this.roots.set(key, root);
    } else {
      if (this.roots.size >= this.maxRoots && !this.evictOldest() && this.current) this.destroy(this.current);
      const hostAsid = this.freeAsids.pop()!;
      const rootHpa = this.allocPage();
      root = { key, context, hostAsid, rootHpa, satp: (8n << 60n) | (BigInt(hostAsid) << 44n) | BigInt(rootHpa / 4096), pages: [rootHpa], entries: new Map() };
      this.roots.set(key, root);
      this.hostTlb.flush(-1, hostAsid);
    }
    this.current = root;
    return root;
  }

  isPageTable(gpaPage: number): boolean {
    return this.ptRefs.has(gpaPage);
  }

  /** Write-protects guest page `gpaPage` for the technique: no entry maps it writable until `unprotect`. */
  protect(gpaPage: number): void {
    this.protectedPages.add(gpaPage);
    this.revokeWrites(gpaPage);
  }

  /** Ends `protect`: entries map the page writable again as their hidden faults install them. */
  unprotect(gpaPage: number): void {
    this.protectedPages.delete(gpaPage);
  }

  /**
   * Installs GVA page `vpn` → host page `hpaPage` in `root` with `perms` (PTE_R | PTE_W | PTE_X). W is
   * dropped when the guest page is a page-table page. Returns the entry (replacing any previous one for that page).
   * `gpaPage` −1: a page of the VMM's own, not guest memory (binary translation's translation cache).
   */
  install(
    root: ShadowRoot, vpn: number, gpaPage: number, hpaPage: number, perms: number,
    slots: number[], guestLevel: number, guestGlobal: boolean,
  ): ShadowEntry {
    const old = root.entries.get(vpn);
    if (old) this.drop(old, false);
    const e: ShadowEntry = {
      root, vpn, pteHpa: -1, gpaPage, hpaPage, r: (perms & R) !== 0, w: false, x: (perms & X) !== 0, slots, guestLevel, guestGlobal, stale: false,
      watches: [], staleMember: undefined, writerMember: undefined,
    };
    // Its walk's PTEs first: the first walk through a page write-protects the page, this one included;
    // and among their readers, they outlive the entries of other roots that finding a leaf slot may evict.
    for (const s of slots) this.watch(e, s);
    const w = (perms & W) !== 0 && !this.ptRefs.has(gpaPage) && !(this.protectedPages.size > 0 && this.protectedPages.has(gpaPage));
    let pteHpa = this.leafSlot(root, vpn);
    if (pteHpa < 0) {
      // The pool is exhausted even after evicting other roots: start this root afresh.
      this.clearRoot(root);
      pteHpa = this.leafSlot(root, vpn);
    }
    const flags = V | U | A | (perms & (R | X)) | (w ? W | D : 0);
    this.writePte(pteHpa, hpaPage, flags);
    e.pteHpa = pteHpa;
    e.w = w;
    root.entries.set(vpn, e);
    if (w) {
      let list = this.writers.get(gpaPage);
      if (!list) this.writers.set(gpaPage, (list = []));
      e.writerMember = new Member(e, list);
      e.writerMember.join();
    }
    if (old) this.hostTlb.flush(vpn, root.hostAsid);
    return e;
  }

  /** Takes every entry that maps the VMM's own memory (`gpaPage` −1) out of every root; returns how many. */
  removeOwnPages(): number {
    const own = [...this.roots.values()].flatMap((r) => [...r.entries.values()].filter((e) => e.gpaPage < 0));
    for (const e of own) this.drop(e, true);
    return own.length;
  }

  /** Takes one entry out of its root (a one-shot entry after its instruction); nothing if it is gone already. */
  remove(e: ShadowEntry): void {
    if (this.roots.get(e.root.key) === e.root && e.root.entries.get(e.vpn) === e) this.drop(e, true);
  }

  /** Marks stale every entry whose walk read a guest PTE in [gpa, gpa+size); returns how many. */
  guestPteWritten(gpa: number, size: number): number {
    let n = 0;
    for (let slot = gpa - (gpa % 8); slot < gpa + size; slot += 8) {
      const watched = this.slotIndex.get(slot / 8);
      if (!watched) continue;
      for (const m of watched.readers) {
        const e = m.entry;
        if (!e.stale) {
          e.stale = true;
          (e.staleMember ??= new Member(e, this.stale)).join();
          n++;
        }
      }
    }
    return n;
  }

  /**
   * sfence.vma: drops the stale entries it selects: `vpn` −1 = every address, `asid` −1 = every
   * address space; with an ASID, entries of guest-global pages stay (privileged spec 4.2.1).
   * Entries that are not stale agree with the guest's tables and need no flush. Returns the count.
   */
  sfence(vpn: number, asid: number): number {
    let n = 0;
    // From the end: dropping an entry moves the last stale one, already looked at, into its place.
    for (let i = this.stale.length - 1; i >= 0; i--) {
      const e = this.stale[i].entry;
      const c = e.root.context;
      if (asid >= 0 && (e.guestGlobal || (c.kind === "sv39" && c.guestAsid !== asid))) continue;
      if (vpn >= 0) {
        const shift = 9 * e.guestLevel;
        if (e.vpn >>> shift !== vpn >>> shift) continue;
      }
      this.drop(e, true);
      n++;
    }
    return n;
  }

  /** Entries marked stale and not yet fenced. */
  get staleCount(): number {
    return this.stale.length;
  }

  stats(): ShadowStats {
    let entries = 0;
    for (const r of this.roots.values()) entries += r.entries.size;
    return {
      roots: this.roots.size, pagesInUse: this.poolPages - this.free.length, poolPages: this.poolPages, entries,
      stale: this.staleCount, writeProtectedPages: this.ptRefs.size, evictions: this.evictions,
    };
  }

  allRoots(): ShadowRoot[] {
    return [...this.roots.values()];
  }

  rootByKey(key: string): ShadowRoot | undefined {
    return this.roots.get(key);
  }

  /** The shadow leaf entry for a GVA page in a root, if any. */
  entry(root: ShadowRoot, vpn: number): ShadowEntry | undefined {
    return root.entries.get(vpn);
  }

  /** Write-protected guest pages (page numbers), for the panels. */
  pageTablePages(): number[] {
    return [...this.ptRefs.keys()].sort((a, b) => a - b);
  }

  readPte(hpa: number): bigint {
    return this.ram.view.getBigUint64(hpa - this.ram.base, true);
  }

  /** Whether a host-physical address lies in the VMM's table pool (never guest-reachable). */
  inPool(hpa: number): boolean {
    return hpa >= this.poolBase && hpa < this.poolBase + this.poolPages * 4096;
  }

  /** Writes the PTE for physical page `ppn` with `flags` (in halves: no bigints on the exit path). */
  private writePte(hpa: number, ppn: number, flags: number): void {
    const at = hpa - this.ram.base;
    this.ram.noteWritten(at, 8);
    this.ram.view.setUint32(at, ((ppn << 10) | flags) >>> 0, true);
    this.ram.view.setUint32(at + 4, Math.floor(ppn / 2 ** 22), true);
  }

  /** The physical page a valid PTE points to, or −1 when it is not valid. */
  private pteTarget(hpa: number): number {
    const at = hpa - this.ram.base;
    const lo = this.ram.view.getUint32(at, true);
    return (lo & V) === 0 ? -1 : (lo >>> 10) + (this.ram.view.getUint32(at + 4, true) & 0x3fffff) * 2 ** 22;
  }

  /** The address of the level-0 PTE for vpn in root, creating intermediate tables; −1 if the pool is dry. */
  private leafSlot(root: ShadowRoot, vpn: number): number {
    let table = root.rootHpa;
    for (let level = 2; level > 0; level--) {
      const slot = table + ((vpn >>> (9 * level)) & 511) * 8;
      const next = this.pteTarget(slot);
      if (next >= 0) {
        table = next * 4096;
        continue;
      }
      const page = this.allocPage(root);
      if (page < 0) return -1;
      root.pages.push(page);
      this.writePte(slot, page / 4096, V);
      table = page;
    }
    return table + (vpn & 511) * 8;
  }

  private allocPage(keep?: ShadowRoot): number {
    while (this.free.length === 0) {
      if (!this.evictOldest(keep)) return -1;
    }
    const page = this.free.pop()!;
    this.ram.bytes.fill(0, page - this.ram.base, page - this.ram.base + 4096);
    return page;
  }

  /** Evicts the least recently used root other than `keep` and the current one; false if none. */
  private evictOldest(keep?: ShadowRoot): boolean {
    for (const r of this.roots.values()) {
      if (r === keep || r === this.current) continue;
      this.destroy(r);
      this.evictions++;
      return true;
    }
    return false;
  }

  private destroy(root: ShadowRoot): void {
    for (const e of [...root.entries.values()]) this.drop(e, false);
    for (const p of root.pages) this.free.push(p);
    this.roots.delete(root.key);
    this.freeAsids.push(root.hostAsid);
    this.hostTlb.flush(-1, root.hostAsid);
  }

  /** Empties a root but keeps it (and its root page). */
  private clearRoot(root: ShadowRoot): void {
    for (const e of [...root.entries.values()]) this.drop(e, false);
    for (const p of root.pages.slice(1)) this.free.push(p);
    root.pages.length = 1;
    this.ram.bytes.fill(0, root.rootHpa - this.ram.base, root.rootHpa - this.ram.base + 4096);
    this.hostTlb.flush(-1, root.hostAsid);
  }

  private drop(e: ShadowEntry, clearPte: boolean): void {
    if (clearPte) {
      this.writePte(e.pteHpa, 0, 0);
      this.hostTlb.flush(e.vpn, e.root.hostAsid);
    }
    e.root.entries.delete(e.vpn);
    if (e.stale) e.staleMember!.leave();
    for (const m of e.watches) {
      const pte = m.pte;
      m.leave();
      if (pte.readers.length === 0) this.slotIndex.delete(pte.key);
      if (--pte.page.walks === 0) this.ptRefs.delete(pte.page.page);
    }
    if (e.w) e.writerMember!.leave();
  }

  /**
   * Makes `e` a reader of the guest PTE at `slot`, and counts one more walk through its page; the
   * first makes the page a write-protected page-table page.
   */
  private watch(e: ShadowEntry, slot: number): void {
    let p = this.slotIndex.get(slot / 8);
    if (!p) {
      const page = Math.floor(slot / 4096);
      let refs = this.ptRefs.get(page);
      if (!refs) {
        refs = { page, walks: 0 };
        this.ptRefs.set(page, refs);
        this.revokeWrites(page);
      }
      p = { key: slot / 8, readers: [], page: refs };
      this.slotIndex.set(slot / 8, p);
    }
    p.page.walks++;
    const m = new PteReader(e, p);
    m.join();
    e.watches.push(m);
  }

  /** Takes W away from every entry that maps guest page `page` writable. */
  private revokeWrites(page: number): void {
    const writers = this.writers.get(page);
    if (!writers || writers.length === 0) return;
    for (const m of writers) {
      const e = m.entry;
      e.w = false;
      e.writerMember = undefined;
      const at = e.pteHpa - this.ram.base;
      this.ram.view.setUint32(at, this.ram.view.getUint32(at, true) & ~(W | D), true);
      this.hostTlb.flush(e.vpn, e.root.hostAsid);
    }
    this.writers.delete(page);
  }
}

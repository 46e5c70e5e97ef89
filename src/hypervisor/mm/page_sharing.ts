import type { Ram } from "../../machine/memory";
import { FRAME, type HostFrames } from "./host_frames";
import type { P2m } from "./p2m";

/**
 * Content-based page sharing, as VMware ESX does it (Waldspurger, "Memory Resource Management in
 * VMware ESX Server", OSDI 2002, section 4): the VMM scans guest pages at a fixed rate, hashes each
 * one's contents, and looks the hash up. A match with a shared frame, or with a page hashed earlier
 * (a "hint"), is compared in full; if the bytes are equal the page is mapped read-only onto the
 * shared frame and its own frame is freed. A write to a shared page faults, and the VMM gives the
 * page a private copy (a `cow-break` exit when the guest wrote). The guest never sees a difference.
 * Pages full of zeros are the common case.
 *
 * What the techniques must do is theirs (the Vm's `remapped`): drop translations to a page's old
 * frame and never map a shared page writable.
 */
export interface PageSharingOptions {
  /** Guest pages the VMM scans per tick of SHARING_TICK_STEPS guest steps (1 or more). */
  scanPagesPerTick: number;
}

/** Guest steps between two scans: the VMM's sharing daemon runs this often, in guest time. */
export const SHARING_TICK_STEPS = 10_000;

export interface SharingStats {
  /** Guest pages mapped onto a shared frame. */
  pagesShared: number;
  /** Host frames those pages share. */
  sharedFrames: number;
  /** Host memory freed: pages shared less the frames they share. */
  bytesSaved: number;
  /** Guest pages hashed so far. */
  scanned: number;
  /** Shares broken by a write (the guest's or the VMM's own). */
  copies: number;
}

/** FNV-1a over a frame, 32 bits: cheap and deterministic (a match is always compared in full). */
function hashFrame(bytes: Uint8Array, at: number): number {
  let h = 0x811c9dc5;
  for (let i = at; i < at + FRAME; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  return h >>> 0;
}

/**
 * The host's shared frames and hints, which every VM's scanner looks its pages up in: with several
 * VMs on a host (host.ts), a page of one VM shares a frame with identical pages of the others, as
 * ESX shares across VMs. The statistics are the host's.
 */
export class SharedFrames {
  /** Each shared frame's number of guest pages. */
  readonly refs = new Map<number, number>();
  /** Shared frames by the hash of their (unchanging) contents. */
  readonly byHash = new Map<number, number>();
  /** Unshared pages by the hash their contents had when scanned: candidates to share with. */
  readonly hints = new Map<number, { owner: PageSharing; gpa: number }>();
  scanned = 0;
  copies = 0;
}

export class PageSharing {
  /** The next guest page to scan, as an offset into guest RAM. */
  private cursor = 0;

  constructor(
    readonly options: PageSharingOptions,
    readonly p2m: P2m,
    private readonly host: HostFrames,
    private readonly ram: Ram,
    /** Host RAM at `hpa` changed behind the hart's back (decoded code there goes). */
    private readonly written: (hpa: number, len: number) => void,
    /** The mapping of the page at `gpa` changed (its old frame is gone or read-only now): drop what was derived from it. */
    readonly remapped: (gpa: number) => void,
    /** The frames this VM shares with (a host's, for sharing across its VMs); its own when absent. */
    private readonly pool = new SharedFrames(),
  ) {
    if (!Number.isSafeInteger(options.scanPagesPerTick) || options.scanPagesPerTick < 1) {
      throw new RangeError(`pageSharing.scanPagesPerTick must be a whole number of pages, 1 or more, not ${options.scanPagesPerTick}`);
    }
  }

  /** Scans the next scanPagesPerTick guest pages (untouched ones are skipped, and not counted). */
  scan(): void {
    const pages = this.p2m.size / FRAME;
    for (let n = 0, tried = 0; n < this.options.scanPagesPerTick && tried < pages; tried++) {
      const gpa = this.p2m.gpaBase + this.cursor * FRAME;
      this.cursor = (this.cursor + 1) % pages;
      const hpa = this.p2m.peekHpa(gpa);
      if (hpa < 0) continue;
      n++;
      this.pool.scanned++;
      if (!this.p2m.isShared(gpa)) this.consider(gpa, hpa);
    }
  }

  /** Gives the shared page at `gpa` its own frame again, a copy of the shared one (or the frame itself, when it was the last page on it). */
  breakShare(gpa: number): void {
    const page = gpa - ((gpa - this.p2m.gpaBase) % FRAME);
    const shared = this.p2m.peekHpa(page);
    const { refs } = this.pool;
    const left = (refs.get(shared) ?? 1) - 1;
    this.pool.copies++;
    if (left === 0) {
      this.forget(shared);
      this.host.setShared(shared, false);
      this.p2m.remap(page, shared, false);
    } else {
      const own = this.host.allocate();
      this.ram.bytes.copyWithin(own - this.ram.base, shared - this.ram.base, shared - this.ram.base + FRAME);
      this.written(own, FRAME);
      this.p2m.remap(page, own, false);
      refs.set(shared, left);
    }
    this.remapped(page);
  }

  /** What sharing saved on the host (across all its VMs, when several share it). */
  stats(): SharingStats {
    const { refs, scanned, copies } = this.pool;
    let pagesShared = 0;
    for (const n of refs.values()) pagesShared += n;
    return { pagesShared, sharedFrames: refs.size, bytesSaved: (pagesShared - refs.size) * FRAME, scanned, copies };
  }

  private consider(gpa: number, hpa: number): void {
    const bytes = this.ram.bytes;
    const { byHash, hints, refs } = this.pool;
    const h = hashFrame(bytes, hpa - this.ram.base);
    const frame = byHash.get(h);
    if (frame !== undefined) {
      if (this.same(frame, hpa)) this.shareOnto(gpa, frame);
      return;
    }
    const hint = hints.get(h);
    hints.set(h, { owner: this, gpa });
    if (hint === undefined || (hint.owner === this && hint.gpa === gpa) || hint.owner.p2m.isShared(hint.gpa)) return;
    const hintHpa = hint.owner.p2m.peekHpa(hint.gpa);
    // A hint is only what the page held when it was scanned: the full compare decides.
    if (hintHpa < 0 || !this.same(hintHpa, hpa)) return;
    hints.delete(h);
    this.host.setShared(hintHpa, true);
    hint.owner.p2m.remap(hint.gpa, hintHpa, true);
    refs.set(hintHpa, 1);
    byHash.set(h, hintHpa);
    hint.owner.remapped(hint.gpa);
    this.shareOnto(gpa, hintHpa);
  }

  /** Maps the page at `gpa` read-only onto shared `frame` and frees its own (zeroed, for the next page that gets it). */
  private shareOnto(gpa: number, frame: number): void {
    const own = this.p2m.remap(gpa, frame, true);
    const { refs } = this.pool;
    refs.set(frame, (refs.get(frame) ?? 0) + 1);
    this.ram.bytes.fill(0, own - this.ram.base, own - this.ram.base + FRAME);
    this.written(own, FRAME);
    this.host.release(own);
    this.remapped(gpa);
  }

  private forget(frame: number): void {
    this.pool.refs.delete(frame);
    for (const [h, f] of this.pool.byHash) if (f === frame) this.pool.byHash.delete(h);
  }

  private same(a: number, b: number): boolean {
    const bytes = this.ram.bytes, base = this.ram.base;
    for (let i = 0; i < FRAME; i += 1) if (bytes[a - base + i] !== bytes[b - base + i]) return false;
    return true;
  }
}

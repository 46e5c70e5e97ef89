import { FRAME, type HostFrames } from "./host_frames";

/**
 * The physical-to-machine map: the host frame behind each guest-physical page of guest RAM.
 *
 * Per page, so that guest RAM need not be one host region: a page is backed by any free host frame
 * (host_frames.ts) when the guest first touches it (`toHpa`), or eagerly for the whole guest when the
 * host has room for it all (`backAll`, the default: GPA 0x8000_0000 → one run above the VMM's pools,
 * so that GPA ≠ HPA is visible). Guest MMIO is deliberately absent: an access there has no host page
 * behind it and exits.
 */
export interface P2mRegion {
  gpa: number;
  hpa: number;
  size: number;
  kind: "ram";
}

const UNBACKED = -1;

export class P2m {
  /** Each guest page's host-physical frame address, or UNBACKED. */
  private readonly frames: Float64Array;
  /** Guest pages mapped read-only onto a frame other pages share (page_sharing.ts). */
  private readonly shared = new Set<number>();
  /**
   * Called before a VMM-side write (emulation, DMA, the debugger) reaches a shared page: it gives the
   * page a private copy (copy-on-write), after which the page is mapped as usual.
   */
  breakShare: ((gpa: number) => void) | undefined;
  /** Called when a page gets a host frame (first touch, or back from swap): hypervisor swapping fills it and queues it (host_swap.ts). */
  onBacked: ((gpa: number, hpa: number) => void) | undefined;
  /** The pages the access being backed now spans (−1: none): they must keep their frames meanwhile (host_swap.ts). */
  private accessFirst = -1;
  private accessLast = -1;

  constructor(readonly gpaBase: number, readonly size: number, private readonly host: HostFrames) {
    this.frames = new Float64Array(size / FRAME).fill(UNBACKED);
  }

  /** Backs every guest page, in order (the host has room for the whole guest). */
  backAll(): void {
    for (let p = 0; p < this.frames.length; p++) this.frameFor(p);
  }

  /**
   * The host-physical address of guest-physical `gpa` for `len` bytes, or −1 when they are not guest
   * RAM or span pages whose frames are not adjacent in the host. A page touched for the first time
   * gets a host frame (HostMemoryExhausted when none is free).
   */
  toHpa(gpa: number, len = 1): number {
    return this.lookup(gpa, len, true);
  }

  /** As toHpa, for a write: a shared page among them gets its private copy first (copy-on-write). */
  toHpaForWrite(gpa: number, len = 1): number {
    if (this.shared.size > 0 && this.isRam(gpa, Math.max(len, 1))) {
      const end = gpa + Math.max(len, 1);
      for (let page = gpa - ((gpa - this.gpaBase) % FRAME); page < end; page += FRAME) {
        if (this.isShared(page)) this.breakShare?.(page);
      }
    }
    return this.lookup(gpa, len, true);
  }

  /** Whether the page holding `gpa` is mapped read-only onto a shared frame. */
  isShared(gpa: number): boolean {
    return this.shared.size > 0 && this.isRam(gpa) && this.shared.has(Math.floor((gpa - this.gpaBase) / FRAME));
  }

  /** Points the (backed) page holding `gpa` at host frame `hpa`, shared (read-only) or its own; returns the frame it had. */
  remap(gpa: number, hpa: number, shared: boolean): number {
    const page = Math.floor((gpa - this.gpaBase) / FRAME);
    const old = this.frames[page];
    if (old === UNBACKED) throw new RangeError(`GPA 0x${gpa.toString(16)} is not backed`);
    this.frames[page] = hpa;
    if (shared) this.shared.add(page);
    else this.shared.delete(page);
    return old;
  }

  /**
   * Takes the page holding `gpa` out of the p2m (ballooning, swapping): it has no host frame until the
   * guest touches it again. Returns the frame it had, for the caller to free; −1 when it had none.
   */
  unback(gpa: number): number {
    const page = Math.floor((gpa - this.gpaBase) / FRAME);
    const old = this.frames[page];
    if (this.shared.has(page)) throw new RangeError(`GPA 0x${gpa.toString(16)} is shared: its share must be broken first`);
    this.frames[page] = UNBACKED;
    return old;
  }

  /** Whether the page holding `gpa` is one that the access being backed now spans (it must keep its frame). */
  inAccess(gpa: number): boolean {
    const page = Math.floor((gpa - this.gpaBase) / FRAME);
    return page >= this.accessFirst && page <= this.accessLast;
  }

  /** The guest-physical address of each backed page, in order. */
  *backed(): Generator<number> {
    for (let p = 0; p < this.frames.length; p++) if (this.frames[p] !== UNBACKED) yield this.gpaBase + p * FRAME;
  }

  /** As toHpa, but never backs a page: −1 for a page the guest has not touched (the debugger's look). */
  peekHpa(gpa: number, len = 1): number {
    return this.lookup(gpa, len, false);
  }

  /** Whether `gpa` is guest RAM (backed or not). */
  isRam(gpa: number, len = 1): boolean {
    return gpa >= this.gpaBase && len >= 0 && gpa + len <= this.gpaBase + this.size;
  }

  /** The guest-physical address backed by `hpa` (the first, for a shared frame), or −1 (the VMM's own memory, or a free frame, has none). */
  toGpa(hpa: number): number {
    const frame = hpa - (hpa % FRAME);
    // A search rather than a reverse map: a typed array is cheap to keep in every time-travel snapshot.
    const page = this.frames.indexOf(frame);
    return page < 0 ? -1 : this.gpaBase + page * FRAME + (hpa - frame);
  }

  /** The backed guest pages as maximal runs contiguous in both spaces, in guest-physical order. */
  regions(): P2mRegion[] {
    const out: P2mRegion[] = [];
    for (let p = 0; p < this.frames.length; p++) {
      const hpa = this.frames[p];
      if (hpa === UNBACKED) continue;
      const gpa = this.gpaBase + p * FRAME;
      const last = out[out.length - 1];
      if (last && last.gpa + last.size === gpa && last.hpa + last.size === hpa) last.size += FRAME;
      else out.push({ gpa, hpa, size: FRAME, kind: "ram" });
    }
    return out;
  }

  /** The host-physical address of all of guest RAM when it is backed as one run (direct paging needs that), else −1. */
  wholeRun(): number {
    const r = this.regions();
    return r.length === 1 && r[0].size === this.size ? r[0].hpa : -1;
  }

  /** Guest pages backed by a host frame. */
  get backedPages(): number {
    let n = 0;
    for (const f of this.frames) if (f !== UNBACKED) n++;
    return n;
  }

  private lookup(gpa: number, len: number, back: boolean): number {
    if (!this.isRam(gpa, Math.max(len, 1))) return -1;
    const first = Math.floor((gpa - this.gpaBase) / FRAME);
    const last = Math.floor((gpa + Math.max(len, 1) - 1 - this.gpaBase) / FRAME);
    if (!back) return this.resolve(gpa, first, last, false);
    const outerFirst = this.accessFirst, outerLast = this.accessLast;
    this.accessFirst = first;
    this.accessLast = last;
    try {
      return this.resolve(gpa, first, last, true);
    } finally {
      this.accessFirst = outerFirst;
      this.accessLast = outerLast;
    }
  }

  private resolve(gpa: number, first: number, last: number, back: boolean): number {
    const hpa = back ? this.frameFor(first) : this.frames[first];
    if (hpa === UNBACKED) return -1;
    for (let p = first + 1; p <= last; p++) {
      if ((back ? this.frameFor(p) : this.frames[p]) !== hpa + (p - first) * FRAME) return -1;
    }
    return hpa + (gpa - this.gpaBase - first * FRAME);
  }

  private frameFor(page: number): number {
    if (this.frames[page] === UNBACKED) {
      this.frames[page] = this.host.allocate();
      this.onBacked?.(this.gpaBase + page * FRAME, this.frames[page]);
    }
    return this.frames[page];
  }
}

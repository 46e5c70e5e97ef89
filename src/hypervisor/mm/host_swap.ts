import type { Ram } from "../../machine/memory";
import { FRAME, HostMemoryExhausted, type HostFrames } from "./host_frames";
import type { P2m } from "./p2m";

/**
 * Hypervisor swapping, the VMM's last resort when host memory is overcommitted (Waldspurger,
 * "Memory Resource Management in VMware ESX Server", OSDI 2002, section 3.3): when a guest page needs
 * a host frame and none is free, the VMM writes another guest page out to a swap area on the host's
 * disk (modelled here in memory), takes it out of the p2m, and reuses its frame. The guest's next
 * access to that page brings it back (a `host-swap-in` exit), perhaps evicting another.
 *
 * The victim is chosen first in, first out: the page that got its current frame longest ago (first
 * touch or swap-in), skipping a page mapped onto a shared frame (page_sharing.ts: freeing it frees
 * nothing), a page the access being served spans (p2m `inAccess`), and a page whose frame the VMM
 * watches (`pinned`: HTIF's tohost, a data breakpoint). FIFO sees nothing of the guest's own use of
 * its pages, which is the point the lesson makes: the VMM cannot know which pages the guest thinks
 * cold, and it picks the same ones the guest's kernel will page out itself (double paging).
 *
 * What the techniques must do is theirs (the Vm's `remapped`): drop every translation to the old
 * frame, so that the next access to the page comes to the VMM.
 */
export interface SwapStats {
  /** Guest pages in the swap area now. */
  pagesOut: number;
  /** Pages written out, and read back in, since load. */
  swapOuts: number;
  swapIns: number;
  /** Of the swap-ins, those the VMM's own accesses made (emulation, device DMA, its walks of guest page tables). */
  vmmSwapIns: number;
  /** The swap area: bytes holding pages, and its size. */
  usedBytes: number;
  sizeBytes: number;
}

/** What the VMM records when a page goes out or comes back (exits.ts `host-swap-out`, `host-swap-in`). */
export interface SwapEvents {
  swappedOut(gpa: number, hpa: number): void;
  /** `forGuest`: a guest access's fault brought it in (swapInForGuest), else the VMM's own access. */
  swappedIn(gpa: number, hpa: number, forGuest: boolean): void;
}

/** Guest swap-ins in a row without an instruction retired, after which swapping is thrashing (one instruction needs far fewer pages). */
export const THRASH_LIMIT = 64;

export class HostSwap {
  /** The swap area: each swapped-out guest page's contents, by its page number in guest RAM. */
  private readonly slots = new Map<number, Uint8Array>();
  /** Backed guest pages (page numbers) in the order they got their frames: victims come from the front. */
  private readonly queue: number[] = [];
  private swapOuts = 0;
  private swapIns = 0;
  private vmmSwapIns = 0;
  /** Set while a guest access's fault swaps a page in (the rest are the VMM's own accesses). */
  private guestFault = false;
  /** The guest's instruction count at the last guest swap-in, and the swap-ins in a row at that count. */
  private stalledAt = -1;
  private stalled = 0;

  constructor(
    /** The swap area's size, a whole number of pages (the Vm checks it). */
    readonly sizeBytes: number,
    private readonly p2m: P2m,
    private readonly host: HostFrames,
    private readonly ram: Ram,
    /** Host RAM at `hpa` changed behind the hart's back (decoded code there goes). */
    private readonly written: (hpa: number, len: number) => void,
    /** The page at `gpa` left the p2m: drop what was derived from it. */
    private readonly remapped: (gpa: number) => void,
    /** Whether the VMM watches the frame at `hpa` (it must stay where it is). */
    private readonly pinned: (hpa: number) => boolean,
    private readonly events: SwapEvents,
  ) {
    p2m.onBacked = (gpa, hpa) => this.backed(gpa, hpa);
    host.reclaim = () => this.swapOut();
  }

  /** Whether the page holding `gpa` is in the swap area. */
  holds(gpa: number): boolean {
    return this.slots.has(this.pageOf(gpa));
  }

  /**
   * A guest access faulted on the swapped-out page at `gpa`: brings it back (evicting another if need
   * be); returns its frame. `retired` is the guest's instruction count: when THRASH_LIMIT swap-ins in
   * a row find it unchanged, the frames cannot hold what one instruction needs, and the VMM gives up.
   */
  swapInForGuest(gpa: number, retired: number): number {
    if (retired !== this.stalledAt) {
      this.stalledAt = retired;
      this.stalled = 0;
    }
    if (++this.stalled > THRASH_LIMIT) {
      const c = this.host.census();
      const frames = c.guest + c.shared + c.free;
      throw new HostMemoryExhausted(`host memory is thrashing: ${THRASH_LIMIT} swap-ins in a row brought pages back while the guest retired no instruction, ` +
        `so the ${frames} host frame${frames === 1 ? "" : "s"} left for guest pages cannot hold the pages one instruction needs (give the VM a larger hostMemory)`);
    }
    const page = gpa - ((gpa - this.p2m.gpaBase) % FRAME);
    this.guestFault = true;
    try {
      return this.p2m.toHpa(page);
    } finally {
      this.guestFault = false;
    }
  }

  /** Drops the swap area's copy of the page holding `gpa`, if any (the balloon took the page: its contents are the guest's no more). */
  discard(gpa: number): void {
    this.slots.delete(this.pageOf(gpa));
  }

  /** The swapped-out page's bytes [gpa, gpa+len) within one page, or undefined when it is not swapped out (the debugger's look). */
  peek(gpa: number, len: number): Uint8Array | undefined {
    const saved = this.slots.get(this.pageOf(gpa));
    const at = (gpa - this.p2m.gpaBase) % FRAME;
    return saved?.subarray(at, at + len);
  }

  /** The guest-physical address of each swapped-out page, in order. */
  swapped(): number[] {
    return [...this.slots.keys()].sort((a, b) => a - b).map((p) => this.p2m.gpaBase + p * FRAME);
  }

  stats(): SwapStats {
    return {
      pagesOut: this.slots.size, swapOuts: this.swapOuts, swapIns: this.swapIns, vmmSwapIns: this.vmmSwapIns,
      usedBytes: this.slots.size * FRAME, sizeBytes: this.sizeBytes,
    };
  }

  /** A page got a frame: it joins the queue, and one coming back from the swap area gets its contents. */
  private backed(gpa: number, hpa: number): void {
    const page = this.pageOf(gpa);
    this.queue.push(page);
    const saved = this.slots.get(page);
    if (!saved) return;
    this.ram.bytes.set(saved, hpa - this.ram.base);
    this.written(hpa, FRAME);
    this.slots.delete(page);
    this.swapIns++;
    if (!this.guestFault) this.vmmSwapIns++;
    this.events.swappedIn(gpa, hpa, this.guestFault);
  }

  /** Frees a host frame: writes the victim out, zeroes its frame (for the page that gets it next) and gives it back. */
  private swapOut(): void {
    if (this.slots.size * FRAME >= this.sizeBytes) {
      throw new HostMemoryExhausted(`host memory is exhausted and so is the swap area: all ${this.host.frames} host frames of 4 KiB are in use, ` +
        `and all ${this.sizeBytes / FRAME} pages of hostSwap hold swapped-out guest pages (give the VM a larger hostMemory or hostSwap)`);
    }
    const page = this.victim();
    if (page < 0) {
      throw new HostMemoryExhausted(`host memory is exhausted: all ${this.host.frames} host frames of 4 KiB are in use, and no guest page can be swapped out ` +
        "(every backed page is shared, watched by the VMM, or needed by this access; give the VM a larger hostMemory)");
    }
    const gpa = this.p2m.gpaBase + page * FRAME;
    const hpa = this.p2m.unback(gpa);
    const at = hpa - this.ram.base;
    this.slots.set(page, this.ram.bytes.slice(at, at + FRAME));
    this.ram.bytes.fill(0, at, at + FRAME);
    this.written(hpa, FRAME);
    this.host.release(hpa);
    this.swapOuts++;
    this.remapped(gpa);
    this.events.swappedOut(gpa, hpa);
  }

  /** The first page in the queue that can go (taken out of it), or −1; pages no longer backed on a frame of their own drop out. */
  private victim(): number {
    for (let i = 0; i < this.queue.length; i++) {
      const page = this.queue[i];
      const gpa = this.p2m.gpaBase + page * FRAME;
      const hpa = this.p2m.peekHpa(gpa);
      if (hpa < 0) {
        this.queue.splice(i--, 1);
        continue;
      }
      if (this.p2m.isShared(gpa) || this.p2m.inAccess(gpa) || this.pinned(hpa)) continue;
      this.queue.splice(i, 1);
      return page;
    }
    return -1;
  }

  private pageOf(gpa: number): number {
    return Math.floor((gpa - this.p2m.gpaBase) / FRAME);
  }
}

import type { Ram } from "../../machine/memory";
import { FRAME, type HostFrames } from "./host_frames";
import type { P2m } from "./p2m";

/**
 * Ballooning, the VMM's half (Waldspurger, "Memory Resource Management in VMware ESX Server", OSDI
 * 2002, section 3): the guest's balloon driver (virtio-balloon, machine/devices/virtio/balloon.ts)
 * gives the VMM pages the guest OS no longer uses, and the VMM takes their host frames. An inflated
 * page leaves the p2m: its frame is zeroed, so that no guest data reaches whoever gets it next, and
 * freed; whatever was derived from the mapping goes (the Vm's `remapped`). A later touch of the page
 * (the driver deflated it, or reused it: the device does not offer MUST_TELL_HOST) backs it with a
 * zeroed frame as any first touch does. Deflating therefore costs the VMM nothing at once.
 */
export interface BalloonStats {
  /** Host frames the VMM took back from inflated pages, since the VM was made. */
  framesFreed: number;
  /** Inflated pages that had no host frame (the guest never touched them): nothing to free. */
  unbacked: number;
}

export class BalloonReclaim {
  private framesFreed = 0;
  private unbacked = 0;

  constructor(
    private readonly p2m: P2m,
    private readonly host: HostFrames,
    private readonly ram: Ram,
    /** Gives a shared page (page_sharing.ts) its own frame, so that it can leave the p2m alone. */
    private readonly breakShare: ((gpa: number) => void) | undefined,
    /** Host RAM at `hpa` changed behind the hart's back (decoded code there goes). */
    private readonly written: (hpa: number, len: number) => void,
    /** The page at `gpa` lost its frame: drop what was derived from the mapping. */
    private readonly remapped: (gpa: number) => void,
  ) {}

  /** The balloon took the page at `gpa` (guest RAM, page-aligned): its host frame goes back to the free list. */
  reclaim(gpa: number): void {
    if (this.p2m.isShared(gpa)) this.breakShare?.(gpa);
    const hpa = this.p2m.unback(gpa);
    if (hpa < 0) {
      this.unbacked++;
      return;
    }
    this.ram.bytes.fill(0, hpa - this.ram.base, hpa - this.ram.base + FRAME);
    this.written(hpa, FRAME);
    this.host.release(hpa);
    this.framesFreed++;
    this.remapped(gpa);
  }

  stats(): BalloonStats {
    return { framesFreed: this.framesFreed, unbacked: this.unbacked };
  }
}

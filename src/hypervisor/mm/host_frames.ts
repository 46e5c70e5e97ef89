/**
 * The host's physical memory as 4 KiB frames, each owned by the VMM (one of its pools), by the VM (a
 * guest page, through the p2m) or by nobody (free). The VMM's pools are fixed at construction; guest
 * pages take frames as the guest first touches them (p2m.ts) and give them back (page sharing, ballooning, swapping).
 *
 * Allocation always takes the lowest free frame, so a run is deterministic and, with host memory for
 * the whole guest, guest pages touched in order land in order: the p2m is then one contiguous run.
 */
export const FRAME = 4096;

/** "shared": a guest frame that several guest pages map read-only (page_sharing.ts). */
export type FrameOwner = "free" | "shadow-pool" | "technique-pool" | "io-pool" | "guest" | "shared";
const OWNERS: readonly FrameOwner[] = ["free", "shadow-pool", "technique-pool", "io-pool", "guest", "shared"];
const FREE = 0;

/** A guest page needs a host frame and none is free (nor can one be freed by swapping): the VM cannot go on. */
export class HostMemoryExhausted extends Error {
  override readonly name = "HostMemoryExhausted";
}

export class HostFrames {
  /** Each frame's owner, an index into OWNERS. */
  private readonly owner: Uint8Array;
  /** Free frames, highest first, so that pop() takes the lowest (kept sorted by free()). */
  private readonly freeList: number[] = [];
  /**
   * Called when a frame is wanted and none is free, to free one (hypervisor swapping, host_swap.ts);
   * it throws HostMemoryExhausted when it cannot. Unset: no swapping, and allocate throws.
   */
  reclaim: (() => void) | undefined;

  /** `bytes` of host RAM from host-physical `base`, all free. */
  constructor(readonly base: number, bytes: number) {
    const frames = bytes / FRAME;
    if (!Number.isSafeInteger(frames) || frames <= 0) throw new RangeError(`host memory must be a positive multiple of 4 KiB, not ${bytes}`);
    this.owner = new Uint8Array(frames);
    for (let f = frames - 1; f >= 0; f--) this.freeList.push(f);
  }

  get frames(): number {
    return this.owner.length;
  }

  get freeFrames(): number {
    return this.freeList.length;
  }

  /** Gives the `bytes` from host-physical `hpa` (frame-aligned, all free) to a VMM pool for good. */
  reserve(hpa: number, bytes: number, owner: Exclude<FrameOwner, "free" | "guest">): void {
    const first = this.frameOf(hpa), n = bytes / FRAME;
    for (let f = first; f < first + n; f++) {
      if (this.owner[f] !== FREE) throw new RangeError(`host frame 0x${this.hpaOf(f).toString(16)} is already ${OWNERS[this.owner[f]]}`);
      this.owner[f] = OWNERS.indexOf(owner);
    }
    // In place: a 4 GiB host has a million frames, too many for a spread or a set.
    let kept = 0;
    for (const f of this.freeList) if (f < first || f >= first + n) this.freeList[kept++] = f;
    this.freeList.length = kept;
  }

  /**
   * Gives the lowest run of `bytes` of free frames to a VMM pool for good, and returns its
   * host-physical address: the pools of each VM on a host, one VM after another. Throws
   * HostMemoryExhausted when no run is long enough.
   */
  reserveRun(bytes: number, owner: Exclude<FrameOwner, "free" | "guest">): number {
    const n = bytes / FRAME;
    for (let f = 0, run = 0; f < this.owner.length; f++) {
      run = this.owner[f] === FREE ? run + 1 : 0;
      if (run === n) {
        const hpa = this.hpaOf(f - n + 1);
        this.reserve(hpa, bytes, owner);
        return hpa;
      }
    }
    throw new HostMemoryExhausted(`host memory has no ${bytes / 1024} KiB of free frames in a row for the VMM's ${owner}`);
  }

  /** The host-physical address of the lowest free frame, now the guest's; throws when none is free. */
  allocate(): number {
    if (this.freeList.length === 0) this.reclaim?.();
    const f = this.freeList.pop();
    if (f === undefined) {
      throw new HostMemoryExhausted(`host memory is exhausted: all ${this.frames} host frames of 4 KiB are in use, ` +
        "so a guest page touched for the first time has no host frame (give the VM a larger hostMemory)");
    }
    this.owner[f] = OWNERS.indexOf("guest");
    return this.hpaOf(f);
  }

  /** Marks a guest frame as shared by several guest pages, or as one page's own again. */
  setShared(hpa: number, shared: boolean): void {
    const f = this.frameOf(hpa);
    if (this.owner[f] !== OWNERS.indexOf("guest") && this.owner[f] !== OWNERS.indexOf("shared")) throw new RangeError(`host frame 0x${hpa.toString(16)} is not a guest page`);
    this.owner[f] = OWNERS.indexOf(shared ? "shared" : "guest");
  }

  /** Gives a guest frame back (its page left the p2m). */
  release(hpa: number): void {
    const f = this.frameOf(hpa);
    if (this.owner[f] !== OWNERS.indexOf("guest")) throw new RangeError(`host frame 0x${hpa.toString(16)} is not a guest page`);
    this.owner[f] = FREE;
    // Keep the list highest first: insert before the first lower frame.
    let i = this.freeList.findIndex((g) => g < f);
    if (i < 0) i = this.freeList.length;
    this.freeList.splice(i, 0, f);
  }

  ownerAt(hpa: number): FrameOwner {
    return OWNERS[this.owner[this.frameOf(hpa)]];
  }

  /** How many frames each owner has. */
  census(): Record<FrameOwner, number> {
    const counts = Object.fromEntries(OWNERS.map((o) => [o, 0])) as Record<FrameOwner, number>;
    for (const o of this.owner) counts[OWNERS[o]]++;
    return counts;
  }

  private frameOf(hpa: number): number {
    const f = Math.floor((hpa - this.base) / FRAME);
    if (!Number.isSafeInteger(f) || f < 0 || f >= this.owner.length) throw new RangeError(`0x${hpa.toString(16)} is not a host frame`);
    return f;
  }

  private hpaOf(frame: number): number {
    return this.base + frame * FRAME;
  }
}

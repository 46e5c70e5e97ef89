import type { DeviceNode } from "../../device";
import { gather } from "./chain_io";
import type { VirtioDevice } from "./device";
import type { Dma } from "./dma";
import type { SplitQueue } from "./split_queue";
import { balloonViewNodes } from "./balloon_view";

/**
 * virtio-balloon (virtio 1.2 §5.5): the host asks the guest's driver for memory back. The device
 * says how many 4 KiB pages it wants in the balloon (`num_pages`, config offset 0, set by the host
 * with a configuration-change interrupt); the driver takes pages from its free list, gives their
 * page frame numbers (le32, GPA >> 12) to the device on inflateq (queue 0), takes pages back on
 * deflateq (queue 1), and writes how many the balloon holds into `actual` (config offset 4, the one
 * field a driver writes). The configuration space is QEMU's 8 bytes with none of the optional
 * features.
 *
 * It offers no feature bits: no statistics queue (VIRTIO_BALLOON_F_STATS_VQ, which QEMU offers:
 * a driver that does not accept it sees the same two queues), and not
 * VIRTIO_BALLOON_F_MUST_TELL_HOST, so the driver may reuse a page before it deflates it (a VMM backs
 * it again on that touch anyway). Like QEMU's, the device ignores a frame number that is not RAM,
 * ignores the bytes of a buffer after its last whole le32, and returns every chain with used length 0.
 *
 * Natively the device only records the pages; under a VMM, `host.reclaim` takes each inflated page's
 * memory back (hypervisor/mm/balloon_reclaim.ts).
 */
export const BALLOON_DEVICE_ID = 5;
export const INFLATEQ = 0;
export const DEFLATEQ = 1;
export const BALLOON_PAGE = 4096;
const CONFIG_BYTES = 8;
/** Requests kept for the Devices view. */
const LOG_LENGTH = 32;

/** Where the balloon's pages live: the guest's RAM, and what the host does with a page the driver gives up. */
export interface BalloonHost {
  /** Whether the page at `gpa` is RAM the balloon can hold. */
  isRam(gpa: number): boolean;
  /** The driver gave the page at `gpa` to the balloon: the host may take its memory. Natively absent. */
  reclaim?(gpa: number): void;
}

export interface BalloonRequest {
  /** Sequence number, from 1. */
  n: number;
  op: "inflate" | "deflate";
  /** Frame numbers the chain held. */
  pfns: number;
  /** Of them, pages that changed hands (entered or left the balloon). */
  moved: number;
  /** The first page's guest-physical address, when there was one. */
  first: number | undefined;
}

export class VirtioBalloon implements VirtioDevice {
  readonly deviceId = BALLOON_DEVICE_ID;
  readonly kind = "balloon";
  readonly queueCount = 2;
  readonly queueNames = ["inflateq", "deflateq"] as const;
  readonly features = 0n;
  /** Pages the host wants in the balloon (`num_pages`). */
  private target = 0;
  /** What the driver last wrote to `actual`. */
  private actualPages = 0;
  /** Guest-physical addresses of the pages in the balloon. */
  private readonly held = new Set<number>();
  private readonly log: BalloonRequest[] = [];
  private count = 0;
  private notify: (() => void) | undefined;

  constructor(private readonly host: BalloonHost) {}

  get targetPages(): number {
    return this.target;
  }

  get actual(): number {
    return this.actualPages;
  }

  /** The pages in the balloon, in guest-physical order. */
  pages(): number[] {
    return [...this.held].sort((a, b) => a - b);
  }

  requests(): readonly BalloonRequest[] {
    return this.log;
  }

  /** The host's new target: `pages` in the balloon; the driver hears of it by a configuration-change interrupt. */
  setTarget(pages: number): void {
    if (!Number.isSafeInteger(pages) || pages < 0 || pages > 0xffff_ffff) throw new RangeError(`a balloon target is a whole number of pages, 0 to 2^32 − 1, not ${pages}`);
    if (pages === this.target) return;
    this.target = pages;
    this.notify?.();
  }

  bindConfigChange(notify: () => void): void {
    this.notify = notify;
  }

  config(): Uint8Array {
    const bytes = new Uint8Array(CONFIG_BYTES);
    const v = new DataView(bytes.buffer);
    v.setUint32(0, this.target, true);
    v.setUint32(4, this.actualPages, true);
    return bytes;
  }

  /** Only `actual` is the driver's to write (QEMU's set_config takes it alone), at any width. */
  writeConfig(offset: number, width: number, value: number): void {
    const bytes = this.config();
    for (let i = 0; i < width; i++) if (offset + i < CONFIG_BYTES) bytes[offset + i] = (value >>> (8 * i)) & 0xff;
    this.actualPages = new DataView(bytes.buffer).getUint32(4, true);
  }

  negotiated(_features: bigint): void {}

  /** The driver's pages are its own again, and it has told the host of none yet; the host's target stays. */
  reset(): void {
    this.held.clear();
    this.actualPages = 0;
  }

  process(queue: number, q: SplitQueue, dma: Dma): boolean {
    let pushed = false;
    for (let chain = q.pop(); chain; chain = q.pop()) {
      this.handle(queue === INFLATEQ ? "inflate" : "deflate", gather(dma, chain.readable));
      q.push(chain.head, 0);
      pushed = true;
    }
    return pushed;
  }

  viewNodes(): DeviceNode[] {
    return balloonViewNodes(this);
  }

  private handle(op: BalloonRequest["op"], bytes: Uint8Array): void {
    const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    const pfns = Math.floor(bytes.length / 4);
    let moved = 0;
    let first: number | undefined;
    for (let i = 0; i < pfns; i++) {
      const gpa = v.getUint32(4 * i, true) * BALLOON_PAGE;
      first ??= gpa;
      if (!this.host.isRam(gpa)) continue;
      if (op === "inflate") {
        if (this.held.has(gpa)) continue;
        this.held.add(gpa);
        this.host.reclaim?.(gpa);
      } else if (!this.held.delete(gpa)) {
        continue;
      }
      moved++;
    }
    if (this.log.length === LOG_LENGTH) this.log.shift();
    this.log.push({ n: ++this.count, op, pfns, moved, first });
  }
}

import { DmaError, type Dma } from "./dma";

/**
 * One split virtqueue (virtio 1.2 §2.7), seen from the device: the driver's descriptor table and
 * available ring, and the device's used ring, all in guest memory.
 *
 *   descriptor (16 bytes): addr u64, len u32, flags u16 (NEXT 1, WRITE 2, INDIRECT 4), next u16
 *   available ring:        flags u16, idx u16, ring[size] u16, used_event u16
 *   used ring:             flags u16, idx u16, ring[size] { id u32, len u32 }, avail_event u16
 *
 * Indices are free-running 16-bit counters; a slot is the index modulo the queue size. With
 * VIRTIO_F_EVENT_IDX the driver says through used_event after which used index it wants an
 * interrupt, and the device publishes through avail_event how far it has read the available ring;
 * without it the driver's VIRTQ_AVAIL_F_NO_INTERRUPT flag suppresses interrupts. Interrupt
 * suppression follows QEMU's virtio_should_notify: the device remembers the used index at its last
 * decision, so used_event is compared against everything pushed since.
 *
 * Malformed rings (a chain longer than the queue, a loop, an indirect table inside an indirect
 * table, a buffer outside RAM) throw VirtqueueError, which the transport turns into DEVICE_NEEDS_RESET,
 * as QEMU's virtio_error does.
 */
export const DESC_F_NEXT = 1;
export const DESC_F_WRITE = 2;
export const DESC_F_INDIRECT = 4;
export const AVAIL_F_NO_INTERRUPT = 1;
const DESC_BYTES = 16;

export class VirtqueueError extends Error {
  override readonly name = "VirtqueueError";
}

/** A guest buffer a descriptor names. */
export interface Segment {
  addr: number;
  len: number;
}

/** One request: the head descriptor the driver made available, and its buffers in chain order. */
export interface Chain {
  head: number;
  /** Device-readable buffers, then device-writable ones (the spec requires that order). */
  readable: Segment[];
  writable: Segment[];
  /** Whether the chain went through an indirect table. */
  indirect: boolean;
}

export interface QueueAddresses {
  size: number;
  desc: bigint;
  avail: bigint;
  used: bigint;
}

export class SplitQueue {
  size = 0;
  desc = 0;
  avail = 0;
  used = 0;
  /** The next available-ring index the device will read. */
  lastAvail = 0;
  /** The used index the device will write next (what it last published in used.idx). */
  usedIdx = 0;
  /** Chains returned since the queue was set up (usedIdx without the wrap). */
  pushed = 0;
  /** Buffer descriptors the device has taken since the queue was set up (an indirect table's own descriptor not counted). */
  descriptors = 0;
  private signalledUsed = 0;
  private signalledValid = false;
  /** Features in force: set by the transport when the driver's FEATURES_OK is accepted. */
  eventIdx = false;
  indirect = false;

  constructor(private readonly dma: Dma) {}

  get ready(): boolean {
    return this.size !== 0;
  }

  /** Takes the rings the driver set up (QueueReady ← 1). */
  configure(a: QueueAddresses): void {
    const fits = (x: bigint) => x <= BigInt(Number.MAX_SAFE_INTEGER);
    if (!fits(a.desc) || !fits(a.avail) || !fits(a.used)) throw new VirtqueueError("a ring address is beyond the bus");
    this.size = a.size;
    this.desc = Number(a.desc);
    this.avail = Number(a.avail);
    this.used = Number(a.used);
    this.lastAvail = 0;
    this.usedIdx = 0;
    this.pushed = this.descriptors = 0;
    this.signalledValid = false;
  }

  reset(): void {
    this.size = this.desc = this.avail = this.used = 0;
    this.lastAvail = this.usedIdx = this.signalledUsed = this.pushed = this.descriptors = 0;
    this.signalledValid = false;
  }

  /** The driver's available index (how many buffers it has ever made available, mod 2^16). */
  availIdx(): number {
    return this.dma.u16(this.avail + 2);
  }

  /** The next chain the driver made available, or undefined when the device has caught up. */
  pop(): Chain | undefined {
    const idx = this.availIdx();
    const waiting = (idx - this.lastAvail) & 0xffff;
    if (waiting === 0) return undefined;
    if (waiting > this.size) throw new VirtqueueError(`the available index moved ${waiting} entries ahead of the device, more than the queue's ${this.size}`);
    const head = this.dma.u16(this.avail + 4 + 2 * (this.lastAvail % this.size));
    this.lastAvail = (this.lastAvail + 1) & 0xffff;
    if (this.eventIdx) this.dma.setU16(this.used + 4 + 8 * this.size, this.lastAvail);
    const chain = this.chainAt(head);
    this.descriptors += chain.readable.length + chain.writable.length;
    return chain;
  }

  /** Returns a chain to the driver, with the number of bytes the device wrote into its buffers. */
  push(head: number, written: number): void {
    const slot = this.usedIdx % this.size;
    this.dma.setU32(this.used + 4 + 8 * slot, head);
    this.dma.setU32(this.used + 8 + 8 * slot, written);
    this.usedIdx = (this.usedIdx + 1) & 0xffff;
    this.pushed++;
    this.dma.setU16(this.used + 2, this.usedIdx);
  }

  /** The used ring's entry for used index `idx`: the chain's head and the bytes written. */
  usedEntry(idx: number): { id: number; len: number } {
    const at = this.used + 4 + 8 * (idx % this.size);
    return { id: this.dma.u32(at), len: this.dma.u32(at + 4) };
  }

  /** Whether the driver wants an interrupt for what was pushed since the last decision. */
  shouldInterrupt(): boolean {
    if (!this.eventIdx) return (this.dma.u16(this.avail) & AVAIL_F_NO_INTERRUPT) === 0;
    const old = this.signalledUsed;
    const valid = this.signalledValid;
    this.signalledUsed = this.usedIdx;
    this.signalledValid = true;
    return !valid || needEvent(this.dma.u16(this.avail + 4 + 2 * this.size), this.usedIdx, old);
  }

  /** Follows the chain from descriptor `head`, through an indirect table if it names one; reads only. */
  chainAt(head: number): Chain {
    const chain: Chain = { head, readable: [], writable: [], indirect: false };
    let table = this.desc;
    let count = this.size;
    let i = head;
    for (let seen = 0; ; seen++) {
      if (i >= count) throw new VirtqueueError(`descriptor ${i} is beyond the table of ${count}`);
      if (seen >= count) throw new VirtqueueError(`the chain from descriptor ${head} is longer than its table: a loop`);
      const at = table + DESC_BYTES * i;
      const addr = this.dma.u64(at);
      const len = this.dma.u32(at + 8);
      const flags = this.dma.u16(at + 12);
      const next = this.dma.u16(at + 14);
      if (flags & DESC_F_INDIRECT) {
        if (!this.indirect) throw new VirtqueueError("an indirect descriptor, but VIRTIO_F_INDIRECT_DESC was not negotiated");
        if (chain.indirect) throw new VirtqueueError("an indirect descriptor inside an indirect table");
        if (flags & DESC_F_NEXT) throw new VirtqueueError("an indirect descriptor with NEXT set");
        if (len === 0 || len % DESC_BYTES !== 0) throw new VirtqueueError(`an indirect table of ${len} bytes, not a whole number of descriptors`);
        this.segment(addr, len, false);
        chain.indirect = true;
        table = Number(addr);
        count = len / DESC_BYTES;
        i = 0;
        seen = -1;
        continue;
      }
      const seg = this.segment(addr, len, (flags & DESC_F_WRITE) !== 0);
      if (flags & DESC_F_WRITE) chain.writable.push(seg);
      else if (chain.writable.length > 0) throw new VirtqueueError("a device-readable buffer after a device-writable one");
      else chain.readable.push(seg);
      if (!(flags & DESC_F_NEXT)) return chain;
      i = next;
    }
  }

  private segment(addr: bigint, len: number, write: boolean): Segment {
    try {
      this.dma.check(addr, len, write);
    } catch (e) {
      if (e instanceof DmaError) throw new VirtqueueError(`a buffer of ${e.message}`);
      throw e;
    }
    return { addr: Number(addr), len };
  }
}

/** vring_need_event (§2.7.10): whether `event` lies in (old, new]. */
export function needEvent(event: number, newIdx: number, old: number): boolean {
  return ((newIdx - event - 1) & 0xffff) < ((newIdx - old) & 0xffff);
}

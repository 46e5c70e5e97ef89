import { Bus } from "../../../../../src/machine/bus";
import { Ram } from "../../../../../src/machine/memory";
import { Dma } from "../../../../../src/machine/devices/virtio/dma";
import { DESC_F_INDIRECT, DESC_F_NEXT, DESC_F_WRITE } from "../../../../../src/machine/devices/virtio/split_queue";

/**
 * The driver's side of one split virtqueue, written straight into RAM the way a guest driver lays
 * it out, for the tests of the device's side: a descriptor table, an available ring and a used ring
 * at fixed addresses, and buffers from a bump allocator.
 */
export const RAM = 0x8000_0000;
export const DESC = RAM + 0x1000;
export const AVAIL = RAM + 0x2000;
export const USED = RAM + 0x3000;

export interface Buf {
  addr: number;
  len: number;
  write?: boolean;
}

export class Rings {
  readonly ram = new Ram(RAM, 1 << 20);
  readonly bus = new Bus(this.ram);
  readonly dma = new Dma(this.bus);
  private nextBuf = RAM + 0x10000;
  private nextDesc = 0;
  availIdx = 0;

  constructor(readonly size: number) {}

  get view(): DataView {
    return this.ram.view;
  }

  /** `len` bytes of fresh buffer space, filled with `fill`. */
  alloc(len: number, fill = 0): number {
    const at = this.nextBuf;
    this.ram.bytes.fill(fill, at - RAM, at - RAM + len);
    this.nextBuf += (len + 15) & ~15;
    return at;
  }

  bytes(addr: number, len: number): Uint8Array {
    return this.ram.bytes.subarray(addr - RAM, addr - RAM + len);
  }

  /** Writes descriptor `i` of the table at `table`. */
  desc(i: number, d: { addr: number | bigint; len: number; flags: number; next?: number }, table = DESC): void {
    const o = table - RAM + 16 * i;
    this.view.setBigUint64(o, BigInt(d.addr), true);
    this.view.setUint32(o + 8, d.len, true);
    this.view.setUint16(o + 12, d.flags, true);
    this.view.setUint16(o + 14, d.next ?? 0, true);
  }

  /** Lays `bufs` out as a chain of free descriptors (in the main table) and returns its head. */
  chain(bufs: readonly Buf[]): number {
    const first = this.nextDesc;
    bufs.forEach((b, k) => {
      const i = (first + k) % this.size;
      const last = k === bufs.length - 1;
      this.desc(i, { addr: b.addr, len: b.len, flags: (b.write ? DESC_F_WRITE : 0) | (last ? 0 : DESC_F_NEXT), next: (i + 1) % this.size });
    });
    this.nextDesc = (first + bufs.length) % this.size;
    return first;
  }

  /** Lays `bufs` out in an indirect table, named by one descriptor of the main table; returns its head. */
  indirectChain(bufs: readonly Buf[]): number {
    const table = this.alloc(16 * bufs.length);
    bufs.forEach((b, k) => {
      const last = k === bufs.length - 1;
      this.desc(k, { addr: b.addr, len: b.len, flags: (b.write ? DESC_F_WRITE : 0) | (last ? 0 : DESC_F_NEXT), next: k + 1 }, table);
    });
    const head = this.nextDesc;
    this.desc(head, { addr: table, len: 16 * bufs.length, flags: DESC_F_INDIRECT });
    this.nextDesc = (head + 1) % this.size;
    return head;
  }

  /** Makes the chain at `head` available (ring entry, then the index). */
  offer(head: number): void {
    this.view.setUint16(AVAIL - RAM + 4 + 2 * (this.availIdx % this.size), head, true);
    this.availIdx = (this.availIdx + 1) & 0xffff;
    this.view.setUint16(AVAIL - RAM + 2, this.availIdx, true);
  }

  setAvailFlags(flags: number): void {
    this.view.setUint16(AVAIL - RAM, flags, true);
  }

  setUsedEvent(idx: number): void {
    this.view.setUint16(AVAIL - RAM + 4 + 2 * this.size, idx, true);
  }

  /** Starts both rings' indices at `idx`, as a driver that has run a long time would have them. */
  startAt(idx: number): void {
    this.availIdx = idx;
    this.view.setUint16(AVAIL - RAM + 2, idx, true);
    this.view.setUint16(USED - RAM + 2, idx, true);
  }

  usedIdx(): number {
    return this.view.getUint16(USED - RAM + 2, true);
  }

  /** The used ring's entry for used index `n`. */
  used(n: number): { id: number; len: number } {
    const o = USED - RAM + 4 + 8 * (n % this.size);
    return { id: this.view.getUint32(o, true), len: this.view.getUint32(o + 4, true) };
  }

  availEvent(): number {
    return this.view.getUint16(USED - RAM + 4 + 8 * this.size, true);
  }
}

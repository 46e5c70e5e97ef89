/**
 * Guest RAM: one flat byte array at a physical base address.
 *
 * The array is allocated zero-filled in one piece. V8 backs large ArrayBuffers with zeroed pages
 * from the OS (mmap/calloc), and the OS commits a page only when it is first touched, so a 128 MiB
 * board whose guest touches 1 MiB costs about 1 MiB of resident memory. A test checks that.
 *
 * The hart reads and writes `bytes`/`view` directly on its fast path; everything else should use
 * the bus.
 */
export class Ram {
  readonly bytes: Uint8Array;
  readonly view: DataView;

  constructor(
    readonly base: number,
    readonly size: number,
  ) {
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
  }

  /** True when [pa, pa+len) lies wholly inside RAM. */
  contains(pa: number, len: number): boolean {
    return pa >= this.base && pa + len <= this.base + this.size;
  }

  /**
   * Where [pa, pa+len) starts in `bytes`/`view`, or −1 when it is not RAM. Here it is one offset for
   * all of RAM; a VM's guest RAM window (hypervisor/devices/guest_devices.ts) maps each page through
   * the p2m, and answers −1 for a range whose pages are not adjacent in `bytes` (callers split it).
   * `write`: the caller will write there (a VM's page shared copy-on-write gets its own copy first).
   */
  offsetOf(pa: number, len: number, _write = false): number {
    return this.contains(pa, len) ? pa - this.base : -1;
  }
}

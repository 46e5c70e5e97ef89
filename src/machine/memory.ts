/**
 * Guest RAM: one flat byte array at a physical base address.
 *
 * The array is allocated zero-filled in one piece. V8 backs large ArrayBuffers with zeroed pages
 * from the OS (mmap/calloc), and the OS commits a page only when it is first touched, so a 128 MiB
 * board whose guest touches 1 MiB costs about 1 MiB of resident memory. A test checks that.
 *
 * The hart reads and writes `bytes`/`view` directly on its fast path; everything else should use
 * the bus.
 *
 * `written` keeps that laziness visible: a page is marked once anything may have written to it, and
 * a page never marked holds only zeros. The time-travel history compares and copies only marked
 * pages, since reading a page the OS has not committed yet costs as much as writing it (about 13 µs
 * a page on a 2-CPU VM: 0.4 s and 128 MiB of resident memory for a snapshot of untouched RAM). So
 * every writer marks the page before it writes: the hart when it gives a page a fast-path store slot
 * (mem.ts fill) and in ramWritten, which every write the bus is told of reaches; `offsetOf` for a
 * write; the loader; and the VMM where it writes host RAM directly (clearing a frame to zeros needs
 * no mark). The mark is never cleared.
 */
export class Ram {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  /** Per 4 KiB page: 1 once something may have written it (see above). */
  readonly written: Uint8Array;

  constructor(
    readonly base: number,
    readonly size: number,
  ) {
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
    this.written = new Uint8Array(Math.ceil(size / 4096));
  }

  /** Marks the pages of bytes [offset, offset+len) of `bytes` as written (see above). */
  noteWritten(offset: number, len: number): void {
    for (let p = Math.floor(offset / 4096), last = Math.floor((offset + Math.max(len, 1) - 1) / 4096); p <= last; p++) this.written[p] = 1;
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
  offsetOf(pa: number, len: number, write = false): number {
    if (!this.contains(pa, len)) return -1;
    if (write) this.noteWritten(pa - this.base, len);
    return pa - this.base;
  }
}

/**
 * Where a block device's sectors live: a disk image the layer above opened (a file, with Node's
 * I/O), or bytes in memory. Reads and writes are synchronous and whole: when `write` returns true
 * the bytes are in the image (for a file, handed to the operating system), so a request the device
 * reports done is never lost to a stop of the debugger or a crash of the guest. They return false
 * when the image cannot be read or written (an I/O error), which the device reports to the driver.
 */
export interface BlockBackend {
  /** Bytes in the image: a whole number of 512-byte sectors. */
  readonly size: number;
  readonly readOnly: boolean;
  /** How writes reach the image, for the user ("write-through to fs.img", "snapshot of fs.img"). */
  readonly description: string;
  read(offset: number, into: Uint8Array): boolean;
  write(offset: number, data: Uint8Array): boolean;
  /** Makes completed writes durable (fsync for a file). */
  flush(): boolean;
  /** Reads the image as it was when it was opened, whatever has been written since (an image file). */
  readAtOpen?(offset: number, into: Uint8Array): boolean;
}

export const SECTOR = 512;

/** An image held in memory (tests, and the base of nothing else). */
export class MemoryBackend implements BlockBackend {
  readonly size: number;
  flushes = 0;

  constructor(
    readonly bytes: Uint8Array,
    readonly readOnly = false,
    readonly description = "in memory",
  ) {
    this.size = bytes.length;
  }

  read(offset: number, into: Uint8Array): boolean {
    into.set(this.bytes.subarray(offset, offset + into.length));
    return true;
  }

  write(offset: number, data: Uint8Array): boolean {
    this.bytes.set(data, offset);
    return true;
  }

  flush(): boolean {
    this.flushes++;
    return true;
  }
}

/** Whole sectors laid over an image's bytes (the guest's writes, or an image's sectors as they were). */
export class SectorMap {
  private readonly sectors = new Map<number, Uint8Array>();

  get size(): number {
    return this.sectors.size;
  }

  has(sector: number): boolean {
    return this.sectors.has(sector);
  }

  /** Lays the sectors it holds over `into`, which holds the image's bytes at `offset`. */
  patch(offset: number, into: Uint8Array): void {
    for (let o = 0; o < into.length; o += SECTOR) {
      const s = this.sectors.get((offset + o) / SECTOR);
      if (s) into.set(s.subarray(0, Math.min(SECTOR, into.length - o)), o);
    }
  }

  put(offset: number, data: Uint8Array): void {
    for (let o = 0; o < data.length; o += SECTOR) this.sectors.set((offset + o) / SECTOR, data.slice(o, o + SECTOR));
  }
}

/**
 * QEMU's `snapshot=on`: the guest writes to an overlay in memory, sector by sector, and reads see
 * its own writes; the image underneath is only read and never changes. The overlay is machine
 * state, so time travel rewinds it too. A snapshot of a read-only image is still read-only.
 */
export class SnapshotBackend implements BlockBackend {
  readonly size: number;
  readonly readOnly: boolean;
  readonly description: string;
  private readonly overlay = new SectorMap();

  constructor(private readonly base: BlockBackend) {
    this.size = base.size;
    this.readOnly = base.readOnly;
    this.description = `${base.description.replace(/, write-through$/, "")}, snapshot (writes stay in memory)`;
  }

  /** Sectors written so far. */
  get dirtySectors(): number {
    return this.overlay.size;
  }

  read(offset: number, into: Uint8Array): boolean {
    if (!this.base.read(offset, into)) return false;
    this.overlay.patch(offset, into);
    return true;
  }

  write(offset: number, data: Uint8Array): boolean {
    if (this.readOnly) return false;
    this.overlay.put(offset, data);
    return true;
  }

  flush(): boolean {
    return true;
  }
}

/**
 * A write-through image under time travel: each write still reaches the image before the guest
 * sees it done, but the guest reads the image as it was opened with its own writes laid over it,
 * and those are machine state. After a step back the guest reads what it read then, not what its
 * future wrote, so its past re-executes exactly. The image ends up holding every write the guest
 * made, on whichever timeline.
 */
export class TimelineBackend implements BlockBackend {
  readonly size: number;
  readonly readOnly = false;
  readonly description: string;
  private readonly overlay = new SectorMap();

  constructor(private readonly image: BlockBackend & Required<Pick<BlockBackend, "readAtOpen">>) {
    this.size = image.size;
    this.description = image.description;
  }

  read(offset: number, into: Uint8Array): boolean {
    if (!this.image.readAtOpen(offset, into)) return false;
    this.overlay.patch(offset, into);
    return true;
  }

  write(offset: number, data: Uint8Array): boolean {
    if (!this.image.write(offset, data)) return false;
    this.overlay.put(offset, data);
    return true;
  }

  flush(): boolean {
    return this.image.flush();
  }
}

/**
 * A raw disk image file as the virtio-blk device's backend (the `disk` launch attribute and the
 * CLI's --disk), checked when the guest is launched: it must be a readable regular file of a whole,
 * non-zero number of 512-byte sectors, and writable unless it is opened read-only or as a snapshot.
 *
 * Writes are write-through: each write request is written to the file (a pwrite) before the device
 * reports it done, so the image holds every completed request whatever happens to the guest or the
 * debugger afterwards; a flush request also fsyncs it, for the host's own crashes. The file is
 * opened for each request and closed after it, so no descriptor outlives a debug session.
 */
import { closeSync, constants, fstatSync, fsyncSync, openSync, readSync, writeSync } from "node:fs";
import * as path from "node:path";
import { SECTOR, SectorMap, SnapshotBackend, TimelineBackend, type BlockBackend } from "../machine/devices/virtio/block_backend";

export interface DiskSpec {
  path: string;
  /** The guest may not write (virtio-blk offers VIRTIO_BLK_F_RO, and writes fail with IOERR). */
  readOnly: boolean;
  /** Writes stay in memory and the file is never written (QEMU's snapshot=on). */
  snapshot: boolean;
}

export const DISK_FLAGS = ["readonly", "snapshot"] as const;

/** `FILE[,readonly][,snapshot]`, or why it is not one. */
export function parseDiskOption(text: string): DiskSpec | string {
  const [file, ...flags] = text.split(",");
  if (file === "") return "needs a file name: FILE[,readonly][,snapshot]";
  const unknown = flags.find((f) => !(DISK_FLAGS as readonly string[]).includes(f));
  if (unknown !== undefined) return `has an unknown flag '${unknown}': the flags are ${DISK_FLAGS.join(" and ")}`;
  return { path: file, readOnly: flags.includes("readonly"), snapshot: flags.includes("snapshot") };
}

class FileBackend implements BlockBackend {
  readonly description: string;
  /** Each written sector's bytes from before its first write, kept once `remembers` (time travel needs them). */
  private readonly atOpen = new SectorMap();
  remembers = false;

  constructor(
    private readonly file: string,
    readonly size: number,
    readonly readOnly: boolean,
  ) {
    this.description = readOnly ? `${file}, read-only` : `${file}, write-through`;
  }

  read(offset: number, into: Uint8Array): boolean {
    return this.withFile(constants.O_RDONLY, (fd) => {
      for (let at = 0; at < into.length;) {
        const n = readSync(fd, into, at, into.length - at, offset + at);
        if (n === 0) return false; // the file shrank under us
        at += n;
      }
      return true;
    });
  }

  write(offset: number, data: Uint8Array): boolean {
    if (this.readOnly || !this.keepAtOpen(offset, data.length)) return false;
    return this.withFile(constants.O_WRONLY, (fd) => {
      for (let at = 0; at < data.length;) at += writeSync(fd, data, at, data.length - at, offset + at);
      return true;
    });
  }

  readAtOpen(offset: number, into: Uint8Array): boolean {
    if (!this.read(offset, into)) return false;
    this.atOpen.patch(offset, into);
    return true;
  }

  /** Saves the sectors of [offset, offset + length) that are about to be written for the first time. */
  private keepAtOpen(offset: number, length: number): boolean {
    if (!this.remembers) return true;
    for (let o = 0; o < length; o += SECTOR) {
      const sector = (offset + o) / SECTOR;
      if (this.atOpen.has(sector)) continue;
      const old = new Uint8Array(SECTOR);
      if (!this.read(sector * SECTOR, old)) return false;
      this.atOpen.put(sector * SECTOR, old);
    }
    return true;
  }

  flush(): boolean {
    return this.readOnly || this.withFile(constants.O_WRONLY, (fd) => (fsyncSync(fd), true));
  }

  /** An I/O error is the guest's to see (VIRTIO_BLK_S_IOERR), never an exception in the run loop. */
  private withFile(flags: number, fn: (fd: number) => boolean): boolean {
    let fd: number;
    try {
      fd = openSync(this.file, flags);
    } catch {
      return false;
    }
    try {
      return fn(fd);
    } catch {
      return false;
    } finally {
      closeSync(fd);
    }
  }
}

/** Opens the image `spec` names (relative to `cwd`), or says why it cannot be used. */
export function openDisk(spec: DiskSpec, cwd: string): BlockBackend | string {
  const file = path.resolve(cwd, spec.path);
  const writable = !spec.readOnly && !spec.snapshot;
  let fd: number;
  try {
    fd = openSync(file, (writable ? constants.O_RDWR : constants.O_RDONLY) | (constants.O_NONBLOCK ?? 0));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : code === "EISDIR" ? "it is a directory" : (e as Error).message;
    return `cannot open '${file}'${writable ? " for reading and writing" : ""}: ${why}${code === "EACCES" && writable ? " (open it readonly or as a snapshot)" : ""}`;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return `'${file}' is not a regular file`;
    if (st.size === 0 || st.size % SECTOR !== 0) {
      return `'${file}' is ${st.size} bytes, not a whole number of ${SECTOR}-byte sectors (a raw disk image is; pad it with truncate -s)`;
    }
    const probe = new Uint8Array(Math.min(st.size, SECTOR));
    readSync(fd, probe, 0, probe.length, 0);
    const image = new FileBackend(file, st.size, spec.readOnly);
    return spec.snapshot ? new SnapshotBackend(image) : image;
  } catch (e) {
    return `cannot read '${file}': ${(e as Error).message}`;
  } finally {
    closeSync(fd);
  }
}

/** The same disk with writes kept in memory: for runs that must not touch the image (comparisons, baselines). */
export function snapshotOf(disk: BlockBackend): BlockBackend {
  return new SnapshotBackend(disk);
}

/**
 * The disk a target with a history runs on: a write-through image becomes a TimelineBackend, so
 * time travel rewinds what the guest reads; `host` is the image file, which is outside the machine
 * (its memory of the sectors as opened must survive every rewind).
 */
export function diskForHistory(disk: BlockBackend): { disk: BlockBackend; host: object[] } {
  if (disk.readOnly || !(disk instanceof FileBackend)) return { disk, host: [] };
  disk.remembers = true;
  return { disk: new TimelineBackend(disk), host: [disk] };
}

import type { DeviceNode } from "../../device";
import { SECTOR, type BlockBackend } from "./block_backend";
import { gather, scatter, total } from "./chain_io";
import type { VirtioDevice } from "./device";
import type { Dma } from "./dma";
import { VirtqueueError, type Chain, type SplitQueue } from "./split_queue";
import { blkViewNodes } from "./blk_view";

/**
 * virtio-blk (virtio 1.2 §5.2) on a disk image, one request queue.
 *
 * A request is a chain: a 16-byte header the device reads (type u32, reserved u32, sector u64), the
 * data (read by the device for a write, written by it for a read), and one status byte it writes
 * last. It offers what QEMU's virtio-blk offers that this model implements: SEG_MAX, BLK_SIZE
 * (512), TOPOLOGY, FLUSH, and RO for a read-only image. The configuration space is QEMU's 36 bytes
 * without discard and write-zeroes; `writeback` reads 0, since every write goes through to the
 * image before the request completes.
 *
 * Like QEMU: a request whose range is not whole sectors inside the disk, or a write to a read-only
 * disk, completes with VIRTIO_BLK_S_IOERR; an unknown type with VIRTIO_BLK_S_UNSUPP; GET_ID
 * answers an empty serial; the used length is the size of the device-writable part of the chain;
 * a chain without a header or a status byte is a malformed ring (the device needs a reset).
 */
export const BLK_DEVICE_ID = 2;
export const BLK_F_SEG_MAX = 1n << 2n;
export const BLK_F_RO = 1n << 5n;
export const BLK_F_BLK_SIZE = 1n << 6n;
export const BLK_F_FLUSH = 1n << 9n;
export const BLK_F_TOPOLOGY = 1n << 10n;

export const T_IN = 0;
export const T_OUT = 1;
export const T_FLUSH = 4;
export const T_GET_ID = 8;
export const S_OK = 0;
export const S_IOERR = 1;
export const S_UNSUPP = 2;

const HEADER = 16;
const CONFIG_BYTES = 36;
/** QEMU's seg_max: its default queue size (256) less the header and status descriptors. */
const SEG_MAX = 254;
/** Requests kept for the Devices view and the console. */
const LOG_LENGTH = 64;

export interface BlkRequest {
  /** Sequence number, from 1. */
  n: number;
  type: number;
  sector: bigint;
  /** Data bytes the request moved (or asked to move). */
  bytes: number;
  status: number;
}

export class VirtioBlk implements VirtioDevice {
  readonly deviceId = BLK_DEVICE_ID;
  readonly kind = "blk";
  readonly queueCount = 1;
  readonly features: bigint;
  private readonly configSpace: Uint8Array;
  private readonly log: BlkRequest[] = [];
  private count = 0;

  constructor(readonly backend: BlockBackend) {
    this.features = BLK_F_SEG_MAX | BLK_F_BLK_SIZE | BLK_F_FLUSH | BLK_F_TOPOLOGY | (backend.readOnly ? BLK_F_RO : 0n);
    this.configSpace = new Uint8Array(CONFIG_BYTES);
    const v = new DataView(this.configSpace.buffer);
    v.setBigUint64(0, BigInt(this.sectors), true);
    v.setUint32(12, SEG_MAX, true);
    v.setUint32(20, SECTOR, true);
    v.setUint16(34, 1, true);
  }

  get sectors(): number {
    return Math.floor(this.backend.size / SECTOR);
  }

  /** The most recent requests, oldest first. */
  requests(): readonly BlkRequest[] {
    return this.log;
  }

  config(): Uint8Array {
    return this.configSpace;
  }

  negotiated(_features: bigint): void {}

  reset(): void {}

  process(_queue: number, q: SplitQueue, dma: Dma): boolean {
    let pushed = false;
    for (let chain = q.pop(); chain; chain = q.pop()) {
      q.push(chain.head, this.handle(chain, dma));
      pushed = true;
    }
    return pushed;
  }

  viewNodes(): DeviceNode[] {
    return blkViewNodes(this);
  }

  /** Performs one request; returns the used length. */
  private handle(chain: Chain, dma: Dma): number {
    const out = gather(dma, chain.readable);
    const writable = total(chain.writable);
    if (out.length < HEADER || writable < 1) throw new VirtqueueError(`a virtio-blk request without its ${out.length < HEADER ? "16-byte header" : "status byte"}`);
    const header = new DataView(out.buffer, out.byteOffset, HEADER);
    const type = header.getUint32(0, true);
    const sector = header.getBigUint64(8, true);
    let bytes = 0;
    let status: number;
    switch (type) {
      case T_IN: {
        bytes = writable - 1;
        const data = new Uint8Array(bytes);
        status = !this.inRange(sector, bytes) ? S_IOERR : this.backend.read(Number(sector) * SECTOR, data) ? S_OK : S_IOERR;
        if (status === S_OK) scatter(dma, chain.writable, 0, data);
        break;
      }
      case T_OUT: {
        const data = out.subarray(HEADER);
        bytes = data.length;
        const ok = !this.backend.readOnly && this.inRange(sector, bytes) && this.backend.write(Number(sector) * SECTOR, data);
        status = ok ? S_OK : S_IOERR;
        break;
      }
      case T_FLUSH:
        status = this.backend.flush() ? S_OK : S_IOERR;
        break;
      case T_GET_ID:
        status = S_OK; // an empty serial, as QEMU's default: nothing to write
        break;
      default:
        status = S_UNSUPP;
    }
    scatter(dma, chain.writable, writable - 1, Uint8Array.of(status));
    this.record({ n: ++this.count, type, sector, bytes, status });
    return writable;
  }

  /** QEMU's virtio_blk_sect_range_ok: whole sectors, inside the disk. */
  private inRange(sector: bigint, bytes: number): boolean {
    return bytes % SECTOR === 0 && sector + BigInt(bytes / SECTOR) <= BigInt(this.sectors);
  }

  private record(r: BlkRequest): void {
    if (this.log.length === LOG_LENGTH) this.log.shift();
    this.log.push(r);
  }
}

import type { AccessWidth, MmioDevice, Width } from "./device";
import { Ram } from "./memory";

/**
 * The board's physical address space: RAM plus memory-mapped devices.
 *
 * Physical addresses are JavaScript numbers. Every address the `virt` board decodes is far below
 * 2^53; anything larger is simply unmapped.
 *
 * `load`/`store` return false for an address nothing decodes, or an access its device does not
 * answer at that width, and the hart (or the VMM) turns that into an access fault. An 8-byte MMIO
 * access is split into two 4-byte device accesses, low word first, unless the device takes it whole.
 */
export class Bus {
  readonly devices: MmioDevice[] = [];
  /** Called on every MMIO access when set. Unset, it costs one property test per MMIO access. */
  onMmio: ((dev: MmioDevice, offset: number, width: 1 | 2 | 4 | 8, isWrite: boolean, value: bigint) => void) | undefined;

  /**
   * Told about every RAM write that does not come from the hart's own fast path (device DMA, the
   * debugger, the loader, page-table A/D updates), so that the hart can drop decoded code it holds
   * for those bytes. Devices that write RAM must go through `store`/`writeBytes` or call `noteRamWrite`.
   */
  ramWriteListener: ((pa: number, len: number) => void) | undefined;

  constructor(readonly ram: Ram) {}

  noteRamWrite(pa: number, len: number): void {
    this.ramWriteListener?.(pa, len);
  }

  attach(dev: MmioDevice): void {
    for (const d of this.devices) {
      if (dev.base < d.base + d.size && d.base < dev.base + dev.size) {
        throw new Error(`device ${dev.name} overlaps ${d.name}`);
      }
    }
    this.devices.push(dev);
  }

  deviceAt(pa: number, len: number): MmioDevice | undefined {
    for (const d of this.devices) {
      if (pa >= d.base && pa + len <= d.base + d.size) return d;
    }
    return undefined;
  }

  /** The device that answers a `width`-byte access at `pa`, if one does. */
  private answering(pa: number, width: AccessWidth): MmioDevice | undefined {
    const dev = this.deviceAt(pa, width);
    return dev?.accepts(pa - dev.base, width) ? dev : undefined;
  }

  /** Loads `width` bytes at `pa`; undefined when nothing answers the access. */
  load(pa: number, width: 1 | 2 | 4 | 8): bigint | undefined {
    const o = this.ram.offsetOf(pa, width);
    if (o >= 0) {
      const v = this.ram.view;
      switch (width) {
        case 1: return BigInt(v.getUint8(o));
        case 2: return BigInt(v.getUint16(o, true));
        case 4: return BigInt(v.getUint32(o, true));
        case 8: return v.getBigUint64(o, true);
      }
    }
    const dev = this.answering(pa, width);
    if (!dev) return undefined;
    const off = pa - dev.base;
    const value = width === 8 && dev.wideAccess === undefined
      ? BigInt(dev.read(off, 4)) | (BigInt(dev.read(off + 4, 4)) << 32n)
      : BigInt(dev.read(off, narrow(width)));
    this.onMmio?.(dev, off, width, false, value);
    return value;
  }

  /** Stores the low `width` bytes of `value` at `pa`; false when nothing answers the access. */
  store(pa: number, width: 1 | 2 | 4 | 8, value: bigint): boolean {
    const o = this.ram.offsetOf(pa, width, true);
    if (o >= 0) {
      const v = this.ram.view;
      switch (width) {
        case 1: v.setUint8(o, Number(value & 0xffn)); break;
        case 2: v.setUint16(o, Number(value & 0xffffn), true); break;
        case 4: v.setUint32(o, Number(value & 0xffffffffn), true); break;
        case 8: v.setBigUint64(o, BigInt.asUintN(64, value), true); break;
      }
      this.noteRamWrite(pa, width);
      return true;
    }
    const dev = this.answering(pa, width);
    if (!dev) return false;
    const off = pa - dev.base;
    this.onMmio?.(dev, off, width, true, value);
    if (width === 8 && dev.wideAccess === undefined) {
      dev.write(off, 4, Number(value & 0xffffffffn));
      dev.write(off + 4, 4, Number((value >> 32n) & 0xffffffffn));
    } else {
      dev.write(off, narrow(width), Number(BigInt.asUintN(Math.min(width, 4) * 8, value)));
    }
    return true;
  }

  /** Debugger access: copies up to `len` bytes of RAM or device-free memory; null where unmapped. */
  readBytes(pa: number, len: number): Uint8Array | null {
    if (!this.ram.contains(pa, len)) return null;
    const out = new Uint8Array(len);
    for (const [at, o, n] of ramPieces(this.ram, pa, len)) out.set(this.ram.bytes.subarray(o, o + n), at);
    return out;
  }

  writeBytes(pa: number, data: Uint8Array): boolean {
    if (!this.ram.contains(pa, data.length)) return false;
    for (const [at, o, n] of ramPieces(this.ram, pa, data.length, true)) this.ram.bytes.set(data.subarray(at, at + n), o);
    this.noteRamWrite(pa, data.length);
    return true;
  }
}

/**
 * [pa, pa+len) of `ram` (which contains it) as pieces adjacent in its bytes: [offset into the range,
 * offset into `bytes`, length]. One piece for plain RAM; a VM's guest RAM is split at pages whose host
 * frames are not adjacent.
 */
export function ramPieces(ram: Ram, pa: number, len: number, write = false): [number, number, number][] {
  const whole = ram.offsetOf(pa, len, write);
  if (whole >= 0 || len === 0) return [[0, whole, len]];
  const pieces: [number, number, number][] = [];
  for (let at = 0; at < len;) {
    const n = Math.min(len - at, PAGE - ((pa + at) % PAGE));
    pieces.push([at, ram.offsetOf(pa + at, n, write), n]);
    at += n;
  }
  return pieces;
}

const PAGE = 4096;

/** The device-side width of an access: a whole 8-byte access to a one-register device is a 4-byte one. */
function narrow(width: AccessWidth): Width {
  return width === 8 ? 4 : width;
}

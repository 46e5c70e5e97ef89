import type { Bus } from "../../bus";

/** A device access to memory that is not RAM: the device cannot perform it (QEMU marks the device broken). */
export class DmaError extends Error {
  override readonly name = "DmaError";
}

/**
 * An IOMMU on a device's path to memory: the bus address of [iova, iova+len), or a DmaError (the
 * IOMMU refused the access and recorded why).
 */
export interface DmaTranslator {
  translate(iova: number, len: number, write: boolean): number;
}

/**
 * A device's direct access to the RAM of the bus it sits on (natively the board's RAM, under the VMM
 * the guest's RAM window, so guest-physical addresses). Every write is reported to the bus, so that
 * the hart drops decoded code for the bytes a device overwrote, and to the device host (a VMM marks
 * the shadow entries derived from those bytes stale). A device passed through to a guest reaches
 * host RAM through an IOMMU (`translator`): its addresses are the guest's, translated per access.
 */
export class Dma {
  constructor(
    private readonly bus: Bus,
    private readonly written: (pa: number, len: number) => void = () => {},
    private readonly translator?: DmaTranslator,
  ) {}

  /** The RAM offset of [pa, pa+len), or a DmaError naming the access. */
  private offset(pa: bigint | number, len: number, write = false): number {
    const ram = this.bus.ram;
    let n = typeof pa === "bigint" ? (pa > BigInt(Number.MAX_SAFE_INTEGER) ? -1 : Number(pa)) : pa;
    if (n >= 0 && this.translator) n = this.translator.translate(n, len, write);
    if (n < 0 || !ram.contains(n, len)) throw new DmaError(`${len} bytes at 0x${pa.toString(16)} are not RAM`);
    return n - ram.base;
  }

  /** Throws the DmaError an access of `len` bytes at `pa` would (the device checks a buffer before using it). */
  check(pa: bigint | number, len: number, write: boolean): void {
    this.offset(pa, len, write);
  }

  u16(pa: number): number {
    return this.bus.ram.view.getUint16(this.offset(pa, 2), true);
  }

  u32(pa: number): number {
    return this.bus.ram.view.getUint32(this.offset(pa, 4), true);
  }

  u64(pa: number): bigint {
    return this.bus.ram.view.getBigUint64(this.offset(pa, 8), true);
  }

  setU16(pa: number, v: number): void {
    const o = this.offset(pa, 2, true);
    this.bus.ram.view.setUint16(o, v, true);
    this.noteWrite(o, pa, 2);
  }

  setU32(pa: number, v: number): void {
    const o = this.offset(pa, 4, true);
    this.bus.ram.view.setUint32(o, v, true);
    this.noteWrite(o, pa, 4);
  }

  /** A view (not a copy) of [pa, pa+len) of RAM, for the device to read. */
  bytes(pa: bigint | number, len: number): Uint8Array {
    const o = this.offset(pa, len);
    return this.bus.ram.bytes.subarray(o, o + len);
  }

  write(pa: bigint | number, data: Uint8Array): void {
    const o = this.offset(pa, data.length, true);
    this.bus.ram.bytes.set(data, o);
    this.noteWrite(o, Number(pa), data.length);
  }

  /** A write at RAM offset `o`, which the device addressed as `pa`. */
  private noteWrite(o: number, pa: number, len: number): void {
    this.bus.noteRamWrite(o + this.bus.ram.base, len);
    this.written(pa, len);
  }
}

import { ramPieces, type Bus } from "../../bus";

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

  /** The bus address of [pa, pa+len) (through the IOMMU), or a DmaError naming the access. */
  private busAddress(pa: bigint | number, len: number, write: boolean): number {
    let n = typeof pa === "bigint" ? (pa > BigInt(Number.MAX_SAFE_INTEGER) ? -1 : Number(pa)) : pa;
    if (n >= 0 && this.translator) n = this.translator.translate(n, len, write);
    if (n < 0 || !this.bus.ram.contains(n, len)) throw new DmaError(`${len} bytes at 0x${pa.toString(16)} are not RAM`);
    return n;
  }

  /** The RAM offset of a small read at `pa` (one that never spans pages apart in RAM's bytes). */
  private offset(pa: number, len: number): number {
    return this.ramOffset(pa, this.busAddress(pa, len, false), len, false);
  }

  private ramOffset(pa: number, bus: number, len: number, write: boolean): number {
    const o = this.bus.ram.offsetOf(bus, len, write);
    if (o < 0) throw new DmaError(`${len} bytes at 0x${pa.toString(16)} are not RAM`);
    return o;
  }

  /** [pa, pa+len) as pieces adjacent in RAM's bytes (bus.ts ramPieces). */
  private pieces(pa: bigint | number, len: number, write: boolean): [number, number, number][] {
    return ramPieces(this.bus.ram, this.busAddress(pa, len, write), len, write);
  }

  /** Throws the DmaError an access of `len` bytes at `pa` would (the device checks a buffer before using it). */
  check(pa: bigint | number, len: number, write: boolean): void {
    this.pieces(pa, len, write);
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
    const bus = this.busAddress(pa, 2, true);
    this.bus.ram.view.setUint16(this.ramOffset(pa, bus, 2, true), v, true);
    this.noteWrite(bus, pa, 2);
  }

  setU32(pa: number, v: number): void {
    const bus = this.busAddress(pa, 4, true);
    this.bus.ram.view.setUint32(this.ramOffset(pa, bus, 4, true), v, true);
    this.noteWrite(bus, pa, 4);
  }

  /** [pa, pa+len) of RAM, for the device to read: a view where it is adjacent in RAM's bytes, else a copy. */
  bytes(pa: bigint | number, len: number): Uint8Array {
    const ram = this.bus.ram.bytes;
    const pieces = this.pieces(pa, len, false);
    if (pieces.length === 1) return ram.subarray(pieces[0][1], pieces[0][1] + len);
    const out = new Uint8Array(len);
    for (const [at, o, n] of pieces) out.set(ram.subarray(o, o + n), at);
    return out;
  }

  write(pa: bigint | number, data: Uint8Array): void {
    const bus = this.busAddress(pa, data.length, true);
    for (const [at, o, n] of ramPieces(this.bus.ram, bus, data.length, true)) this.bus.ram.bytes.set(data.subarray(at, at + n), o);
    this.noteWrite(bus, Number(pa), data.length);
  }

  /** A write at bus address `bus`, which the device addressed as `pa`. */
  private noteWrite(bus: number, pa: number, len: number): void {
    this.bus.noteRamWrite(bus, len);
    this.written(pa, len);
  }
}

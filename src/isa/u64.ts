/**
 * 64-bit values between bigint and numbers through one 8-byte scratch buffer: a typed-array store
 * and loads, where bigint shifts and masks would each allocate a new bigint. The hart converts on
 * every register access from outside its hot loop, and the VMM on every exit.
 */
const scratch = new DataView(new ArrayBuffer(8));

/** Stores `v` modulo 2^64 as int32 halves: out[at] = low word, out[at + 1] = high word. */
export function splitInto(v: bigint, out: Int32Array, at: number): void {
  scratch.setBigUint64(0, v, true);
  out[at] = scratch.getInt32(0, true);
  out[at + 1] = scratch.getInt32(4, true);
}

/** The unsigned 64-bit value of int32 halves `lo` and `hi`. */
export function joinHalves(lo: number, hi: number): bigint {
  scratch.setInt32(0, lo, true);
  scratch.setInt32(4, hi, true);
  return scratch.getBigUint64(0, true);
}

/** `v` modulo 2^64 read as signed, as a number (exact within ±2^53). */
export function signedNumber(v: bigint): number {
  scratch.setBigUint64(0, v, true);
  return scratch.getInt32(4, true) * 4294967296 + scratch.getUint32(0, true);
}

/** The low 32 bits of `v`, unsigned. */
export function low32(v: bigint): number {
  scratch.setBigUint64(0, v, true);
  return scratch.getUint32(0, true);
}

/**
 * Rounding an exact value to binary32 or binary64: the one place where precision is lost and where
 * the exception flags NX, UF and OF are decided. Every arithmetic operation (softfloat.ts) computes
 * its result exactly as sign · sig · 2^exp (with a sticky bit below sig's last bit for division and
 * square root remainders) and hands it here, so fused multiply-add, division and square root round
 * once, as IEEE 754 requires. Underflow uses RISC-V's tininess after rounding.
 */

/** An IEEE 754 binary interchange format. */
export interface FloatFormat {
  /** Exponent field width. */
  readonly expBits: number;
  /** Fraction field width (precision − 1). */
  readonly fracBits: number;
  readonly bias: number;
  /** The canonical NaN (RISC-V: positive, quiet, zero payload). */
  readonly canonicalNaN: bigint;
}

export const F32: FloatFormat = { expBits: 8, fracBits: 23, bias: 127, canonicalNaN: 0x7fc00000n };
export const F64: FloatFormat = { expBits: 11, fracBits: 52, bias: 1023, canonicalNaN: 0x7ff8000000000000n };

/** fflags bits. */
export const NX = 1, UF = 2, OF = 4, DZ = 8, NV = 16;

/** Rounding modes as the rm field encodes them. */
export const RNE = 0, RTZ = 1, RDN = 2, RUP = 3, RMM = 4;

/** Where an operation accrues its exception flags. */
export interface FlagSink {
  flags: number;
}

export function bitLength(v: bigint): number {
  return v === 0n ? 0 : v.toString(2).length;
}

/** Whether rounding away from zero is due: the kept lsb, the first dropped bit, and whether any dropped bit below it (or the sticky bit) is set. */
function roundsUp(rm: number, negative: boolean, lsb: boolean, half: boolean, rest: boolean): boolean {
  switch (rm) {
    case RNE: return half && (rest || lsb);
    case RTZ: return false;
    case RDN: return negative && (half || rest);
    case RUP: return !negative && (half || rest);
    default: return half; // RMM
  }
}

export interface Quantized {
  /** The integer significand at the quantum. */
  m: bigint;
  inexact: boolean;
}

/** Rounds sig · 2^exp (+ sticky) to a multiple of 2^q: the significand m with value m · 2^q. */
export function roundToQuantum(sig: bigint, exp: number, sticky: boolean, q: number, negative: boolean, rm: number): Quantized {
  const shift = q - exp;
  if (shift <= 0) {
    const m = sig << BigInt(-shift);
    return { m: sticky && roundsUp(rm, negative, (m & 1n) === 1n, false, true) ? m + 1n : m, inexact: sticky };
  }
  const s = BigInt(shift);
  const m = sig >> s;
  const half = ((sig >> (s - 1n)) & 1n) === 1n;
  const rest = sticky || (sig & ((1n << (s - 1n)) - 1n)) !== 0n;
  return { m: roundsUp(rm, negative, (m & 1n) === 1n, half, rest) ? m + 1n : m, inexact: half || rest };
}

/** The largest finite value's bits, or infinity's, with the sign. */
function overflowResult(negative: boolean, f: FloatFormat, rm: number): bigint {
  const sign = negative ? 1n << BigInt(f.expBits + f.fracBits) : 0n;
  const inf = ((1n << BigInt(f.expBits)) - 1n) << BigInt(f.fracBits);
  const toInf = rm === RNE || rm === RMM || (rm === RUP && !negative) || (rm === RDN && negative);
  return sign | (toInf ? inf : inf - 1n);
}

/**
 * The bits of (−1)^negative · sig · 2^exp (plus a sticky bit) rounded to format `f` under `rm`,
 * accruing NX, UF and OF in `fx`. sig must be nonzero; with `sticky`, sig must have at least
 * three more bits than the format's precision (so the sticky bit lies below the rounding bit).
 */
export function roundPack(negative: boolean, sig: bigint, exp: number, sticky: boolean, f: FloatFormat, rm: number, fx: FlagSink): bigint {
  const emin = 1 - f.bias;
  const top = bitLength(sig) - 1 + exp; // the exponent of the leading bit
  let q = Math.max(top, emin) - f.fracBits;
  const rounded = roundToQuantum(sig, exp, sticky, q, negative, rm);
  const inexact = rounded.inexact;
  let m = rounded.m;
  const one = 1n << BigInt(f.fracBits);
  if (m === one << 1n) { m = one; q++; }
  if (inexact) {
    fx.flags |= NX;
    // Tiny after rounding: the result rounded with an unbounded exponent range would be below 2^emin.
    if (top < emin) {
      const wide = top === emin - 1 ? roundToQuantum(sig, exp, sticky, top - f.fracBits, negative, rm).m : 0n;
      if (wide !== one << 1n) fx.flags |= UF;
    }
  }
  const sign = negative ? 1n << BigInt(f.expBits + f.fracBits) : 0n;
  if (m < one) return sign | m; // subnormal (or zero)
  const biased = q + f.fracBits + f.bias;
  if (biased >= (1 << f.expBits) - 1) {
    fx.flags |= OF | NX;
    return overflowResult(negative, f, rm);
  }
  return sign | (BigInt(biased) << BigInt(f.fracBits)) | (m - one);
}

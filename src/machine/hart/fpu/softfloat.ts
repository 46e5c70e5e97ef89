/**
 * IEEE 754 arithmetic on binary32 and binary64 bits, exactly: each operation computes its exact
 * result with BigInt (unpack.ts) and rounds it once (round.ts). RISC-V's NaN rules apply: a NaN result
 * is always the canonical NaN, and NV is raised for signalling NaN operands and invalid operations
 * (∞ − ∞, 0 · ∞ also in fused multiply-add with a quiet NaN addend, 0/0, ∞/∞, √negative).
 */
import { type FloatFormat, type FlagSink, bitLength, DZ, NV, RDN, roundPack } from "./round";
import { Cls, isNaN, special, type Unpacked } from "./unpack";

/** The canonical NaN, raising NV when an operand is a signalling NaN. */
export function nanResult(f: FloatFormat, fx: FlagSink, ...operands: Unpacked[]): bigint {
  if (operands.some((u) => u.cls === Cls.SNaN)) fx.flags |= NV;
  return f.canonicalNaN;
}

function invalid(f: FloatFormat, fx: FlagSink): bigint {
  fx.flags |= NV;
  return f.canonicalNaN;
}

/** A signed exact value: sign · sig · 2^exp (sig = 0: zero, whose sign the caller decides). */
interface Exact {
  negative: boolean;
  sig: bigint;
  exp: number;
}

/** Sums two exact values and rounds; an exact zero sum of nonzero terms is −0 only when rounding down. */
function addExact(a: Exact, b: Exact, f: FloatFormat, rm: number, fx: FlagSink): bigint {
  if (a.sig === 0n && b.sig === 0n) return special(a.negative === b.negative ? a.negative : rm === RDN, false, f);
  const e = Math.min(a.sig === 0n ? b.exp : a.exp, b.sig === 0n ? a.exp : b.exp);
  const va = a.sig << BigInt(Math.max(0, a.exp - e));
  const vb = b.sig << BigInt(Math.max(0, b.exp - e));
  const sum = (a.negative ? -va : va) + (b.negative ? -vb : vb);
  if (sum === 0n) return special(rm === RDN, false, f);
  return roundPack(sum < 0n, sum < 0n ? -sum : sum, e, false, f, rm, fx);
}

export function add(a: Unpacked, b: Unpacked, f: FloatFormat, rm: number, fx: FlagSink): bigint {
  if (isNaN(a) || isNaN(b)) return nanResult(f, fx, a, b);
  if (a.cls === Cls.Inf || b.cls === Cls.Inf) {
    if (a.cls === Cls.Inf && b.cls === Cls.Inf && a.negative !== b.negative) return invalid(f, fx);
    return special(a.cls === Cls.Inf ? a.negative : b.negative, true, f);
  }
  return addExact(a, b, f, rm, fx);
}

export function negate(u: Unpacked): Unpacked {
  return { ...u, negative: !u.negative };
}

export function mul(a: Unpacked, b: Unpacked, f: FloatFormat, rm: number, fx: FlagSink): bigint {
  if (isNaN(a) || isNaN(b)) return nanResult(f, fx, a, b);
  const negative = a.negative !== b.negative;
  if (a.cls === Cls.Inf || b.cls === Cls.Inf) {
    if (a.cls === Cls.Zero || b.cls === Cls.Zero) return invalid(f, fx);
    return special(negative, true, f);
  }
  if (a.cls === Cls.Zero || b.cls === Cls.Zero) return special(negative, false, f);
  return roundPack(negative, a.sig * b.sig, a.exp + b.exp, false, f, rm, fx);
}

/** (a · b) + c with one rounding; the fmsub/fnmadd family negate the product or the addend first. */
export function fma(a: Unpacked, b: Unpacked, c: Unpacked, f: FloatFormat, rm: number, fx: FlagSink): bigint {
  const infTimesZero = (a.cls === Cls.Inf && b.cls === Cls.Zero) || (a.cls === Cls.Zero && b.cls === Cls.Inf);
  if (isNaN(a) || isNaN(b) || isNaN(c)) {
    if (infTimesZero) fx.flags |= NV;
    return nanResult(f, fx, a, b, c);
  }
  if (infTimesZero) return invalid(f, fx);
  const negative = a.negative !== b.negative;
  if (a.cls === Cls.Inf || b.cls === Cls.Inf) {
    if (c.cls === Cls.Inf && c.negative !== negative) return invalid(f, fx);
    return special(negative, true, f);
  }
  if (c.cls === Cls.Inf) return special(c.negative, true, f);
  return addExact({ negative, sig: a.sig * b.sig, exp: a.exp + b.exp }, c, f, rm, fx);
}

export function div(a: Unpacked, b: Unpacked, f: FloatFormat, rm: number, fx: FlagSink): bigint {
  if (isNaN(a) || isNaN(b)) return nanResult(f, fx, a, b);
  const negative = a.negative !== b.negative;
  if (a.cls === Cls.Inf) return b.cls === Cls.Inf ? invalid(f, fx) : special(negative, true, f);
  if (b.cls === Cls.Inf) return special(negative, false, f);
  if (b.cls === Cls.Zero) {
    if (a.cls === Cls.Zero) return invalid(f, fx);
    fx.flags |= DZ;
    return special(negative, true, f);
  }
  if (a.cls === Cls.Zero) return special(negative, false, f);
  // Scale the dividend so that the quotient has at least precision + 3 bits; the remainder is sticky.
  const k = Math.max(0, f.fracBits + 4 + bitLength(b.sig) - bitLength(a.sig));
  const num = a.sig << BigInt(k);
  return roundPack(negative, num / b.sig, a.exp - b.exp - k, num % b.sig !== 0n, f, rm, fx);
}

function isqrt(n: bigint): bigint {
  let x = 1n << BigInt((bitLength(n) >> 1) + 1);
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

export function sqrt(a: Unpacked, f: FloatFormat, rm: number, fx: FlagSink): bigint {
  if (isNaN(a)) return nanResult(f, fx, a);
  if (a.cls === Cls.Zero) return special(a.negative, false, f);
  if (a.negative) return invalid(f, fx);
  if (a.cls === Cls.Inf) return special(false, true, f);
  // Scale by an even power of two so that the root has at least precision + 3 bits.
  let k = Math.max(0, 2 * (f.fracBits + 4) - bitLength(a.sig));
  if ((a.exp - k) & 1) k++;
  const n = a.sig << BigInt(k);
  const root = isqrt(n);
  return roundPack(false, root, (a.exp - k) / 2, root * root !== n, f, rm, fx);
}

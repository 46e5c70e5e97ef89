/** A float's bits taken apart into its class and exact value sign · sig · 2^exp. */
import type { FloatFormat } from "./round";

export const enum Cls { Zero, Subnormal, Normal, Inf, QNaN, SNaN }

export interface Unpacked {
  readonly cls: Cls;
  readonly negative: boolean;
  /** For finite values: the integer significand and exponent (zero: 0 and 0). */
  readonly sig: bigint;
  readonly exp: number;
}

export function unpack(bits: bigint, f: FloatFormat): Unpacked {
  const fb = BigInt(f.fracBits);
  const negative = ((bits >> BigInt(f.expBits + f.fracBits)) & 1n) === 1n;
  const biased = Number((bits >> fb) & ((1n << BigInt(f.expBits)) - 1n));
  const frac = bits & ((1n << fb) - 1n);
  const emin = 1 - f.bias - f.fracBits;
  if (biased === 0) {
    return frac === 0n ? { cls: Cls.Zero, negative, sig: 0n, exp: 0 } : { cls: Cls.Subnormal, negative, sig: frac, exp: emin };
  }
  if (biased === (1 << f.expBits) - 1) {
    if (frac === 0n) return { cls: Cls.Inf, negative, sig: 0n, exp: 0 };
    return { cls: (frac >> (fb - 1n)) & 1n ? Cls.QNaN : Cls.SNaN, negative, sig: frac, exp: 0 };
  }
  return { cls: Cls.Normal, negative, sig: frac | (1n << fb), exp: biased - f.bias - f.fracBits };
}

export const isNaN = (u: Unpacked): boolean => u.cls === Cls.QNaN || u.cls === Cls.SNaN;
export const isFinite = (u: Unpacked): boolean => u.cls <= Cls.Normal;

/** The bits of infinity or zero with a sign. */
export function special(negative: boolean, inf: boolean, f: FloatFormat): bigint {
  const sign = negative ? 1n << BigInt(f.expBits + f.fracBits) : 0n;
  return inf ? sign | (((1n << BigInt(f.expBits)) - 1n) << BigInt(f.fracBits)) : sign;
}

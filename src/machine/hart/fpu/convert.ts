/** Conversions between the formats, and between floats and 32/64-bit integers, with RISC-V's limits. */
import { type FloatFormat, type FlagSink, NV, NX, roundPack, roundToQuantum } from "./round";
import { nanResult } from "./softfloat";
import { Cls, isNaN, special, type Unpacked } from "./unpack";

/**
 * fcvt.{w,wu,l,lu}: the value rounded to an integer under `rm`. NaN, infinities and values out of
 * range raise NV (not NX) and give the limit: NaN and too large the maximum, too negative the
 * minimum (0 for unsigned). A negative value that rounds to 0 is in range for unsigned (NX only).
 */
export function toInt(u: Unpacked, bits: 32 | 64, signed: boolean, rm: number, fx: FlagSink): bigint {
  const w = BigInt(bits);
  const max = signed ? (1n << (w - 1n)) - 1n : (1n << w) - 1n;
  const min = signed ? -(1n << (w - 1n)) : 0n;
  if (isNaN(u)) {
    fx.flags |= NV;
    return max;
  }
  if (u.cls === Cls.Inf) {
    fx.flags |= NV;
    return u.negative ? min : max;
  }
  if (u.cls === Cls.Zero) return 0n;
  const { m, inexact } = roundToQuantum(u.sig, u.exp, false, 0, u.negative, rm);
  const v = u.negative ? -m : m;
  if (v < min || v > max) {
    fx.flags |= NV;
    return u.negative ? min : max;
  }
  if (inexact) fx.flags |= NX;
  return v;
}

/** fcvt.{s,d}.{w,wu,l,lu}: an integer (already sign- or zero-extended) rounded to the format. */
export function fromInt(v: bigint, f: FloatFormat, rm: number, fx: FlagSink): bigint {
  if (v === 0n) return 0n;
  return roundPack(v < 0n, v < 0n ? -v : v, 0, false, f, rm, fx);
}

/** fcvt.s.d and fcvt.d.s: NaNs become the target's canonical NaN. */
export function convertFormat(u: Unpacked, to: FloatFormat, rm: number, fx: FlagSink): bigint {
  if (isNaN(u)) return nanResult(to, fx, u);
  if (u.cls === Cls.Inf || u.cls === Cls.Zero) return special(u.negative, u.cls === Cls.Inf, to);
  return roundPack(u.negative, u.sig, u.exp, false, to, rm, fx);
}

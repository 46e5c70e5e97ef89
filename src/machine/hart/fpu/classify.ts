/** fclass, the comparisons and fmin/fmax: the operations that order values rather than compute them. */
import { type FlagSink, NV } from "./round";
import { Cls, isNaN, type Unpacked } from "./unpack";

/** fclass's one-hot result: −∞, −normal, −subnormal, −0, +0, +subnormal, +normal, +∞, sNaN, qNaN. */
export function fclass(u: Unpacked): number {
  switch (u.cls) {
    case Cls.SNaN: return 1 << 8;
    case Cls.QNaN: return 1 << 9;
    case Cls.Inf: return u.negative ? 1 << 0 : 1 << 7;
    case Cls.Normal: return u.negative ? 1 << 1 : 1 << 6;
    case Cls.Subnormal: return u.negative ? 1 << 2 : 1 << 5;
    default: return u.negative ? 1 << 3 : 1 << 4;
  }
}

/** −1, 0 or 1 for two non-NaN values (−0 equals +0). */
function order(a: Unpacked, b: Unpacked): number {
  // Rank: −∞ < negative finite < zero < positive finite < +∞; finite values of one sign by magnitude.
  const rank = (u: Unpacked) => (u.cls === Cls.Zero ? 0 : (u.negative ? -1 : 1) * (u.cls === Cls.Inf ? 2 : 1));
  const ra = rank(a), rb = rank(b);
  if (ra !== rb) return ra < rb ? -1 : 1;
  if (ra === 0 || ra === 2 || ra === -2) return 0;
  // Compare magnitudes exactly: a.sig · 2^a.exp against b.sig · 2^b.exp.
  const e = Math.min(a.exp, b.exp);
  const va = a.sig << BigInt(a.exp - e), vb = b.sig << BigInt(b.exp - e);
  return va === vb ? 0 : (va < vb ? -1 : 1) * ra;
}

/** feq (quiet: NV only for signalling NaNs), flt and fle (signalling: NV for any NaN). */
export function compare(kind: "eq" | "lt" | "le", a: Unpacked, b: Unpacked, fx: FlagSink): boolean {
  if (isNaN(a) || isNaN(b)) {
    if (kind !== "eq" || a.cls === Cls.SNaN || b.cls === Cls.SNaN) fx.flags |= NV;
    return false;
  }
  const o = order(a, b);
  return kind === "eq" ? o === 0 : kind === "lt" ? o < 0 : o <= 0;
}

/**
 * fmin/fmax (IEEE 754-2019 minimumNumber/maximumNumber, as RISC-V F 2.2 defines them): a NaN operand
 * loses to a number, two NaNs give the canonical NaN, −0 is below +0; NV for signalling NaNs.
 * Returns which operand wins (0 = a, 1 = b), or −1 for the canonical NaN.
 */
export function minMax(max: boolean, a: Unpacked, b: Unpacked, fx: FlagSink): number {
  if (a.cls === Cls.SNaN || b.cls === Cls.SNaN) fx.flags |= NV;
  if (isNaN(a)) return isNaN(b) ? -1 : 1;
  if (isNaN(b)) return 0;
  let o = order(a, b);
  if (o === 0 && a.cls === Cls.Zero) o = a.negative === b.negative ? 0 : a.negative ? -1 : 1;
  return (max ? o >= 0 : o <= 0) ? 0 : 1;
}

/**
 * JavaScript expressions, for translated code (translate.ts), that compare and carry 32-bit halves
 * without ever making a value outside int32. `x >>> 0` of a negative half (every address at or
 * above 0x8000_0000, where RAM starts) is a number above 2^31: in optimized code that is free, but
 * in V8's interpreter and baseline tiers, where a newly translated function runs until it is hot,
 * each one is a heap-allocated number. The mixed compiled-C guest spent a quarter of its first
 * repetition in the garbage collector because of them. These forms use only bitwise operations on
 * int32 values, so they allocate nothing in any tier, and they are branch-free.
 */

/** Flips the sign bit: x <u y exactly when flip(x) < flip(y) (signed). */
const SIGN = -2147483648;

/** A literal's value, if `e` is one (the translator writes literals as `5` or `(-5)`). */
function literal(e: string): number | undefined {
  return /^\(?-?\d+\)?$/.test(e) ? Number(e.replace(/[()]/g, "")) : undefined;
}

function flipped(e: string): string {
  const v = literal(e);
  return v === undefined ? `(${e} ^ ${SIGN})` : `(${v ^ SIGN})`;
}

/** `a <u b` on int32 halves. */
export const ltu = (a: string, b: string): string => `${flipped(a)} < ${flipped(b)}`;
/** `a >=u b` on int32 halves. */
export const geu = (a: string, b: string): string => `${flipped(a)} >= ${flipped(b)}`;
/** `a >u b` on int32 halves. */
export const gtu = (a: string, b: string): string => `${flipped(a)} > ${flipped(b)}`;

/**
 * The carry (0 or 1) out of the low word of a + b, where `sum` holds (a + b) | 0: bit 31 of
 * (a & b) | ((a | b) & ~sum). With b a literal, one of the terms is known.
 */
export function carry(a: string, b: string, sum: string): string {
  const v = literal(b);
  if (v === undefined) return `(((${a} & ${b}) | ((${a} | ${b}) & ~${sum})) >>> 31)`;
  if (v === 0) return "0";
  return v > 0 ? `((${a} & ~${sum}) >>> 31)` : `((${a} | ~${sum}) >>> 31)`;
}

/**
 * The borrow (0 or 1) out of the low word of a − b, where `diff` holds (a − b) | 0: bit 31 of
 * (~a & b) | (~(a ^ b) & diff).
 */
export const borrow = (a: string, b: string, diff: string): string =>
  `(((~${a} & ${b}) | (~(${a} ^ ${b}) & ${diff})) >>> 31)`;

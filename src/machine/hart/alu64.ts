/**
 * 64-bit multiply and divide on int32 lo/hi pairs. Results go to `R` (R[0] = lo, R[1] = hi) so that
 * nothing is allocated. Division of operands beyond ±2^53 falls back to BigInt; those are rare in
 * real code (pointer arithmetic divides small numbers) and stay correct.
 */
export const R = new Int32Array(2);

const TWO32 = 4294967296;

/** Unsigned 32×32 → 64: R[0] = low word, R[1] = high word. */
function umul32(a: number, b: number): void {
  const a0 = a & 0xffff, a1 = a >>> 16, b0 = b & 0xffff, b1 = b >>> 16;
  const p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
  const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  R[0] = (mid << 16) | (p00 & 0xffff);
  R[1] = p11 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16);
}

/** Low 64 bits of a × b (the same for signed and unsigned). */
export function mul64(alo: number, ahi: number, blo: number, bhi: number): void {
  umul32(alo >>> 0, blo >>> 0);
  R[1] = (R[1] + Math.imul(alo, bhi) + Math.imul(ahi, blo)) | 0;
}

/** High 64 bits of the unsigned 128-bit product. */
export function mulhu64(alo: number, ahi: number, blo: number, bhi: number): void {
  umul32(alo >>> 0, blo >>> 0);
  const p0hi = R[1] >>> 0;
  umul32(alo >>> 0, bhi >>> 0);
  const p1lo = R[0] >>> 0, p1hi = R[1] >>> 0;
  umul32(ahi >>> 0, blo >>> 0);
  const p2lo = R[0] >>> 0, p2hi = R[1] >>> 0;
  umul32(ahi >>> 0, bhi >>> 0);
  const p3lo = R[0] >>> 0, p3hi = R[1] >>> 0;
  const t1 = p0hi + p1lo + p2lo;
  const t2 = p1hi + p2hi + p3lo + Math.floor(t1 / TWO32);
  R[0] = t2 | 0;
  R[1] = (p3hi + Math.floor(t2 / TWO32)) | 0;
}

/** High 64 bits of signed × signed (sgnB) or signed × unsigned (!sgnB). */
export function mulhSigned(alo: number, ahi: number, blo: number, bhi: number, sgnB: boolean): void {
  mulhu64(alo, ahi, blo, bhi);
  let lo = R[0], hi = R[1];
  // mulh(a,b) = mulhu(a,b) − (a<0 ? b : 0) − (b<0 ? a : 0), modulo 2^64
  if (ahi < 0) {
    const nlo = (lo - blo) | 0;
    hi = (hi - bhi - ((lo >>> 0) < (blo >>> 0) ? 1 : 0)) | 0;
    lo = nlo;
  }
  if (sgnB && bhi < 0) {
    const nlo = (lo - alo) | 0;
    hi = (hi - ahi - ((lo >>> 0) < (alo >>> 0) ? 1 : 0)) | 0;
    lo = nlo;
  }
  R[0] = lo;
  R[1] = hi;
}

function toBig(lo: number, hi: number): bigint {
  return (BigInt(hi) << 32n) | BigInt(lo >>> 0);
}

function fromBig(v: bigint): void {
  R[0] = Number(BigInt.asIntN(32, v));
  R[1] = Number(BigInt.asIntN(32, v >> 32n));
}

function setNum(v: number): void {
  R[0] = v | 0; // ToInt32 keeps the low 32 bits of any integer below 2^53
  R[1] = Math.floor(v / TWO32) | 0;
}

/** True when the pair holds a value within ±2^52, where doubles are exact. */
function small(hi: number): boolean {
  return hi >= -0x100000 && hi < 0x100000;
}

/**
 * 64-bit division and remainder, signed or unsigned, with RISC-V's defined results: x/0 = −1,
 * x%0 = x, and MIN/−1 = MIN with remainder 0.
 */
export function div64(alo: number, ahi: number, blo: number, bhi: number, signed: boolean, rem: boolean): void {
  if (blo === 0 && bhi === 0) {
    if (rem) { R[0] = alo; R[1] = ahi; } else { R[0] = -1; R[1] = -1; }
    return;
  }
  if (signed ? small(ahi) && small(bhi) : ahi >= 0 && ahi < 0x100000 && bhi >= 0 && bhi < 0x100000) {
    const a = ahi * TWO32 + (alo >>> 0), b = bhi * TWO32 + (blo >>> 0);
    // fmod is exact, so both results are exact for operands below 2^53.
    const r = a % b;
    setNum(rem ? r : (a - r) / b);
    return;
  }
  if (bhi === 0 && (!signed || ahi >= 0)) {
    divByWord(alo, ahi, blo >>> 0, rem);
    return;
  }
  const a = signed ? toBig(alo, ahi) : BigInt.asUintN(64, toBig(alo, ahi));
  const b = signed ? toBig(blo, bhi) : BigInt.asUintN(64, toBig(blo, bhi));
  if (signed && b === -1n) {
    // MIN / −1 overflows to MIN; the remainder is 0. Negation covers every other dividend too.
    fromBig(rem ? 0n : BigInt.asIntN(64, -a));
    return;
  }
  fromBig(rem ? a % b : a / b);
}

/** 32-bit division (divw/divuw/remw/remuw): the result sign-extended into R. */
/**
 * A dividend from 0 to 2^64 over a divisor below 2^32 (a modulus, say), without BigInt, which
 * allocates: long division in 16-bit digits, each step exact in doubles (the remainder is below
 * 2^32, so remainder · 2^16 + digit is below 2^48), each quotient digit below 2^16.
 */
function divByWord(alo: number, ahi: number, b: number, rem: boolean): void {
  let x = ahi >>> 16;
  const q3 = Math.floor(x / b);
  x = (x - q3 * b) * 65536 + (ahi & 0xffff);
  const q2 = Math.floor(x / b);
  x = (x - q2 * b) * 65536 + (alo >>> 16);
  const q1 = Math.floor(x / b);
  x = (x - q1 * b) * 65536 + (alo & 0xffff);
  const q0 = Math.floor(x / b);
  if (rem) {
    R[0] = (x - q0 * b) | 0;
    R[1] = 0;
  } else {
    R[0] = (q1 << 16) | q0;
    R[1] = (q3 << 16) | q2;
  }
}

export function div32(a: number, b: number, signed: boolean, rem: boolean): void {
  let r: number;
  if (b === 0) r = rem ? a : -1;
  else if (signed) {
    if (a === -2147483648 && b === -1) r = rem ? 0 : a;
    else r = rem ? a % b : Math.trunc(a / b);
  } else {
    const ua = a >>> 0, ub = b >>> 0;
    r = rem ? ua % ub : Math.floor(ua / ub);
  }
  R[0] = r | 0;
  R[1] = R[0] >> 31;
}

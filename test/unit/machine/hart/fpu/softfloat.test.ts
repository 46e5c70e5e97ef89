/**
 * The soft-float core against the host's IEEE 754 doubles (binary64, round to nearest even) and
 * Math.fround (binary32), on random bit patterns weighted towards the edges (subnormals, huge and
 * tiny exponents, cancellation), plus the directed cases JS cannot show: flags and other rounding
 * modes, checked against values worked out by hand from the standard.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { fclass } from "../../../../../src/machine/hart/fpu/classify";
import { fromInt, toInt } from "../../../../../src/machine/hart/fpu/convert";
import { DZ, F32, F64, NV, NX, OF, RDN, RMM, RNE, RTZ, RUP, UF } from "../../../../../src/machine/hart/fpu/round";
import { add, div, fma, mul, sqrt } from "../../../../../src/machine/hart/fpu/softfloat";
import { unpack } from "../../../../../src/machine/hart/fpu/unpack";

const buf = new DataView(new ArrayBuffer(8));
const bitsOf = (x: number): bigint => (buf.setFloat64(0, x), buf.getBigUint64(0));
const valueOf = (b: bigint): number => (buf.setBigUint64(0, b), buf.getFloat64(0));
const bits32 = (x: number): bigint => (buf.setFloat32(0, x), BigInt(buf.getUint32(0)));
const value32 = (b: bigint): number => (buf.setUint32(0, Number(b)), buf.getFloat32(0));

/** A deterministic generator (xorshift) of doubles with interesting exponents. */
function* doubles(seed: number, n: number): Generator<number> {
  let s = BigInt(seed) | 1n;
  const next = () => {
    s ^= (s << 13n) & 0xffffffffffffffffn; s ^= s >> 7n; s ^= (s << 17n) & 0xffffffffffffffffn;
    return s;
  };
  for (let i = 0; i < n; i++) {
    const r = next();
    const exps = [0n, 1n, 2n, 1022n, 1023n, 1024n, 2046n, 970n, 50n, 1000n, 1100n];
    const e = i % 3 === 0 ? exps[Number(r % BigInt(exps.length))] : (r >> 8n) % 2047n;
    yield valueOf(((r >> 63n) << 63n) | (e << 52n) | (r & ((1n << 52n) - 1n)));
  }
}

const same = (got: bigint, want: number, what: string) => {
  if (Number.isNaN(want)) assert.equal(got, F64.canonicalNaN, what);
  else assert.equal(got, bitsOf(want), `${what}: got ${valueOf(got)}, want ${want}`);
};

test("binary64 add, mul, div, sqrt round to nearest as the host's doubles do", () => {
  const xs = [...doubles(7, 3000)];
  for (let i = 0; i + 1 < xs.length; i++) {
    const a = xs[i]!, b = xs[i + 1]!;
    const ua = unpack(bitsOf(a), F64), ub = unpack(bitsOf(b), F64);
    const fx = { flags: 0 };
    same(add(ua, ub, F64, RNE, fx), a + b, `${a} + ${b}`);
    same(mul(ua, ub, F64, RNE, fx), a * b, `${a} * ${b}`);
    same(div(ua, ub, F64, RNE, fx), a / b, `${a} / ${b}`);
    same(sqrt(ua, F64, RNE, fx), Math.sqrt(a), `sqrt ${a}`);
  }
});

test("binary32 arithmetic rounds as Math.fround of the exact double result", () => {
  const xs = [...doubles(11, 3000)].map((x) => Math.fround(x * 2 ** -900)).filter((x) => Number.isFinite(x));
  for (let i = 0; i + 1 < xs.length; i++) {
    const a = xs[i]!, b = xs[i + 1]!;
    const ua = unpack(bits32(a), F32), ub = unpack(bits32(b), F32);
    const fx = { flags: 0 };
    // a·b and √a of binary32 values are exact or correctly rounded once in binary64 (2p + 2 ≤ 53).
    const check = (got: bigint, want: number, what: string) => {
      if (Number.isNaN(want)) assert.equal(got, F32.canonicalNaN, what);
      else assert.equal(got, bits32(want), `${what}: got ${value32(got)}, want ${want}`);
    };
    check(mul(ua, ub, F32, RNE, fx), Math.fround(a * b), `${a} * ${b}`);
    check(div(ua, ub, F32, RNE, fx), Math.fround(a / b), `${a} / ${b}`);
    check(sqrt(ua, F32, RNE, fx), Math.fround(Math.sqrt(a)), `sqrt ${a}`);
    check(add(ua, ub, F32, RNE, fx), Math.fround(a + b), `${a} + ${b}`);
  }
});

const d = (x: number) => unpack(bitsOf(x), F64);

test("flags: inexact, overflow by rounding mode, underflow after rounding, divide by zero, invalid", () => {
  let fx = { flags: 0 };
  add(d(1), d(2 ** -60), F64, RNE, fx);
  assert.equal(fx.flags, NX);
  fx = { flags: 0 };
  add(d(1), d(1), F64, RNE, fx);
  assert.equal(fx.flags, 0, "exact sums raise nothing");
  const max = Number.MAX_VALUE;
  for (const [rm, want] of [[RNE, Infinity], [RTZ, max], [RDN, max], [RUP, Infinity], [RMM, Infinity]] as const) {
    fx = { flags: 0 };
    same(mul(d(max), d(2), F64, rm, fx), want, `overflow under rm ${rm}`);
    assert.equal(fx.flags, OF | NX);
    fx = { flags: 0 };
    same(mul(d(-max), d(2), F64, rm, fx), rm === RUP || rm === RTZ ? -max : -Infinity, `negative overflow under rm ${rm}`);
  }
  // 2^-1022 · (1 − 2^-53) is tiny before rounding; it rounds to 2^-1022 under RNE, which is not tiny
  // after rounding with an unbounded exponent only if that rounding also reaches 2^-1022: it does.
  const justBelow = unpack((1n << 52n) - 1n, F64); // the largest subnormal, (1 − 2^-52) · 2^-1022
  fx = { flags: 0 };
  same(mul(justBelow, d(1 + 2 ** -52), F64, RNE, fx), 2 ** -1022, "rounds up to the smallest normal");
  assert.equal(fx.flags, NX, "not tiny after rounding: no UF (RISC-V detects tininess after rounding)");
  fx = { flags: 0 };
  mul(d(2 ** -1000), d(2 ** -60 + 2 ** -112), F64, RNE, fx);
  assert.equal(fx.flags, NX | UF, "a subnormal inexact result underflows");
  fx = { flags: 0 };
  mul(d(2 ** -1000), d(2 ** -60), F64, RNE, fx);
  assert.equal(fx.flags, 0, "an exact subnormal result does not underflow");
  fx = { flags: 0 };
  same(div(d(1), d(-0), F64, RNE, fx), -Infinity, "1 / -0");
  assert.equal(fx.flags, DZ);
  fx = { flags: 0 };
  same(add(d(Infinity), d(-Infinity), F64, RNE, fx), NaN, "inf - inf");
  assert.equal(fx.flags, NV);
  fx = { flags: 0 };
  same(sqrt(d(-1), F64, RNE, fx), NaN, "sqrt -1");
  assert.equal(fx.flags, NV);
  fx = { flags: 0 };
  same(sqrt(d(-0), F64, RNE, fx), -0, "sqrt -0");
  assert.equal(fx.flags, 0);
});

test("exact cancellation gives +0, or -0 when rounding down; fma rounds once", () => {
  same(add(d(1), d(-1), F64, RNE, { flags: 0 }), 0, "1 - 1");
  same(add(d(1), d(-1), F64, RDN, { flags: 0 }), -0, "1 - 1 rounding down");
  same(add(d(-0), d(-0), F64, RNE, { flags: 0 }), -0, "-0 + -0");
  // (1 + 2^-52)^2 - 1 = 2^-51 + 2^-104: one rounding keeps the 2^-104 term, two would lose it.
  const x = 1 + 2 ** -52;
  same(fma(d(x), d(x), d(-1), F64, RNE, { flags: 0 }), 2 ** -51 + 2 ** -104, "fused");
  const fx = { flags: 0 };
  same(fma(d(Infinity), d(0), unpack(F64.canonicalNaN, F64), F64, RNE, fx), NaN, "inf * 0 + qNaN");
  assert.equal(fx.flags, NV, "inf * 0 is invalid even with a quiet NaN addend");
});

test("directed rounding of an inexact quotient: 1/3 in each mode", () => {
  const third = 1 / 3; // RNE rounds 1/3 down
  const up = valueOf(bitsOf(third) + 1n);
  for (const [rm, pos, neg] of [[RNE, third, -third], [RTZ, third, -third], [RDN, third, -up], [RUP, up, -third], [RMM, third, -third]] as const) {
    same(div(d(1), d(3), F64, rm, { flags: 0 }), pos, `1/3 rm ${rm}`);
    same(div(d(-1), d(3), F64, rm, { flags: 0 }), neg, `-1/3 rm ${rm}`);
  }
  same(add(d(1), d(2 ** -53), F64, RMM, { flags: 0 }), 1 + 2 ** -52, "a tie rounds away under RMM");
  same(add(d(1), d(2 ** -53), F64, RNE, { flags: 0 }), 1, "a tie rounds to even under RNE");
});

test("conversions to integers saturate with NV at the limits and for NaN", () => {
  const cases: [number, 32 | 64, boolean, bigint, number][] = [
    [2 ** 31, 32, true, 2n ** 31n - 1n, NV], [-(2 ** 31), 32, true, -(2n ** 31n), 0], [-(2 ** 31) - 1, 32, true, -(2n ** 31n), NV],
    [NaN, 32, true, 2n ** 31n - 1n, NV], [NaN, 32, false, 2n ** 32n - 1n, NV], [-Infinity, 64, false, 0n, NV],
    [-0.4, 32, false, 0n, NX], [-1, 32, false, 0n, NV], [2 ** 64, 64, false, 2n ** 64n - 1n, NV], [2.5, 64, true, 2n, NX],
    [-(2 ** 63), 64, true, -(2n ** 63n), 0], [2 ** 63, 64, true, 2n ** 63n - 1n, NV],
  ];
  for (const [x, bits, signed, want, flags] of cases) {
    const fx = { flags: 0 };
    assert.equal(toInt(d(x), bits, signed, RNE, fx), want, `${x} → ${signed ? "" : "u"}int${bits}`);
    assert.equal(fx.flags, flags, `${x} → ${signed ? "" : "u"}int${bits} flags`);
  }
  const fx = { flags: 0 };
  assert.equal(fromInt(2n ** 53n + 1n, F64, RNE, fx), bitsOf(2 ** 53));
  assert.equal(fx.flags, NX);
  assert.equal(fromInt(-(2n ** 63n), F64, RNE, { flags: 0 }), bitsOf(-(2 ** 63)));
});

test("fclass names every class", () => {
  const classes = [-Infinity, -1, -(2 ** -1074), -0, 0, 2 ** -1074, 1, Infinity].map((x) => fclass(d(x)));
  assert.deepEqual(classes, [1, 2, 4, 8, 16, 32, 64, 128]);
  assert.equal(fclass(unpack(0x7ff0000000000001n, F64)), 256);
  assert.equal(fclass(unpack(F64.canonicalNaN, F64)), 512);
});

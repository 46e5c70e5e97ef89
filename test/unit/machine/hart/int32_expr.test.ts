import assert from "node:assert/strict";
import { test } from "node:test";
import { borrow, carry, geu, gtu, ltu } from "../../../../src/machine/hart/int32_expr";

/** Edge values of a 32-bit half, as int32, and a few random ones. */
const EDGES = [0, 1, 2, 0x7fff_fffe, 0x7fff_ffff, -0x8000_0000, -0x7fff_ffff, -2, -1, 2047, -2048, 0x1234_5678, -0x1234_5678];
let seed = 12345;
const rand = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) | 0);
const VALUES = [...EDGES, ...Array.from({ length: 40 }, rand)];

/** Evaluates a generated expression with a, b and s bound. */
function run(expr: string, a: number, b: number, s: number): unknown {
  return new Function("a", "b", "s", `return ${expr};`)(a, b, s);
}

const u = (x: number): number => x >>> 0;

test("ltu, geu and gtu compare int32 halves as unsigned, for registers and literals", () => {
  for (const a of VALUES) for (const b of VALUES) {
    assert.equal(run(ltu("a", "b"), a, b, 0), u(a) < u(b), `${a} <u ${b}`);
    assert.equal(run(geu("a", "b"), a, b, 0), u(a) >= u(b), `${a} >=u ${b}`);
    assert.equal(run(gtu("a", "b"), a, b, 0), u(a) > u(b), `${a} >u ${b}`);
    const lit = b < 0 ? `(${b})` : `${b}`;
    assert.equal(run(ltu("a", lit), a, 0, 0), u(a) < u(b), `${a} <u literal ${lit}`);
  }
});

test("carry is the carry out of the low word of a + b, for a register b and for literals of either sign", () => {
  for (const a of VALUES) for (const b of VALUES) {
    const want = u(a) + u(b) >= 2 ** 32 ? 1 : 0;
    const s = (a + b) | 0;
    assert.equal(run(carry("a", "b", "s"), a, b, s), want, `${a} + ${b}`);
    const lit = b < 0 ? `(${b})` : `${b}`;
    assert.equal(run(carry("a", lit, "s"), a, 0, s), want, `${a} + literal ${lit}`);
  }
});

test("borrow is the borrow out of the low word of a - b", () => {
  for (const a of VALUES) for (const b of VALUES) {
    assert.equal(run(borrow("a", "b", "s"), a, b, (a - b) | 0), u(a) < u(b) ? 1 : 0, `${a} - ${b}`);
  }
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { evaluateLocation, evaluateValue, NoValue, type ExprFrame } from "../../../src/asm/dwarf/expression";
import { locate } from "../../../src/asm/dwarf/locations";

/** A frame with sp = 0x1000, s0 = 0x2000, a0 = 5, a1 unknown, memory of 8-byte words w(addr) = addr * 3. */
const frame: ExprFrame = {
  reg: (n) => new Map([[2, 0x1000n], [8, 0x2000n], [10, 5n]]).get(n),
  read: (a, n) => (a < 0x10000n ? Uint8Array.from({ length: n }, (_, i) => Number(((a * 3n) >> BigInt(8 * i)) & 0xffn)) : null),
  frameBase: () => 0x3000n,
  cfa: () => 0x3000n,
  entryValue: (e) => (e[0] === 0x5a ? 42n : "optimized out"),
};

const sleb = (v: number) => {
  const out: number[] = [];
  for (;;) {
    const b = v & 0x7f;
    v >>= 7;
    if ((v === 0 && !(b & 0x40)) || (v === -1 && b & 0x40)) return [...out, b];
    out.push(b | 0x80);
  }
};
const expr = (...bytes: number[]) => Uint8Array.from(bytes);

describe("DWARF expressions", () => {
  it("gives a register, a stack slot, a frame slot and a static address as gcc writes them", () => {
    assert.deepEqual(evaluateLocation(expr(0x5a), frame), [{ where: { kind: "register", reg: 10 } }]);
    assert.deepEqual(evaluateLocation(expr(0x72, ...sleb(-8)), frame), [{ where: { kind: "memory", address: 0xff8n } }]);
    assert.deepEqual(evaluateLocation(expr(0x91, ...sleb(-40)), frame), [{ where: { kind: "memory", address: 0x3000n - 40n } }]);
    assert.deepEqual(evaluateLocation(expr(0x03, 0x90, 0x10, 0, 0x80, 0, 0, 0, 0), frame), [{ where: { kind: "memory", address: 0x80001090n } }]);
    assert.deepEqual(evaluateLocation(expr(0x9c), frame), [{ where: { kind: "memory", address: 0x3000n } }]);
  });

  it("computes values: DW_OP_stack_value over arithmetic, literals and constants, and DW_OP_implicit_value", () => {
    // gcc's call value `s0 * 70000 + s1` shape: breg8 0; const4u 70000; mul; breg10 0; plus.
    const call = expr(0x78, 0, 0x0c, 0x70, 0x11, 0x01, 0x00, 0x1e, 0x7a, 0, 0x22);
    assert.equal(evaluateValue(call, frame), 0x2000n * 70000n + 5n);
    assert.deepEqual(evaluateLocation(expr(0x30, 0x9f), frame), [{ where: { kind: "value", value: 0n } }]);
    assert.deepEqual(evaluateLocation(expr(0x11, ...sleb(-3), 0x35, 0x1c, 0x9f), frame), [{ where: { kind: "value", value: (1n << 64n) - 8n } }]);
    assert.deepEqual(evaluateLocation(expr(0x9e, 2, 0x34, 0x12), frame), [{ where: { kind: "implicit", bytes: expr(0x34, 0x12) } }]);
    // deref, a comparison and branches: (w(0x100) == 0x300) ? 7 : 9, then 9 for a false test.
    const choose = (v: number) => expr(0x0a, 0x00, 0x01, 0x06, 0x0a, 0x00, v, 0x29, 0x28, 4, 0, 0x39, 0x2f, 1, 0, 0x37);
    assert.equal(evaluateValue(choose(0x03), frame), 7n);
    assert.equal(evaluateValue(choose(0x04), frame), 9n);
    // rot: 1 2 3 → 3 1 2, so minus, minus gives 3 - (1 - 2) = 4; swap: 2 - 5; over, dup: 5 2 5 5, so 5 + (2 - 10).
    assert.equal(evaluateValue(expr(0x31, 0x32, 0x33, 0x17, 0x1c, 0x1c), frame), 4n);
    assert.equal(BigInt.asIntN(64, evaluateValue(expr(0x35, 0x32, 0x16, 0x1c), frame)), -3n);
    assert.equal(BigInt.asIntN(64, evaluateValue(expr(0x35, 0x32, 0x14, 0x12, 0x22, 0x1c, 0x22), frame)), 5n + (2n - 10n));
  });

  it("computes with typed values: floats from constants and f registers, and conversions (gcc -Og's float arithmetic)", () => {
    const types = (offset: number) => new Map([[0x2e, { encoding: 4, size: 4 }], [0x35, { encoding: 4, size: 8 }], [0x40, { encoding: 5, size: 4 }]]).get(offset);
    const fa3 = { ...frame, reg: (n: number) => (n === 45 ? 0xffffffff_40400000n : frame.reg(n)) }; // 3.0f, NaN-boxed
    // gcc's `1.0f / k` kept as: const_type float 1.0; regval_type fa3 float; div; stack_value.
    const third = expr(0xa4, 0x2e, 4, 0, 0, 0x80, 0x3f, 0xa5, 45, 0x2e, 0x1b, 0x9f);
    assert.deepEqual(evaluateLocation(third, fa3, 8, types), [{ where: { kind: "value", value: 0x3eaaaaabn } }]);
    // lit7 converted to double, times 0.5 (const_type double), converted to int: 3.
    const half = expr(0x37, 0xa8, 0x35, 0xa4, 0x35, 8, 0, 0, 0, 0, 0, 0, 0xe0, 0x3f, 0x1e, 0xa8, 0x40, 0x9f);
    assert.deepEqual(evaluateLocation(half, fa3, 8, types), [{ where: { kind: "value", value: 3n } }]);
    assert.match(String(locate({ kind: "expr", expr: third, addressSize: 8 }, 0n, fa3)), /base type at unit offset 0x2e that is not there/);
  });

  it("splits a value into pieces: a register, a computed part, and a part optimized out", () => {
    assert.deepEqual(evaluateLocation(expr(0x5a, 0x93, 4, 0x35, 0x9f, 0x93, 4, 0x93, 8), frame), [
      { where: { kind: "register", reg: 10 }, size: 4 },
      { where: { kind: "value", value: 5n }, size: 4 },
      { where: { kind: "optimized" }, size: 8 },
    ]);
  });

  it("answers DW_OP_entry_value from the frame, and an empty expression is optimized out", () => {
    assert.deepEqual(evaluateLocation(expr(0xa3, 1, 0x5a, 0x9f), frame), [{ where: { kind: "value", value: 42n } }]);
    assert.deepEqual(locate({ kind: "expr", expr: expr(0xa3, 1, 0x5b, 0x9f), addressSize: 8 }, 0n, frame), "optimized out");
    assert.deepEqual(evaluateLocation(expr(), frame), [{ where: { kind: "optimized" } }]);
  });

  it("says why when the frame cannot give what an expression needs", () => {
    assert.equal(locate({ kind: "expr", expr: expr(0x7b, 0), addressSize: 8 }, 0n, frame), "optimized out", "a1 was not recovered");
    assert.equal(locate({ kind: "expr", expr: expr(0x08, 0xff, 0x06), addressSize: 8 }, 0n, { ...frame, read: () => null }), "cannot read 8 bytes at 0xff");
    assert.match(String(locate({ kind: "expr", expr: expr(0xe0), addressSize: 8 }, 0n, frame)), /op 0xe0 not supported/);
    assert.match(String(locate({ kind: "expr", expr: expr(0x22), addressSize: 8 }, 0n, frame)), /^malformed location: .*empty stack/);
    assert.throws(() => evaluateValue(expr(0x5b), frame), NoValue);
  });

  it("any byte string evaluates or says why, never throws", () => {
    let seed = 12345;
    const next = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 0xff;
    for (let n = 0; n < 20000; n++) {
      const bytes = Uint8Array.from({ length: 1 + (n % 12) }, next);
      const r = locate({ kind: "expr", expr: bytes, addressSize: 8 }, 0n, frame);
      assert.ok(typeof r === "string" || Array.isArray(r));
    }
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { DebugProtocol } from "@vscode/debugprotocol";
import type { ExprFrame } from "../../../src/asm/dwarf/expression";
import { ATE, type CType } from "../../../src/asm/dwarf/types";
import { placeOf } from "../../../src/debug/c_frame";
import { cVariable, floatText, type CValueContext } from "../../../src/debug/c_values";

const int: CType = { kind: "base", name: "int", size: 4, encoding: ATE.signed };
const pair: CType = { kind: "struct", keyword: "struct", name: "pair", size: 8, members: [{ name: "lo", offset: 0, type: int, bitField: false }, { name: "hi", offset: 4, type: int, bitField: false }] };
const frame: ExprFrame = { reg: (n) => (n === 10 ? 0xffff_ffff_ffff_fffen : undefined), read: () => null };

/** The variables view of a value, children included, as `name = value` lines. */
function show(type: CType, pieces: Parameters<typeof placeOf>[0]): string[] {
  const children = new Map<number, () => DebugProtocol.Variable[]>();
  const ctx: CValueContext = { read: () => null, ref: (f) => (children.set(children.size + 1, f), children.size) };
  const v = cVariable("v", type, placeOf(pieces, type, frame), ctx);
  const kids = v.variablesReference ? children.get(v.variablesReference)!() : [];
  return [`v = ${v.value}`, ...kids.map((k) => `${k.name} = ${k.value}`)];
}

describe("values outside memory", () => {
  it("an int in a register is its low bytes, with no memory reference", () => {
    const v = cVariable("x", int, placeOf([{ where: { kind: "register", reg: 10 } }], int, frame), { read: () => null, ref: () => 0 });
    assert.equal(v.value, "-2");
    assert.equal(v.memoryReference, undefined);
  });

  it("a struct in pieces shows each member from its piece, and an optimized-out piece as gdb does", () => {
    assert.deepEqual(show(pair, [{ where: { kind: "register", reg: 10 }, size: 4 }, { where: { kind: "value", value: 7n }, size: 4 }]), ["v = {...}", "lo = -2", "hi = 7"]);
    assert.deepEqual(show(pair, [{ where: { kind: "value", value: 3n }, size: 4 }, { where: { kind: "optimized" }, size: 4 }]), ["v = {...}", "lo = 3", "hi = <optimized out>"]);
    assert.deepEqual(show(pair, [{ where: { kind: "register", reg: 11 }, size: 4 }, { where: { kind: "optimized" }, size: 4 }]), ["v = <optimized out>"]);
    assert.deepEqual(show(int, "optimized out"), ["v = <optimized out>"]);
  });
});

describe("floating-point values", () => {
  const bits64 = (v: number) => new BigUint64Array(new Float64Array([v]).buffer)[0];
  const bits32 = (v: number) => BigInt(new Uint32Array(new Float32Array([v]).buffer)[0]);
  it("print as gdb-multiarch prints them (its output for the same numbers)", () => {
    const doubles: [number, string][] = [[0.1, "0.10000000000000001"], [1e-5, "1.0000000000000001e-05"], [1e20, "1e+20"], [100, "100"], [1.2345678901234568e17, "1.2345678901234568e+17"], [0.0001, "0.0001"], [Infinity, "inf"]];
    for (const [v, text] of doubles) assert.equal(floatText(bits64(v), 8), text, String(v));
    assert.equal(floatText(bits32(0.1), 4), "0.100000001");
    assert.equal(floatText(bits32(1e10), 4), "1e+10");
    assert.equal(floatText(0x7ff8000000000000n, 8), "nan(0x8000000000000)");
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { DebugProtocol } from "@vscode/debugprotocol";
import type { ExprFrame } from "../../../src/asm/dwarf/expression";
import { ATE, type CType } from "../../../src/asm/dwarf/types";
import { placeOf } from "../../../src/debug/c_frame";
import { cVariable, type CValueContext } from "../../../src/debug/c_values";

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

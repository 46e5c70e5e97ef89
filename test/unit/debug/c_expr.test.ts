import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ATE, type CType } from "../../../src/asm/dwarf/types";
import { floatText, type CValueContext, type Place } from "../../../src/debug/c_values";
import { evaluateC, type CScope, type CValue } from "../../../src/debug/c_expr/evaluate";
import { formatScalar, valueText } from "../../../src/debug/c_expr/format";
import { cFirst, type ParsedC } from "../../../src/debug/c_expr/in_frame";
import { parseC } from "../../../src/debug/c_expr/parse";
import { ExprError } from "../../../src/debug/expressions";

const int: CType = { kind: "base", name: "int", size: 4, encoding: ATE.signed };
const uchar: CType = { kind: "base", name: "unsigned char", size: 1, encoding: ATE.unsignedChar };
const char: CType = { kind: "base", name: "char", size: 1, encoding: ATE.unsignedChar };
const short: CType = { kind: "base", name: "short int", size: 2, encoding: ATE.signed };
const u32: CType = { kind: "typedef", name: "u32", target: { kind: "base", name: "unsigned int", size: 4, encoding: ATE.unsigned } };
const voidp: CType = { kind: "pointer", size: 8, target: { kind: "void" } };
const shorts: CType = { kind: "array", element: short, count: 14 };
const text: CType = { kind: "array", element: char, count: 16 };
const pair: CType = { kind: "struct", keyword: "struct", name: "pair", size: 8, members: [{ name: "lo", offset: 0, type: int, bitField: false }, { name: "hi", offset: 4, type: int, bitField: false }] };

/** 64 bytes of guest memory at 0x1000: `text` ("ab" and NULs) at 0x1000, `shorts` at 0x1010, `big` (u32) at 0x1030. */
const memory = new Uint8Array(64);
memory.set([0x61, 0x62], 0);
for (let i = 0; i < 14; i++) memory.set([i < 12 ? 7 : i, 0], 16 + 2 * i);
memory.set([0xff, 0xff, 0xff, 0xff], 48);
const read = (addr: bigint, size: number) => (addr >= 0x1000n && addr + BigInt(size) <= 0x1040n ? memory.slice(Number(addr - 0x1000n), Number(addr - 0x1000n) + size) : null);
const vars = new Map<string, { type: CType; place: Place }>([
  ["text", { type: text, place: 0x1000n }], ["shorts", { type: shorts, place: 0x1010n }], ["big", { type: u32, place: 0x1030n }],
  ["vp", { type: voidp, place: 0x1038n }], ["gone", { type: int, place: "the frame is not set up yet (pc is in the prologue)" }],
  // Held outside memory at -Og: an int in a register, and a struct in two pieces whose second was optimized out.
  ["reg", { type: int, place: { bytes: new Uint8Array([0xfe, 0xff, 0xff, 0xff]) } }],
  ["half", { type: pair, place: { bytes: new Uint8Array([5, 0, 0, 0, 0, 0, 0, 0]), missing: [false, false, false, false, true, true, true, true] } }],
]);
const scope: CScope = { variable: (n) => vars.get(n), typeNamed: (s) => (s === "u32" ? u32 : undefined), read };
const ctx: CValueContext = { read, ref: () => 0 };

function run(expr: string): CValue & { text: string } {
  const v = evaluateC(parseC(expr, (n) => n === "u32"), scope);
  return { ...v, text: "raw" in v ? String(v.raw) : valueText(v.type, "addr" in v ? v.addr : v.bytes, ctx) };
}

const typeOf = (v: CValue) => (v.type.kind === "base" || v.type.kind === "typedef" ? v.type.name : v.type.kind);

describe("C expressions: parsing", () => {
  test("casts to typedefs, sizeof, postfix chains and C precedence", () => {
    assert.deepEqual(parseC("(u32)x + 1", (n) => n === "u32"), {
      k: "binary", op: "+", a: { k: "cast", type: { base: "u32", pointers: 0 }, e: { k: "id", name: "x" } }, b: { k: "int", v: 1n, unsigned: false, long: false },
    });
    // Without the typedef, (u32) is a parenthesized variable.
    assert.equal(parseC("(u32)", () => false).k, "id");
    assert.deepEqual(parseC("*(struct trapframe **)p->tf[2]", () => false), {
      k: "unary", op: "*", e: { k: "cast", type: { base: "struct trapframe", pointers: 2 }, e: { k: "index", e: { k: "member", e: { k: "id", name: "p" }, name: "tf", arrow: true }, index: { k: "int", v: 2n, unsigned: false, long: false } } },
    });
    assert.deepEqual(parseC("sizeof(unsigned long)", () => false), { k: "sizeof", of: { base: "unsigned long", pointers: 0 } });
  });

  test("literals take C's types; bad text is a located syntax error", () => {
    assert.deepEqual(parseC("0xffffffff", () => false), { k: "int", v: 0xffffffffn, unsigned: true, long: false });
    assert.deepEqual(parseC("4294967295", () => false), { k: "int", v: 4294967295n, unsigned: false, long: true });
    assert.deepEqual(parseC("010", () => false), { k: "int", v: 8n, unsigned: false, long: false });
    assert.deepEqual(parseC("'\\n'", () => false), { k: "char", v: 10n });
    assert.throws(() => parseC("a +* ", () => false), new ExprError("A syntax error in expression, near the end."));
    assert.throws(() => parseC("a b", () => false), new ExprError("A syntax error in expression, near 'b' at column 3."));
    assert.throws(() => parseC("12ab", () => false), new ExprError('Invalid number "12ab".'));
    assert.throws(() => parseC("a @ b", () => false), new ExprError("Invalid character '@' in expression."));
  });
});

describe("C expressions: evaluation", () => {
  test("integer arithmetic follows C's promotions and conversions (LP64)", () => {
    const check = (expr: string, value: string, type: string) => {
      const v = run(expr);
      assert.deepEqual([v.text, typeOf(v)], [value, type], expr);
    };
    check("big", "4294967295", "u32");
    check("big + 1", "0", "unsigned int");
    check("big + 1L", "4294967296", "long");
    check("-1 < big", "0", "int"); // -1 converts to unsigned int
    check("-1L < big", "1", "int");
    check("shorts[0] * 3", "21", "int");
    check("-7 / 2", "-3", "int");
    check("1 << 40", "0", "int"); // shifting an int by its width or more
    check("1L << 40", "1099511627776", "long");
    check("sizeof shorts / sizeof shorts[0]", "14", "int");
    check("'a' + 1", "98", "int");
  });

  test("pointers: arrays decay, arithmetic scales, void * counts bytes, & and * undo each other", () => {
    assert.equal(run("&shorts[3] - &shorts[1]").text, "2");
    assert.equal(run("*(&shorts[0] + 12)").text, "12");
    assert.equal(run("(char *)vp + 3").text, "3", "vp is NULL");
    assert.equal(run("(int *)vp + 3").text, "12");
    assert.equal(run("vp + 3").text, "3");
    assert.equal(run("*&big").text, "4294967295");
    assert.equal(run("text[1]").text, "98 'b'");
    assert.equal(run("*text").text, "97 'a'");
  });

  test("errors are gdb's, and a variable that cannot be read says why", () => {
    const fails = (expr: string, message: string) => assert.throws(() => run(expr), new ExprError(message), expr);
    fails("nope", 'No symbol "nope" in current context.');
    fails("*big", "Attempt to take contents of a non-pointer value.");
    fails("*vp", "Attempt to take contents of a non-pointer value.");
    fails("big[0]", "cannot subscript something of type `u32'");
    fails("big.x", "Attempt to extract a component of a value that is not a structure.");
    fails("&1", "Attempt to take address of value not located in memory.");
    fails("big % 0", "Division by zero");
    fails("(struct s)big", "No struct type named s.");
    fails("gone + 1", "'gone' cannot be read here: the frame is not set up yet (pc is in the prologue)");
    fails("*(int *)0 + 1", "Cannot access memory at address 0x0");
  });

  test("values held in registers and pieces: members, arithmetic, and no address", () => {
    assert.equal(run("reg").text, "-2");
    assert.equal(run("reg * 3 + 1").text, "-5");
    assert.equal(run("half.lo + 1").text, "6");
    assert.equal(run("half").text, "{lo = 5, hi = <optimized out>}");
    assert.throws(() => run("half.hi + 1"), new ExprError("value has been optimized out"));
    assert.throws(() => run("&reg"), new ExprError("Attempt to take address of value not located in memory."));
  });
});

describe("C values as gdb prints them", () => {
  test("a char array: the text, long runs as repeats, the last NUL dropped", () => {
    assert.equal(valueText(text, 0x1000n, ctx), "\"ab\", '\\000' <repeats 13 times>");
    assert.equal(valueText({ kind: "array", element: char, count: 3 }, 0x1000n, ctx), '"ab"');
    assert.equal(valueText({ kind: "array", element: uchar, count: 2 }, 0x1000n, ctx), '"ab"');
  });

  test("an array of numbers: a run of more than ten equal elements is one repeat", () => {
    assert.equal(valueText(shorts, 0x1010n, ctx), "{7 <repeats 12 times>, 12, 13}");
    assert.equal(valueText({ kind: "array", element: short, count: 10 }, 0x1010n, ctx), "{7, 7, 7, 7, 7, 7, 7, 7, 7, 7}");
  });

  test("doubles and floats with %g's 17 and 9 digits; p/FMT on an int's bits", () => {
    const bits = (x: number) => {
      const v = new DataView(new ArrayBuffer(8));
      v.setFloat64(0, x);
      return v.getBigUint64(0);
    };
    assert.equal(floatText(bits(0.1), 8), "0.10000000000000001");
    assert.equal(floatText(bits(1.5), 8), "1.5");
    assert.equal(floatText(bits(1e20), 8), "1e+20");
    assert.equal(floatText(bits(-2.5e-7), 8), "-2.4999999999999999e-07");
    assert.equal(floatText(0x3dcccccdn, 4), "0.100000001");
    assert.equal(floatText(0x7fc00000n, 4), "nan(0x400000)");
    assert.equal(formatScalar(0xfffffff6n, 4, "x"), "0xfffffff6");
    assert.equal(formatScalar(0xfffffff6n, 4, "d"), "-10");
    assert.equal(formatScalar(65n, 1, "c"), "65 'A'");
  });
});

describe("which language reads an expression in a C frame", () => {
  const parse = (text: string): ParsedC => {
    parseC(text, () => false);
    return {
      evaluate: () => {
        if (text === "known") return { name: text, value: "C", variablesReference: 0 };
        throw new ExprError(`No symbol "${text}" in current context.`);
      },
      scalar: () => undefined,
      address: () => 0n,
      object: () => undefined,
    };
  };
  const read = (text: string, machine: () => string) => cFirst(parse, text, (c) => c.evaluate().value, machine);
  const machineFails = () => {
    throw new ExprError("the machine's error");
  };

  test("C first; the machine's language when C cannot; C's error when neither can", () => {
    assert.equal(read("known", () => "machine"), "C");
    assert.equal(read("sp", () => "machine"), "machine", "not a C variable: the machine's register");
    assert.equal(read("a0 = 1", () => "machine"), "machine", "not C: the machine's assignment");
    assert.throws(() => read("nosuch", machineFails), new ExprError('No symbol "nosuch" in current context.'));
    assert.throws(() => read("p->", machineFails), /A syntax error in expression/, "neither parses it: C's syntax error");
    assert.throws(() => read("$nosuch", machineFails), new ExprError("the machine's error"), "the machine's syntax: its error");
    assert.equal(cFirst(undefined, "known", () => "C", () => "machine"), "machine", "not a C frame");
  });
});

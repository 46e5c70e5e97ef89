import { test } from "node:test";
import assert from "node:assert/strict";
import { createVirtBoard } from "../../../src/machine/virt";
import { NativeTarget } from "../../../src/target/native_target";
import { assignExpr, evaluate, ExprError, memoryOf, parseExpression, type ExprEnv } from "../../../src/debug/expressions";
import { SymbolTable } from "../../../src/debug/symbols";

function env(): ExprEnv {
  const board = createVirtBoard({ memoryBytes: 64 * 1024 });
  board.load({ entry: 0x80000000n, segments: [{ paddr: 0x80000100, data: Uint8Array.from([0x78, 0x56, 0x34, 0x12, 0xff, 0xff, 0xff, 0xff]), memsz: 8 }] });
  const symbols = [{ name: "data", address: 0x80000100n, size: 8n, isFunction: false }, { name: "$xrv64", address: 0x80000000n, size: 0n, isFunction: false }];
  const target = new NativeTarget(board, symbols, []);
  target.setReg(10, 5n);
  target.setReg(2, 0x80000100n);
  return { target, symbols: new SymbolTable(symbols), convenience: new Map([["priv", 3n]]) };
}

test("arithmetic follows C precedence over 64-bit values", () => {
  const e = env();
  assert.equal(evaluate("1 + 2 * 3", e), 7n);
  assert.equal(evaluate("(1 + 2) * 3", e), 9n);
  assert.equal(evaluate("1 << 4 | 1", e), 17n);
  assert.equal(evaluate("-1", e), (1n << 64n) - 1n);
  assert.equal(evaluate("-7 / 2", e), BigInt.asUintN(64, -3n), "signed division truncates");
  assert.equal(evaluate("-1 < 1", e), 1n, "comparisons are signed");
  assert.equal(evaluate("0x10 == 16 && 0b11 == 3 && 0o17 == 15 && 'A' == 65", e), 1n);
  assert.equal(evaluate("!0 + ~0", e), 0n);
  assert.equal(evaluate("1_000", e), 1000n);
});

test("registers, symbols, convenience values and memory", () => {
  const e = env();
  assert.equal(evaluate("a0 + x10 + fp", e), 10n);
  assert.equal(evaluate("data", e), 0x80000100n);
  assert.equal(evaluate("*(u32*)data", e), 0x12345678n);
  assert.equal(evaluate("*(u8*)(sp + 1)", e), 0x56n);
  assert.equal(evaluate("*(i32*)(data + 4)", e), (1n << 64n) - 1n);
  assert.equal(evaluate("*(u32*)(data + 4)", e), 0xffffffffn);
  assert.equal(evaluate("(u16)0x12345", e), 0x2345n);
  assert.equal(evaluate("$priv", e), 3n);
  assert.equal(evaluate("mstatus.MPP", e), 0n);
  assert.throws(() => evaluate("$xrv64", e), /no convenience value/, "mapping symbols are not symbols");
});

test("errors are ExprErrors that say what is wrong", () => {
  const e = env();
  const cases: [string, RegExp][] = [
    ["", /empty/], ["1 +", /incomplete/], ["(1", /expected '\)'/], ["1 2", /unexpected '2'/], ["@", /unexpected '@'/],
    ["nosuch", /no register, CSR or symbol named 'nosuch'/], ["*(u64*)0", /cannot read 8 bytes at 0x0/], ["5 % 0", /division by zero/],
    ["satp.NOPE", /satp has no field 'NOPE'; its fields are PPN, ASID, MODE/], ["a0 = 1", /assignment/],
  ];
  for (const [text, re] of cases) assert.throws(() => evaluate(text, e), (err: unknown) => err instanceof ExprError && re.test(err.message), text);
});

test("assignment to registers, CSR fields and memory", () => {
  const e = env();
  const set = (text: string) => {
    const { target, value } = parseExpression(text);
    return assignExpr(target!, evaluate(text.split("=")[1], e), e) && value;
  };
  set("a1 = a0 * 2");
  assert.equal(evaluate("a1", e), 10n);
  set("mstatus.MPP = 1");
  assert.equal(evaluate("mstatus.MPP", e), 1n);
  set("*(u16*)data = 0xbeef");
  assert.equal(evaluate("*(u32*)data", e), 0x1234beefn);
  assert.throws(() => set("zero = 1"), /hard-wired/);
  assert.throws(() => set("1 = 2"), /left side/);
  assert.throws(() => set("*(u32*)0x10 = 1"), /no writable RAM/);
});

test("memoryOf finds the bytes a data breakpoint would watch", () => {
  const e = env();
  assert.deepEqual(memoryOf("*(u16*)(data + 2)", e), { addr: 0x80000102n, bytes: 2 });
  assert.deepEqual(memoryOf("data", e), { addr: 0x80000100n, bytes: 8 });
  assert.equal(memoryOf("a0 + 1", e), undefined);
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { Board } from "../../../../src/machine/board";
import { ins, li, program } from "./encode";
import { EBREAK } from "./harness";

const M64 = (1n << 64n) - 1n;
const s64 = (v: bigint) => BigInt.asIntN(64, v);
const u64 = (v: bigint) => BigInt.asUintN(64, v);
const s32 = (v: bigint) => BigInt.asIntN(32, v);
const w = (v: bigint) => u64(s32(v));
const MIN = -(1n << 63n);

/** The spec's definition of each operation on 64-bit values a and b (unsigned representations). */
const REF: Record<string, (a: bigint, b: bigint) => bigint> = {
  add: (a, b) => a + b, sub: (a, b) => a - b, sll: (a, b) => a << (b & 63n),
  slt: (a, b) => (s64(a) < s64(b) ? 1n : 0n), sltu: (a, b) => (a < b ? 1n : 0n),
  xor: (a, b) => a ^ b, srl: (a, b) => a >> (b & 63n), sra: (a, b) => s64(a) >> (b & 63n),
  or: (a, b) => a | b, and: (a, b) => a & b,
  addw: (a, b) => w(a + b), subw: (a, b) => w(a - b), sllw: (a, b) => w(a << (b & 31n)),
  srlw: (a, b) => w((a & 0xffffffffn) >> (b & 31n)), sraw: (a, b) => w(s32(a) >> (b & 31n)),
  mul: (a, b) => a * b, mulh: (a, b) => (s64(a) * s64(b)) >> 64n, mulhsu: (a, b) => (s64(a) * b) >> 64n,
  mulhu: (a, b) => (a * b) >> 64n,
  div: (a, b) => (b === 0n ? -1n : s64(a) === MIN && s64(b) === -1n ? MIN : s64(a) / s64(b)),
  divu: (a, b) => (b === 0n ? M64 : a / b),
  rem: (a, b) => (b === 0n ? a : s64(a) === MIN && s64(b) === -1n ? 0n : s64(a) % s64(b)),
  remu: (a, b) => (b === 0n ? a : a % b),
  mulw: (a, b) => w(a * b),
  divw: (a, b) => { const x = s32(a), y = s32(b); return w(y === 0n ? -1n : x === -(1n << 31n) && y === -1n ? x : x / y); },
  divuw: (a, b) => { const x = a & 0xffffffffn, y = b & 0xffffffffn; return w(y === 0n ? M64 : x / y); },
  remw: (a, b) => { const x = s32(a), y = s32(b); return w(y === 0n ? x : x === -(1n << 31n) && y === -1n ? 0n : x % y); },
  remuw: (a, b) => { const x = a & 0xffffffffn, y = b & 0xffffffffn; return w(y === 0n ? x : x % y); },
};

const EDGES = [0n, 1n, 2n, 3n, 7n, 31n, 32n, 33n, 63n, 64n, 0x7fffffffn, 0x80000000n, 0xffffffffn, 0x100000000n,
  (1n << 52n) + 12345n, 1n << 53n, u64(MIN), u64(MIN + 1n), u64(-1n), u64(-2n), u64(-7n), 0x7fffffffffffffffn,
  0x123456789abcdef0n, 0xfedcba9876543210n, u64(-(1n << 31n)), u64(-0x100000000n)];

function rng(seed: number): () => bigint {
  let s = seed;
  const next = () => { s = (Math.imul(s, 1664525) + 1013904223) | 0; return BigInt(s >>> 0); };
  return () => (next() << 32n) | next();
}

function pairs(): [bigint, bigint][] {
  const r = rng(42);
  const out: [bigint, bigint][] = [];
  for (const a of EDGES) for (const b of EDGES) out.push([a, b]);
  for (let i = 0; i < 200; i++) out.push([r(), r() >> BigInt(i % 64)]);
  return out;
}

test("R-type ALU, M and W operations match the spec on edge cases and random values", () => {
  const names = Object.keys(REF);
  const board = new Board({ memoryBytes: 64 * 1024 });
  for (const [a, b] of pairs()) {
    // a in x1, b in x2; op i writes x(3+i) for i < 28.
    const code = [...li(1, a), ...li(2, b), ...names.map((n, i) => ins(n, 3 + i, 1, 2)), EBREAK];
    board.load(program(code));
    board.hart.onTrap = () => true;
    assert.equal(board.run(10_000).kind, "trap");
    names.forEach((n, i) => {
      assert.equal(board.hart.getReg(3 + i), u64(REF[n](a, b)), `${n}(0x${a.toString(16)}, 0x${b.toString(16)})`);
    });
  }
});

const IMM_REF: Record<string, (a: bigint, i: number) => bigint> = {
  addi: (a, i) => a + BigInt(i), slti: (a, i) => (s64(a) < BigInt(i) ? 1n : 0n), sltiu: (a, i) => (a < u64(BigInt(i)) ? 1n : 0n),
  xori: (a, i) => a ^ u64(BigInt(i)), ori: (a, i) => a | u64(BigInt(i)), andi: (a, i) => a & u64(BigInt(i)),
  addiw: (a, i) => w(a + BigInt(i)),
};
const SHIFT_REF: Record<string, (a: bigint, s: number) => bigint> = {
  slli: (a, s) => a << BigInt(s), srli: (a, s) => a >> BigInt(s), srai: (a, s) => s64(a) >> BigInt(s),
  slliw: (a, s) => w(a << BigInt(s)), srliw: (a, s) => w((a & 0xffffffffn) >> BigInt(s)), sraiw: (a, s) => w(s32(a) >> BigInt(s)),
};

test("immediate ALU operations and shifts (including W forms and shift amount 0, 31, 32, 63)", () => {
  const board = new Board({ memoryBytes: 64 * 1024 });
  for (const a of EDGES) {
    const code: number[] = [...li(1, a)];
    const checks: [number, bigint, string][] = [];
    let r = 2;
    for (const imm of [-2048, -1, 0, 1, 2047]) {
      for (const [n, f] of Object.entries(IMM_REF)) { code.push(ins(n, r, 1, imm)); checks.push([r++, u64(f(a, imm)), `${n} ${imm}`]); }
      if (r > 28) break;
    }
    board.load(program([...code.slice(0, code.length), EBREAK]));
    board.hart.onTrap = () => true;
    board.run(10_000);
    for (const [reg, v, what] of checks.filter(([reg]) => reg < 32)) assert.equal(board.hart.getReg(reg), v, `${what} of 0x${a.toString(16)}`);
    const shifts: number[] = [...li(1, a)];
    const sc: [number, bigint, string][] = [];
    r = 2;
    for (const s of [0, 1, 31, 32, 63]) {
      for (const [n, f] of Object.entries(SHIFT_REF)) {
        if (n.endsWith("w") && s > 31) continue;
        if (r >= 32) break;
        shifts.push(ins(n, r, 1, s)); sc.push([r++, u64(f(a, s)), `${n} ${s}`]);
      }
    }
    board.load(program([...shifts, EBREAK]));
    board.hart.onTrap = () => true;
    board.run(10_000);
    for (const [reg, v, what] of sc) assert.equal(board.hart.getReg(reg), v, `${what} of 0x${a.toString(16)}`);
  }
});

test("lui/auipc/jal/jalr: values and link registers; x0 stays 0", () => {
  const board = new Board({ memoryBytes: 64 * 1024 });
  board.load(program([
    ins("lui", 1, 0x80000), // 0xffffffff80000000
    ins("auipc", 2, 0xfffff), // pc(0x80000004) - 4096
    ins("jal", 3, 8), // to 0x80000010, x3 = 0x8000000c
    EBREAK,
    ins("addi", 4, 0, 0x1d), // 0x80000010
    ins("auipc", 5, 0), // 0x80000014
    ins("jalr", 6, 5, 13), // target 0x80000021 & ~1 = 0x80000020, x6 = 0x8000001c
    EBREAK,
    ins("addi", 0, 0, 5), // 0x80000020
    ins("lui", 0, 1),
    EBREAK,
  ]));
  board.hart.onTrap = () => true;
  board.run(100);
  assert.equal(board.hart.getReg(1), 0xffffffff80000000n);
  assert.equal(board.hart.getReg(2), 0x80000004n - 4096n);
  assert.equal(board.hart.getReg(3), 0x8000000cn);
  assert.equal(board.hart.getReg(6), 0x8000001cn);
  assert.equal(board.hart.getReg(0), 0n);
  assert.equal(board.hart.mepc, 0x80000028n);
});

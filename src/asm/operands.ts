/**
 * Operand parsing shared by the instruction encoders (encode.ts, encode_fp.ts): splitting at commas,
 * registers, constant expressions and memory operands, each failing with a located message.
 */
import { ExprError, TokenStream, type Expr } from "./expr";
import type { Token } from "./lexer";
import type { FixKind } from "./object";
import { fpRegisterNumber, registerNumber } from "./registers";

/** What the operand parsers need from the assembler. */
export interface OperandContext {
  expr(ts: TokenStream): Expr;
  /** The value of an expression if it is a constant now (numbers and absolute symbols), else undefined. */
  constant(e: Expr): bigint | undefined;
}

export type Op = TokenStream;

export const fail = (msg: string, t: Token | { col: number; end?: number }): never => {
  throw new ExprError(msg, t.col, t.end);
};

/** Splits the operand tokens at top-level commas; each part ends with an `end` token. */
export function splitOperands(toks: Token[], endCol: number): Op[] {
  const ops: Op[] = [];
  if (toks.length === 0) return ops;
  let depth = 0;
  let cur: Token[] = [];
  for (const t of toks) {
    if (t.kind === "op" && t.text === "(") depth++;
    if (t.kind === "op" && t.text === ")") depth--;
    if (depth === 0 && t.kind === "op" && t.text === ",") {
      if (cur.length === 0) fail("expected an operand before ','", t);
      cur.push({ kind: "end", text: "", col: t.col, end: t.col });
      ops.push(new TokenStream(cur));
      cur = [];
      continue;
    }
    cur.push(t);
  }
  if (cur.length === 0) fail("expected an operand after ','", { col: endCol });
  cur.push({ kind: "end", text: "", col: endCol, end: endCol });
  ops.push(new TokenStream(cur));
  return ops;
}

export function reg(op: Op): number {
  const t = op.next();
  const r = t.kind === "name" ? registerNumber(t.text) : undefined;
  if (r === undefined) fail(`expected a register (x0-x31 or an ABI name such as a0), found '${t.text || "nothing"}'`, t);
  if (!op.atEnd) fail(`unexpected '${op.peek.text}' after register`, op.peek);
  return r!;
}

export function isReg(op: Op): boolean {
  const t = op.toks[0]!;
  return op.toks.length === 2 && t.kind === "name" && registerNumber(t.text) !== undefined;
}

export function wholeExpr(ctx: OperandContext, op: Op): Expr {
  const e = ctx.expr(op);
  if (!op.atEnd) fail(`unexpected '${op.peek.text}' after the expression`, op.peek);
  return e;
}

export function needConst(ctx: OperandContext, e: Expr, op: Op, what: string): bigint {
  const v = ctx.constant(e);
  if (v === undefined) fail(`expected ${what}, a constant expression`, op.toks[0]!);
  return v!;
}

export function inRange(v: bigint, lo: bigint, hi: bigint, what: string, op: Op): number {
  if (v < lo || v > hi) fail(`${what} ${v} is out of range; expected ${lo}..${hi}`, op.toks[0]!);
  return Number(v);
}

/** A memory operand: `imm(rs)`, `(rs)` or `imm` alone (then `base` is undefined). */
export function mem(ctx: OperandContext, op: Op): { off: Expr; base?: number } {
  if (op.isOp("(") && op.toks[1]?.kind === "name" && registerNumber(op.toks[1].text) !== undefined && op.toks[2]?.text === ")") {
    op.pos = 3;
    if (!op.atEnd) fail(`unexpected '${op.peek.text}' after the memory operand`, op.peek);
    return { off: { k: "num", v: 0n }, base: registerNumber(op.toks[1].text)! };
  }
  const off = ctx.expr(op);
  if (op.atEnd) return { off };
  if (!op.eat("(")) fail(`expected '(' and a base register after the offset`, op.peek);
  const t = op.next();
  const base = t.kind === "name" ? registerNumber(t.text) : undefined;
  if (base === undefined) fail(`expected a base register inside '( )', found '${t.text}'`, t);
  if (!op.eat(")")) fail("expected ')' after the base register", op.peek);
  if (!op.atEnd) fail(`unexpected '${op.peek.text}' after the memory operand`, op.peek);
  return { off, base };
}

/** A 12-bit immediate operand that may be `%lo(x)` / `%pcrel_lo(l)`: the constant, or a fixup to emit. */
export function imm12(ctx: OperandContext, e: Expr, op: Op, store: boolean): { value: number; fix?: { kind: FixKind; expr: Expr }; noC?: boolean } {
  if (e.k === "reloc") {
    if (e.op === "lo") {
      // A folded %lo still keeps the 32-bit form: GNU's compressed alternatives do not parse %lo.
      const c = ctx.constant(e.a);
      if (c !== undefined) return { value: Number(BigInt.asIntN(12, c)), noC: true };
      return { value: 0, fix: { kind: store ? "lo12_s" : "lo12_i", expr: e.a } };
    }
    if (e.op === "pcrel_lo") return { value: 0, fix: { kind: store ? "pcrel_lo12_s" : "pcrel_lo12_i", expr: e.a } };
    fail(`%${e.op} does not fit a 12-bit immediate; expected %lo or %pcrel_lo`, e);
  }
  const v = needConst(ctx, e, op, "a 12-bit immediate");
  return { value: inRange(v, -2048n, 2047n, "immediate", op) };
}

export function expectCount(ops: Op[], n: number | number[], mn: Token, usage: string): void {
  const ok = typeof n === "number" ? ops.length === n : n.includes(ops.length);
  if (!ok) fail(`'${mn.text}' takes ${usage}; found ${ops.length} operand${ops.length === 1 ? "" : "s"}`, mn);
}

export function uimm5(ctx: OperandContext, op: Op): number {
  return inRange(needConst(ctx, wholeExpr(ctx, op), op, "a 5-bit immediate"), 0n, 31n, "immediate", op);
}


/** An f register operand: f0–f31 or an ABI name such as fa0. */
export function freg(op: Op): number {
  const t = op.next();
  const r = t.kind === "name" ? fpRegisterNumber(t.text) : undefined;
  if (r === undefined) fail(`expected a floating-point register (f0-f31 or an ABI name such as fa0), found '${t.text || "nothing"}'`, t);
  if (!op.atEnd) fail(`unexpected '${op.peek.text}' after register`, op.peek);
  return r!;
}

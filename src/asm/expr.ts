/**
 * GNU as expressions: parsing into a tree and evaluating it.
 *
 * Precedence is GNU's, not C's (gas/expr.c, op_rank): `* / % << >>` bind tightest, then `| ^ & !`
 * (binary `!` is or-not), then `+ -`, then the comparisons (true is -1), then `&&`, then `||`.
 * Values are 64-bit two's complement.
 */
import type { Token } from "./lexer";
import { MAX_EXPR_DEPTH } from "./limits";

export type RelocOp = "hi" | "lo" | "pcrel_hi" | "pcrel_lo";

export type Expr =
  | { k: "num"; v: bigint }
  | { k: "sym"; name: string; col: number; end: number }
  | { k: "un"; op: string; a: Expr; h: number }
  | { k: "bin"; op: string; a: Expr; b: Expr; h: number }
  | { k: "reloc"; op: RelocOp; a: Expr; col: number; h: number };

/**
 * The height of an expression tree (0 for a number or a symbol): how deep evaluating it recurses.
 * The parser keeps it at most MAX_EXPR_DEPTH, so that no expression can overflow the stack.
 */
export function exprHeight(e: Expr): number {
  return e.k === "num" || e.k === "sym" ? 0 : e.h;
}

export class ExprError {
  constructor(
    readonly message: string,
    readonly col: number,
    readonly end?: number,
    /** What to put in place of the text at [col, end) to fix it, when that is clear (a misspelt name). */
    readonly suggestion?: string,
  ) {}
}

const RANK: Record<string, number> = {
  "*": 9, "/": 9, "%": 9, "<<": 9, ">>": 9,
  "|": 7, "!": 7, "^": 7, "&": 7,
  "+": 5, "-": 5,
  "==": 4, "!=": 4, "<>": 4, "<": 4, "<=": 4, ">": 4, ">=": 4,
  "&&": 3,
  "||": 2,
};

const RELOC_OPS = new Set<string>(["hi", "lo", "pcrel_hi", "pcrel_lo"]);

/**
 * Turns symbol-ish tokens into names: `resolveLocal` maps a numeric local label reference (`1b`, `1f`)
 * to the internal name of that label instance; `dot` supplies a name for `.` (the current location).
 */
export interface ParseHooks {
  resolveLocal(n: bigint, dir: "b" | "f", col: number): string;
  dot(): string;
}

/** A cursor over one statement's tokens, shared by the operand parsers. */
export class TokenStream {
  pos = 0;
  constructor(readonly toks: Token[]) {}
  get peek(): Token {
    return this.toks[this.pos]!;
  }
  next(): Token {
    const t = this.toks[this.pos]!;
    if (t.kind !== "end") this.pos++;
    return t;
  }
  isOp(text: string): boolean {
    const t = this.toks[this.pos]!;
    return t.kind === "op" && t.text === text;
  }
  eat(text: string): boolean {
    if (this.isOp(text)) {
      this.pos++;
      return true;
    }
    return false;
  }
  get atEnd(): boolean {
    return this.toks[this.pos]!.kind === "end";
  }
}

export function parseExpr(ts: TokenStream, hooks: ParseHooks): Expr {
  return parseBinary(ts, hooks, 1, 0);
}

/** The error for an expression deeper than the limit, at the token where it got too deep. */
function tooDeep(t: Token): ExprError {
  return new ExprError(`expression nested more than ${MAX_EXPR_DEPTH} deep (parentheses, unary operators and chained operators count), the limit`, t.col, t.end);
}

/** `depth`: how many parentheses and unary operators enclose this operand. */
function parseBinary(ts: TokenStream, hooks: ParseHooks, minRank: number, depth: number): Expr {
  let left = parseUnary(ts, hooks, depth);
  for (;;) {
    const t = ts.peek;
    if (t.kind !== "op") return left;
    const rank = RANK[t.text];
    if (rank === undefined || rank < minRank) return left;
    ts.next();
    const right = parseBinary(ts, hooks, rank + 1, depth);
    const h = Math.max(exprHeight(left), exprHeight(right)) + 1;
    if (h + depth > MAX_EXPR_DEPTH) throw tooDeep(t);
    left = { k: "bin", op: t.text, a: left, b: right, h };
  }
}

function parseUnary(ts: TokenStream, hooks: ParseHooks, depth: number): Expr {
  const t = ts.next();
  switch (t.kind) {
    case "num":
      if (t.local) return { k: "sym", name: hooks.resolveLocal(t.value!, t.local, t.col), col: t.col, end: t.end };
      return { k: "num", v: BigInt.asIntN(64, t.value!) };
    case "name":
      if (t.text === ".") return { k: "sym", name: hooks.dot(), col: t.col, end: t.end };
      return { k: "sym", name: t.text, col: t.col, end: t.end };
    case "str":
      throw new ExprError(`a string is not a value here; expected a number or a symbol`, t.col, t.end);
    case "end":
      throw new ExprError("expected an expression", t.col);
  }
  if (depth >= MAX_EXPR_DEPTH && (t.text === "(" || t.text === "-" || t.text === "~" || t.text === "!" || t.text === "+" || t.text === "%")) throw tooDeep(t);
  switch (t.text) {
    case "(": {
      const e = parseBinary(ts, hooks, 1, depth + 1);
      if (!ts.eat(")")) throw new ExprError("expected ')'", ts.peek.col);
      return e;
    }
    case "-":
    case "~":
    case "!": {
      const a = parseUnary(ts, hooks, depth + 1);
      return { k: "un", op: t.text, a, h: exprHeight(a) + 1 };
    }
    case "+":
      return parseUnary(ts, hooks, depth + 1);
    case "%": {
      const name = ts.peek;
      if (name.kind === "name" && RELOC_OPS.has(name.text)) {
        ts.next();
        if (!ts.eat("(")) throw new ExprError(`expected '(' after %${name.text}`, ts.peek.col);
        const a = parseBinary(ts, hooks, 1, depth + 1);
        if (!ts.eat(")")) throw new ExprError("expected ')'", ts.peek.col);
        return { k: "reloc", op: name.text as RelocOp, a, col: t.col, h: exprHeight(a) + 1 };
      }
      throw new ExprError(
        `unknown relocation operator '%${name.text}'; expected %hi, %lo, %pcrel_hi or %pcrel_lo`,
        t.col,
        name.end,
      );
    }
  }
  throw new ExprError(`unexpected '${t.text}'; expected a number, a symbol or '('`, t.col, t.end);
}

/** A symbol's value during evaluation: an offset in a section, or absolute when `sec` is null. */
export interface Value {
  sec: string | null;
  off: bigint;
}

export type SymbolLookup = (name: string, e: Expr & { k: "sym" }) => Value | undefined;

const wrap = (v: bigint) => BigInt.asIntN(64, v);

/**
 * Evaluates an expression. Section-relative values survive `+ const`, `- const` and the difference of two
 * values in the same section; anything else on them is an error. Returns undefined when a symbol is not
 * known (yet); throws ExprError for something that can never be evaluated.
 */
export function evaluate(e: Expr, lookup: SymbolLookup): Value | undefined {
  switch (e.k) {
    case "num":
      return { sec: null, off: e.v };
    case "sym":
      return lookup(e.name, e);
    case "reloc":
      throw new ExprError(`%${e.op} is only allowed as a whole instruction operand`, e.col);
    case "un": {
      const a = evaluate(e.a, lookup);
      if (!a) return undefined;
      if (a.sec !== null) throw new ExprError(`'${e.op}' needs an absolute value, not an address`, exprCol(e.a));
      if (e.op === "-") return { sec: null, off: wrap(-a.off) };
      if (e.op === "~") return { sec: null, off: wrap(~a.off) };
      return { sec: null, off: a.off === 0n ? 1n : 0n };
    }
    case "bin": {
      const a = evaluate(e.a, lookup);
      const b = evaluate(e.b, lookup);
      if (!a || !b) return undefined;
      if (e.op === "+") {
        if (a.sec !== null && b.sec !== null) throw new ExprError("cannot add two addresses", exprCol(e.b));
        return { sec: a.sec ?? b.sec, off: wrap(a.off + b.off) };
      }
      if (e.op === "-") {
        if (b.sec !== null) {
          if (a.sec !== b.sec)
            throw new ExprError("cannot subtract an address in another section (or an undefined symbol)", exprCol(e.b));
          return { sec: null, off: wrap(a.off - b.off) };
        }
        return { sec: a.sec, off: wrap(a.off - b.off) };
      }
      // Comparisons of two addresses in one section are fine; everything else needs plain numbers.
      const sameSec = a.sec !== null && a.sec === b.sec;
      if ((a.sec !== null || b.sec !== null) && !(sameSec && RANK[e.op] === 4))
        throw new ExprError(`'${e.op}' needs absolute values, not addresses`, exprCol(e.a));
      return { sec: null, off: binop(e.op, a.off, b.off, e) };
    }
  }
}

function binop(op: string, x: bigint, y: bigint, e: Expr): bigint {
  const truth = (c: boolean) => (c ? -1n : 0n);
  switch (op) {
    case "*": return wrap(x * y);
    case "/":
    case "%":
      if (y === 0n) throw new ExprError("division by zero", exprCol(e));
      return wrap(op === "/" ? x / y : x % y);
    case "<<": return y >= 64n || y < 0n ? 0n : wrap(x << y);
    case ">>": return y >= 64n || y < 0n ? 0n : wrap(BigInt.asUintN(64, x) >> y);
    case "|": return x | y;
    case "!": return wrap(x | ~y);
    case "^": return x ^ y;
    case "&": return x & y;
    case "==": return truth(x === y);
    case "!=":
    case "<>": return truth(x !== y);
    case "<": return truth(x < y);
    case "<=": return truth(x <= y);
    case ">": return truth(x > y);
    case ">=": return truth(x >= y);
    case "&&": return x !== 0n && y !== 0n ? 1n : 0n;
    default: return x !== 0n || y !== 0n ? 1n : 0n;
  }
}

/** The column of the leftmost token of an expression, for diagnostics. */
export function exprCol(e: Expr): number {
  switch (e.k) {
    case "sym": return e.col;
    case "reloc": return e.col;
    case "un": return exprCol(e.a);
    case "bin": return exprCol(e.a);
    default: return 0;
  }
}

/** Every symbol name the expression mentions. */
export function exprSymbols(e: Expr, out: string[] = []): string[] {
  switch (e.k) {
    case "sym": out.push(e.name); break;
    case "un":
    case "reloc": exprSymbols(e.a, out); break;
    case "bin": exprSymbols(e.a, out); exprSymbols(e.b, out); break;
  }
  return out;
}

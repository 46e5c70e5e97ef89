import type { Target } from "../target/target";
import { csrByName } from "../isa/csrs";
import { CSR_FIELDS, fieldValue, parseFieldValue, withField, type CsrField } from "../isa/csr_fields";
import { registerIndex } from "./registers";
import type { SymbolTable } from "./symbols";
import type { ParsedC } from "./c_expr/in_frame";

/**
 * The debugger's expression language (what `help` documents): 64-bit integer arithmetic over
 * registers, CSRs, symbols and memory.
 *
 *   a0, x10, fp, pc                registers (ABI or x-names)
 *   mstatus, satp, mstatus.MPP     CSRs by name, and their decoded fields
 *   _start, buffer                 symbols: a label's value is its address
 *   $priv, $instret, $cause …      convenience values
 *   0x10, 0b101, 0o17, 42, 'A'     numbers
 *   *(u32*)(sp+8), *ptr            memory loads (u8 u16 u32 u64, i8 … i64; plain * is u64), through
 *                                  the guest's current translation
 *   (i32)a0                        truncate and sign- or zero-extend
 *   + - * / % << >> & | ^ ~ ! == != < <= > >= && ||   C precedence; / % < > are signed
 *   lhs = expr                     assignment to a register, pc, CSR, CSR field or memory (REPL)
 */
export class ExprError extends Error {
  override readonly name = "ExprError";
}

export interface ExprEnv {
  readonly target: Target;
  readonly symbols: SymbolTable;
  /** `$name` values (without the `$`). */
  readonly convenience: ReadonlyMap<string, bigint>;
  /** C expressions in the current frame, when it is a C frame (conditions and logpoints read them first). */
  readonly c?: () => ((text: string) => ParsedC) | undefined;
}

/** The `$` values every stop has: `$priv`, `$instret`, and `$virt` on a hart with the H extension. */
export function stateValues(t: Target): Map<string, bigint> {
  const values = new Map<string, bigint>([["priv", BigInt(t.priv)], ["instret", t.selectedInstret ?? t.instret]]);
  if (t.virt !== undefined) values.set("virt", t.virt ? 1n : 0n);
  return values;
}

interface MemType {
  bytes: number;
  signed: boolean;
}

export type Expr =
  | { k: "num"; v: bigint }
  | { k: "reg"; i: number; name: string }
  | { k: "pc" }
  | { k: "csr"; num: number; name: string }
  | { k: "field"; num: number; csr: string; field: CsrField }
  | { k: "sym"; name: string }
  | { k: "conv"; name: string }
  | { k: "mem"; type: MemType; addr: Expr }
  | { k: "cast"; type: MemType; e: Expr }
  | { k: "un"; op: string; e: Expr }
  | { k: "bin"; op: string; a: Expr; b: Expr };

const TYPES: Record<string, MemType> = {
  u8: { bytes: 1, signed: false }, u16: { bytes: 2, signed: false }, u32: { bytes: 4, signed: false }, u64: { bytes: 8, signed: false },
  i8: { bytes: 1, signed: true }, i16: { bytes: 2, signed: true }, i32: { bytes: 4, signed: true }, i64: { bytes: 8, signed: true },
};

const BINARY_LEVELS: string[][] = [["||"], ["&&"], ["|"], ["^"], ["&"], ["==", "!="], ["<", "<=", ">", ">="], ["<<", ">>"], ["+", "-"], ["*", "/", "%"]];
const PUNCT = ["<<", ">>", "<=", ">=", "==", "!=", "&&", "||", "+", "-", "*", "/", "%", "&", "|", "^", "~", "!", "<", ">", "(", ")", "="];

interface Token {
  t: "num" | "id" | "op" | "end";
  s: string;
  v?: bigint;
  pos: number;
}

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) { i++; continue; }
    const num = /^(0x[0-9a-f_]+|0b[01_]+|0o[0-7_]+|[0-9][0-9_]*)/i.exec(text.slice(i));
    if (num) {
      const s = num[1].replace(/_/g, "");
      const v = /^0o/i.test(s) ? BigInt("0o" + s.slice(2)) : BigInt(s);
      out.push({ t: "num", s: num[1], v, pos: i });
      i += num[1].length;
      if (/[A-Za-z_]/.test(text[i] ?? "")) throw new ExprError(`malformed number at column ${i + 1}: '${num[1]}${text[i]}'`);
      continue;
    }
    const chr = /^'(\\?.)'/.exec(text.slice(i));
    if (chr) {
      const body = chr[1];
      const esc: Record<string, number> = { "\\n": 10, "\\t": 9, "\\0": 0, "\\r": 13, "\\\\": 92, "\\'": 39 };
      out.push({ t: "num", s: chr[0], v: BigInt(esc[body] ?? body.charCodeAt(body.length - 1)), pos: i });
      i += chr[0].length;
      continue;
    }
    const id = /^[A-Za-z_$.][A-Za-z0-9_$.]*/.exec(text.slice(i));
    if (id) {
      out.push({ t: "id", s: id[0], pos: i });
      i += id[0].length;
      continue;
    }
    const op = PUNCT.find((p) => text.startsWith(p, i));
    if (!op) throw new ExprError(`unexpected '${c}' at column ${i + 1}`);
    out.push({ t: "op", s: op, pos: i });
    i += op.length;
  }
  out.push({ t: "end", s: "", pos: text.length });
  return out;
}

class Parser {
  private i = 0;
  constructor(private readonly toks: Token[]) {}

  private peek(): Token { return this.toks[this.i]; }
  private next(): Token { return this.toks[this.i++]; }
  private isOp(s: string): boolean { const t = this.peek(); return t.t === "op" && t.s === s; }
  private expect(s: string): void {
    const t = this.next();
    if (t.t !== "op" || t.s !== s) throw new ExprError(`expected '${s}' at column ${t.pos + 1}${t.t === "end" ? " (end of expression)" : `, found '${t.s}'`}`);
  }

  parseTop(): { target?: Expr; value: Expr } {
    const first = this.binary(0);
    if (this.isOp("=")) {
      this.next();
      const value = this.binary(0);
      this.end();
      return { target: first, value };
    }
    this.end();
    return { value: first };
  }

  private end(): void {
    const t = this.peek();
    if (t.t !== "end") throw new ExprError(`unexpected '${t.s}' at column ${t.pos + 1}`);
  }

  private binary(level: number): Expr {
    if (level === BINARY_LEVELS.length) return this.unary();
    let a = this.binary(level + 1);
    for (;;) {
      const t = this.peek();
      if (t.t !== "op" || !BINARY_LEVELS[level].includes(t.s)) return a;
      this.next();
      a = { k: "bin", op: t.s, a, b: this.binary(level + 1) };
    }
  }

  /** `(type` or `(type*` at the cursor: returns the type and how many tokens it spans. */
  private castAhead(): { type: MemType; pointer: boolean; len: number } | undefined {
    const [open, name, star, close] = this.toks.slice(this.i, this.i + 4);
    if (open?.t !== "op" || open.s !== "(" || name?.t !== "id" || !(name.s in TYPES)) return undefined;
    if (star?.t === "op" && star.s === "*" && close?.t === "op" && close.s === ")") return { type: TYPES[name.s], pointer: true, len: 4 };
    if (star?.t === "op" && star.s === ")") return { type: TYPES[name.s], pointer: false, len: 3 };
    return undefined;
  }

  private unary(): Expr {
    const t = this.peek();
    if (t.t === "op" && t.s === "*") {
      this.next();
      const cast = this.castAhead();
      if (cast?.pointer) {
        this.i += cast.len;
        return { k: "mem", type: cast.type, addr: this.unary() };
      }
      return { k: "mem", type: TYPES.u64, addr: this.unary() };
    }
    const cast = this.castAhead();
    if (cast && !cast.pointer) {
      this.i += cast.len;
      return { k: "cast", type: cast.type, e: this.unary() };
    }
    if (t.t === "op" && (t.s === "-" || t.s === "~" || t.s === "!" || t.s === "+")) {
      this.next();
      return { k: "un", op: t.s, e: this.unary() };
    }
    return this.primary();
  }

  private primary(): Expr {
    const t = this.next();
    if (t.t === "num") return { k: "num", v: t.v! };
    if (t.t === "op" && t.s === "(") {
      const e = this.binary(0);
      this.expect(")");
      return e;
    }
    if (t.t === "id") return identifier(t.s);
    throw new ExprError(t.t === "end" ? "the expression is incomplete" : `unexpected '${t.s}' at column ${t.pos + 1}`);
  }
}

function identifier(name: string): Expr {
  if (name.startsWith("$")) return { k: "conv", name: name.slice(1) };
  if (name === "pc") return { k: "pc" };
  const r = registerIndex(name);
  if (r !== undefined) return { k: "reg", i: r, name };
  const csr = csrByName(name);
  if (csr) return { k: "csr", num: csr.num, name };
  const dot = name.indexOf(".");
  if (dot > 0) {
    const base = csrByName(name.slice(0, dot));
    const fieldName = name.slice(dot + 1);
    const field = base && CSR_FIELDS.get(base.name)?.find((f) => f.name.toLowerCase() === fieldName.toLowerCase());
    if (base && field) return { k: "field", num: base.num, csr: base.name, field };
    if (base) throw new ExprError(`${base.name} has no field '${fieldName}'${CSR_FIELDS.has(base.name) ? `; its fields are ${CSR_FIELDS.get(base.name)!.map((f) => f.name).join(", ")}` : ""}`);
  }
  return { k: "sym", name };
}

export function parseExpression(text: string): { target?: Expr; value: Expr } {
  if (text.trim() === "") throw new ExprError("the expression is empty");
  return new Parser(tokenize(text)).parseTop();
}

const U64 = (v: bigint) => BigInt.asUintN(64, v);
const S64 = (v: bigint) => BigInt.asIntN(64, v);

function convert(v: bigint, type: MemType): bigint {
  const bits = type.bytes * 8;
  return U64(type.signed ? BigInt.asIntN(bits, v) : BigInt.asUintN(bits, v));
}

function readCsr(env: ExprEnv, num: number, name: string): bigint {
  const v = env.target.readCsr(num);
  if (v === undefined) throw new ExprError(`CSR '${name}' is not implemented by this hart`);
  return v;
}

function loadMemory(env: ExprEnv, addr: bigint, type: MemType): bigint {
  const bytes = env.target.readMemory("va", U64(addr), type.bytes);
  if (!bytes) throw new ExprError(`cannot read ${type.bytes} byte${type.bytes > 1 ? "s" : ""} at 0x${U64(addr).toString(16)}: no readable memory there`);
  let v = 0n;
  for (let k = type.bytes - 1; k >= 0; k--) v = (v << 8n) | BigInt(bytes[k]);
  return convert(v, type);
}

export function evaluateExpr(e: Expr, env: ExprEnv): bigint {
  switch (e.k) {
    case "num": return U64(e.v);
    case "reg": return env.target.getReg(e.i);
    case "pc": return env.target.pc;
    case "csr": return readCsr(env, e.num, e.name);
    case "field": return fieldValue(readCsr(env, e.num, e.csr), e.field);
    case "conv": {
      const v = env.convenience.get(e.name);
      if (v === undefined) throw new ExprError(`no convenience value '$${e.name}'; there are ${[...env.convenience.keys()].map((k) => "$" + k).join(", ")}`);
      return U64(v);
    }
    case "sym": {
      const s = env.symbols.lookup(e.name);
      if (!s) throw new ExprError(`no register, CSR or symbol named '${e.name}'`);
      return U64(s.address);
    }
    case "mem": return loadMemory(env, evaluateExpr(e.addr, env), e.type);
    case "cast": return convert(evaluateExpr(e.e, env), e.type);
    case "un": {
      const v = evaluateExpr(e.e, env);
      if (e.op === "-") return U64(-v);
      if (e.op === "~") return U64(~v);
      if (e.op === "!") return v === 0n ? 1n : 0n;
      return v;
    }
    case "bin": return binary(e.op, e.a, e.b, env);
  }
}

function binary(op: string, ea: Expr, eb: Expr, env: ExprEnv): bigint {
  const a = evaluateExpr(ea, env);
  if (op === "&&") return a !== 0n && evaluateExpr(eb, env) !== 0n ? 1n : 0n;
  if (op === "||") return a !== 0n || evaluateExpr(eb, env) !== 0n ? 1n : 0n;
  const b = evaluateExpr(eb, env);
  const bool = (x: boolean) => (x ? 1n : 0n);
  switch (op) {
    case "+": return U64(a + b);
    case "-": return U64(a - b);
    case "*": return U64(a * b);
    case "/":
    case "%": {
      if (b === 0n) throw new ExprError("division by zero");
      return U64(op === "/" ? S64(a) / S64(b) : S64(a) % S64(b));
    }
    case "<<": return b >= 64n ? 0n : U64(a << b);
    case ">>": return b >= 64n ? 0n : a >> b;
    case "&": return a & b;
    case "|": return a | b;
    case "^": return a ^ b;
    case "==": return bool(a === b);
    case "!=": return bool(a !== b);
    case "<": return bool(S64(a) < S64(b));
    case "<=": return bool(S64(a) <= S64(b));
    case ">": return bool(S64(a) > S64(b));
    case ">=": return bool(S64(a) >= S64(b));
  }
  throw new ExprError(`unknown operator '${op}'`);
}

/** What an assignment changed, so the session can tell the client. */
export type Assigned = { kind: "register" | "csr" | "pc" | "privilege" } | { kind: "memory"; addr: bigint; bytes: number };

/** Stores `value` into the place `target` names. Throws ExprError for anything that is not a place. */
export function assignExpr(place: Expr, value: bigint, env: ExprEnv): Assigned {
  const t = env.target;
  switch (place.k) {
    case "reg":
      if (place.i === 0) throw new ExprError("x0 (zero) is hard-wired to 0 and cannot be written");
      t.setReg(place.i, value);
      return { kind: "register" };
    case "pc":
      t.pc = value;
      return { kind: "pc" };
    case "csr":
      if (!t.writeCsr(place.num, value)) throw new ExprError(`CSR '${place.name}' is read-only or not implemented`);
      return { kind: "csr" };
    case "field": {
      const old = readCsr(env, place.num, place.csr);
      if (!t.writeCsr(place.num, withField(old, place.field, value))) throw new ExprError(`CSR '${place.csr}' is read-only`);
      return { kind: "csr" };
    }
    case "mem": {
      const addr = U64(evaluateExpr(place.addr, env));
      const bytes = new Uint8Array(place.type.bytes);
      for (let k = 0; k < bytes.length; k++) bytes[k] = Number((value >> BigInt(8 * k)) & 0xffn);
      if (!t.writeMemory("va", addr, bytes)) throw new ExprError(`cannot write ${bytes.length} bytes at 0x${addr.toString(16)}: no writable RAM there`);
      return { kind: "memory", addr, bytes: bytes.length };
    }
    default:
      throw new ExprError("the left side of '=' must be a register, pc, a CSR, a CSR field or a memory location such as *(u32*)addr");
  }
}

/** Evaluates text that may also be a field value name (`S` for mstatus.MPP) when setting a field. */
export function evaluateFieldValue(field: CsrField, text: string, env: ExprEnv): bigint {
  return parseFieldValue(field, text) ?? evaluateExpr(parseExpression(text).value, env);
}

/** Evaluates a whole expression (no assignment allowed). */
export function evaluate(text: string, env: ExprEnv): bigint {
  const { target, value } = parseExpression(text);
  if (target) throw new ExprError("assignment ('=') is not allowed here; use '==' to compare");
  return evaluateExpr(value, env);
}

/** The memory a load expression reads (`*(u32*)(sp+8)`), for data breakpoints on expressions. */
export function memoryOf(text: string, env: ExprEnv): { addr: bigint; bytes: number } | undefined {
  const { target, value } = parseExpression(text);
  if (target) return undefined;
  if (value.k === "mem") return { addr: U64(evaluateExpr(value.addr, env)), bytes: value.type.bytes };
  if (value.k === "sym") {
    const s = env.symbols.lookup(value.name);
    if (s) return { addr: U64(s.address), bytes: s.size > 0n && s.size <= 4096n ? Number(s.size) : 8 };
  }
  return undefined;
}

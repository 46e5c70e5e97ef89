import { resolved, sizeOf, typeName, type CType } from "../../asm/dwarf/types";
import { littleEndian, OPTIMIZED_OUT } from "../../asm/dwarf/expression";
import { bytesAt, within, type CBytes, type Place } from "../c_values";
import { ExprError } from "../expressions";
import { arithmeticType, CHAR, fit, INT, integerOf, LONG, pointerTo, typeOf, UINT, ULONG } from "./c_types";
import type { CExpr } from "./parse";

/** What a C expression can see: the frame's variables, the program's types, and guest memory. */
export interface CScope {
  /** A variable in scope by name (a local or argument of the frame, else a global), with where it lives. */
  variable(name: string): { type: CType; place: Place } | undefined;
  /** A type the program names (`struct proc`, `uint64`). */
  typeNamed(spelling: string): CType | undefined;
  read(addr: bigint, size: number): Uint8Array | null;
}

/**
 * A C value: an object in memory (an lvalue, which `&` can take), an object the optimizer keeps
 * outside memory (in registers or pieces: its bytes), or a computed scalar's bits.
 */
export type CValue = { type: CType; addr: bigint } | { type: CType; bytes: CBytes } | { type: CType; raw: bigint };

const hex = (v: bigint) => `0x${v.toString(16)}`;
const NOT_IN_MEMORY = "Attempt to take address of value not located in memory.";

/** Evaluates a parsed C expression in `scope`; errors are ExprErrors worded as gdb words them. */
export function evaluateC(e: CExpr, scope: CScope): CValue {
  switch (e.k) {
    case "int":
      return { type: e.long ? (e.unsigned ? ULONG : LONG) : e.unsigned ? UINT : INT, raw: e.v };
    case "char":
      return { type: CHAR, raw: e.v };
    case "id": {
      const v = scope.variable(e.name);
      if (!v) throw new ExprError(`No symbol "${e.name}" in current context.`);
      // As gdb, a variable the optimizer dropped is a value: it prints <optimized out>, and using it fails.
      if (v.place === OPTIMIZED_OUT) {
        const size = sizeOf(v.type) ?? 0;
        return { type: v.type, bytes: { bytes: new Uint8Array(size), missing: new Array<boolean>(size).fill(true) } };
      }
      if (typeof v.place === "string") throw new ExprError(`'${e.name}' cannot be read here: ${v.place}`);
      return typeof v.place === "bigint" ? { type: v.type, addr: v.place } : { type: v.type, bytes: v.place };
    }
    case "member":
      return member(evaluateC(e.e, scope), e.name, e.arrow, scope);
    case "index":
      return index(evaluateC(e.e, scope), evaluateC(e.index, scope), scope);
    case "unary":
      return unary(e.op, evaluateC(e.e, scope), scope);
    case "cast":
      return cast(typeOf(e.type, (s) => scope.typeNamed(s)), evaluateC(e.e, scope), scope);
    case "sizeof": {
      const t = "k" in e.of ? evaluateC(e.of, scope).type : typeOf(e.of, (s) => scope.typeNamed(s));
      const size = sizeOf(t);
      if (size === undefined) throw new ExprError("Attempt to take the size of an incomplete type.");
      // gdb types sizeof as int (C says size_t); its answers are the oracle.
      return { type: INT, raw: BigInt(size) };
    }
    case "binary":
      return binary(e.op, e, scope);
  }
}

/** The bits of a scalar value; an array becomes a pointer to its first element, as C decays it. */
export function bitsOf(v: CValue, scope: CScope): bigint {
  if ("raw" in v) return v.raw;
  const t = resolved(v.type);
  if (t.kind === "array") {
    if ("addr" in v) return v.addr;
    throw new ExprError(NOT_IN_MEMORY);
  }
  const size = sizeOf(v.type);
  if (t.kind === "struct" || size === undefined || size > 8) throw new ExprError(`a ${t.kind === "struct" ? t.keyword : "value of this type"} is not a number`);
  if ("bytes" in v) {
    const bytes = bytesAt(scope, v.bytes, size);
    if (!bytes) throw new ExprError("value has been optimized out");
    return littleEndian(bytes);
  }
  const bytes = scope.read(v.addr, size);
  if (!bytes) throw new ExprError(`Cannot access memory at address ${hex(v.addr)}`);
  return littleEndian(bytes);
}

/** A value as an rvalue: its type (arrays decayed to pointers) and its bits. */
function rvalue(v: CValue, scope: CScope): { type: CType; raw: bigint } {
  const t = resolved(v.type);
  return { type: t.kind === "array" ? pointerTo(t.element) : v.type, raw: bitsOf(v, scope) };
}

function member(v: CValue, name: string, arrow: boolean, scope: CScope): CValue {
  // As gdb does, `.` on a pointer to a struct reaches through it as `->` would.
  const p = resolved(v.type);
  const through = p.kind === "pointer" && resolved(p.target).kind === "struct";
  if (arrow && !through) throw new ExprError("Attempt to extract a component of a value that is not a structure pointer.");
  const object: CValue = through ? { type: p.target, addr: bitsOf(v, scope) } : v;
  const s = resolved(object.type);
  if (s.kind !== "struct") throw new ExprError("Attempt to extract a component of a value that is not a structure.");
  const m = s.members.find((x) => x.name === name);
  if (!m) throw new ExprError(`There is no member named ${name}.`);
  if (m.bitField) throw new ExprError(`'${name}' is a bit-field: bit-fields are not supported yet.`);
  if ("bytes" in object) return { type: m.type, bytes: within(object.bytes, m.offset) };
  if (!("addr" in object)) throw new ExprError(NOT_IN_MEMORY);
  return { type: m.type, addr: object.addr + BigInt(m.offset) };
}

/** `*p`: the object a pointer (or an array's first element) points to. */
function deref(v: CValue, scope: CScope): CValue {
  const t = resolved(v.type);
  const target = t.kind === "pointer" ? t.target : t.kind === "array" ? t.element : undefined;
  if (!target || resolved(target).kind === "void" || resolved(target).kind === "function") throw new ExprError("Attempt to take contents of a non-pointer value.");
  return { type: target, addr: bitsOf(v, scope) };
}

function index(v: CValue, i: CValue, scope: CScope): CValue {
  const t = resolved(v.type);
  if (t.kind !== "pointer" && t.kind !== "array") throw new ExprError(`cannot subscript something of type \`${typeName(v.type)}'`);
  const n = integer(i, scope, "array index");
  const element = t.kind === "pointer" ? t.target : t.element;
  const size = sizeOf(element);
  if (size === undefined) throw new ExprError("Attempt to take contents of a non-pointer value.");
  // An array the optimizer keeps in registers is indexed in its bytes, as gdb does.
  if ("bytes" in v && t.kind === "array") {
    if (n < 0n || (t.count !== undefined && n >= BigInt(t.count))) throw new ExprError(`no such vector element`);
    return { type: element, bytes: within(v.bytes, Number(n) * size) };
  }
  return { type: element, addr: BigInt.asUintN(64, bitsOf(v, scope) + n * BigInt(size)) };
}

/** An integer operand's value, sign- or zero-extended from its type. */
function integer(v: CValue, scope: CScope, what: string): bigint {
  if (!integerOf(v.type)) throw new ExprError(`Argument to ${what} not a number or boolean.`);
  return fit(v.type, bitsOf(v, scope));
}

function unary(op: string, v: CValue, scope: CScope): CValue {
  switch (op) {
    case "*":
      return deref(v, scope);
    case "&":
      if (!("addr" in v)) throw new ExprError(NOT_IN_MEMORY);
      return { type: pointerTo(v.type), raw: v.addr };
    case "!":
      return { type: INT, raw: scalarBits(v, scope) === 0n ? 1n : 0n };
    default: {
      const type = arithmeticType(checkInteger(v));
      const n = integer(v, scope, "arithmetic operation");
      return { type, raw: fit(type, op === "-" ? -n : op === "~" ? ~n : n) };
    }
  }
}

function checkInteger(v: CValue): CType {
  if (!integerOf(v.type)) throw new ExprError("Argument to arithmetic operation not a number or boolean.");
  return v.type;
}

/** The bits of an integer or pointer (for `!`, `&&`, `||` and comparisons). */
function scalarBits(v: CValue, scope: CScope): bigint {
  const r = rvalue(v, scope);
  if (resolved(r.type).kind === "pointer") return r.raw;
  return integer(r, scope, "arithmetic operation");
}

function cast(to: CType, v: CValue, scope: CScope): CValue {
  const t = resolved(to);
  if (t.kind === "void") return { type: to, raw: 0n };
  if (t.kind !== "pointer" && !integerOf(to)) throw new ExprError("Invalid cast.");
  const from = rvalue(v, scope);
  const kind = resolved(from.type).kind;
  if (kind !== "pointer" && !integerOf(from.type)) throw new ExprError("Invalid cast.");
  const n = kind === "pointer" ? from.raw : fit(from.type, from.raw);
  return { type: to, raw: t.kind === "pointer" ? BigInt.asUintN(64, n) : fit(to, n) };
}

const COMPARE: Record<string, (a: bigint, b: bigint) => boolean> = {
  "==": (a, b) => a === b, "!=": (a, b) => a !== b, "<": (a, b) => a < b, "<=": (a, b) => a <= b, ">": (a, b) => a > b, ">=": (a, b) => a >= b,
};

function binary(op: string, e: Extract<CExpr, { k: "binary" }>, scope: CScope): CValue {
  const a = rvalue(evaluateC(e.a, scope), scope);
  const truth = (x: boolean): CValue => ({ type: INT, raw: x ? 1n : 0n });
  if (op === "&&") return truth(scalarBits(a, scope) !== 0n && scalarBits(evaluateC(e.b, scope), scope) !== 0n);
  if (op === "||") return truth(scalarBits(a, scope) !== 0n || scalarBits(evaluateC(e.b, scope), scope) !== 0n);
  const b = rvalue(evaluateC(e.b, scope), scope);
  const pa = resolved(a.type).kind === "pointer";
  const pb = resolved(b.type).kind === "pointer";
  if (pa || pb) return pointerArithmetic(op, a, b, pa, pb, scope);
  const type = arithmeticType(checkInteger(a), checkInteger(b));
  const x = fit(type, fit(a.type, a.raw));
  const y = fit(type, fit(b.type, b.raw));
  if (op in COMPARE) return truth(COMPARE[op](x, y));
  switch (op) {
    case "+": return { type, raw: fit(type, x + y) };
    case "-": return { type, raw: fit(type, x - y) };
    case "*": return { type, raw: fit(type, x * y) };
    case "/":
    case "%":
      if (y === 0n) throw new ExprError("Division by zero");
      return { type, raw: fit(type, op === "/" ? x / y : x % y) };
    case "&": return { type, raw: fit(type, x & y) };
    case "|": return { type, raw: fit(type, x | y) };
    case "^": return { type, raw: fit(type, x ^ y) };
    case "<<":
    case ">>": {
      // The shift's type is the left operand's, promoted; C leaves shifting by its width or more undefined.
      const shifted = arithmeticType(a.type);
      const by = fit(b.type, b.raw);
      const bits = BigInt(integerOf(shifted)!.size * 8);
      if (by < 0n || by >= bits) return { type: shifted, raw: 0n };
      const v = fit(shifted, fit(a.type, a.raw));
      return { type: shifted, raw: fit(shifted, op === "<<" ? v << by : v >> by) };
    }
  }
  throw new ExprError(`unknown operator '${op}'`);
}

/** `p + n`, `n + p`, `p - n`, `p - q` and comparisons, scaled by the pointee's size as in C. */
function pointerArithmetic(op: string, a: { type: CType; raw: bigint }, b: { type: CType; raw: bigint }, pa: boolean, pb: boolean, scope: CScope): CValue {
  const bits = (v: { type: CType; raw: bigint }, p: boolean) => (p ? v.raw : BigInt.asUintN(64, integer(v, scope, "arithmetic operation")));
  if (op in COMPARE) return { type: INT, raw: COMPARE[op](bits(a, pa), bits(b, pb)) ? 1n : 0n };
  const stride = (p: { type: CType }): bigint => {
    const t = resolved(p.type);
    if (t.kind !== "pointer") return 0n;
    // gdb (and gcc) do void * arithmetic in bytes.
    return resolved(t.target).kind === "void" ? 1n : BigInt(sizeOf(t.target) ?? 0);
  };
  if (op === "+" && pa !== pb) {
    const [p, n] = pa ? [a, b] : [b, a];
    const s = stride(p);
    if (s === 0n) throw new ExprError("Cannot perform pointer math on incomplete types, try casting to a known type, or void *.");
    return { type: p.type, raw: BigInt.asUintN(64, p.raw + integer(n, scope, "arithmetic operation") * s) };
  }
  if (op === "-" && pa && !pb) {
    const s = stride(a);
    if (s === 0n) throw new ExprError("Cannot perform pointer math on incomplete types, try casting to a known type, or void *.");
    return { type: a.type, raw: BigInt.asUintN(64, a.raw - integer(b, scope, "arithmetic operation") * s) };
  }
  if (op === "-" && pa && pb) {
    const s = stride(a);
    if (s !== stride(b) || s === 0n) throw new ExprError("First argument of `-' is a pointer and second argument is neither\nan integer nor a pointer of the same type.");
    return { type: LONG, raw: (BigInt.asIntN(64, a.raw) - BigInt.asIntN(64, b.raw)) / s };
  }
  throw new ExprError("Argument to arithmetic operation not a number or boolean.");
}

import type { DebugProtocol } from "@vscode/debugprotocol";
import { littleEndian } from "../asm/dwarf/expression";
import { ATE, resolved, sizeOf, typeName, type CType } from "../asm/dwarf/types";
import { formatMemoryRef } from "./memory_refs";
import type { SymbolTable } from "./symbols";

/** What showing a C value needs: guest memory, and a reference for children shown on expansion. */
export interface CValueContext {
  read(addr: bigint, size: number): Uint8Array | null;
  ref(children: () => DebugProtocol.Variable[]): number;
  /** The symbol an address lies in, as gdb names it after a pointer (`proc+48`). */
  symbol?(addr: bigint): string | undefined;
}

/** `name` or `name+48` (decimal, as gdb writes it) for an address inside a symbol; undefined outside any. */
export function symbolText(symbols: SymbolTable, addr: bigint): string | undefined {
  const s = symbols.at(addr);
  if (!s) return undefined;
  if (addr === s.address) return s.name;
  return addr < s.address + s.size ? `${s.name}+${addr - s.address}` : undefined;
}

/**
 * Where a value lives: an address, its bytes when it is not in memory (a register, a computed
 * value, pieces; `missing` marks bytes that were optimized out), or why it cannot be shown.
 */
export type Place = bigint | string | CBytes;

export interface CBytes {
  bytes: Uint8Array;
  missing?: readonly boolean[];
}

/** The place `offset` bytes into `place` (a member or an element). */
export function within(place: CBytes, offset: number): CBytes;
export function within(place: bigint | CBytes, offset: number): bigint | CBytes;
export function within(place: bigint | CBytes, offset: number): bigint | CBytes {
  if (typeof place === "bigint") return place + BigInt(offset);
  return { bytes: place.bytes.subarray(offset), missing: place.missing?.slice(offset) };
}

/** `size` bytes at `place`, or null when they cannot be read or were optimized out. */
export function bytesAt(ctx: Pick<CValueContext, "read">, place: bigint | CBytes, size: number): Uint8Array | null {
  if (typeof place === "bigint") return ctx.read(place, size);
  if (size > place.bytes.length || place.missing?.slice(0, size).some(Boolean)) return null;
  return place.bytes.subarray(0, size);
}

/** Arrays longer than this show their first elements only. */
const MAX_ELEMENTS = 1000;
/** The most of a `char *` string shown next to the pointer. */
const MAX_STRING = 64;


const NAMED_ESCAPES = new Map<number, string>([[7, "a"], [8, "b"], [9, "t"], [10, "n"], [11, "v"], [12, "f"], [13, "r"]]);

/** One byte inside quotes `quote` (' or "), escaped as gdb escapes it: `\n`, `\\`, `\310`. */
export function escapeChar(c: number, quote: string): string {
  if (c >= 0x20 && c < 0x7f) return c === quote.charCodeAt(0) || c === 0x5c ? `\\${String.fromCharCode(c)}` : String.fromCharCode(c);
  const named = NAMED_ESCAPES.get(c);
  return named ? `\\${named}` : `\\${(c & 0xff).toString(8).padStart(3, "0")}`;
}

function charText(code: bigint): string {
  return `'${escapeChar(Number(code & 0xffn), "'")}'`;
}

const hex = (v: bigint) => `0x${v.toString(16)}`;

/**
 * A float or double as gdb prints it: C's `%g` with 9 or 17 significant digits (enough to give
 * the same bits back), `inf`, and `nan(0x…)` with the significand's bits.
 */
export function floatText(raw: bigint, size: number): string {
  if (size !== 4 && size !== 8) return `<${size * 8}-bit floating point not supported yet: raw ${hex(raw)}>`;
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, raw, true);
  const v = size === 4 ? view.getFloat32(0, true) : view.getFloat64(0, true);
  const negative = (raw >> BigInt(size * 8 - 1)) & 1n ? "-" : "";
  if (Number.isNaN(v)) return `${negative}nan(${hex(raw & (size === 4 ? 0x7fffffn : 0xfffffffffffffn))})`;
  if (!Number.isFinite(v)) return `${negative}inf`;
  if (v === 0) return `${negative}0`;
  const digits = size === 4 ? 9 : 17;
  const [mantissa, e] = v.toExponential(digits - 1).split("e");
  const exponent = Number(e);
  const trim = (text: string) => (text.includes(".") ? text.replace(/0+$/, "").replace(/\.$/, "") : text);
  if (exponent < -4 || exponent >= digits) return `${trim(mantissa)}e${exponent < 0 ? "-" : "+"}${String(Math.abs(exponent)).padStart(2, "0")}`;
  return trim(v.toFixed(digits - 1 - exponent));
}

/** A NUL-terminated string at `addr`, as gdb shows it after a `char *`, or undefined when unreadable. */
function cString(ctx: CValueContext, addr: bigint): string | undefined {
  let s = "";
  for (let i = 0; i < MAX_STRING; i++) {
    const b = ctx.read(addr + BigInt(i), 1);
    if (!b) return i === 0 ? undefined : `"${s}"...`;
    if (b[0] === 0) return `"${s}"`;
    s += escapeChar(b[0], '"');
  }
  return `"${s}"...`;
}

/** The C expression of a member, element or pointee of `parent`, parenthesized where C needs it. */
function child(parent: string | undefined, make: (p: string) => string): string | undefined {
  if (parent === undefined) return undefined;
  return make(/^[A-Za-z_]\w*(\.\w+|->\w+|\[\d+\])*$/.test(parent) ? parent : `(${parent})`);
}

/**
 * The text of a scalar (integer, bool, char, float, enum, pointer) of type `t` whose bits are `raw`,
 * as gdb prints it (a `char *` with its string).
 */
export function scalarText(type: CType, raw: bigint, ctx: CValueContext): string | undefined {
  const t = resolved(type);
  switch (t.kind) {
    case "base": {
      const bits = t.size * 8;
      if (t.encoding === ATE.boolean) return raw === 0n ? "false" : "true";
      if (t.encoding === ATE.float) return floatText(raw, t.size);
      const signed = t.encoding === ATE.signed || t.encoding === ATE.signedChar;
      const n = signed ? BigInt.asIntN(bits, raw) : BigInt.asUintN(bits, raw);
      const isChar = t.size === 1 && (t.encoding === ATE.signedChar || t.encoding === ATE.unsignedChar);
      return isChar ? `${n} ${charText(raw)}` : n.toString();
    }
    case "enum": {
      const n = t.signed ? BigInt.asIntN(t.size * 8, raw) : BigInt.asUintN(t.size * 8, raw);
      return t.values.get(n) ?? n.toString();
    }
    case "pointer": {
      const target = resolved(t.target);
      const isString = target.kind === "base" && target.size === 1 && (target.encoding === ATE.signedChar || target.encoding === ATE.unsignedChar);
      const text = isString && raw !== 0n ? cString(ctx, raw) : undefined;
      if (text) return `${hex(raw)} ${text}`;
      const symbol = ctx.symbol?.(raw);
      return symbol ? `${hex(raw)} <${symbol}>` : hex(raw);
    }
    default:
      return undefined;
  }
}

/** A scalar's variable: its text, and for a pointer its pointee as a child (void and function pointers have none). */
function scalarVariable(v: DebugProtocol.Variable, type: CType, raw: bigint, ctx: CValueContext, expr: string | undefined): DebugProtocol.Variable {
  v.value = scalarText(type, raw, ctx) ?? `<values of type ${typeName(type)} not supported yet>`;
  const t = resolved(type);
  if (t.kind === "pointer" && raw !== 0n && sizeOf(t.target) !== undefined) {
    v.variablesReference = ctx.ref(() => [cVariable(`*${v.name}`, t.target, raw, ctx, child(expr, (p) => `*${p}`))]);
  }
  return v;
}

/** A computed C value that lives nowhere in memory (`p + 1`, `&x`, `(long)c`): a scalar of type `type`. */
export function cRvalue(name: string, type: CType, raw: bigint, ctx: CValueContext): DebugProtocol.Variable {
  return scalarVariable({ name, type: typeName(type), value: "", variablesReference: 0 }, type, raw, ctx, undefined);
}

/**
 * One C variable (or member, element, pointee) for the Variables view. `expr` is the C expression
 * that names it (its evaluateName, for Add to Watch and Copy as Expression).
 */
export function cVariable(name: string, type: CType, place: Place, ctx: CValueContext, expr?: string): DebugProtocol.Variable {
  const v: DebugProtocol.Variable = { name, type: typeName(type), value: "", variablesReference: 0 };
  if (expr !== undefined) v.evaluateName = expr;
  if (typeof place === "string") return { ...v, value: `<${place}>` };
  if (typeof place === "bigint") v.memoryReference = formatMemoryRef({ space: "va", addr: place });
  const t = resolved(type);
  const size = sizeOf(type);
  switch (t.kind) {
    case "base":
    case "enum":
    case "pointer": {
      const bytes = size !== undefined && size > 0 && size <= 8 ? bytesAt(ctx, place, size) : null;
      // A value kept outside memory that cannot be read lost those bytes to the optimizer, as gdb says.
      if (!bytes) return { ...v, value: typeof place === "bigint" ? `<cannot read ${size ?? "?"} bytes at ${hex(place)}>` : "<optimized out>" };
      return scalarVariable(v, type, littleEndian(bytes), ctx, expr);
    }
    case "array": {
      const elemSize = sizeOf(t.element);
      if (elemSize === undefined || t.count === undefined) return { ...v, value: "<array of unknown size>" };
      const shown = Math.min(t.count, MAX_ELEMENTS);
      v.value = `[${t.count}]`;
      v.indexedVariables = shown;
      v.variablesReference = ctx.ref(() =>
        Array.from({ length: shown }, (_, i) => cVariable(`[${i}]`, t.element, within(place, i * elemSize), ctx, child(expr, (p) => `${p}[${i}]`))));
      return v;
    }
    case "struct": {
      v.value = "{...}";
      v.namedVariables = t.members.length;
      v.variablesReference = ctx.ref(() =>
        t.members.map((m) => (m.bitField
          ? { name: m.name, type: typeName(m.type), value: "<bit-fields not supported yet>", variablesReference: 0 }
          : cVariable(m.name, m.type, within(place, m.offset), ctx, child(expr, (p) => `${p}.${m.name}`)))));
      return v;
    }
    default:
      return { ...v, value: `<values of type ${typeName(type)} not supported yet>` };
  }
}

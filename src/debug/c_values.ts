import type { DebugProtocol } from "@vscode/debugprotocol";
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

/** Where a value lives: an address, or why it cannot be shown. */
export type Place = bigint | string;

/** Arrays longer than this show their first elements only. */
const MAX_ELEMENTS = 1000;
/** The most of a `char *` string shown next to the pointer. */
const MAX_STRING = 64;

export function littleEndian(bytes: Uint8Array): bigint {
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]);
  return v;
}

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

/** A float or double as gdb prints it: `%g` with 9 or 17 significant digits. */
export function floatText(raw: bigint, size: number): string {
  const view = new DataView(new ArrayBuffer(8));
  let x: number;
  if (size === 4) {
    view.setUint32(0, Number(raw & 0xffffffffn));
    x = view.getFloat32(0);
  } else {
    view.setBigUint64(0, raw);
    x = view.getFloat64(0);
  }
  if (Number.isNaN(x)) return `${raw >> BigInt(size * 8 - 1) ? "-" : ""}nan(0x${(raw & (size === 4 ? 0x7fffffn : 0xfffffffffffffn)).toString(16)})`;
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  if (x === 0) return Object.is(x, -0) ? "-0" : "0";
  // %g: the exponent is the one %e would print at that precision.
  const digits = size === 4 ? 9 : 17;
  const [m, e] = x.toExponential(digits - 1).split("e");
  const exp = Number(e);
  const trim = (t: string) => (t.includes(".") ? t.replace(/0+$/, "").replace(/\.$/, "") : t);
  if (exp < -4 || exp >= digits) return `${trim(m)}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
  return trim(x.toFixed(Math.max(0, digits - 1 - exp)));
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
      if (t.encoding === ATE.float) return t.size === 4 || t.size === 8 ? floatText(raw, t.size) : `<${t.size}-byte floating point not shown: raw ${hex(raw)}>`;
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
  v.memoryReference = formatMemoryRef({ space: "va", addr: place });
  const t = resolved(type);
  const size = sizeOf(type);
  switch (t.kind) {
    case "base":
    case "enum":
    case "pointer": {
      const bytes = size !== undefined && size > 0 && size <= 8 ? ctx.read(place, size) : null;
      if (!bytes) return { ...v, value: `<cannot read ${size ?? "?"} bytes at ${hex(place)}>` };
      return scalarVariable(v, type, littleEndian(bytes), ctx, expr);
    }
    case "array": {
      const elemSize = sizeOf(t.element);
      if (elemSize === undefined || t.count === undefined) return { ...v, value: "<array of unknown size>" };
      const shown = Math.min(t.count, MAX_ELEMENTS);
      v.value = `[${t.count}]`;
      v.indexedVariables = shown;
      v.variablesReference = ctx.ref(() =>
        Array.from({ length: shown }, (_, i) => cVariable(`[${i}]`, t.element, place + BigInt(i * elemSize), ctx, child(expr, (p) => `${p}[${i}]`))));
      return v;
    }
    case "struct": {
      v.value = "{...}";
      v.namedVariables = t.members.length;
      v.variablesReference = ctx.ref(() =>
        t.members.map((m) => (m.bitField
          ? { name: m.name, type: typeName(m.type), value: "<bit-fields not supported yet>", variablesReference: 0 }
          : cVariable(m.name, m.type, place + BigInt(m.offset), ctx, child(expr, (p) => `${p}.${m.name}`)))));
      return v;
    }
    default:
      return { ...v, value: `<values of type ${typeName(type)} not supported yet>` };
  }
}

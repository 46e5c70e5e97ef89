import type { DebugProtocol } from "@vscode/debugprotocol";
import { littleEndian } from "../asm/dwarf/expression";
import { ATE, resolved, sizeOf, typeName, type CType } from "../asm/dwarf/types";
import { formatMemoryRef } from "./memory_refs";

/** What showing a C value needs: guest memory, and a reference for children shown on expansion. */
export interface CValueContext {
  read(addr: bigint, size: number): Uint8Array | null;
  ref(children: () => DebugProtocol.Variable[]): number;
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
function within(place: bigint | CBytes, offset: number): bigint | CBytes {
  if (typeof place === "bigint") return place + BigInt(offset);
  return { bytes: place.bytes.subarray(offset), missing: place.missing?.slice(offset) };
}

/** `size` bytes at `place`, or null when they cannot be read or were optimized out. */
function bytesAt(ctx: CValueContext, place: bigint | CBytes, size: number): Uint8Array | null {
  if (typeof place === "bigint") return ctx.read(place, size);
  if (size > place.bytes.length || place.missing?.slice(0, size).some(Boolean)) return null;
  return place.bytes.subarray(0, size);
}

/** Arrays longer than this show their first elements only. */
const MAX_ELEMENTS = 1000;
/** The most of a `char *` string shown next to the pointer. */
const MAX_STRING = 64;


function charText(code: bigint): string {
  const c = Number(code);
  if (c >= 0x20 && c < 0x7f) return c === 0x27 || c === 0x5c ? `'\\${String.fromCharCode(c)}'` : `'${String.fromCharCode(c)}'`;
  return `'\\${(c & 0xff).toString(8).padStart(3, "0")}'`;
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
    s += b[0] >= 0x20 && b[0] < 0x7f && b[0] !== 0x22 && b[0] !== 0x5c ? String.fromCharCode(b[0]) : `\\${b[0].toString(8).padStart(3, "0")}`;
  }
  return `"${s}"...`;
}

/**
 * One C variable (or member, element, pointee) for the Variables view. No evaluateName: Watch does
 * not take C expressions yet, and a name it would read as a symbol would show something else.
 */
export function cVariable(name: string, type: CType, place: Place, ctx: CValueContext): DebugProtocol.Variable {
  const v: DebugProtocol.Variable = { name, type: typeName(type), value: "", variablesReference: 0 };
  if (typeof place === "string") return { ...v, value: `<${place}>` };
  if (typeof place === "bigint") v.memoryReference = formatMemoryRef({ space: "va", addr: place });
  const t = resolved(type);
  const size = sizeOf(type);
  const scalar = (): bigint | undefined => {
    const bytes = size !== undefined && size > 0 && size <= 8 ? bytesAt(ctx, place, size) : null;
    return bytes ? littleEndian(bytes) : undefined;
  };
  // A value kept outside memory that cannot be read lost those bytes to the optimizer, as gdb says.
  const unreadable = typeof place === "bigint" ? `<cannot read ${size ?? "?"} bytes at ${hex(place)}>` : "<optimized out>";
  switch (t.kind) {
    case "base": {
      const raw = scalar();
      if (raw === undefined) return { ...v, value: unreadable };
      const bits = t.size * 8;
      if (t.encoding === ATE.boolean) return { ...v, value: raw === 0n ? "false" : "true" };
      if (t.encoding === ATE.float) return { ...v, value: floatText(raw, t.size) };
      const signed = t.encoding === ATE.signed || t.encoding === ATE.signedChar;
      const n = signed ? BigInt.asIntN(bits, raw) : raw;
      const isChar = t.size === 1 && (t.encoding === ATE.signedChar || t.encoding === ATE.unsignedChar);
      return { ...v, value: isChar ? `${n} ${charText(raw)}` : n.toString() };
    }
    case "enum": {
      const raw = scalar();
      if (raw === undefined) return { ...v, value: unreadable };
      const n = t.signed ? BigInt.asIntN(t.size * 8, raw) : raw;
      return { ...v, value: t.values.get(n) ?? n.toString() };
    }
    case "pointer": {
      const p = scalar();
      if (p === undefined) return { ...v, value: unreadable };
      const target = resolved(t.target);
      const isString = target.kind === "base" && target.size === 1 && (target.encoding === ATE.signedChar || target.encoding === ATE.unsignedChar);
      const text = isString && p !== 0n ? cString(ctx, p) : undefined;
      v.value = text ? `${hex(p)} ${text}` : hex(p);
      // The pointee is a child, read when expanded; void and function pointers have none.
      if (p !== 0n && sizeOf(t.target) !== undefined) {
        v.variablesReference = ctx.ref(() => [cVariable(`*${name}`, t.target, p, ctx)]);
      }
      return v;
    }
    case "array": {
      const elemSize = sizeOf(t.element);
      if (elemSize === undefined || t.count === undefined) return { ...v, value: "<array of unknown size>" };
      const shown = Math.min(t.count, MAX_ELEMENTS);
      v.value = `[${t.count}]`;
      v.indexedVariables = shown;
      v.variablesReference = ctx.ref(() =>
        Array.from({ length: shown }, (_, i) => cVariable(`[${i}]`, t.element, within(place, i * elemSize), ctx)));
      return v;
    }
    case "struct": {
      v.value = "{...}";
      v.namedVariables = t.members.length;
      v.variablesReference = ctx.ref(() =>
        t.members.map((m) => (m.bitField
          ? { name: m.name, type: typeName(m.type), value: "<bit-fields not supported yet>", variablesReference: 0 }
          : cVariable(m.name, m.type, within(place, m.offset), ctx))));
      return v;
    }
    default:
      return { ...v, value: `<values of type ${typeName(type)} not supported yet>` };
  }
}

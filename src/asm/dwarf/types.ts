import { evaluateValue, NoValue } from "./expression";
import { Malformed, type FormValue } from "./form";
import type { Die } from "./info";

/** DWARF tags and attributes this reader uses (DWARF 5 §7.5.4). */
export const TAG = {
  array: 0x01, enumeration: 0x04, formalParameter: 0x05, lexicalBlock: 0x0b, member: 0x0d, pointer: 0x0f,
  compileUnit: 0x11, structure: 0x13, subroutineType: 0x15, typedef: 0x16, union: 0x17, variable: 0x34,
  subrange: 0x21, baseType: 0x24, const: 0x26, enumerator: 0x28, subprogram: 0x2e, volatile: 0x35,
  restrict: 0x37, atomic: 0x47,
} as const;

export const AT = {
  location: 0x02, name: 0x03, byteSize: 0x0b, lowPc: 0x11, highPc: 0x12, constValue: 0x1c, upperBound: 0x2f,
  count: 0x37, dataMemberLocation: 0x38, declaration: 0x3c, encoding: 0x3e, external: 0x3f, frameBase: 0x40,
  type: 0x49, dataBitOffset: 0x6b, bitSize: 0x0d,
} as const;

/** DW_ATE_* base type encodings (DWARF 5 §7.8). */
export const ATE = { address: 1, boolean: 2, float: 4, signed: 5, signedChar: 6, unsigned: 7, unsignedChar: 8, utf: 0x10 } as const;

export interface Member {
  name: string;
  offset: number;
  type: CType;
  /** Bit-fields are shown as not supported yet rather than read wrongly. */
  bitField: boolean;
}

/** A C type as DWARF describes it. Qualifiers and typedefs keep their target, so names read as in C. */
export type CType =
  | { kind: "void" }
  | { kind: "base"; name: string; size: number; encoding: number }
  | { kind: "pointer"; size: number; target: CType }
  | { kind: "typedef"; name: string; target: CType }
  | { kind: "qualified"; qualifier: "const" | "volatile" | "restrict" | "_Atomic"; target: CType }
  | { kind: "array"; element: CType; count: number | undefined }
  | { kind: "struct"; keyword: "struct" | "union"; name: string | undefined; size: number; members: Member[] }
  | { kind: "enum"; name: string | undefined; size: number; signed: boolean; values: Map<bigint, string> }
  | { kind: "function" }
  | { kind: "unknown"; tag: number };

export const num = (v: FormValue | undefined): bigint | undefined => (v?.kind === "number" ? v.value : undefined);
export const str = (v: FormValue | undefined): string | undefined => (v?.kind === "string" ? v.value : undefined);

const QUALIFIERS = new Map<number, "const" | "volatile" | "restrict" | "_Atomic">([
  [TAG.const, "const"], [TAG.volatile, "volatile"], [TAG.restrict, "restrict"], [TAG.atomic, "_Atomic"],
]);

/**
 * Builds types from DIEs by .debug_info offset, once each. A struct enters the cache before its
 * members are read, so a list node's `next` pointer refers back to the same object.
 */
export class TypeTable {
  private readonly cache = new Map<number, CType>();

  constructor(private readonly dies: ReadonlyMap<number, Die>) {}

  /** The type a DIE's DW_AT_type names; no attribute means void. */
  of(die: Die): CType {
    const ref = num(die.attrs.get(AT.type));
    return ref === undefined ? { kind: "void" } : this.at(Number(ref));
  }

  at(offset: number): CType {
    const cached = this.cache.get(offset);
    if (cached) return cached;
    const die = this.dies.get(offset);
    if (!die) return { kind: "unknown", tag: 0 };
    const size = Number(num(die.attrs.get(AT.byteSize)) ?? 0n);
    const name = str(die.attrs.get(AT.name));
    const qualifier = QUALIFIERS.get(die.tag);
    switch (die.tag) {
      case TAG.baseType:
        return this.keep(offset, { kind: "base", name: name ?? "?", size, encoding: Number(num(die.attrs.get(AT.encoding)) ?? 0n) });
      case TAG.pointer: {
        const t: CType = { kind: "pointer", size: size || 8, target: { kind: "void" } };
        this.keep(offset, t);
        t.target = this.of(die);
        return t;
      }
      case TAG.typedef:
        return this.keep(offset, { kind: "typedef", name: name ?? "?", target: this.of(die) });
      case TAG.array: {
        // `int a[2][3]` has two subranges: an array of 2 arrays of 3.
        const dims = die.children.filter((c) => c.tag === TAG.subrange).map(countOf);
        let t = this.of(die);
        for (let i = dims.length - 1; i >= 0; i--) t = { kind: "array", element: t, count: dims[i] };
        return this.keep(offset, dims.length ? t : { kind: "array", element: t, count: undefined });
      }
      case TAG.structure:
      case TAG.union: {
        const t: CType = { kind: "struct", keyword: die.tag === TAG.union ? "union" : "struct", name, size, members: [] };
        this.keep(offset, t);
        for (const m of die.children.filter((c) => c.tag === TAG.member)) {
          t.members.push({
            name: str(m.attrs.get(AT.name)) ?? "",
            offset: memberOffset(m.attrs.get(AT.dataMemberLocation)),
            type: this.of(m),
            bitField: m.attrs.has(AT.bitSize) || m.attrs.has(AT.dataBitOffset),
          });
        }
        return t;
      }
      case TAG.enumeration: {
        const under = this.of(die);
        const signed = under.kind === "base" && (under.encoding === ATE.signed || under.encoding === ATE.signedChar);
        const values = new Map<bigint, string>();
        for (const e of die.children.filter((c) => c.tag === TAG.enumerator)) {
          const v = num(e.attrs.get(AT.constValue));
          if (v !== undefined) values.set(signed ? BigInt.asIntN(size * 8, v) : BigInt.asUintN(size * 8, v), str(e.attrs.get(AT.name)) ?? "?");
        }
        return this.keep(offset, { kind: "enum", name, size, signed, values });
      }
      case TAG.subroutineType:
        return this.keep(offset, { kind: "function" });
      default:
        if (qualifier) return this.keep(offset, { kind: "qualified", qualifier, target: this.of(die) });
        return this.keep(offset, { kind: "unknown", tag: die.tag });
    }
  }

  private keep(offset: number, t: CType): CType {
    this.cache.set(offset, t);
    return t;
  }
}

function countOf(subrange: Die): number | undefined {
  const count = num(subrange.attrs.get(AT.count));
  if (count !== undefined) return Number(count);
  const upper = num(subrange.attrs.get(AT.upperBound));
  return upper === undefined ? undefined : Number(upper) + 1;
}

/** The type's size in bytes, through typedefs and qualifiers; undefined when DWARF does not say. */
export function sizeOf(t: CType): number | undefined {
  switch (t.kind) {
    case "base": case "pointer": case "struct": case "enum": return t.size;
    case "typedef": case "qualified": return sizeOf(t.target);
    case "array": {
      const e = sizeOf(t.element);
      return e === undefined || t.count === undefined ? undefined : e * t.count;
    }
    default: return undefined;
  }
}

/** The type under typedefs and qualifiers: what decides how a value is shown. */
export function resolved(t: CType): CType {
  return t.kind === "typedef" || t.kind === "qualified" ? resolved(t.target) : t;
}

/** The type's C spelling, as gdb's `ptype`/`whatis` would name it (arrays as `short [3]`). */
export function typeName(t: CType): string {
  switch (t.kind) {
    case "void": return "void";
    case "base": case "typedef": return t.name;
    case "pointer": return `${typeName(t.target)} *`;
    case "qualified": return `${t.qualifier} ${typeName(t.target)}`;
    case "array": return `${typeName(t.element).replace(/( \[.*\])?$/, (dims) => ` [${t.count ?? ""}]${dims.trim()}`)}`;
    case "struct": return `${t.keyword} ${t.name ?? "{...}"}`;
    case "enum": return `enum ${t.name ?? "{...}"}`;
    case "function": return "<function>";
    case "unknown": return `<DWARF tag 0x${t.tag.toString(16)}>`;
  }
}

/**
 * A member's offset: a constant, or (DWARF 2, as xv6 builds with -gdwarf-2) an expression that adds
 * it to the structure's address, usually `DW_OP_plus_uconst N`.
 */
function memberOffset(loc: FormValue | undefined): number {
  if (loc?.kind !== "block") return Number(num(loc) ?? 0n);
  try {
    return Number(evaluateValue(loc.value, { reg: () => undefined, read: () => null }, 8, [0n]));
  } catch (e) {
    if (e instanceof NoValue || e instanceof Malformed) return 0;
    throw e;
  }
}

import { ATE, resolved, type CType } from "../../asm/dwarf/types";
import { ExprError } from "../expressions";
import type { TypeName } from "./parse";

/**
 * The C types the evaluator makes itself (literals, results of arithmetic, casts to base types),
 * sized for RV64's LP64 ABI and named as gcc's DWARF names them, so that they read as the
 * program's own. On RISC-V a plain `char` is unsigned.
 */
const base = (name: string, size: number, encoding: number): CType => ({ kind: "base", name, size, encoding });

/** Base type spellings, by their specifiers sorted (`unsigned long` = `long unsigned int`). */
const BASE_TYPES = new Map<string, CType>();
function define(t: CType, ...spellings: string[]): CType {
  for (const s of spellings) BASE_TYPES.set(s.split(" ").sort().join(" "), t);
  return t;
}

export const CHAR = define(base("char", 1, ATE.unsignedChar), "char");
define(base("signed char", 1, ATE.signedChar), "signed char");
define(base("unsigned char", 1, ATE.unsignedChar), "unsigned char");
define(base("short int", 2, ATE.signed), "short", "short int", "signed short", "signed short int");
define(base("short unsigned int", 2, ATE.unsigned), "unsigned short", "unsigned short int");
export const INT = define(base("int", 4, ATE.signed), "int", "signed", "signed int");
export const UINT = define(base("unsigned int", 4, ATE.unsigned), "unsigned", "unsigned int");
export const LONG = define(base("long", 8, ATE.signed), "long", "long int", "signed long", "signed long int");
export const ULONG = define(base("unsigned long", 8, ATE.unsigned), "unsigned long", "unsigned long int");
define(base("long long", 8, ATE.signed), "long long", "long long int", "signed long long", "signed long long int");
define(base("unsigned long long", 8, ATE.unsigned), "unsigned long long", "unsigned long long int");
define(base("_Bool", 1, ATE.boolean), "_Bool");
define(base("float", 4, ATE.float), "float");
define(base("double", 8, ATE.float), "double");

export const pointerTo = (target: CType): CType => ({ kind: "pointer", size: 8, target });

/** The type a cast or `sizeof` names, from the program's DWARF (`lookup`) or C's own base types. */
export function typeOf(name: TypeName, lookup: (spelling: string) => CType | undefined): CType {
  let t: CType | undefined;
  if (name.base === "void") t = { kind: "void" };
  else if (/^(struct|union|enum) /.test(name.base)) {
    t = lookup(name.base);
    if (!t) throw new ExprError(`No ${name.base.replace(" ", " type named ")}.`);
  } else {
    t = BASE_TYPES.get(name.base.split(" ").sort().join(" ")) ?? lookup(name.base);
    if (!t) throw new ExprError(`No symbol "${name.base}" in current context.`);
  }
  for (let i = 0; i < name.pointers; i++) t = pointerTo(t);
  return t;
}

/** The integer a scalar type holds: its size and signedness; undefined for anything else. */
export function integerOf(type: CType): { size: number; signed: boolean } | undefined {
  const t = resolved(type);
  if (t.kind === "enum") return { size: t.size, signed: t.signed };
  if (t.kind !== "base" || t.encoding === ATE.float) return undefined;
  return { size: t.size, signed: t.encoding === ATE.signed || t.encoding === ATE.signedChar };
}

/** The type C's integer promotions and usual arithmetic conversions give `a op b` (LP64). */
export function arithmeticType(a: CType, b?: CType): CType {
  const promote = (t: CType) => {
    const i = integerOf(t)!;
    return i.size < 4 ? { size: 4, signed: true } : i;
  };
  const x = promote(a);
  const y = b ? promote(b) : x;
  const size = Math.max(x.size, y.size);
  const signed = x.size === y.size ? x.signed && y.signed : (x.size > y.size ? x : y).signed;
  return size === 8 ? (signed ? LONG : ULONG) : signed ? INT : UINT;
}

/** `raw` held in an integer of this type: truncated, then sign- or zero-extended. */
export function fit(type: CType, raw: bigint): bigint {
  const i = integerOf(type);
  const bits = (i?.size ?? 8) * 8;
  return i?.signed ? BigInt.asIntN(bits, raw) : BigInt.asUintN(bits, raw);
}

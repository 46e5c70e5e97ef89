import { DwarfError, type DwarfSections } from "../dwarf_line";
import { Malformed } from "./form";
import { readDebugInfo, type Die } from "./info";
import { decodeFrameBase, decodeLocation, type FrameBase, type Location } from "./locations";
import { AT, num, str, TAG, TypeTable, type CType } from "./types";

export interface CVariable {
  name: string;
  type: CType;
  location: Location;
}

/** A local with the pc range of the block that declares it (none: the whole function). */
export interface CLocal extends CVariable {
  range?: { low: bigint; high: bigint };
}

export interface CFunction {
  name: string;
  lowPc: bigint;
  highPc: bigint;
  frameBase: FrameBase;
  params: CVariable[];
  locals: CLocal[];
  unit: CUnit;
}

export interface CUnit {
  name: string;
  globals: CVariable[];
  functions: CFunction[];
}

const DW_AT_specification = 0x47;
const DW_AT_abstract_origin = 0x31;

/** The C view of a program's .debug_info: its units' functions, their parameters and locals, and globals. */
export class CProgram {
  constructor(
    readonly units: readonly CUnit[],
    private readonly named: ReadonlyMap<string, () => CType> = new Map(),
  ) {}

  /**
   * A type the program names, spelled as in C: `struct proc`, `union u`, `enum state`, or a typedef
   * or base type's name (`uint64`, `long unsigned int`). A complete definition wins over a declaration.
   */
  typeNamed(spelling: string): CType | undefined {
    return this.named.get(spelling)?.();
  }

  /** The function whose code holds `pc`. */
  functionAt(pc: bigint): CFunction | undefined {
    for (const u of this.units) for (const f of u.functions) if (pc >= f.lowPc && pc < f.highPc) return f;
    return undefined;
  }
}

/** Reads the C program from the DWARF; a malformed section is a DwarfError, never an exception. */
export function readCProgram(sections: DwarfSections): CProgram | DwarfError {
  try {
    const units = readDebugInfo(sections);
    const dies = new Map<number, Die>();
    const index = (d: Die): void => {
      dies.set(d.offset, d);
      d.children.forEach(index);
    };
    units.forEach((u) => index(u.root));
    const types = new TypeTable(dies);
    const cUnits = units.filter((u) => u.root.tag === TAG.compileUnit).map((u) => readUnit(u.root, u.header.addressSize, dies, types));
    return new CProgram(cUnits, namedTypes(dies, types));
  } catch (e) {
    if (e instanceof Malformed) return new DwarfError(`malformed DWARF: ${e.message}`);
    return new DwarfError(`malformed DWARF: ${e instanceof Error ? e.message : String(e)}`);
  }
}

const KEYWORD = new Map<number, string>([[TAG.structure, "struct "], [TAG.union, "union "], [TAG.enumeration, "enum "], [TAG.typedef, ""], [TAG.baseType, ""]]);

/** The program's named types by C spelling, each built on first use. */
function namedTypes(dies: ReadonlyMap<number, Die>, types: TypeTable): Map<string, () => CType> {
  const named = new Map<string, () => CType>();
  const complete = new Set<string>();
  for (const d of dies.values()) {
    const keyword = KEYWORD.get(d.tag);
    const name = str(d.attrs.get(AT.name));
    if (keyword === undefined || name === undefined) continue;
    const spelling = keyword + name;
    const declaration = d.attrs.has(AT.declaration);
    if (complete.has(spelling) || (declaration && named.has(spelling))) continue;
    named.set(spelling, () => types.at(d.offset));
    if (!declaration) complete.add(spelling);
  }
  return named;
}

function readUnit(root: Die, addressSize: number, dies: ReadonlyMap<number, Die>, types: TypeTable): CUnit {
  const unit: CUnit = { name: str(root.attrs.get(AT.name)) ?? "?", globals: [], functions: [] };
  // A definition that completes an earlier declaration names it with DW_AT_specification.
  const origin = (d: Die): Die => {
    const ref = num(d.attrs.get(DW_AT_specification)) ?? num(d.attrs.get(DW_AT_abstract_origin));
    const o = ref === undefined ? undefined : dies.get(Number(ref));
    return o ? origin(o) : d;
  };
  const variable = (d: Die): CVariable | undefined => {
    if (d.attrs.has(AT.declaration)) return undefined;
    const o = origin(d);
    const name = str(o.attrs.get(AT.name));
    if (name === undefined) return undefined;
    const loc = d.attrs.get(AT.location);
    const how = loc?.kind === "number" ? "a location list" : "no DW_AT_location";
    return { name, type: types.of(o), location: decodeLocation(loc?.kind === "block" ? loc.value : undefined, addressSize, how) };
  };
  for (const d of root.children) {
    if (d.tag === TAG.variable) {
      const v = variable(d);
      if (v) unit.globals.push(v);
    } else if (d.tag === TAG.subprogram) {
      const low = num(d.attrs.get(AT.lowPc));
      const high = num(d.attrs.get(AT.highPc));
      if (low === undefined || high === undefined) continue;
      const fb = d.attrs.get(AT.frameBase);
      const f: CFunction = {
        name: str(origin(d).attrs.get(AT.name)) ?? "?",
        lowPc: low,
        highPc: high,
        frameBase: decodeFrameBase(fb?.kind === "block" ? fb.value : undefined),
        params: [],
        locals: [],
        unit,
      };
      for (const p of d.children.filter((c) => c.tag === TAG.formalParameter)) {
        const v = variable(p);
        if (v) f.params.push(v);
      }
      collectLocals(d, undefined, variable, f.locals);
      unit.functions.push(f);
    }
  }
  return unit;
}

/** The variables of a function body and of its nested blocks, each with its block's range. */
function collectLocals(d: Die, range: CLocal["range"], variable: (d: Die) => CVariable | undefined, out: CLocal[]): void {
  for (const c of d.children) {
    if (c.tag === TAG.variable) {
      const v = variable(c);
      if (v) out.push(range ? { ...v, range } : v);
    } else if (c.tag === TAG.lexicalBlock) {
      const low = num(c.attrs.get(AT.lowPc));
      const high = num(c.attrs.get(AT.highPc));
      collectLocals(c, low !== undefined && high !== undefined ? { low, high } : range, variable, out);
    }
  }
}

import { DwarfError, lineProgramFiles, type DwarfSections } from "../dwarf_line";
import { Malformed } from "./form";
import { bytesOf, type BaseTypes } from "./expression";
import { readDebugInfo, type Die } from "./info";
import { readLocationList, readRangeList, type ListUnit, type PcRange } from "./lists";
import { decodeFrameBase, decodeLocation, type FrameBase, type Location } from "./locations";
import { AT, num, str, TAG, TypeTable, sizeOf, type CType } from "./types";

export interface CVariable {
  name: string;
  type: CType;
  location: Location;
}

/**
 * A local with the pc range of the block that declares it (none: the whole function). A block
 * made of several pieces (DW_AT_ranges, common at -Og) gives `ranges` instead of `range`.
 */
export interface CLocal extends CVariable {
  range?: { low: bigint; high: bigint };
  ranges?: PcRange[];
}

/**
 * A call this function makes (DW_TAG_call_site): at its return address, the values some argument
 * registers had at the call, as expressions over the caller's frame. They give an argument's value
 * on entry (DW_OP_entry_value) after the callee has overwritten the register.
 */
export interface CallSite {
  returnPc: bigint;
  /** The callee: its entry address when the DWARF gives it, else its name. */
  callee: { lowPc?: bigint; name?: string };
  /** DWARF register number → DW_AT_call_value expression. */
  params: Map<number, Uint8Array>;
}

/** What a function and a call the compiler inlined have alike: a name, arguments, locals, and the calls inlined into it. */
export interface CScope {
  name: string;
  params: CVariable[];
  locals: CLocal[];
  /** The calls inlined into this body, outermost first (DW_TAG_inlined_subroutine). */
  inlined: CInlined[];
}

export interface CFunction extends CScope {
  lowPc: bigint;
  highPc: bigint;
  frameBase: FrameBase;
  unit: CUnit;
  /** Calls made by this function's code, those of its inlined bodies included. */
  callSites: CallSite[];
}

/**
 * A call the compiler inlined (`static inline` helpers such as xv6's `r_sstatus`): the callee's
 * body placed in its caller's code. Its variables live in the enclosing function's frame.
 */
export interface CInlined extends CScope {
  /** The pcs of the inlined body: often several pieces, interleaved with the caller's code. */
  ranges: PcRange[];
  /** Where the body begins (DW_AT_entry_pc, else its lowest pc): a debugger stopping there shows the call, not yet the body. */
  entryPc: bigint;
  /** The caller's line that makes the call (DW_AT_call_file, DW_AT_call_line). */
  call: { file: string; line: number };
}

export interface CUnit {
  name: string;
  globals: CVariable[];
  functions: CFunction[];
}

/** Whether an inlined body covers `pc`. */
export function inBody(inl: CInlined, pc: bigint): boolean {
  return inl.ranges.some((r) => pc >= r.low && pc < r.high);
}

/** The chain of inlined calls whose bodies hold `pc` inside `scope`, outermost first. */
export function inlinedChain(scope: CScope, pc: bigint): CInlined[] {
  const chain: CInlined[] = [];
  for (let s: CScope | undefined = scope; s; ) {
    const inner: CInlined | undefined = s.inlined.find((i) => inBody(i, pc));
    if (inner) chain.push(inner);
    s = inner;
  }
  return chain;
}

/** Whether a local's block covers `pc`. */
export function inScope(local: CLocal, pc: bigint): boolean {
  if (local.ranges) return local.ranges.some((r) => pc >= r.low && pc < r.high);
  return !local.range || (pc >= local.range.low && pc < local.range.high);
}

const DW_AT_specification = 0x47;
const DW_AT_abstract_origin = 0x31;
const DW_AT_ranges = 0x55;
const DW_AT_stmt_list = 0x10;
const DW_AT_comp_dir = 0x1b;
const DW_TAG_inlined_subroutine = 0x1d;
const DW_AT_call_file = 0x58;
const DW_AT_call_line = 0x59;
const DW_AT_entry_pc = 0x52;
// Call sites: DWARF 5 tags and attributes, and the GNU extensions gcc emits for DWARF 4.
const DW_TAG_call_site = 0x48;
const DW_TAG_call_site_parameter = 0x49;
const DW_TAG_GNU_call_site = 0x4109;
const DW_TAG_GNU_call_site_parameter = 0x410a;
const DW_AT_call_value = 0x7e;
const DW_AT_call_origin = 0x7f;
const DW_AT_call_return_pc = 0x7d;
const DW_AT_GNU_call_site_value = 0x2111;
const DW_OP_reg0 = 0x50;
const DW_OP_regx = 0x90;

/** The C view of a program's .debug_info: its units' functions, their parameters and locals, and globals. */
export class CProgram {
  private readonly sites = new Map<bigint, CallSite>();

  constructor(
    readonly units: readonly CUnit[],
    private readonly named: ReadonlyMap<string, () => CType> = new Map(),
  ) {
    for (const u of units) for (const f of u.functions) for (const s of f.callSites) this.sites.set(s.returnPc, s);
  }

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

  /** The call whose return address is `pc`. */
  callSiteAt(pc: bigint): CallSite | undefined {
    return this.sites.get(pc);
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
    const cUnits = units.filter((u) => u.root.tag === TAG.compileUnit).map((u) => {
      const lists: ListUnit = { version: u.header.version, addressSize: u.header.addressSize, base: num(u.root.attrs.get(AT.lowPc)) ?? 0n, sections };
      const baseTypes: BaseTypes = (offset) => {
        const d = dies.get(u.header.offset + offset);
        if (d?.tag !== TAG.baseType) return undefined;
        return { encoding: Number(num(d.attrs.get(AT.encoding)) ?? 0n), size: Number(num(d.attrs.get(AT.byteSize)) ?? 0n) };
      };
      const stmtList = num(u.root.attrs.get(DW_AT_stmt_list));
      const files = stmtList === undefined ? [] : lineProgramFiles(sections, stmtList, str(u.root.attrs.get(DW_AT_comp_dir)));
      return new UnitReader(lists, dies, types, baseTypes, files).read(u.root);
    });
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

class UnitReader {
  constructor(
    private readonly lists: ListUnit,
    private readonly dies: ReadonlyMap<number, Die>,
    private readonly types: TypeTable,
    private readonly baseTypes: BaseTypes,
    /** The unit's line-program file names, by DW_AT_call_file's index. */
    private readonly files: readonly (string | undefined)[],
  ) {}

  read(root: Die): CUnit {
    const unit: CUnit = { name: str(root.attrs.get(AT.name)) ?? "?", globals: [], functions: [] };
    for (const d of root.children) {
      if (d.tag === TAG.variable) {
        const v = this.variable(d);
        if (v) unit.globals.push(v);
      } else if (d.tag === TAG.subprogram) {
        const f = this.function(d, unit);
        if (f) unit.functions.push(f);
      }
    }
    return unit;
  }

  /** A definition that completes an earlier declaration names it with DW_AT_specification. */
  private origin(d: Die): Die {
    const ref = num(d.attrs.get(DW_AT_specification)) ?? num(d.attrs.get(DW_AT_abstract_origin)) ?? num(d.attrs.get(DW_AT_call_origin));
    const o = ref === undefined ? undefined : this.dies.get(Number(ref));
    return o && o !== d ? this.origin(o) : d;
  }

  private variable(d: Die): CVariable | undefined {
    if (d.attrs.has(AT.declaration)) return undefined;
    const o = this.origin(d);
    const name = str(o.attrs.get(AT.name));
    if (name === undefined) return undefined;
    const type = this.types.of(o);
    return { name, type, location: this.location(d, type) };
  }

  private location(d: Die, type: CType): Location {
    const loc = d.attrs.get(AT.location);
    // A number is an offset into the unit's location lists (DW_FORM_sec_offset; DWARF 4's data4/data8).
    const { addressSize } = this.lists;
    if (loc?.kind === "number") return { kind: "list", list: readLocationList(this.lists, loc.value), addressSize, baseTypes: this.baseTypes };
    if (loc?.kind === "block") return decodeLocation(loc.value, addressSize, "", this.baseTypes);
    const constant = d.attrs.get(AT.constValue);
    if (constant?.kind === "block") return { kind: "constant", bytes: constant.value };
    if (constant?.kind === "number") {
      return { kind: "constant", bytes: bytesOf(constant.value, sizeOf(type) ?? 8) };
    }
    return { kind: "optimized" };
  }

  private function(d: Die, unit: CUnit): CFunction | undefined {
    const low = num(d.attrs.get(AT.lowPc));
    const high = num(d.attrs.get(AT.highPc));
    if (low === undefined || high === undefined) return undefined;
    const fb = d.attrs.get(AT.frameBase);
    const f: CFunction = {
      name: str(this.origin(d).attrs.get(AT.name)) ?? "?",
      lowPc: low,
      highPc: high,
      frameBase: fb?.kind === "number" ? { kind: "list", list: readLocationList(this.lists, fb.value) } : decodeFrameBase(fb?.kind === "block" ? fb.value : undefined),
      params: [],
      locals: [],
      inlined: [],
      unit,
      callSites: [],
    };
    this.body(d, f, f);
    return f;
  }

  /** A body's parameters, then its variables, inlined calls and call sites (`f`: the function whose code it is). */
  private body(d: Die, scope: CScope, f: CFunction): void {
    for (const p of d.children.filter((c) => c.tag === TAG.formalParameter)) {
      const v = this.variable(p);
      if (v) scope.params.push(v);
    }
    this.collect(d, {}, scope, f);
  }

  /** The variables, inlined calls and call sites of a body and of its nested blocks, each variable with its block's pcs. */
  private collect(d: Die, block: Pick<CLocal, "range" | "ranges">, scope: CScope, f: CFunction): void {
    for (const c of d.children) {
      if (c.tag === TAG.variable) {
        const v = this.variable(c);
        if (v) scope.locals.push({ ...v, ...block });
      } else if (c.tag === TAG.lexicalBlock) {
        const ranges = this.rangesOf(c);
        this.collect(c, !ranges ? block : ranges.length === 1 ? { range: ranges[0] } : { ranges }, scope, f);
      } else if (c.tag === DW_TAG_inlined_subroutine) {
        const inl = this.inlined(c, f);
        if (inl) scope.inlined.push(inl);
      } else if (c.tag === DW_TAG_call_site || c.tag === DW_TAG_GNU_call_site) {
        const site = this.callSite(c);
        if (site) f.callSites.push(site);
      }
    }
  }

  /** A DIE's pcs: DW_AT_low_pc/DW_AT_high_pc, or a range list; undefined when it gives none. */
  private rangesOf(d: Die): PcRange[] | undefined {
    const low = num(d.attrs.get(AT.lowPc));
    const high = num(d.attrs.get(AT.highPc));
    const ranges = num(d.attrs.get(DW_AT_ranges));
    if (low !== undefined && high !== undefined) return [{ low, high }];
    return ranges === undefined ? undefined : readRangeList(this.lists, ranges);
  }

  private inlined(d: Die, f: CFunction): CInlined | undefined {
    const ranges = this.rangesOf(d)?.filter((r) => r.high > r.low);
    if (!ranges?.length) return undefined;
    const lowest = ranges.reduce((a, r) => (r.low < a ? r.low : a), ranges[0].low);
    const fileIndex = Number(num(d.attrs.get(DW_AT_call_file)) ?? -1n);
    const inl: CInlined = {
      name: str(this.origin(d).attrs.get(AT.name)) ?? "?",
      ranges,
      entryPc: num(d.attrs.get(DW_AT_entry_pc)) ?? lowest,
      call: { file: this.files[fileIndex] ?? `<file ${fileIndex}>`, line: Number(num(d.attrs.get(DW_AT_call_line)) ?? 0n) },
      params: [],
      locals: [],
      inlined: [],
    };
    this.body(d, inl, f);
    return inl;
  }

  private callSite(d: Die): CallSite | undefined {
    // DWARF 4's GNU call sites give the return address as DW_AT_low_pc.
    const returnPc = num(d.attrs.get(DW_AT_call_return_pc)) ?? num(d.attrs.get(AT.lowPc));
    if (returnPc === undefined) return undefined;
    const origin = this.origin(d);
    const callee = origin === d ? {} : { lowPc: num(origin.attrs.get(AT.lowPc)), name: str(origin.attrs.get(AT.name)) };
    const params = new Map<number, Uint8Array>();
    for (const p of d.children) {
      if (p.tag !== DW_TAG_call_site_parameter && p.tag !== DW_TAG_GNU_call_site_parameter) continue;
      const loc = p.attrs.get(AT.location);
      const value = p.attrs.get(DW_AT_call_value) ?? p.attrs.get(DW_AT_GNU_call_site_value);
      const reg = loc?.kind === "block" ? registerOf(loc.value) : undefined;
      if (reg !== undefined && value?.kind === "block") params.set(reg, value.value);
    }
    return { returnPc, callee, params };
  }
}

/** The register a one-op DW_OP_reg<n>/DW_OP_regx expression names. */
export function registerOf(expr: Uint8Array): number | undefined {
  if (expr.length === 1 && expr[0] >= DW_OP_reg0 && expr[0] < DW_OP_reg0 + 32) return expr[0] - DW_OP_reg0;
  if (expr.length >= 2 && expr[0] === DW_OP_regx) {
    let n = 0;
    for (let i = 1, shift = 0; i < expr.length && shift < 28; i++, shift += 7) {
      n |= (expr[i] & 0x7f) << shift;
      if ((expr[i] & 0x80) === 0) return i === expr.length - 1 ? n : undefined;
    }
  }
  return undefined;
}

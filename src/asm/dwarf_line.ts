/**
 * Reads DWARF `.debug_line` (versions 2 to 5) from an ELF built with `-g`: the line-number programs
 * of every unit, run through the DWARF state machine (DWARF 5 §6.2), giving address ↔ file:line rows
 * that match `objdump --dwarf=decodedline`.
 *
 * File names are made absolute where the DWARF says how: a relative name is joined to its directory
 * entry, and a relative directory to the unit's compilation directory. DWARF 5 names that directory
 * as entry 0 of the line header's directory table; DWARF 2–4 leave it to the unit's DW_AT_comp_dir
 * in `.debug_info`, so the first DIE of every unit is read for it.
 *
 * Malformed input gives a `DwarfError` naming the section offset, never an exception and never a
 * hang: every loop either consumes bytes of a bounds-checked buffer or is bounded by a count that
 * was checked against the bytes left.
 */
import type { LineEntry } from "./assemble";
import type { ElfImage } from "./elf";

export class DwarfError {
  constructor(readonly message: string) {}
}

/** One row of the line-number matrix. `endSequence` rows mark the first address after a sequence. */
export interface DwarfLineRow {
  address: bigint;
  file: string;
  line: number;
  column: number;
  isStmt: boolean;
  endSequence: boolean;
}

export interface DwarfSections {
  debugLine: Uint8Array;
  /** DW_FORM_line_strp strings (DWARF 5). */
  debugLineStr?: Uint8Array;
  /** DW_FORM_strp strings. */
  debugStr?: Uint8Array;
  /** With `debugAbbrev`, gives DWARF 2–4 units their compilation directory. */
  debugInfo?: Uint8Array;
  debugAbbrev?: Uint8Array;
}

/** Thrown inside the reader only; `readDebugLine` turns it into a DwarfError. */
class Malformed extends Error {}

const MAX_ADDRESS = (1n << 64n) - 1n;

/** A bounds-checked little-endian reader over one section. */
class Cursor {
  pos: number;
  private readonly view: DataView;

  constructor(readonly bytes: Uint8Array, readonly section: string, pos = 0, readonly end = bytes.length) {
    this.pos = pos;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get left(): number {
    return this.end - this.pos;
  }

  private need(n: number, what: string): number {
    if (n < 0 || n > this.left) {
      throw new Malformed(`${this.section}+0x${this.pos.toString(16)}: ${what} needs ${n} bytes, only ${Math.max(this.left, 0)} left`);
    }
    const at = this.pos;
    this.pos += n;
    return at;
  }

  u8(what: string): number {
    return this.view.getUint8(this.need(1, what));
  }
  i8(what: string): number {
    return this.view.getInt8(this.need(1, what));
  }
  u16(what: string): number {
    return this.view.getUint16(this.need(2, what), true);
  }
  u32(what: string): number {
    return this.view.getUint32(this.need(4, what), true);
  }
  u64(what: string): bigint {
    return this.view.getBigUint64(this.need(8, what), true);
  }
  /** An unsigned value of 1, 2, 4 or 8 bytes. */
  sized(size: number, what: string): bigint {
    switch (size) {
      case 1: return BigInt(this.u8(what));
      case 2: return BigInt(this.u16(what));
      case 4: return BigInt(this.u32(what));
      case 8: return this.u64(what);
      default: throw new Malformed(`${this.section}+0x${this.pos.toString(16)}: ${what} has unsupported size ${size}`);
    }
  }
  skip(n: number | bigint, what: string): void {
    const k = typeof n === "bigint" ? (n > BigInt(this.left) ? -1 : Number(n)) : n;
    this.need(k, what);
  }
  uleb(what: string): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const b = this.u8(what);
      if (shift < 64n) result |= BigInt(b & 0x7f) << shift;
      shift += 7n;
      if ((b & 0x80) === 0) return BigInt.asUintN(64, result);
    }
  }
  sleb(what: string): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const b = this.u8(what);
      if (shift < 64n) result |= BigInt(b & 0x7f) << shift;
      shift += 7n;
      if ((b & 0x80) === 0) {
        if (b & 0x40 && shift < 64n) result |= -1n << shift;
        return BigInt.asIntN(64, result);
      }
    }
  }
  /** A ULEB128 that must fit a JavaScript number (counts, indices, lengths). */
  count(what: string): number {
    const v = this.uleb(what);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new Malformed(`${this.section}+0x${this.pos.toString(16)}: ${what} ${v} is out of range`);
    return Number(v);
  }
  cstring(what: string): string {
    const at = this.pos;
    const nul = this.bytes.subarray(at, this.end).indexOf(0);
    if (nul < 0) throw new Malformed(`${this.section}+0x${at.toString(16)}: ${what} is not NUL-terminated`);
    this.pos = at + nul + 1;
    return decoder.decode(this.bytes.subarray(at, at + nul));
  }
  /** The unit length field: the unit's end offset, and whether it uses the 64-bit DWARF format. */
  unitLength(what: string): { end: number; offsetSize: 4 | 8 } {
    let len = BigInt(this.u32(what));
    let offsetSize: 4 | 8 = 4;
    if (len === 0xffffffffn) {
      len = this.u64(what);
      offsetSize = 8;
    } else if (len >= 0xfffffff0n) {
      throw new Malformed(`${this.section}+0x${(this.pos - 4).toString(16)}: reserved ${what} 0x${len.toString(16)}`);
    }
    if (len > BigInt(this.left)) {
      throw new Malformed(`${this.section}+0x${this.pos.toString(16)}: ${what} ${len} runs past the end of the section (${this.left} bytes left)`);
    }
    return { end: this.pos + Number(len), offsetSize };
  }
}

const decoder = new TextDecoder("utf-8");

function stringAt(table: Uint8Array | undefined, offset: bigint, name: string): string {
  if (!table) throw new Malformed(`a string refers to ${name}, which the file does not have`);
  if (offset >= BigInt(table.length)) throw new Malformed(`string offset 0x${offset.toString(16)} lies outside ${name} (${table.length} bytes)`);
  const c = new Cursor(table, name, Number(offset));
  return c.cstring(`string in ${name}`);
}

// DWARF forms (DWARF 5 §7.5.6) that can appear in line headers and in a unit's first DIE.
const FORM = {
  addr: 0x01, block2: 0x03, block4: 0x04, data2: 0x05, data4: 0x06, data8: 0x07, string: 0x08, block: 0x09,
  block1: 0x0a, data1: 0x0b, flag: 0x0c, sdata: 0x0d, strp: 0x0e, udata: 0x0f, ref_addr: 0x10, ref1: 0x11,
  ref2: 0x12, ref4: 0x13, ref8: 0x14, ref_udata: 0x15, indirect: 0x16, sec_offset: 0x17, exprloc: 0x18,
  flag_present: 0x19, strx: 0x1a, addrx: 0x1b, ref_sup4: 0x1c, strp_sup: 0x1d, data16: 0x1e, line_strp: 0x1f,
  ref_sig8: 0x20, implicit_const: 0x21, loclistx: 0x22, rnglistx: 0x23, ref_sup8: 0x24,
  strx1: 0x25, strx2: 0x26, strx3: 0x27, strx4: 0x28, addrx1: 0x29, addrx2: 0x2a, addrx3: 0x2b, addrx4: 0x2c,
} as const;

interface FormContext {
  offsetSize: 4 | 8;
  addressSize: number;
  version: number;
  sections: DwarfSections;
}

type FormValue = { kind: "string"; value: string } | { kind: "number"; value: bigint } | { kind: "other" };

/** Reads (or skips) one attribute value of `form`. Strings come back resolved, numbers as bigint. */
function readForm(c: Cursor, form: number, ctx: FormContext, implicit?: bigint): FormValue {
  const num = (value: bigint): FormValue => ({ kind: "number", value });
  const offset = () => c.sized(ctx.offsetSize, "offset");
  switch (form) {
    case FORM.string: return { kind: "string", value: c.cstring("inline string") };
    case FORM.strp: return { kind: "string", value: stringAt(ctx.sections.debugStr, offset(), ".debug_str") };
    case FORM.line_strp: return { kind: "string", value: stringAt(ctx.sections.debugLineStr, offset(), ".debug_line_str") };
    case FORM.data1: case FORM.ref1: case FORM.flag: case FORM.strx1: case FORM.addrx1: return num(c.sized(1, "data1"));
    case FORM.data2: case FORM.ref2: case FORM.strx2: case FORM.addrx2: return num(c.sized(2, "data2"));
    case FORM.strx3: case FORM.addrx3: return num(BigInt(c.u16("data3")) | (BigInt(c.u8("data3")) << 16n));
    case FORM.data4: case FORM.ref4: case FORM.ref_sup4: case FORM.strx4: case FORM.addrx4: return num(c.sized(4, "data4"));
    case FORM.data8: case FORM.ref8: case FORM.ref_sig8: case FORM.ref_sup8: return num(c.u64("data8"));
    case FORM.sdata: return num(c.sleb("sdata"));
    case FORM.udata: case FORM.ref_udata: case FORM.strx: case FORM.addrx: case FORM.loclistx: case FORM.rnglistx:
      return num(c.uleb("udata"));
    case FORM.addr: return num(c.sized(ctx.addressSize, "address"));
    // DWARF 2 made DW_FORM_ref_addr address-sized; later versions made it offset-sized.
    case FORM.ref_addr: return num(c.sized(ctx.version <= 2 ? ctx.addressSize : ctx.offsetSize, "ref_addr"));
    case FORM.sec_offset: case FORM.strp_sup: return num(offset());
    case FORM.flag_present: return num(1n);
    case FORM.implicit_const: return num(implicit ?? 0n);
    case FORM.data16: c.skip(16, "data16"); return { kind: "other" };
    case FORM.block1: c.skip(c.u8("block1 length"), "block1"); return { kind: "other" };
    case FORM.block2: c.skip(c.u16("block2 length"), "block2"); return { kind: "other" };
    case FORM.block4: c.skip(c.u32("block4 length"), "block4"); return { kind: "other" };
    case FORM.block: case FORM.exprloc: c.skip(c.uleb("block length"), "block"); return { kind: "other" };
    case FORM.indirect: {
      const actual = c.count("indirect form");
      if (actual === FORM.indirect) throw new Malformed(`${c.section}+0x${c.pos.toString(16)}: DW_FORM_indirect refers to itself`);
      return readForm(c, actual, ctx);
    }
    default:
      throw new Malformed(`${c.section}+0x${c.pos.toString(16)}: unknown attribute form 0x${form.toString(16)}`);
  }
}

const DW_AT_stmt_list = 0x10;
const DW_AT_comp_dir = 0x1b;

/** Each unit's DW_AT_stmt_list (a .debug_line offset) → its DW_AT_comp_dir. */
function compilationDirs(sections: DwarfSections): Map<bigint, string> {
  const dirs = new Map<bigint, string>();
  const { debugInfo, debugAbbrev } = sections;
  if (!debugInfo || !debugAbbrev) return dirs;
  const c = new Cursor(debugInfo, ".debug_info");
  while (c.left > 0) {
    const { end, offsetSize } = c.unitLength("unit length");
    const version = c.u16("unit version");
    let addressSize: number;
    let abbrevOffset: bigint;
    if (version >= 5) {
      const unitType = c.u8("unit type");
      addressSize = c.u8("address size");
      abbrevOffset = c.sized(offsetSize, "abbreviation offset");
      // Skeleton/split units carry an 8-byte id; type units a signature and a type offset.
      if (unitType === 4 || unitType === 5) c.skip(8, "unit id");
      else if (unitType === 2 || unitType === 6) c.skip(8 + offsetSize, "type unit header");
    } else if (version >= 2) {
      abbrevOffset = c.sized(offsetSize, "abbreviation offset");
      addressSize = c.u8("address size");
    } else {
      throw new Malformed(`.debug_info+0x${c.pos.toString(16)}: unsupported unit version ${version}`);
    }
    const die = new Cursor(debugInfo, ".debug_info", c.pos, end);
    const code = die.uleb("abbreviation code");
    if (code !== 0n) {
      const attrs = abbreviation(debugAbbrev, abbrevOffset, code);
      const ctx: FormContext = { offsetSize, addressSize, version, sections };
      let stmtList: bigint | undefined;
      let compDir: string | undefined;
      for (const a of attrs) {
        const v = readForm(die, a.form, ctx, a.implicit);
        if (a.name === DW_AT_stmt_list && v.kind === "number") stmtList = v.value;
        if (a.name === DW_AT_comp_dir && v.kind === "string") compDir = v.value;
      }
      if (stmtList !== undefined && compDir !== undefined) dirs.set(stmtList, compDir);
    }
    c.pos = end;
  }
  return dirs;
}

/** The attribute specs of abbreviation `code` in the table at `offset` of .debug_abbrev. */
function abbreviation(debugAbbrev: Uint8Array, offset: bigint, code: bigint): { name: number; form: number; implicit?: bigint }[] {
  if (offset >= BigInt(debugAbbrev.length)) throw new Malformed(`abbreviation table offset 0x${offset.toString(16)} lies outside .debug_abbrev`);
  const c = new Cursor(debugAbbrev, ".debug_abbrev", Number(offset));
  for (;;) {
    const have = c.uleb("abbreviation code");
    if (have === 0n) throw new Malformed(`.debug_abbrev: abbreviation ${code} not found in the table at 0x${offset.toString(16)}`);
    c.uleb("tag");
    c.u8("children flag");
    const attrs: { name: number; form: number; implicit?: bigint }[] = [];
    for (;;) {
      const name = c.count("attribute name");
      const form = c.count("attribute form");
      if (name === 0 && form === 0) break;
      attrs.push(form === FORM.implicit_const ? { name, form, implicit: c.sleb("implicit constant") } : { name, form });
    }
    if (have === code) return attrs;
  }
}

/** Joins DWARF path pieces: an absolute piece restarts the path; `.` and `..` segments are folded. */
function joinPath(...pieces: (string | undefined)[]): string {
  let path = "";
  for (const p of pieces) {
    if (!p) continue;
    path = p.startsWith("/") || /^[A-Za-z]:[\\/]/.test(p) || path === "" ? p : `${path.replace(/\/+$/, "")}/${p}`;
  }
  const absolute = path.startsWith("/");
  const out: string[] = [];
  for (const seg of path.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === ".." && out.length > 0 && out[out.length - 1] !== "..") out.pop();
    else if (seg !== ".." || !absolute) out.push(seg);
  }
  return (absolute ? "/" : "") + out.join("/");
}

const DW_LNCT_path = 1;
const DW_LNCT_directory_index = 2;

interface EntryFormat {
  type: number;
  form: number;
}

/** A DWARF 5 directory or file-name table: its entry formats, then its entries. */
function entryTable(c: Cursor, ctx: FormContext, what: string): { path: string; dir: number }[] {
  const formatCount = c.u8(`${what} entry format count`);
  const formats: EntryFormat[] = [];
  for (let i = 0; i < formatCount; i++) formats.push({ type: c.count(`${what} content type`), form: c.count(`${what} form`) });
  const count = c.count(`${what} count`);
  // Each entry consumes at least one byte unless it has no fields at all; either way the count is bounded.
  if (count > 0 && (formats.length === 0 || count > c.left)) {
    throw new Malformed(`${c.section}+0x${c.pos.toString(16)}: ${what} table claims ${count} entries ${formats.length === 0 ? "with no fields" : `in ${c.left} bytes`}`);
  }
  const entries: { path: string; dir: number }[] = [];
  for (let i = 0; i < count; i++) {
    let path = "";
    let dir = 0;
    for (const f of formats) {
      const v = readForm(c, f.form, ctx);
      if (f.type === DW_LNCT_path && v.kind === "string") path = v.value;
      if (f.type === DW_LNCT_directory_index && v.kind === "number") dir = Number(v.value);
    }
    entries.push({ path, dir });
  }
  return entries;
}

interface Header {
  version: number;
  minInstLength: number;
  defaultIsStmt: boolean;
  lineBase: number;
  lineRange: number;
  opcodeBase: number;
  standardLengths: number[];
  addressSize: number;
  /** Absolute (where possible) file names, by the index the line program uses. */
  files: (string | undefined)[];
  /** DWARF 2–4 DW_LNE_define_file adds files; it needs the directory table. */
  dirs: string[];
  compDir?: string;
}

function readHeader(c: Cursor, unitEnd: number, offsetSize: 4 | 8, sections: DwarfSections, compDir: string | undefined): { header: Header; programStart: number } {
  const at = c.pos;
  const version = c.u16("line table version");
  if (version < 2 || version > 5) throw new Malformed(`.debug_line+0x${at.toString(16)}: unsupported line table version ${version} (expected 2 to 5)`);
  let addressSize = 8;
  if (version >= 5) {
    addressSize = c.u8("address size");
    c.u8("segment selector size");
  }
  const headerLength = c.sized(offsetSize, "header length");
  if (headerLength > BigInt(unitEnd - c.pos)) throw new Malformed(`.debug_line+0x${at.toString(16)}: header length ${headerLength} runs past the unit`);
  const programStart = c.pos + Number(headerLength);
  const hc = new Cursor(c.bytes, ".debug_line", c.pos, programStart);
  const minInstLength = hc.u8("minimum instruction length");
  if (version >= 4) hc.u8("maximum operations per instruction");
  const defaultIsStmt = hc.u8("default is_stmt") !== 0;
  const lineBase = hc.i8("line base");
  const lineRange = hc.u8("line range");
  const opcodeBase = hc.u8("opcode base");
  if (lineRange === 0) throw new Malformed(`.debug_line+0x${at.toString(16)}: line range is 0`);
  if (opcodeBase === 0) throw new Malformed(`.debug_line+0x${at.toString(16)}: opcode base is 0`);
  const standardLengths = [0];
  for (let i = 1; i < opcodeBase; i++) standardLengths.push(hc.u8("standard opcode length"));

  const files: (string | undefined)[] = [];
  let dirs: string[];
  if (version >= 5) {
    const ctx: FormContext = { offsetSize, addressSize, version, sections };
    dirs = entryTable(hc, ctx, "directory").map((d) => d.path);
    // Directory 0 is the compilation directory; the others are relative to it unless absolute.
    dirs = dirs.map((d, i) => (i === 0 ? joinPath(compDir, d) : joinPath(compDir, dirs[0], d)));
    for (const f of entryTable(hc, ctx, "file name")) files.push(joinPath(dirs[f.dir], f.path));
  } else {
    dirs = [joinPath(compDir)];
    for (;;) {
      const d = hc.cstring("include directory");
      if (d === "") break;
      dirs.push(joinPath(compDir, d));
    }
    files.push(undefined); // DWARF 2–4 number files from 1.
    for (;;) {
      const name = hc.cstring("file name");
      if (name === "") break;
      const dir = hc.count("file directory index");
      hc.uleb("file modification time");
      hc.uleb("file length");
      files.push(joinPath(dirs[dir] ?? compDir, name));
    }
  }
  return { header: { version, minInstLength, defaultIsStmt, lineBase, lineRange, opcodeBase, standardLengths, addressSize, files, dirs, compDir }, programStart };
}

/** Runs one unit's line-number program, appending its rows. */
function runProgram(c: Cursor, h: Header, rows: DwarfLineRow[]): void {
  const fileName = (index: number) => h.files[index] ?? `<file ${index}>`;
  let address = 0n;
  let file = 1;
  let line = 1;
  let column = 0;
  let isStmt = h.defaultIsStmt;
  const reset = () => {
    address = 0n;
    file = 1;
    line = 1;
    column = 0;
    isStmt = h.defaultIsStmt;
  };
  const emit = (endSequence: boolean) => rows.push({ address, file: fileName(file), line, column, isStmt, endSequence });
  const advance = (operations: bigint) => {
    address = BigInt.asUintN(64, address + operations * BigInt(h.minInstLength));
  };
  const addLine = (delta: bigint) => {
    // Lines are 32-bit unsigned in every producer; wrap the same way rather than grow without bound.
    line = Number(BigInt.asUintN(32, BigInt(line) + delta));
  };

  while (c.left > 0) {
    const op = c.u8("opcode");
    if (op >= h.opcodeBase) {
      const adjusted = op - h.opcodeBase;
      advance(BigInt(Math.floor(adjusted / h.lineRange)));
      addLine(BigInt(h.lineBase + (adjusted % h.lineRange)));
      emit(false);
      continue;
    }
    switch (op) {
      case 0: {
        const len = c.count("extended opcode length");
        if (len === 0 || len > c.left) throw new Malformed(`.debug_line+0x${c.pos.toString(16)}: extended opcode length ${len} does not fit the unit`);
        const end = c.pos + len;
        const sub = c.u8("extended opcode");
        if (sub === 1) {
          emit(true);
          reset();
        } else if (sub === 2) {
          address = c.sized(len - 1, "DW_LNE_set_address operand") & MAX_ADDRESS;
        } else if (sub === 3) {
          const name = c.cstring("DW_LNE_define_file name");
          const dir = c.count("DW_LNE_define_file directory");
          h.files.push(joinPath(h.dirs[dir] ?? h.compDir, name));
        }
        // DW_LNE_set_discriminator and vendor opcodes: nothing the rows keep.
        c.pos = end;
        break;
      }
      case 1: emit(false); break; // DW_LNS_copy
      case 2: advance(c.uleb("DW_LNS_advance_pc operand")); break;
      case 3: addLine(c.sleb("DW_LNS_advance_line operand")); break;
      case 4: file = c.count("DW_LNS_set_file operand"); break;
      case 5: column = Number(BigInt.asUintN(32, c.uleb("DW_LNS_set_column operand"))); break;
      case 6: isStmt = !isStmt; break;
      case 7: break; // DW_LNS_set_basic_block
      case 8: advance(BigInt(Math.floor((255 - h.opcodeBase) / h.lineRange))); break; // DW_LNS_const_add_pc
      case 9: address = BigInt.asUintN(64, address + BigInt(c.u16("DW_LNS_fixed_advance_pc operand"))); break;
      default:
        // DW_LNS_set_prologue_end, _epilogue_begin, _set_isa and opcodes this reader does not know:
        // skip their ULEB operands as the header declares.
        for (let i = 0; i < (h.standardLengths[op] ?? 0); i++) c.uleb(`operand of standard opcode ${op}`);
    }
  }
}

/** Decodes every line-number program in `.debug_line`, in section order. */
export function readDebugLine(sections: DwarfSections): DwarfLineRow[] | DwarfError {
  try {
    const compDirs = compilationDirs(sections);
    const rows: DwarfLineRow[] = [];
    const c = new Cursor(sections.debugLine, ".debug_line");
    while (c.left > 0) {
      const unitOffset = BigInt(c.pos);
      const { end, offsetSize } = c.unitLength("unit length");
      const { header, programStart } = readHeader(c, end, offsetSize, sections, compDirs.get(unitOffset));
      runProgram(new Cursor(sections.debugLine, ".debug_line", programStart, end), header, rows);
      c.pos = end;
    }
    return rows;
  } catch (e) {
    if (e instanceof Malformed) return new DwarfError(`malformed DWARF: ${e.message}`);
    // A RangeError here would be a bounds check this reader missed; report it rather than crash.
    return new DwarfError(`malformed DWARF: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** The DWARF sections of an ELF image, or undefined when it has no `.debug_line`. */
export function dwarfSectionsOf(image: ElfImage): DwarfSections | undefined {
  const data = (name: string) => image.sections.find((s) => s.name === name && s.type !== 8)?.data;
  const debugLine = data(".debug_line");
  if (!debugLine) return undefined;
  return {
    debugLine,
    debugLineStr: data(".debug_line_str"),
    debugStr: data(".debug_str"),
    debugInfo: data(".debug_info"),
    debugAbbrev: data(".debug_abbrev"),
  };
}

/**
 * The rows a debugger places breakpoints and steps on: the is_stmt rows, sorted by address (stable,
 * so rows at one address keep program order), without end-of-sequence markers or repeats.
 */
export function lineEntriesOf(rows: readonly DwarfLineRow[]): LineEntry[] {
  const stmt = rows.filter((r) => r.isStmt && !r.endSequence);
  stmt.sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
  const out: LineEntry[] = [];
  for (const r of stmt) {
    const last = out[out.length - 1];
    if (last && last.address === r.address && last.file === r.file && last.line === r.line) continue;
    out.push({ address: r.address, file: r.file, line: r.line });
  }
  return out;
}

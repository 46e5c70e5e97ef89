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
import { readAbbrevTable } from "./dwarf/abbrev";
import { Cursor, Malformed, readForm, type FormContext } from "./dwarf/form";
import { readUnitHeader } from "./dwarf/unit";

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
  /** Location lists: DWARF 5 and DWARF 2–4. */
  debugLoclists?: Uint8Array;
  debugLoc?: Uint8Array;
  /** Range lists (lexical blocks with more than one pc range): DWARF 5 and DWARF 2–4. */
  debugRnglists?: Uint8Array;
  debugRanges?: Uint8Array;
  /** Call frame information for unwinding; `.eh_frame` needs its load address for pc-relative pointers. */
  debugFrame?: Uint8Array;
  ehFrame?: { bytes: Uint8Array; address: bigint };
}
const MAX_ADDRESS = (1n << 64n) - 1n;

const DW_AT_stmt_list = 0x10;
const DW_AT_comp_dir = 0x1b;

/** Each unit's DW_AT_stmt_list (a .debug_line offset) → its DW_AT_comp_dir. */
function compilationDirs(sections: DwarfSections): Map<bigint, string> {
  const dirs = new Map<bigint, string>();
  const { debugInfo, debugAbbrev } = sections;
  if (!debugInfo || !debugAbbrev) return dirs;
  const c = new Cursor(debugInfo, ".debug_info");
  while (c.left > 0) {
    const unit = readUnitHeader(c);
    const die = new Cursor(debugInfo, ".debug_info", unit.dies, unit.end);
    const code = die.uleb("abbreviation code");
    if (code === 0n) continue;
    const abbrev = readAbbrevTable(debugAbbrev, unit.abbrevOffset).get(code);
    if (!abbrev) throw new Malformed(`.debug_abbrev: abbreviation ${code} not found in the table at 0x${unit.abbrevOffset.toString(16)}`);
    const ctx: FormContext = { ...unit, sections };
    let stmtList: bigint | undefined;
    let compDir: string | undefined;
    for (const a of abbrev.attrs) {
      const v = readForm(die, a.form, ctx, a.implicit);
      if (a.name === DW_AT_stmt_list && v.kind === "number") stmtList = v.value;
      if (a.name === DW_AT_comp_dir && v.kind === "string") compDir = v.value;
    }
    if (stmtList !== undefined && compDir !== undefined) dirs.set(stmtList, compDir);
  }
  return dirs;
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

/**
 * The file names of the line program at `offset` in .debug_line, by the index that DW_AT_call_file
 * and DW_AT_decl_file use: the same absolute names the line rows carry.
 */
export function lineProgramFiles(sections: DwarfSections, offset: bigint, compDir: string | undefined): (string | undefined)[] {
  const c = new Cursor(sections.debugLine, ".debug_line", Number(offset));
  const { end, offsetSize } = c.unitLength("unit length");
  return readHeader(c, end, offsetSize, sections, compDir).header.files;
}

/** The DWARF sections of an ELF image, or undefined when it has no `.debug_line`. */
export function dwarfSectionsOf(image: ElfImage): DwarfSections | undefined {
  const data = (name: string) => image.sections.find((s) => s.name === name && s.type !== 8)?.data;
  const debugLine = data(".debug_line");
  if (!debugLine) return undefined;
  const ehFrame = image.sections.find((s) => s.name === ".eh_frame" && s.type !== 8);
  return {
    debugLine,
    debugLineStr: data(".debug_line_str"),
    debugStr: data(".debug_str"),
    debugInfo: data(".debug_info"),
    debugAbbrev: data(".debug_abbrev"),
    debugLoclists: data(".debug_loclists"),
    debugLoc: data(".debug_loc"),
    debugRnglists: data(".debug_rnglists"),
    debugRanges: data(".debug_ranges"),
    debugFrame: data(".debug_frame"),
    ehFrame: ehFrame && { bytes: ehFrame.data, address: ehFrame.addr },
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

/**
 * Call frame information (DWARF 5 §6.4): `.debug_frame`, which gcc emits with -g, and `.eh_frame`
 * (the same tables in the LSB's encoding, with pc-relative pointers), which it emits with
 * -fasynchronous-unwind-tables. For any pc in a function they describe, a row says how to find the
 * canonical frame address (CFA, the caller's sp at the call) and where the caller's registers
 * (among them ra, the return address, and s0) were saved.
 */
import { DwarfError, type DwarfSections } from "../dwarf_line";
import { Cursor, Malformed } from "./form";

export type RegisterRule =
  | { kind: "undefined" }
  | { kind: "same" }
  /** Saved in memory at CFA + offset. */
  | { kind: "offset"; offset: bigint }
  /** The value is CFA + offset. */
  | { kind: "valOffset"; offset: bigint }
  | { kind: "register"; reg: number }
  /** Saved at the address the expression computes from the CFA. */
  | { kind: "expression"; expr: Uint8Array }
  | { kind: "valExpression"; expr: Uint8Array };

export type CfaRule = { kind: "register"; reg: number; offset: bigint } | { kind: "expression"; expr: Uint8Array };

/** One row of the table: the rules in force at a pc. Registers without a rule keep their value (as gdb assumes). */
export interface CfiRow {
  cfa: CfaRule;
  rules: ReadonlyMap<number, RegisterRule>;
  /** The column holding the return address (ra, 1, for RISC-V). */
  returnAddress: number;
}

interface Cie {
  codeAlign: bigint;
  dataAlign: bigint;
  returnAddress: number;
  initial: Uint8Array;
  /** eh_frame's encoding of FDE pointers (DW_EH_PE_*). */
  pointerEncoding: number;
  /** Whether FDEs carry augmentation data (a 'z' augmentation). */
  augmented: boolean;
}

interface Fde {
  cie: Cie;
  low: bigint;
  high: bigint;
  program: Uint8Array;
}

interface Section {
  bytes: Uint8Array;
  name: string;
  eh: boolean;
  /** Load address of the section (eh_frame's pc-relative pointers count from it). */
  address: bigint;
}

/** The call frame information of a program: the FDEs of both sections, found by pc. */
export class CallFrameInfo {
  /** `.debug_frame`'s FDEs come first, so they win where both sections cover a pc (as in gdb). */
  constructor(private readonly fdes: Fde[], private readonly addressSize: number) {}

  get empty(): boolean {
    return this.fdes.length === 0;
  }

  /** The rules in force at `pc`, or undefined when no FDE covers it. Throws Malformed on a bad program. */
  rowAt(pc: bigint): CfiRow | undefined {
    const fde = this.fdes.find((f) => pc >= f.low && pc < f.high);
    if (!fde) return undefined;
    const initial = execute(fde.cie, fde.cie.initial, { cfa: { kind: "register", reg: 2, offset: 0n }, rules: new Map() }, undefined, fde.low, pc, this.addressSize);
    const row = execute(fde.cie, fde.program, cloneRow(initial), initial, fde.low, pc, this.addressSize);
    return { ...row, returnAddress: fde.cie.returnAddress };
  }
}

interface MutableRow {
  cfa: CfaRule;
  rules: Map<number, RegisterRule>;
}

const cloneRow = (r: MutableRow): MutableRow => ({ cfa: r.cfa, rules: new Map(r.rules) });

/** Reads both sections; malformed CFI gives a DwarfError (unwinding then falls back to the frame-pointer chain). */
export function readCallFrameInfo(sections: Pick<DwarfSections, "debugFrame" | "ehFrame">, addressSize = 8): CallFrameInfo | DwarfError {
  try {
    const fdes: Fde[] = [];
    if (sections.debugFrame) fdes.push(...readSection({ bytes: sections.debugFrame, name: ".debug_frame", eh: false, address: 0n }, addressSize));
    if (sections.ehFrame) fdes.push(...readSection({ bytes: sections.ehFrame.bytes, name: ".eh_frame", eh: true, address: sections.ehFrame.address }, addressSize));
    return new CallFrameInfo(fdes, addressSize);
  } catch (e) {
    if (e instanceof Malformed) return new DwarfError(`malformed call frame information: ${e.message}`);
    throw e;
  }
}

function readSection(s: Section, addressSize: number): Fde[] {
  const cies = new Map<number, Cie>();
  const fdes: Fde[] = [];
  const c = new Cursor(s.bytes, s.name);
  while (c.left > 0) {
    const start = c.pos;
    if (s.eh && c.left >= 4 && new DataView(s.bytes.buffer, s.bytes.byteOffset + c.pos, 4).getUint32(0, true) === 0) break; // eh_frame's terminator
    const { end, offsetSize } = c.unitLength("CIE/FDE length");
    const idAt = c.pos;
    const id = c.sized(offsetSize, "CIE id or pointer");
    const isCie = s.eh ? id === 0n : id === (offsetSize === 4 ? 0xffffffffn : 0xffffffffffffffffn);
    const body = new Cursor(s.bytes, s.name, c.pos, end);
    if (isCie) cies.set(start, readCie(body, s, addressSize));
    else {
      // eh_frame's CIE pointer counts back from the pointer itself; debug_frame's is a section offset.
      const cieAt = s.eh ? idAt - Number(id) : Number(id);
      const cie = cies.get(cieAt) ?? readCieAt(s, cieAt, addressSize);
      if (!cie) throw new Malformed(`${s.name}+0x${start.toString(16)}: FDE refers to a CIE at 0x${cieAt.toString(16)} that is not there`);
      const low = readPointer(body, s, cie.pointerEncoding, addressSize);
      const length = readPointer(body, s, cie.pointerEncoding & 0x0f, addressSize);
      if (cie.augmented) body.skip(body.uleb("augmentation length"), "augmentation data");
      fdes.push({ cie, low, high: low + length, program: body.take(body.left, "instructions") });
    }
    c.pos = end;
  }
  return fdes;
}

function readCieAt(s: Section, at: number, addressSize: number): Cie | undefined {
  if (at < 0 || at >= s.bytes.length) return undefined;
  const c = new Cursor(s.bytes, s.name, at);
  const { end, offsetSize } = c.unitLength("CIE length");
  const id = c.sized(offsetSize, "CIE id");
  if (id !== (s.eh ? 0n : offsetSize === 4 ? 0xffffffffn : 0xffffffffffffffffn)) return undefined;
  return readCie(new Cursor(s.bytes, s.name, c.pos, end), s, addressSize);
}

function readCie(c: Cursor, s: Section, addressSize: number): Cie {
  const version = c.u8("CIE version");
  if (version !== 1 && version !== 3 && version !== 4) throw new Malformed(`${s.name}+0x${c.pos.toString(16)}: CIE version ${version} is not supported`);
  const augmentation = c.cstring("augmentation");
  if (augmentation.includes("eh")) c.skip(addressSize, "eh data");
  if (version === 4) c.skip(2, "address and segment sizes");
  const codeAlign = c.uleb("code alignment factor");
  const dataAlign = c.sleb("data alignment factor");
  const returnAddress = version === 1 ? c.u8("return address register") : c.count("return address register");
  let pointerEncoding = 0;
  const augmented = augmentation.startsWith("z");
  if (augmented) {
    const length = c.uleb("augmentation length");
    const end = c.pos + Number(length);
    for (const ch of augmentation.slice(1)) {
      if (ch === "R") pointerEncoding = c.u8("FDE pointer encoding");
      else if (ch === "L") c.u8("LSDA encoding");
      else if (ch === "P") readPointer(c, s, c.u8("personality encoding"), addressSize);
      else if (ch !== "S" && ch !== "B") break; // unknown: the length lets us skip the rest
    }
    c.pos = end;
  } else if (augmentation !== "" && augmentation !== "eh") {
    throw new Malformed(`${s.name}: CIE augmentation "${augmentation}" is not supported`);
  }
  return { codeAlign, dataAlign, returnAddress, initial: c.take(c.left, "initial instructions"), pointerEncoding, augmented };
}

/** A pointer in eh_frame's DW_EH_PE_* encoding (debug_frame's are plain addresses, encoding 0). */
function readPointer(c: Cursor, s: Section, encoding: number, addressSize: number): bigint {
  const at = s.address + BigInt(c.pos);
  let v: bigint;
  switch (encoding & 0x0f) {
    case 0x00: v = c.sized(addressSize, "pointer"); break;
    case 0x01: v = c.uleb("pointer"); break;
    case 0x02: v = BigInt(c.u16("pointer")); break;
    case 0x03: v = BigInt(c.u32("pointer")); break;
    case 0x04: v = c.u64("pointer"); break;
    case 0x09: v = c.sleb("pointer"); break;
    case 0x0a: v = BigInt(c.i16("pointer")); break;
    case 0x0b: v = BigInt.asIntN(32, BigInt(c.u32("pointer"))); break;
    case 0x0c: v = BigInt.asIntN(64, c.u64("pointer")); break;
    default: throw new Malformed(`${s.name}+0x${c.pos.toString(16)}: pointer encoding 0x${encoding.toString(16)} is not supported`);
  }
  switch (encoding & 0x70) {
    case 0x00: break;
    case 0x10: v += at; break; // pcrel
    default: throw new Malformed(`${s.name}: pointer application 0x${(encoding & 0x70).toString(16)} is not supported`);
  }
  return BigInt.asUintN(addressSize * 8, v);
}

/** Runs a CFA program from `loc` until the row for `pc` is reached. */
function execute(cie: Cie, program: Uint8Array, row: MutableRow, initial: MutableRow | undefined, start: bigint, pc: bigint, addressSize: number): MutableRow {
  const c = new Cursor(program, "CFA program");
  const stack: MutableRow[] = [];
  let loc = start;
  const advance = (delta: bigint) => {
    loc += delta * cie.codeAlign;
    return loc > pc;
  };
  const factored = (v: bigint) => v * cie.dataAlign;
  const restore = (reg: number) => {
    const rule = initial?.rules.get(reg);
    if (rule) row.rules.set(reg, rule);
    else row.rules.delete(reg);
  };
  const cfaRegister = () => (row.cfa.kind === "register" ? row.cfa : { kind: "register" as const, reg: 2, offset: 0n });
  while (c.left > 0) {
    const byte = c.u8("CFA opcode");
    const high = byte >> 6;
    const low = byte & 0x3f;
    if (high === 1) { if (advance(BigInt(low))) return row; continue; }
    if (high === 2) { row.rules.set(low, { kind: "offset", offset: factored(c.uleb("offset")) }); continue; }
    if (high === 3) { restore(low); continue; }
    switch (byte) {
      case 0x00: break; // nop
      case 0x01: { const to = c.sized(addressSize, "set_loc"); if (to > pc) return row; loc = to; break; }
      case 0x02: if (advance(BigInt(c.u8("advance_loc1")))) return row; break;
      case 0x03: if (advance(BigInt(c.u16("advance_loc2")))) return row; break;
      case 0x04: if (advance(BigInt(c.u32("advance_loc4")))) return row; break;
      case 0x05: { const r = c.count("register"); row.rules.set(r, { kind: "offset", offset: factored(c.uleb("offset")) }); break; }
      case 0x06: restore(c.count("register")); break;
      case 0x07: row.rules.set(c.count("register"), { kind: "undefined" }); break;
      case 0x08: row.rules.set(c.count("register"), { kind: "same" }); break;
      case 0x09: { const r = c.count("register"); row.rules.set(r, { kind: "register", reg: c.count("register") }); break; }
      case 0x0a: stack.push(cloneRow(row)); break; // remember_state
      case 0x0b: { // restore_state: the remembered rules and CFA, at the current location
        const saved = stack.pop();
        if (!saved) throw new Malformed("DW_CFA_restore_state without a remembered state");
        row.cfa = saved.cfa;
        row.rules = saved.rules;
        break;
      }
      case 0x0c: { const reg = c.count("register"); row.cfa = { kind: "register", reg, offset: c.uleb("offset") }; break; }
      case 0x0d: row.cfa = { ...cfaRegister(), reg: c.count("register") }; break;
      case 0x0e: row.cfa = { ...cfaRegister(), offset: c.uleb("offset") }; break;
      case 0x0f: row.cfa = { kind: "expression", expr: c.take(c.uleb("length"), "expression") }; break;
      case 0x10: { const r = c.count("register"); row.rules.set(r, { kind: "expression", expr: c.take(c.uleb("length"), "expression") }); break; }
      case 0x11: { const r = c.count("register"); row.rules.set(r, { kind: "offset", offset: factored(c.sleb("offset")) }); break; }
      case 0x12: { const reg = c.count("register"); row.cfa = { kind: "register", reg, offset: factored(c.sleb("offset")) }; break; }
      case 0x13: row.cfa = { ...cfaRegister(), offset: factored(c.sleb("offset")) }; break;
      case 0x14: { const r = c.count("register"); row.rules.set(r, { kind: "valOffset", offset: factored(c.uleb("offset")) }); break; }
      case 0x15: { const r = c.count("register"); row.rules.set(r, { kind: "valOffset", offset: factored(c.sleb("offset")) }); break; }
      case 0x16: { const r = c.count("register"); row.rules.set(r, { kind: "valExpression", expr: c.take(c.uleb("length"), "expression") }); break; }
      case 0x2e: c.uleb("GNU_args_size"); break;
      case 0x2f: { const r = c.count("register"); row.rules.set(r, { kind: "offset", offset: -factored(c.uleb("offset")) }); break; }
      default: throw new Malformed(`CFA program: opcode 0x${byte.toString(16)} is not supported`);
    }
  }
  return row;
}

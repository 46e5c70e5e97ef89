/**
 * The parts every DWARF section reader shares: a bounds-checked cursor, string tables and attribute
 * forms (DWARF 5 §7.5.6).
 */
import type { DwarfSections } from "../dwarf_line";

/** Thrown inside the DWARF readers only; their entry points turn it into a DwarfError. */
export class Malformed extends Error {}

/** A bounds-checked little-endian reader over one section. */
export class Cursor {
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
  i16(what: string): number {
    return this.view.getInt16(this.need(2, what), true);
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
  /** The next `n` bytes. */
  take(n: number | bigint, what: string): Uint8Array {
    const at = this.pos;
    this.skip(n, what);
    return this.bytes.subarray(at, this.pos);
  }
  /** The next `n` bytes as a block value. */
  block(n: number | bigint, what: string): FormValue {
    return { kind: "block", value: this.take(n, what) };
  }
  /** The bits of a LEB128 (beyond 64 dropped), how many it spans, and its last byte (for the sign). */
  private leb(what: string): { bits: bigint; shift: bigint; last: number } {
    let bits = 0n;
    let shift = 0n;
    for (;;) {
      const b = this.u8(what);
      if (shift < 64n) bits |= BigInt(b & 0x7f) << shift;
      shift += 7n;
      if ((b & 0x80) === 0) return { bits, shift, last: b };
    }
  }
  uleb(what: string): bigint {
    return BigInt.asUintN(64, this.leb(what).bits);
  }
  sleb(what: string): bigint {
    const { bits, shift, last } = this.leb(what);
    return BigInt.asIntN(64, last & 0x40 && shift < 64n ? bits | (-1n << shift) : bits);
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

export function stringAt(table: Uint8Array | undefined, offset: bigint, name: string): string {
  if (!table) throw new Malformed(`a string refers to ${name}, which the file does not have`);
  if (offset >= BigInt(table.length)) throw new Malformed(`string offset 0x${offset.toString(16)} lies outside ${name} (${table.length} bytes)`);
  const c = new Cursor(table, name, Number(offset));
  return c.cstring(`string in ${name}`);
}

// DWARF forms (DWARF 5 §7.5.6).
export const FORM = {
  addr: 0x01, block2: 0x03, block4: 0x04, data2: 0x05, data4: 0x06, data8: 0x07, string: 0x08, block: 0x09,
  block1: 0x0a, data1: 0x0b, flag: 0x0c, sdata: 0x0d, strp: 0x0e, udata: 0x0f, ref_addr: 0x10, ref1: 0x11,
  ref2: 0x12, ref4: 0x13, ref8: 0x14, ref_udata: 0x15, indirect: 0x16, sec_offset: 0x17, exprloc: 0x18,
  flag_present: 0x19, strx: 0x1a, addrx: 0x1b, ref_sup4: 0x1c, strp_sup: 0x1d, data16: 0x1e, line_strp: 0x1f,
  ref_sig8: 0x20, implicit_const: 0x21, loclistx: 0x22, rnglistx: 0x23, ref_sup8: 0x24,
  strx1: 0x25, strx2: 0x26, strx3: 0x27, strx4: 0x28, addrx1: 0x29, addrx2: 0x2a, addrx3: 0x2b, addrx4: 0x2c,
} as const;

export interface FormContext {
  offsetSize: 4 | 8;
  addressSize: number;
  version: number;
  sections: DwarfSections;
}

/** Blocks (location expressions among them) come back as their bytes. */
export type FormValue =
  | { kind: "string"; value: string }
  | { kind: "number"; value: bigint }
  | { kind: "block"; value: Uint8Array }
  | { kind: "other" };

/** Reads (or skips) one attribute value of `form`. Strings come back resolved, numbers as bigint. */
export function readForm(c: Cursor, form: number, ctx: FormContext, implicit?: bigint): FormValue {
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
    case FORM.block1: return c.block(c.u8("block1 length"), "block1");
    case FORM.block2: return c.block(c.u16("block2 length"), "block2");
    case FORM.block4: return c.block(c.u32("block4 length"), "block4");
    case FORM.block: case FORM.exprloc: return c.block(c.uleb("block length"), "block");
    case FORM.indirect: {
      const actual = c.count("indirect form");
      if (actual === FORM.indirect) throw new Malformed(`${c.section}+0x${c.pos.toString(16)}: DW_FORM_indirect refers to itself`);
      return readForm(c, actual, ctx);
    }
    default:
      throw new Malformed(`${c.section}+0x${c.pos.toString(16)}: unknown attribute form 0x${form.toString(16)}`);
  }
}

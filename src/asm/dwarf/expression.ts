/**
 * DWARF expressions (DWARF 5 §2.5, §2.6): the stack machine that says where a variable lives at a
 * pc, as gcc 12 emits it at -O0, -Og and -O2 (DW_OP_fbreg; DW_OP_reg and DW_OP_breg for values kept in
 * registers; DW_OP_entry_value for an argument's value on entry; DW_OP_stack_value and
 * DW_OP_implicit_value for values computed rather than stored; DW_OP_piece for values split
 * across places), and the DW_CFA_def_cfa_expression rules of call frame information.
 */
import { Cursor, Malformed } from "./form";

/** Where the bytes of (part of) a value are. */
export type PieceWhere =
  | { kind: "memory"; address: bigint }
  | { kind: "register"; reg: number }
  | { kind: "value"; value: bigint }
  | { kind: "implicit"; bytes: Uint8Array }
  | { kind: "optimized" };

/** One piece of a value; `size` (bytes) is absent when the piece is the whole value. */
export interface Piece {
  where: PieceWhere;
  size?: number;
}

/** A base type of DWARF's typed stack (DW_OP_const_type, DW_OP_regval_type, DW_OP_convert): DW_ATE_* and bytes. */
export interface BaseType {
  encoding: number;
  size: number;
}

/** The base type DIE at a unit-relative offset, for the typed operations. */
export type BaseTypes = (unitOffset: number) => BaseType | undefined;

/** What evaluating an expression may need from the frame it is evaluated in. */
export interface ExprFrame {
  /** DWARF register `n` (0–31 x, 32–63 f) of this frame; undefined when it cannot be recovered. */
  reg(n: number): bigint | undefined;
  read(addr: bigint, size: number): Uint8Array | null;
  /** The function's DW_AT_frame_base value (for DW_OP_fbreg), or why it is not known. */
  frameBase?(): bigint | string;
  /** The frame's canonical frame address (DW_OP_call_frame_cfa), or why it is not known. */
  cfa?(): bigint | string;
  /** The value DW_OP_entry_value's expression had on entry to the function, or why not known. */
  entryValue?(expr: Uint8Array): bigint | string;
}

/** Why an expression has no value here: the text a debugger shows in angle brackets. */
export class NoValue extends Error {}

export const OPTIMIZED_OUT = "optimized out";

const MASK = (1n << 64n) - 1n;
const u64 = (v: bigint) => v & MASK;
const s64 = (v: bigint) => BigInt.asIntN(64, v);

/** The value of little-endian bytes (the target's order). */
export function littleEndian(bytes: Uint8Array): bigint {
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]);
  return v;
}

/** The low `size` bytes of a value, little-endian. */
export function bytesOf(v: bigint, size: number): Uint8Array {
  return Uint8Array.from({ length: size }, (_, i) => Number((v >> BigInt(8 * i)) & 0xffn));
}

/** Evaluates a location expression; throws NoValue when the frame cannot give what it needs. */
export function evaluateLocation(expr: Uint8Array, frame: ExprFrame, addressSize = 8, types?: BaseTypes): Piece[] {
  return new Machine(expr, frame, addressSize, [], types).run();
}

/** Evaluates an expression whose result is a value (DW_AT_call_value, a CFA expression); throws NoValue. */
export function evaluateValue(expr: Uint8Array, frame: ExprFrame, addressSize = 8, initial: bigint[] = []): bigint {
  const pieces = new Machine(expr, frame, addressSize, initial).run();
  const only = pieces.length === 1 ? pieces[0].where : undefined;
  switch (only?.kind) {
    case "memory": return only.address; // a value expression leaves its value where an address would be
    case "value": return only.value;
    case "register": {
      const v = frame.reg(only.reg);
      if (v === undefined) throw new NoValue(OPTIMIZED_OUT);
      return v;
    }
    default: throw new NoValue(OPTIMIZED_OUT);
  }
}

const ATE_FLOAT = 4;
const ATE_SIGNED = 5;

/** A stack entry: its bits, and its base type (none: DWARF's generic, address-sized type). */
interface Entry {
  v: bigint;
  t?: BaseType;
}

const isFloat = (t: BaseType | undefined) => t?.encoding === ATE_FLOAT && (t.size === 4 || t.size === 8);

function toNumber(e: Entry): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, e.v, true);
  if (isFloat(e.t)) return e.t!.size === 4 ? view.getFloat32(0, true) : view.getFloat64(0, true);
  return Number(e.t?.encoding === ATE_SIGNED || !e.t ? BigInt.asIntN((e.t?.size ?? 8) * 8, e.v) : e.v);
}

function fromNumber(n: number, t: BaseType): bigint {
  const view = new DataView(new ArrayBuffer(8));
  if (t.size === 4) view.setFloat32(0, n, true);
  else view.setFloat64(0, n, true);
  return view.getBigUint64(0, true);
}

/** The entry converted to type `t` (DW_OP_convert): floats and integers by value, integers by width. */
function convert(e: Entry, t: BaseType | undefined): Entry {
  if (isFloat(t)) return { v: isFloat(e.t) && e.t!.size === t!.size ? e.v : fromNumber(toNumber(e), t!), t };
  const bits = BigInt((t?.size ?? 8) * 8);
  const whole = isFloat(e.t) ? BigInt(Math.trunc(toNumber(e))) : e.t?.encoding === ATE_SIGNED ? BigInt.asIntN(e.t.size * 8, e.v) : e.v;
  return { v: BigInt.asUintN(Number(bits), whole), t };
}

class Machine {
  private readonly stack: Entry[];
  private readonly pieces: Piece[] = [];
  /** What the expression since the last piece describes, before DW_OP_piece or the end closes it. */
  private pending: PieceWhere | undefined;

  constructor(private readonly expr: Uint8Array, private readonly frame: ExprFrame, private readonly addressSize: number, initial: bigint[] = [], private readonly types?: BaseTypes) {
    this.stack = initial.map((v) => ({ v }));
  }

  private popEntry(): Entry {
    const e = this.stack.pop();
    if (e === undefined) throw new Malformed("DWARF expression pops an empty stack");
    return e;
  }
  private pop(): bigint {
    return this.popEntry().v;
  }
  private push(v: bigint, t?: BaseType): void {
    this.stack.push({ v: t ? BigInt.asUintN(t.size * 8, v) : u64(v), t });
  }
  private type(c: Cursor): BaseType | undefined {
    const offset = c.count("base type offset");
    if (offset === 0) return undefined; // the generic type
    const t = this.types?.(offset);
    if (!t) throw new NoValue(`DWARF expression names a base type at unit offset 0x${offset.toString(16)} that is not there`);
    return t;
  }
  private reg(n: number): bigint {
    const v = this.frame.reg(n);
    if (v === undefined) throw new NoValue(OPTIMIZED_OUT);
    return v;
  }
  private known(v: bigint | string | undefined, what: string): bigint {
    if (v === undefined) throw new NoValue(`${what} is not known`);
    if (typeof v === "string") throw new NoValue(v);
    return v;
  }
  private read(addr: bigint, size: number): bigint {
    const b = this.frame.read(addr, size);
    if (!b) throw new NoValue(`cannot read ${size} bytes at 0x${addr.toString(16)}`);
    return littleEndian(b);
  }

  run(): Piece[] {
    const c = new Cursor(this.expr, "DWARF expression");
    while (c.left > 0) {
      const op = c.u8("opcode");
      if (this.pending && op !== 0x93 && op !== 0x9d) throw new Malformed(`DWARF expression continues after a register or implicit location (op 0x${op.toString(16)})`);
      if (op >= 0x30 && op <= 0x4f) this.push(BigInt(op - 0x30));
      else if (op >= 0x50 && op <= 0x6f) this.pending = { kind: "register", reg: op - 0x50 };
      else if (op >= 0x70 && op <= 0x8f) this.push(this.reg(op - 0x70) + c.sleb("DW_OP_breg offset"));
      else this.op(op, c);
    }
    if (this.pending || this.stack.length) this.close(undefined);
    else if (this.pieces.length === 0) this.pieces.push({ where: { kind: "optimized" } });
    return this.pieces;
  }

  /** Ends a piece (or the whole value): a register or implicit location, else the address on top of the stack. */
  private close(size: number | undefined): void {
    let where: PieceWhere;
    if (this.pending) where = this.pending;
    else if (this.stack.length) where = { kind: "memory", address: this.pop() };
    else where = { kind: "optimized" }; // an empty piece: that part of the value is gone
    this.pending = undefined;
    this.pieces.push(size === undefined ? { where } : { where, size });
  }

  private op(op: number, c: Cursor): void {
    const binary = (f: (a: bigint, b: bigint) => bigint, float?: (a: number, b: number) => number) => {
      const b = this.popEntry();
      const a = this.popEntry();
      if (float && (isFloat(a.t) || isFloat(b.t))) this.push(fromNumber(float(toNumber(a), toNumber(b)), a.t ?? b.t!), a.t ?? b.t);
      else this.push(f(a.v, b.v), a.t);
    };
    const compare = (f: (a: bigint, b: bigint) => boolean) => binary((a, b) => (f(s64(a), s64(b)) ? 1n : 0n));
    switch (op) {
      case 0x03: this.push(c.sized(this.addressSize, "DW_OP_addr")); return;
      case 0x06: this.push(this.read(this.pop(), this.addressSize)); return; // deref
      case 0x08: this.push(BigInt(c.u8("const1u"))); return;
      case 0x09: this.push(BigInt(c.i8("const1s"))); return;
      case 0x0a: this.push(BigInt(c.u16("const2u"))); return;
      case 0x0b: this.push(BigInt.asIntN(16, BigInt(c.u16("const2s")))); return;
      case 0x0c: this.push(BigInt(c.u32("const4u"))); return;
      case 0x0d: this.push(BigInt.asIntN(32, BigInt(c.u32("const4s")))); return;
      case 0x0e: case 0x0f: this.push(c.u64("const8")); return;
      case 0x10: this.push(c.uleb("constu")); return;
      case 0x11: this.push(c.sleb("consts")); return;
      case 0x12: { const e = this.popEntry(); this.stack.push(e, e); return; } // dup
      case 0x13: this.pop(); return; // drop
      case 0x14: this.stack.push(this.pick(1)); return; // over
      case 0x15: this.stack.push(this.pick(c.u8("pick index"))); return;
      case 0x16: { const b = this.popEntry(); const a = this.popEntry(); this.stack.push(b, a); return; } // swap
      case 0x17: { const a = this.popEntry(); const b = this.popEntry(); const d = this.popEntry(); this.stack.push(a, d, b); return; } // rot
      case 0x19: { // abs
        const e = this.popEntry();
        if (isFloat(e.t)) this.push(fromNumber(Math.abs(toNumber(e)), e.t!), e.t);
        else this.push(s64(e.v) < 0n ? -s64(e.v) : e.v, e.t);
        return;
      }
      case 0x1a: binary((a, b) => a & b); return;
      case 0x1b: binary((a, b) => { if (b === 0n) throw new NoValue("division by zero in a DWARF expression"); return s64(a) / s64(b); }, (a, b) => a / b); return;
      case 0x1c: binary((a, b) => a - b, (a, b) => a - b); return;
      case 0x1d: binary((a, b) => { if (b === 0n) throw new NoValue("division by zero in a DWARF expression"); return a % b; }); return;
      case 0x1e: binary((a, b) => a * b, (a, b) => a * b); return;
      case 0x1f: { // neg
        const e = this.popEntry();
        this.push(isFloat(e.t) ? fromNumber(-toNumber(e), e.t!) : -s64(e.v), e.t);
        return;
      }
      case 0x20: this.push(~this.pop()); return; // not
      case 0x21: binary((a, b) => a | b); return;
      case 0x22: binary((a, b) => a + b, (a, b) => a + b); return;
      case 0x23: this.push(this.pop() + c.uleb("plus_uconst")); return;
      case 0x24: binary((a, b) => (b >= 64n ? 0n : a << b)); return;
      case 0x25: binary((a, b) => (b >= 64n ? 0n : a >> b)); return;
      case 0x26: binary((a, b) => s64(a) >> (b >= 64n ? 63n : b)); return;
      case 0x27: binary((a, b) => a ^ b); return;
      case 0x28: { const to = c.i16("bra offset"); if (this.pop() !== 0n) this.jump(c, to); return; }
      case 0x29: compare((a, b) => a === b); return;
      case 0x2a: compare((a, b) => a >= b); return;
      case 0x2b: compare((a, b) => a > b); return;
      case 0x2c: compare((a, b) => a <= b); return;
      case 0x2d: compare((a, b) => a < b); return;
      case 0x2e: compare((a, b) => a !== b); return;
      case 0x2f: this.jump(c, c.i16("skip offset")); return;
      case 0x90: this.pending = { kind: "register", reg: c.count("DW_OP_regx register") }; return;
      case 0x91: { // fbreg
        const offset = c.sleb("DW_OP_fbreg offset");
        this.push(this.known(this.frame.frameBase?.(), "the frame base") + offset);
        return;
      }
      case 0x92: { const r = c.count("DW_OP_bregx register"); this.push(this.reg(r) + c.sleb("DW_OP_bregx offset")); return; }
      case 0x93: this.close(c.count("DW_OP_piece size")); return;
      case 0x94: { const n = c.u8("deref_size"); this.push(this.read(this.pop(), n)); return; }
      case 0x96: return; // nop
      case 0x9c: this.push(this.known(this.frame.cfa?.(), "the canonical frame address")); return;
      case 0x9e: { const n = c.count("implicit_value size"); this.pending = { kind: "implicit", bytes: this.expr.slice(c.pos, c.pos + n) }; c.skip(n, "implicit_value"); return; }
      case 0x9f: this.pending = { kind: "value", value: this.pop() }; return; // stack_value
      case 0xa3: case 0xf3: { // entry_value, GNU_entry_value
        const n = c.count("entry_value size");
        const inner = this.expr.subarray(c.pos, c.pos + n);
        c.skip(n, "entry_value expression");
        if (!this.frame.entryValue) throw new NoValue(OPTIMIZED_OUT);
        this.push(this.known(this.frame.entryValue(inner), "the entry value"));
        return;
      }
      case 0xa4: case 0xf4: { // const_type
        const t = this.type(c);
        const n = c.u8("const_type size");
        const bytes = c.take(n, "const_type value");
        this.push(littleEndian(bytes.subarray(0, 8)), t);
        return;
      }
      case 0xa5: case 0xf5: { // regval_type
        const r = c.count("regval_type register");
        this.push(this.reg(r), this.type(c));
        return;
      }
      case 0xa6: case 0xf6: { // deref_type
        const n = c.u8("deref_type size");
        const t = this.type(c);
        this.push(this.read(this.pop(), n), t);
        return;
      }
      case 0xa8: case 0xf7: { const t = this.type(c); this.stack.push(convert(this.popEntry(), t)); return; }
      case 0xa9: case 0xf9: { const t = this.type(c); this.push(this.pop(), t); return; } // reinterpret
      case 0xa0: case 0xf2: throw new NoValue("a pointer to an optimized-out object (DW_OP_implicit_pointer)");
      case 0xfa: throw new NoValue(OPTIMIZED_OUT); // GNU_parameter_ref: a value only the caller knew
      default: throw new NoValue(`DWARF expression op 0x${op.toString(16)} not supported`);
    }
  }

  private pick(i: number): Entry {
    const v = this.stack[this.stack.length - 1 - i];
    if (v === undefined) throw new Malformed(`DW_OP_pick ${i} reaches below the stack`);
    return v;
  }

  private jump(c: Cursor, offset: number): void {
    const to = c.pos + offset;
    if (to < 0 || to > this.expr.length) throw new Malformed(`DWARF expression branches outside itself (to ${to})`);
    // A backward branch could loop forever on crafted input; gcc never emits one in a location.
    if (offset < 0) throw new NoValue("a backward branch in a DWARF expression is not supported");
    c.pos = to;
  }
}

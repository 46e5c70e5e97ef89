import type { CFunction, CProgram, CScope, CVariable } from "../asm/dwarf/c_program";
import { locationAt } from "../asm/dwarf/lists";
import { locate, type FrameBase } from "../asm/dwarf/locations";
import { registerOf } from "../asm/dwarf/c_program";
import { bytesOf, evaluateValue, NoValue, OPTIMIZED_OUT, type ExprFrame, type Piece, type PieceWhere } from "../asm/dwarf/expression";
import { Malformed } from "../asm/dwarf/form";
import { sizeOf, type CType } from "../asm/dwarf/types";
import { disassemble, encodedLength } from "../asm/disasm";
import type { Target } from "../target/target";
import type { Place } from "./c_values";
import type { Frame } from "./stack";

const S0 = 8;

/**
 * The canonical frame address of a C frame (its DW_OP_fbreg base when DW_AT_frame_base says DW_OP_call_frame_cfa), or why
 * it is not known. CFI gives it exactly wherever the pc is. Without CFI, gcc -O0 points s0 at the
 * CFA at the end of its prologue (`addi s0,sp,N`) and reloads the caller's s0 in its epilogue
 * (`ld s0,M(sp)`); in between, s0 is the CFA. A caller's CFA is then the s0 its callee saved, from
 * the frame-pointer chain. Anything else is reported, never guessed.
 */
export function frameCfa(target: Target, frame: Frame, fn: CFunction): bigint | string {
  if (frame.cfa !== undefined) return frame.cfa;
  if (frame.kind === "trapped") return "the registers of an interrupted frame are not recovered yet";
  if (frame.kind === "return") return frame.fp ?? "the frame-pointer chain does not reach this frame";
  let set = false;
  for (let a = fn.lowPc; a < frame.pc; ) {
    const bytes = target.readMemory("va", a, 2);
    if (!bytes) return `cannot read the code at 0x${a.toString(16)}`;
    const length = encodedLength(bytes[0] | (bytes[1] << 8));
    const word = target.readMemory("va", a, length);
    if (!word) return `cannot read the code at 0x${a.toString(16)}`;
    const text = disassemble(word.reduce((v, b, i) => v | (b << (8 * i)), 0) >>> 0, a).text;
    if (/^addi?\ts0,sp,/.test(text)) set = true;
    if (/^ld\ts0,/.test(text)) return "the frame is being torn down (pc is in the epilogue)";
    a += BigInt(length);
  }
  return set ? target.getReg(S0) : "the frame is not set up yet (pc is in the prologue)";
}

/** A C frame: its function, the pc its variables' locations are looked up at, and how to evaluate them there. */
export interface CFrame {
  fn: CFunction;
  /** Whose arguments and locals the frame shows: the function's, or an inlined call's (whose variables live in the function's frame). */
  scope: CScope;
  /** A caller's pc is a return address: what is in scope is what was at the call, just before it. */
  pc: bigint;
  expr: ExprFrame;
}

/**
 * The C frame `frames[index]`, or undefined when its pc has no DWARF function. Registers come from
 * the hart (frame 0) or from the unwinder (callers); a register the unwinder did not recover has
 * no value, as in gdb. DW_OP_entry_value is answered from the caller's call site.
 */
export function cFrame(target: Target, c: CProgram, frames: readonly Frame[], index: number): CFrame | undefined {
  const frame = frames[index];
  if (!frame) return undefined;
  const pc = frame.kind === "return" ? frame.pc - 1n : frame.pc;
  const fn = c.functionAt(pc);
  if (!fn) return undefined;
  const reg = (n: number): bigint | undefined => {
    if (n === 0) return 0n;
    if (frame.kind === "current") return n < 32 ? target.getReg(n) : n < 64 ? target.getFpReg(n - 32) : undefined;
    return frame.regs?.get(n) ?? (n === S0 ? frame.fp : undefined);
  };
  const cfa = () => frameCfa(target, frame, fn);
  const regs: ExprFrame = { reg, read: (a, n) => target.readMemory("va", a, n) };
  return {
    fn,
    scope: frame.inlined ?? fn,
    pc,
    expr: {
      reg,
      read: (a, n) => target.readMemory("va", a, n),
      frameBase: () => frameBase(fn.frameBase, pc, regs, cfa),
      cfa,
      entryValue: (e) => entryValue(target, c, frames, index, fn, e),
    },
  };
}

/** A function's frame base at `pc`: the CFA, or its expression (or location list entry) over the frame's registers. */
function frameBase(base: FrameBase, pc: bigint, regs: ExprFrame, cfa: () => bigint | string): bigint | string {
  if (base.kind === "cfa") return cfa();
  if (base.kind === "unsupported") return base.why;
  const expr = base.kind === "expr" ? base.expr : locationAt(base.list, pc);
  if (!expr) return "the frame base is not known at this pc";
  try {
    return evaluateValue(expr, regs);
  } catch (e) {
    if (e instanceof NoValue) return e.message;
    if (e instanceof Malformed) return `malformed frame base: ${e.message}`;
    throw e;
  }
}

/**
 * The value an argument register had when `fn` was entered, as gdb finds it: the caller's call
 * site at the return address must call `fn` and say what it passed in that register
 * (DW_AT_call_value), evaluated in the caller's frame. Otherwise the value is optimized out.
 * Frames of inlined calls share `fn`'s entry: the caller is the frame below `fn`'s own.
 */
function entryValue(target: Target, c: CProgram, frames: readonly Frame[], at: number, fn: CFunction, expr: Uint8Array): bigint | string {
  const reg = registerOf(expr);
  let index = at;
  while (frames[index]?.inlined) index++;
  const caller = frames[index + 1];
  if (reg === undefined || caller?.kind !== "return") return OPTIMIZED_OUT;
  const site = c.callSiteAt(caller.pc);
  const callsFn = site && (site.callee.lowPc !== undefined ? site.callee.lowPc === fn.lowPc : site.callee.name === fn.name);
  const value = callsFn ? site.params.get(reg) : undefined;
  const outer = value && cFrame(target, c, frames, index + 1);
  if (!value || !outer) return OPTIMIZED_OUT;
  try {
    return evaluateValue(value, outer.expr);
  } catch (e) {
    if (e instanceof NoValue) return e.message;
    if (e instanceof Malformed) return `malformed call site value: ${e.message}`;
    throw e;
  }
}

/** Where a variable (of the frame's function, or a global) is at the frame's pc, for cVariable. */
export function placeIn(frame: CFrame, v: CVariable): Place {
  return placeOf(locate(v.location, frame.pc, frame.expr), v.type, frame.expr);
}

/**
 * Where a variable's value is, for cVariable: its address when it lives whole in memory, else its
 * bytes gathered from its pieces (registers, computed values, memory), or why there is none.
 */
export function placeOf(pieces: readonly Piece[] | string, type: CType, frame: ExprFrame): Place {
  if (typeof pieces === "string") return pieces;
  const only = pieces.length === 1 && pieces[0].size === undefined ? pieces[0].where : undefined;
  if (only?.kind === "memory") return only.address;
  const total = sizeOf(type) ?? pieces.reduce((n, p) => n + (p.size ?? 8), 0);
  const bytes = new Uint8Array(total);
  const missing = new Array<boolean>(total).fill(true);
  let at = 0;
  for (const p of pieces) {
    const size = Math.min(p.size ?? total - at, total - at);
    const got = pieceBytes(p.where, size, frame);
    if (got) {
      bytes.set(got.subarray(0, size), at);
      missing.fill(false, at, at + Math.min(size, got.length));
    }
    at += size;
  }
  if (missing.every(Boolean)) return OPTIMIZED_OUT;
  return missing.some(Boolean) ? { bytes, missing } : { bytes };
}

function pieceBytes(where: PieceWhere, size: number, frame: ExprFrame): Uint8Array | null {
  switch (where.kind) {
    case "memory": return frame.read(where.address, size);
    case "register": {
      const v = frame.reg(where.reg);
      return v === undefined ? null : bytesOf(v, 8);
    }
    case "value": return bytesOf(where.value, 8);
    case "implicit": return where.bytes;
    case "optimized": return null;
  }
}

import type { CFunction } from "../asm/dwarf/c_program";
import { disassemble, encodedLength } from "../asm/disasm";
import type { Target } from "../target/target";
import type { Frame } from "./stack";

const S0 = 8;

/**
 * The canonical frame address of a C frame: the base its DW_OP_fbreg locations count from, or why
 * it is not known. gcc -O0 points s0 at the CFA at the end of its prologue (`addi s0,sp,N`) and
 * reloads the caller's s0 in its epilogue (`ld s0,M(sp)`); in between, s0 is the CFA. A caller's
 * CFA is the s0 its callee saved, from the frame-pointer chain. Anything else is reported, never
 * guessed (CFI unwinding would tell more).
 */
export function frameCfa(target: Target, frame: Frame, fn: CFunction): bigint | string {
  if (fn.frameBase.kind !== "cfa") return fn.frameBase.why;
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

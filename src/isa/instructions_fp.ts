/**
 * The F and D extensions' 32-bit encodings (single and double precision), as data for
 * `instructions.ts`. Operand templates use binutils' letters: D/S/T/R an f register in rd/rs1/rs2/rs3,
 * d/s an x register in rd/rs1, and a trailing `m` the rounding mode in bits 14:12, which the
 * assembler may leave out (it then writes `dyn`, 7). Entries without `m` fix bits 14:12 in their mask.
 */
import type { InstructionSpec } from "./instructions";

const RM = 0xfe00007f; // funct7 + opcode: rs1, rs2, rd and rm free
const RM1 = 0xfff0007f; // funct7 + rs2 + opcode: rs1, rd and rm free
const F7 = 0xfe00707f; // funct7 + funct3 + opcode
const F7R = 0xfff0707f; // funct7 + rs2 + funct3 + opcode
const F3 = 0x707f;
const R4 = 0x0600007f; // fmt (26:25) + opcode: rs3 in 31:27, rm free

function fp(name: string, match: number, mask: number, operands: string, ext: "F" | "D", rv64 = false): InstructionSpec {
  const spec = { name, match: match >>> 0, mask: mask >>> 0, format: "FP" as const, operands, ext };
  return rv64 ? { ...spec, rv64 } : spec;
}

/** One precision's instructions: `p` is the suffix (s, d), `fmt` the format field in bits 26:25. */
function precision(p: "s" | "d", fmt: number, ext: "F" | "D"): InstructionSpec[] {
  const f = fmt << 25;
  const width = p === "s" ? 0x2000 : 0x3000;
  const load = { name: p === "s" ? "flw" : "fld", match: 0x07 | width, mask: F3, format: "FLOAD" as const, ext };
  const store = { name: p === "s" ? "fsw" : "fsd", match: 0x27 | width, mask: F3, format: "FSTORE" as const, ext };
  const xw = p === "s" ? "w" : "d"; // fmv.x.w / fmv.x.d
  return [
    load,
    store,
    fp(`fmadd.${p}`, 0x43 | f, R4, "D,S,T,R,m", ext),
    fp(`fmsub.${p}`, 0x47 | f, R4, "D,S,T,R,m", ext),
    fp(`fnmsub.${p}`, 0x4b | f, R4, "D,S,T,R,m", ext),
    fp(`fnmadd.${p}`, 0x4f | f, R4, "D,S,T,R,m", ext),
    fp(`fadd.${p}`, 0x00000053 | f, RM, "D,S,T,m", ext),
    fp(`fsub.${p}`, 0x08000053 | f, RM, "D,S,T,m", ext),
    fp(`fmul.${p}`, 0x10000053 | f, RM, "D,S,T,m", ext),
    fp(`fdiv.${p}`, 0x18000053 | f, RM, "D,S,T,m", ext),
    fp(`fsqrt.${p}`, 0x58000053 | f, RM1, "D,S,m", ext),
    fp(`fsgnj.${p}`, 0x20000053 | f, F7, "D,S,T", ext),
    fp(`fsgnjn.${p}`, 0x20001053 | f, F7, "D,S,T", ext),
    fp(`fsgnjx.${p}`, 0x20002053 | f, F7, "D,S,T", ext),
    fp(`fmin.${p}`, 0x28000053 | f, F7, "D,S,T", ext),
    fp(`fmax.${p}`, 0x28001053 | f, F7, "D,S,T", ext),
    fp(`fcvt.w.${p}`, 0xc0000053 | f, RM1, "d,S,m", ext),
    fp(`fcvt.wu.${p}`, 0xc0100053 | f, RM1, "d,S,m", ext),
    fp(`fcvt.l.${p}`, 0xc0200053 | f, RM1, "d,S,m", ext, true),
    fp(`fcvt.lu.${p}`, 0xc0300053 | f, RM1, "d,S,m", ext, true),
    fp(`fmv.x.${xw}`, 0xe0000053 | f, F7R, "d,S", ext, p === "d"),
    fp(`fclass.${p}`, 0xe0001053 | f, F7R, "d,S", ext),
    fp(`feq.${p}`, 0xa0002053 | f, F7, "d,S,T", ext),
    fp(`flt.${p}`, 0xa0001053 | f, F7, "d,S,T", ext),
    fp(`fle.${p}`, 0xa0000053 | f, F7, "d,S,T", ext),
    fp(`fcvt.${p}.w`, 0xd0000053 | f, RM1, "D,s,m", ext),
    fp(`fcvt.${p}.wu`, 0xd0100053 | f, RM1, "D,s,m", ext),
    fp(`fcvt.${p}.l`, 0xd0200053 | f, RM1, "D,s,m", ext, true),
    fp(`fcvt.${p}.lu`, 0xd0300053 | f, RM1, "D,s,m", ext, true),
    fp(`fmv.${xw}.x`, 0xf0000053 | f, F7R, "D,s", ext, p === "d"),
  ];
}

export const FP_INSTRUCTIONS: readonly InstructionSpec[] = [
  ...precision("s", 0, "F"),
  ...precision("d", 1, "D"),
  fp("fcvt.s.d", 0x40100053, RM1, "D,S,m", "D"),
  fp("fcvt.d.s", 0x42000053, RM1, "D,S,m", "D"),
];

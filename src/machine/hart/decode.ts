import { expandCompressed } from "../../isa/compressed";
import { immB, immI, immJ, immS, immU } from "../../isa/fields";
import { findInstruction, type InstructionSpec } from "../../isa/instructions";
import { Op } from "./ops";

/**
 * Decoding into the form the hot loop executes: two int32 words per instruction.
 *
 *   word 0: op (bits 6:0) | 2·rd (13:7) | 2·rs1 (20:14) | 2·rs2 (27:21) | length in bytes (30:28)
 *   word 1: the immediate, sign-extended (shift amount for shifts)
 *
 * Register numbers are doubled because each register is a lo/hi pair in the register file. rd = x0
 * becomes pair 32, a scratch pair nobody reads, so that writes to x0 need no test. Word 0 is never
 * 0 (which marks an empty cache slot) nor negative (which marks a cross-page slot).
 *
 * The mapping from mnemonic to operation is the only thing here that knows names: decoding itself is
 * done by the ISA table, so the hart and the disassembler cannot disagree.
 */

const OP_BY_NAME: Record<string, Op> = {
  lui: Op.Lui, auipc: Op.Auipc, jal: Op.Jal, jalr: Op.Jalr,
  beq: Op.Beq, bne: Op.Bne, blt: Op.Blt, bge: Op.Bge, bltu: Op.Bltu, bgeu: Op.Bgeu,
  lb: Op.Lb, lh: Op.Lh, lw: Op.Lw, ld: Op.Ld, lbu: Op.Lbu, lhu: Op.Lhu, lwu: Op.Lwu,
  sb: Op.Sb, sh: Op.Sh, sw: Op.Sw, sd: Op.Sd,
  addi: Op.Addi, slti: Op.Slti, sltiu: Op.Sltiu, xori: Op.Xori, ori: Op.Ori, andi: Op.Andi,
  slli: Op.Slli, srli: Op.Srli, srai: Op.Srai,
  add: Op.Add, sub: Op.Sub, sll: Op.Sll, slt: Op.Slt, sltu: Op.Sltu, xor: Op.Xor, srl: Op.Srl,
  sra: Op.Sra, or: Op.Or, and: Op.And,
  addiw: Op.Addiw, slliw: Op.Slliw, srliw: Op.Srliw, sraiw: Op.Sraiw,
  addw: Op.Addw, subw: Op.Subw, sllw: Op.Sllw, srlw: Op.Srlw, sraw: Op.Sraw,
  mul: Op.Mul, mulh: Op.Mulh, mulhsu: Op.Mulhsu, mulhu: Op.Mulhu, div: Op.Div, divu: Op.Divu,
  rem: Op.Rem, remu: Op.Remu, mulw: Op.Mulw, divw: Op.Divw, divuw: Op.Divuw, remw: Op.Remw, remuw: Op.Remuw,
  fence: Op.Fence, "fence.tso": Op.Fence, pause: Op.Fence,
};

/**
 * Extensions whose instructions this hart executes out of line; everything else is illegal. Decoding
 * does not depend on the hart, so H, F and D instructions are out of line always and system.ts raises
 * illegal instruction for them on a hart without the extension.
 */
const SLOW_EXTENSIONS = new Set(["A", "F", "D", "Zicsr", "Zifencei", "Priv", "I", "H"]);

/** The operation for a table entry: fast ops by name, the rest out of line. */
function opFor(spec: InstructionSpec): Op {
  const op = OP_BY_NAME[spec.name];
  if (op !== undefined) return op;
  return SLOW_EXTENSIONS.has(spec.ext) ? Op.Slow : Op.Illegal;
}

function immFor(spec: InstructionSpec, b: number): number {
  switch (spec.format) {
    case "U": return immU(b);
    case "J": return immJ(b);
    case "B": return immB(b);
    case "STORE": return immS(b);
    case "SHIFT64": return (b >>> 20) & 63;
    case "SHIFT32": return (b >>> 20) & 31;
    case "I": case "JALR": case "LOAD": return immI(b);
    default: return 0;
  }
}

/** The 32-bit instruction that `raw` stands for: itself, or the expansion of a compressed one (0 if reserved). */
export function expandedBits(raw: number, len: 2 | 4): number {
  return len === 2 ? expandCompressed(raw & 0xffff) : raw | 0;
}

/** Decodes `raw` (16 or 32 bits) into out[at] (word 0) and out[at + 1] (immediate). */
export function decodeInto(raw: number, len: 2 | 4, out: Int32Array, at: number): void {
  const b = expandedBits(raw, len);
  const spec = b === 0 ? undefined : findInstruction(b);
  const op = spec ? opFor(spec) : Op.Illegal;
  const rd = (b >>> 7) & 31;
  out[at] = op | ((rd === 0 ? 32 : rd) << 8) | (((b >>> 15) & 31) << 15) | (((b >>> 20) & 31) << 22) | (len << 28);
  out[at + 1] = spec ? immFor(spec, b) : 0;
}

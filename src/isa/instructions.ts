/**
 * The RISC-V instruction encodings Hyperstep knows: RV64I, M, A, F, D (instructions_fp.ts), Zicsr,
 * Zifencei, Zihintpause, the privileged instructions, the H extension's and the debug spec's dret, plus the compressed (C) forms.
 * An entry is not a promise that the hart executes it: the hart decides by extension (dret, for one,
 * is illegal outside debug mode, which this hart never enters).
 *
 * An instruction matches when `(bits & mask) === match`. The hart's decoder, the assembler, the
 * disassembler and the editor's hover all read these tables, so they cannot disagree. The tables are
 * data; the few helpers below only index them.
 */
import { FP_INSTRUCTIONS } from "./instructions_fp";

/** Operand layout of a 32-bit instruction, i.e. which fields it has and how the assembler writes them. */
export type Format =
  | "R" // rd, rs1, rs2
  | "I" // rd, rs1, imm[11:0]
  | "JALR" // rd, imm(rs1)
  | "LOAD" // rd, imm(rs1)
  | "STORE" // rs2, imm(rs1)
  | "B" // rs1, rs2, pc-relative offset
  | "U" // rd, imm[31:12]
  | "J" // rd, pc-relative offset
  | "SHIFT64" // rd, rs1, shamt[5:0]
  | "SHIFT32" // rd, rs1, shamt[4:0]
  | "AMO" // rd, rs2, (rs1) with aq/rl
  | "LR" // rd, (rs1) with aq/rl
  | "CSR" // rd, csr, rs1
  | "CSRI" // rd, csr, uimm[4:0]
  | "FENCE" // pred, succ
  | "NONE" // no operands
  | "SFENCE" // rs1, rs2 (sfence.vma, hfence.*)
  | "HLV" // rd, (rs1)
  | "HSV" // rs2, (rs1)
  | "FLOAD" // fd, imm(rs1)
  | "FSTORE" // fs2, imm(rs1)
  | "FP"; // the operands its `operands` template names (F and D)

export type Extension = "I" | "M" | "A" | "F" | "D" | "C" | "Zicsr" | "Zifencei" | "Zihintpause" | "Priv" | "H" | "Sdext";

export interface InstructionSpec {
  readonly name: string;
  readonly match: number;
  readonly mask: number;
  readonly format: Format;
  readonly ext: Extension;
  /** True for instructions that exist only in RV64 (the W forms, ld/sd, lwu, the .d atomics). */
  readonly rv64?: boolean;
  /** Format "FP": the operands in binutils' letters (instructions_fp.ts). */
  readonly operands?: string;
}

/** Masks of the fixed fields of each layout. */
const OPC = 0x7f;
const F3 = 0x707f;
const F7 = 0xfe00707f;
const F6 = 0xfc00707f; // RV64 shifts: funct6 + funct3 + opcode
const AMO = 0xf800707f; // funct5 + funct3 + opcode (aq/rl free)
const LR = 0xf9f0707f; // also rs2 = 0
const ALL = 0xffffffff;
const RS2F7 = 0xfe007fff; // funct7 + rd=0 + funct3 + opcode (sfence.vma, hfence.*, hsv)
const RS2F7RD = 0xfff0707f; // funct7 + rs2 fixed + funct3 + opcode (hlv)

function i(name: string, match: number, mask: number, format: Format, ext: Extension, rv64 = false): InstructionSpec {
  return rv64 ? { name, match: match >>> 0, mask: mask >>> 0, format, ext, rv64 } : { name, match: match >>> 0, mask: mask >>> 0, format, ext };
}

/** 32-bit instructions. Where several entries could match, the one with more mask bits comes first. */
export const INSTRUCTIONS: readonly InstructionSpec[] = [
  // RV64I
  i("lui", 0x37, OPC, "U", "I"),
  i("auipc", 0x17, OPC, "U", "I"),
  i("jal", 0x6f, OPC, "J", "I"),
  i("jalr", 0x67, F3, "JALR", "I"),
  i("beq", 0x63, F3, "B", "I"),
  i("bne", 0x1063, F3, "B", "I"),
  i("blt", 0x4063, F3, "B", "I"),
  i("bge", 0x5063, F3, "B", "I"),
  i("bltu", 0x6063, F3, "B", "I"),
  i("bgeu", 0x7063, F3, "B", "I"),
  i("lb", 0x03, F3, "LOAD", "I"),
  i("lh", 0x1003, F3, "LOAD", "I"),
  i("lw", 0x2003, F3, "LOAD", "I"),
  i("ld", 0x3003, F3, "LOAD", "I", true),
  i("lbu", 0x4003, F3, "LOAD", "I"),
  i("lhu", 0x5003, F3, "LOAD", "I"),
  i("lwu", 0x6003, F3, "LOAD", "I", true),
  i("sb", 0x23, F3, "STORE", "I"),
  i("sh", 0x1023, F3, "STORE", "I"),
  i("sw", 0x2023, F3, "STORE", "I"),
  i("sd", 0x3023, F3, "STORE", "I", true),
  i("addi", 0x13, F3, "I", "I"),
  i("slti", 0x2013, F3, "I", "I"),
  i("sltiu", 0x3013, F3, "I", "I"),
  i("xori", 0x4013, F3, "I", "I"),
  i("ori", 0x6013, F3, "I", "I"),
  i("andi", 0x7013, F3, "I", "I"),
  i("slli", 0x1013, F6, "SHIFT64", "I"),
  i("srli", 0x5013, F6, "SHIFT64", "I"),
  i("srai", 0x40005013, F6, "SHIFT64", "I"),
  i("add", 0x33, F7, "R", "I"),
  i("sub", 0x40000033, F7, "R", "I"),
  i("sll", 0x1033, F7, "R", "I"),
  i("slt", 0x2033, F7, "R", "I"),
  i("sltu", 0x3033, F7, "R", "I"),
  i("xor", 0x4033, F7, "R", "I"),
  i("srl", 0x5033, F7, "R", "I"),
  i("sra", 0x40005033, F7, "R", "I"),
  i("or", 0x6033, F7, "R", "I"),
  i("and", 0x7033, F7, "R", "I"),
  i("addiw", 0x1b, F3, "I", "I", true),
  i("slliw", 0x101b, F7, "SHIFT32", "I", true),
  i("srliw", 0x501b, F7, "SHIFT32", "I", true),
  i("sraiw", 0x4000501b, F7, "SHIFT32", "I", true),
  i("addw", 0x3b, F7, "R", "I", true),
  i("subw", 0x4000003b, F7, "R", "I", true),
  i("sllw", 0x103b, F7, "R", "I", true),
  i("srlw", 0x503b, F7, "R", "I", true),
  i("sraw", 0x4000503b, F7, "R", "I", true),
  i("fence.tso", 0x8330000f, 0xfff0707f, "NONE", "I"),
  i("pause", 0x0100000f, ALL, "NONE", "Zihintpause"), // the fence w,0 hint, named by Zihintpause
  i("fence", 0x0f, F3, "FENCE", "I"),
  i("ecall", 0x73, ALL, "NONE", "I"),
  i("ebreak", 0x00100073, ALL, "NONE", "I"),
  // Zifencei
  i("fence.i", 0x100f, F3, "NONE", "Zifencei"),
  // Zicsr
  i("csrrw", 0x1073, F3, "CSR", "Zicsr"),
  i("csrrs", 0x2073, F3, "CSR", "Zicsr"),
  i("csrrc", 0x3073, F3, "CSR", "Zicsr"),
  i("csrrwi", 0x5073, F3, "CSRI", "Zicsr"),
  i("csrrsi", 0x6073, F3, "CSRI", "Zicsr"),
  i("csrrci", 0x7073, F3, "CSRI", "Zicsr"),
  // M
  i("mul", 0x02000033, F7, "R", "M"),
  i("mulh", 0x02001033, F7, "R", "M"),
  i("mulhsu", 0x02002033, F7, "R", "M"),
  i("mulhu", 0x02003033, F7, "R", "M"),
  i("div", 0x02004033, F7, "R", "M"),
  i("divu", 0x02005033, F7, "R", "M"),
  i("rem", 0x02006033, F7, "R", "M"),
  i("remu", 0x02007033, F7, "R", "M"),
  i("mulw", 0x0200003b, F7, "R", "M", true),
  i("divw", 0x0200403b, F7, "R", "M", true),
  i("divuw", 0x0200503b, F7, "R", "M", true),
  i("remw", 0x0200603b, F7, "R", "M", true),
  i("remuw", 0x0200703b, F7, "R", "M", true),
  // A
  i("lr.w", 0x1000202f, LR, "LR", "A"),
  i("sc.w", 0x1800202f, AMO, "AMO", "A"),
  i("amoswap.w", 0x0800202f, AMO, "AMO", "A"),
  i("amoadd.w", 0x0000202f, AMO, "AMO", "A"),
  i("amoxor.w", 0x2000202f, AMO, "AMO", "A"),
  i("amoand.w", 0x6000202f, AMO, "AMO", "A"),
  i("amoor.w", 0x4000202f, AMO, "AMO", "A"),
  i("amomin.w", 0x8000202f, AMO, "AMO", "A"),
  i("amomax.w", 0xa000202f, AMO, "AMO", "A"),
  i("amominu.w", 0xc000202f, AMO, "AMO", "A"),
  i("amomaxu.w", 0xe000202f, AMO, "AMO", "A"),
  i("lr.d", 0x1000302f, LR, "LR", "A", true),
  i("sc.d", 0x1800302f, AMO, "AMO", "A", true),
  i("amoswap.d", 0x0800302f, AMO, "AMO", "A", true),
  i("amoadd.d", 0x0000302f, AMO, "AMO", "A", true),
  i("amoxor.d", 0x2000302f, AMO, "AMO", "A", true),
  i("amoand.d", 0x6000302f, AMO, "AMO", "A", true),
  i("amoor.d", 0x4000302f, AMO, "AMO", "A", true),
  i("amomin.d", 0x8000302f, AMO, "AMO", "A", true),
  i("amomax.d", 0xa000302f, AMO, "AMO", "A", true),
  i("amominu.d", 0xc000302f, AMO, "AMO", "A", true),
  i("amomaxu.d", 0xe000302f, AMO, "AMO", "A", true),
  // Privileged
  i("sret", 0x10200073, ALL, "NONE", "Priv"),
  i("mret", 0x30200073, ALL, "NONE", "Priv"),
  i("wfi", 0x10500073, ALL, "NONE", "Priv"),
  i("sfence.vma", 0x12000073, RS2F7, "SFENCE", "Priv"),
  // Sdext (debug spec): return from debug mode
  i("dret", 0x7b200073, ALL, "NONE", "Sdext"),
  // H
  i("hfence.vvma", 0x22000073, RS2F7, "SFENCE", "H"),
  i("hfence.gvma", 0x62000073, RS2F7, "SFENCE", "H"),
  i("hlv.b", 0x60004073, RS2F7RD, "HLV", "H"),
  i("hlv.bu", 0x60104073, RS2F7RD, "HLV", "H"),
  i("hlv.h", 0x64004073, RS2F7RD, "HLV", "H"),
  i("hlv.hu", 0x64104073, RS2F7RD, "HLV", "H"),
  i("hlvx.hu", 0x64304073, RS2F7RD, "HLV", "H"),
  i("hlv.w", 0x68004073, RS2F7RD, "HLV", "H"),
  i("hlvx.wu", 0x68304073, RS2F7RD, "HLV", "H"),
  i("hlv.wu", 0x68104073, RS2F7RD, "HLV", "H", true),
  i("hlv.d", 0x6c004073, RS2F7RD, "HLV", "H", true),
  i("hsv.b", 0x62004073, RS2F7, "HSV", "H"),
  i("hsv.h", 0x66004073, RS2F7, "HSV", "H"),
  i("hsv.w", 0x6a004073, RS2F7, "HSV", "H"),
  i("hsv.d", 0x6e004073, RS2F7, "HSV", "H", true),
  ...FP_INSTRUCTIONS,
];

/** Operand layout of a compressed instruction (the C extension's formats). */
export type CompressedFormat = "CR" | "CI" | "CSS" | "CIW" | "CL" | "CS" | "CA" | "CB" | "CJ" | "NONE";

export interface CompressedSpec {
  readonly name: string;
  readonly match: number;
  readonly mask: number;
  readonly format: CompressedFormat;
  readonly ext: "C";
  /** The D extension's forms (c.fld, c.fsd, c.fldsp, c.fsdsp) also need D. */
  readonly needs?: "D";
}

function c(name: string, match: number, mask: number, format: CompressedFormat, needs?: "D"): CompressedSpec {
  return needs ? { name, match, mask, format, ext: "C", needs } : { name, match, mask, format, ext: "C" };
}

/**
 * RV64C. Entries are in match order: an earlier entry with more mask bits (c.nop, c.addi16sp, c.jr,
 * c.ebreak) shadows the general one after it. Field constraints that make an encoding reserved (for
 * example c.addi4spn with a zero immediate) are checked by `expandCompressed`, not by the mask.
 * The D-extension forms (c.fld, c.fsd, c.fldsp, c.fsdsp) need D as well (RV64 has no c.flw/c.fsw:
 * those encodings are c.ld/c.sd).
 */
export const COMPRESSED: readonly CompressedSpec[] = [
  c("c.addi4spn", 0x0000, 0xe003, "CIW"),
  c("c.fld", 0x2000, 0xe003, "CL", "D"),
  c("c.lw", 0x4000, 0xe003, "CL"),
  c("c.ld", 0x6000, 0xe003, "CL"),
  c("c.fsd", 0xa000, 0xe003, "CS", "D"),
  c("c.sw", 0xc000, 0xe003, "CS"),
  c("c.sd", 0xe000, 0xe003, "CS"),
  c("c.nop", 0x0001, 0xef83, "NONE"),
  c("c.addi", 0x0001, 0xe003, "CI"),
  c("c.addiw", 0x2001, 0xe003, "CI"),
  c("c.li", 0x4001, 0xe003, "CI"),
  c("c.addi16sp", 0x6101, 0xef83, "CI"),
  c("c.lui", 0x6001, 0xe003, "CI"),
  c("c.srli", 0x8001, 0xec03, "CB"),
  c("c.srai", 0x8401, 0xec03, "CB"),
  c("c.andi", 0x8801, 0xec03, "CB"),
  c("c.sub", 0x8c01, 0xfc63, "CA"),
  c("c.xor", 0x8c21, 0xfc63, "CA"),
  c("c.or", 0x8c41, 0xfc63, "CA"),
  c("c.and", 0x8c61, 0xfc63, "CA"),
  c("c.subw", 0x9c01, 0xfc63, "CA"),
  c("c.addw", 0x9c21, 0xfc63, "CA"),
  c("c.j", 0xa001, 0xe003, "CJ"),
  c("c.beqz", 0xc001, 0xe003, "CB"),
  c("c.bnez", 0xe001, 0xe003, "CB"),
  c("c.slli", 0x0002, 0xe003, "CI"),
  c("c.fldsp", 0x2002, 0xe003, "CI", "D"),
  c("c.lwsp", 0x4002, 0xe003, "CI"),
  c("c.ldsp", 0x6002, 0xe003, "CI"),
  c("c.jr", 0x8002, 0xf07f, "CR"),
  c("c.mv", 0x8002, 0xf003, "CR"),
  c("c.ebreak", 0x9002, 0xffff, "NONE"),
  c("c.jalr", 0x9002, 0xf07f, "CR"),
  c("c.add", 0x9002, 0xf003, "CR"),
  c("c.fsdsp", 0xa002, 0xe003, "CSS", "D"),
  c("c.swsp", 0xc002, 0xe003, "CSS"),
  c("c.sdsp", 0xe002, 0xe003, "CSS"),
];

const byOpcode = new Map<number, InstructionSpec[]>();
for (const spec of INSTRUCTIONS) {
  const list = byOpcode.get(spec.match & 0x7f) ?? [];
  list.push(spec);
  byOpcode.set(spec.match & 0x7f, list);
}
for (const list of byOpcode.values()) list.sort((a, b) => popcount(b.mask) - popcount(a.mask));

function popcount(v: number): number {
  let n = 0;
  for (let x = v >>> 0; x !== 0; x >>>= 1) n += x & 1;
  return n;
}

/** The 32-bit instruction that `bits` encodes, or undefined when it encodes nothing in the table. */
export function findInstruction(bits: number): InstructionSpec | undefined {
  const list = byOpcode.get(bits & 0x7f);
  if (!list) return undefined;
  const b = bits >>> 0;
  for (const spec of list) if (((b & spec.mask) >>> 0) === spec.match) return spec;
  return undefined;
}

/** The compressed instruction that the 16 bits encode (ignoring reserved-field constraints). */
export function findCompressed(bits: number): CompressedSpec | undefined {
  const h = bits & 0xffff;
  for (const spec of COMPRESSED) if ((h & spec.mask) === spec.match) return spec;
  return undefined;
}

const byName = new Map<string, InstructionSpec>(INSTRUCTIONS.map((s) => [s.name, s]));

/** The table entry of a 32-bit instruction by its mnemonic. */
export function instructionByName(name: string): InstructionSpec | undefined {
  return byName.get(name);
}

/** Instruction length in bytes from its first 16 bits: 2 for compressed, 4 otherwise. */
export function instructionLength(low16: number): 2 | 4 {
  return (low16 & 3) === 3 ? 4 : 2;
}

import { expandCompressed } from "../../isa/compressed";
import { encB, immB, immI, immJ, immU, rdOf, rs1Of, rs2Of } from "../../isa/fields";
import { isInlineCsr } from "./bt_inline_csr";

/**
 * The binary translator's scanner (VMware's technique, binary_translation.ts): one guest basic block
 * of privileged-mode code in, its translation for the translation cache (TC) out. Pure: it knows
 * nothing of the VM, only the guest's instruction halfwords and the guest pc of the block.
 *
 * Each guest instruction becomes exactly one TC instruction, so that the host hart retires one
 * instruction for each guest instruction it runs and the guest's minstret stays the guest's:
 *  - ordinary instructions are copied as they are (compressed ones in their 32-bit expansion,
 *    which does the same);
 *  - a conditional branch stays a branch with the same operands, but to a stub at the block's end
 *    that calls out to the VMM with the guest target (binary_translation.ts chains it to the target's
 *    translation once that exists); its not-taken path goes on inside the block;
 *  - the pc-relative `auipc`, `jal` and `jalr` (whose link register must hold a guest address) and the
 *    sensitive instructions (every SYSTEM instruction but `ebreak`: CSR accesses, `ecall`, `mret`,
 *    `sret`, `wfi`, `sfence.vma`) and `fence.i` become a callout: an `ecall` in the TC, which the VMM
 *    recognises by its TC address and answers by emulating the guest instruction, with no guest trap;
 *  - but a CSR access whose only effect is the value it moves (bt_inline_csr.ts) is *inline*: its TC
 *    word is an `ecall` too, which the VMM answers without an exit, standing for the load or store of
 *    the vCPU's CSR file a TC with a guarded data window would hold there; it does not end the block.
 * A block ends at a jump or another sensitive instruction, at the end of the guest page, or after MAX_BLOCK
 * instructions; a block that does not end in a jump falls through by a callout.
 */
export const MAX_BLOCK = 64;

export type CalloutKind = "csr" | "sensitive" | "fence.i" | "auipc" | "jal" | "jalr" | "fallthrough" | "taken";

export interface Callout {
  kind: CalloutKind;
  /** The guest instruction it stands for (its address and raw bits); for fallthrough/taken: where the guest goes on. */
  guestPc: number;
  /** The guest instruction's bits (16 or 32 of them); 0 for fallthrough/taken. */
  bits: number;
  length: 2 | 4 | 0;
  /** For taken: the block's TC index of the branch that goes to this stub (the one to chain). */
  branchAt?: number;
  /** For auipc, jal and jalr: the fields of what they compute, in 32-bit form (decoded once here, used at every run). */
  rd?: number;
  rs1?: number;
  imm?: number;
}

export interface TranslatedBlock {
  guestPc: number;
  /** Guest bytes the block covers, from guestPc. */
  guestBytes: number;
  /** The TC instructions, in order. */
  words: number[];
  /** For each TC instruction: the guest pc the guest is at when the hart is about to run it. */
  guestPcs: number[];
  /** TC instructions that are callouts (index → what to do). */
  callouts: Map<number, Callout>;
  /** Guest instructions translated, and how many of them were rewritten (not copied as they are). */
  instructions: number;
  rewritten: number;
}

/** TC encodings. */
const ECALL = 0x00000073;
const EBREAK = 0x00100073;
const OP_SYSTEM = 0x73, OP_MISC_MEM = 0x0f, OP_AUIPC = 0x17, OP_JAL = 0x6f, OP_JALR = 0x67, OP_BRANCH = 0x63;

/**
 * Translates the block at guest `pc`. `halfword(offset)` reads the guest code halfword at
 * pc + offset, or undefined past the readable range (the end of the guest page). Returns undefined when
 * not even the first instruction can be read whole (it straddles the page end).
 */
export function translateBlock(pc: number, halfword: (offset: number) => number | undefined): TranslatedBlock | undefined {
  const words: number[] = [];
  const guestPcs: number[] = [];
  const callouts = new Map<number, Callout>();
  /** Branches to patch once the stubs' places are known: TC index, guest target. */
  const branches: { at: number; target: number }[] = [];
  let off = 0, rewritten = 0, instructions = 0;
  let ended = false;
  const callout = (c: Callout, gpc: number) => {
    callouts.set(words.length, c);
    words.push(ECALL);
    guestPcs.push(gpc);
  };
  while (!ended && instructions < MAX_BLOCK) {
    const low = halfword(off);
    if (low === undefined) break;
    const length: 2 | 4 = (low & 3) === 3 ? 4 : 2;
    let bits = low;
    if (length === 4) {
      const high = halfword(off + 2);
      if (high === undefined) break;
      bits = (low | (high << 16)) >>> 0;
    }
    const gpc = pc + off;
    const e = length === 2 ? expandCompressed(bits) | 0 : bits | 0;
    const op = e & 0x7f;
    instructions++;
    off += length;
    const rewrite = (kind: CalloutKind, fields?: Pick<Callout, "rd" | "rs1" | "imm">) => {
      rewritten++;
      callout({ kind, guestPc: gpc, bits, length, ...fields }, gpc);
    };
    if (op === OP_SYSTEM && isInlineCsr(e)) {
      rewrite("csr");
    } else if (op === OP_SYSTEM && e !== EBREAK) {
      rewrite("sensitive");
      ended = true;
    } else if (op === OP_MISC_MEM && ((e >>> 12) & 7) === 1) {
      rewrite("fence.i");
      ended = true;
    } else if (op === OP_AUIPC) {
      rewrite("auipc", { rd: rdOf(e), rs1: 0, imm: immU(e) });
    } else if (op === OP_JAL || (op === OP_JALR && ((e >>> 12) & 7) === 0)) {
      // A jalr with another funct3 is an illegal instruction: left as it is, the hart traps on it.
      rewrite(op === OP_JAL ? "jal" : "jalr", { rd: rdOf(e), rs1: rs1Of(e), imm: op === OP_JAL ? immJ(e) : immI(e) });
      ended = true;
    } else if (op === OP_BRANCH) {
      rewritten++;
      branches.push({ at: words.length, target: gpc + immB(e) });
      words.push(e >>> 0);
      guestPcs.push(gpc);
    } else {
      words.push(e >>> 0);
      guestPcs.push(gpc);
    }
  }
  if (instructions === 0) return undefined;
  if (!ended) {
    callout({ kind: "fallthrough", guestPc: pc + off, bits: 0, length: 0 }, pc + off);
  }
  for (const b of branches) {
    const stub = words.length;
    callout({ kind: "taken", guestPc: b.target, bits: 0, length: 0, branchAt: b.at }, b.target);
    words[b.at] = encB(words[b.at] & 0x707f, rs1Of(words[b.at]), rs2Of(words[b.at]), (stub - b.at) * 4);
  }
  return { guestPc: pc, guestBytes: off, words, guestPcs, callouts, instructions, rewritten };
}

import { expandCompressed } from "../isa/compressed";
import { immI, immS } from "../isa/fields";
import { findInstruction, type InstructionSpec } from "../isa/instructions";
import type { ExitInstruction } from "./exits";

/**
 * Decoding of the instruction behind an exit, with the ISA table only (the hypervisor does not use
 * the assembler's disassembler): mnemonic and fields. Compressed instructions are expanded first.
 */
export interface DecodedInstruction extends ExitInstruction {
  spec: InstructionSpec | undefined;
  /** The 32-bit form (the expansion of a compressed instruction). */
  expanded: number;
  rd: number;
  rs1: number;
  rs2: number;
  /** I-type immediate for loads, S-type for stores, 0 for others. */
  imm: number;
  /** What exit records keep of it. */
  record: ExitInstruction;
}

/**
 * Decoded instructions by their bits: the VMM meets the same few instructions (a guest's CSR
 * accesses, its page-table stores) over and over. Records share them, so they are never changed.
 */
const decoded = new Map<number, DecodedInstruction>();
const DECODED_MAX = 4096;

export function decodeBits(raw: number): DecodedInstruction {
  let d = decoded.get(raw);
  if (!d) {
    if (decoded.size >= DECODED_MAX) decoded.clear();
    d = decode(raw);
    decoded.set(raw, d);
  }
  return d;
}

function decode(raw: number): DecodedInstruction {
  const length: 2 | 4 = (raw & 3) === 3 ? 4 : 2;
  const bits = length === 2 ? raw & 0xffff : raw >>> 0;
  const expanded = length === 2 ? expandCompressed(bits) : bits | 0;
  const spec = expanded === 0 ? undefined : findInstruction(expanded);
  const imm = spec?.format === "LOAD" ? immI(expanded) : spec?.format === "STORE" ? immS(expanded) : 0;
  const mnemonic = spec?.name ?? "unknown";
  return {
    bits, length, expanded, spec, mnemonic, imm,
    rd: (expanded >>> 7) & 31, rs1: (expanded >>> 15) & 31, rs2: (expanded >>> 20) & 31,
    record: { bits, length, mnemonic },
  };
}

/** Bytes a load/store/AMO of this mnemonic accesses, and whether a load sign-extends. */
export function accessOf(name: string): { size: 1 | 2 | 4 | 8; signed: boolean } | undefined {
  switch (name) {
    case "lb": return { size: 1, signed: true };
    case "lbu": case "sb": return { size: 1, signed: false };
    case "lh": return { size: 2, signed: true };
    case "lhu": case "sh": return { size: 2, signed: false };
    case "lw": return { size: 4, signed: true };
    case "lwu": case "sw": return { size: 4, signed: false };
    case "ld": case "sd": return { size: 8, signed: false };
  }
  if (/^(amo[a-z]+|lr|sc)\.w$/.test(name)) return { size: 4, signed: true };
  if (/^(amo[a-z]+|lr|sc)\.d$/.test(name)) return { size: 8, signed: false };
  return undefined;
}

/** The part of a decoded instruction an exit record keeps (one object per decoding, shared by the records). */
export function insn(d: DecodedInstruction): ExitInstruction {
  return d.record;
}

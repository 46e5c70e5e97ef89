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
  /** I-type immediate for loads (integer and FP), S-type for stores, 0 for others. */
  imm: number;
  /** What it accesses, for a load, store, LR/SC or AMO. */
  access: MemoryAccess | undefined;
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
  const format = spec?.format;
  const imm = format === "LOAD" || format === "FLOAD" ? immI(expanded) : format === "STORE" || format === "FSTORE" ? immS(expanded) : 0;
  const mnemonic = spec?.name ?? "unknown";
  return {
    bits, length, expanded, spec, mnemonic, imm,
    rd: (expanded >>> 7) & 31, rs1: (expanded >>> 15) & 31, rs2: (expanded >>> 20) & 31,
    access: accessOf(mnemonic), record: { bits, length, mnemonic },
  };
}

/** What a load, store, LR/SC or AMO accesses: its kind, bytes, and whether a load sign-extends. */
export interface MemoryAccess {
  kind: "load" | "store" | "lr" | "sc" | "amo";
  size: 1 | 2 | 4 | 8;
  signed: boolean;
  /** Its data register is an f register (flw/fld/fsw/fsd and their compressed forms). */
  fp: boolean;
}

const access = (kind: MemoryAccess["kind"], size: MemoryAccess["size"], signed: boolean, fp = false): MemoryAccess => ({ kind, size, signed, fp });
const ACCESSES = new Map<string, MemoryAccess>([
  ["lb", access("load", 1, true)], ["lbu", access("load", 1, false)], ["lh", access("load", 2, true)],
  ["lhu", access("load", 2, false)], ["lw", access("load", 4, true)], ["lwu", access("load", 4, false)],
  ["ld", access("load", 8, false)], ["sb", access("store", 1, false)], ["sh", access("store", 2, false)],
  ["sw", access("store", 4, false)], ["sd", access("store", 8, false)],
  ["flw", access("load", 4, false, true)], ["fld", access("load", 8, false, true)],
  ["fsw", access("store", 4, false, true)], ["fsd", access("store", 8, false, true)],
]);

function accessOf(name: string): MemoryAccess | undefined {
  const plain = ACCESSES.get(name);
  if (plain) return plain;
  const m = /^(amo[a-z]+|lr|sc)\.([wd])$/.exec(name);
  if (!m) return undefined;
  const kind = m[1] === "lr" || m[1] === "sc" ? m[1] : "amo";
  return m[2] === "w" ? access(kind, 4, true) : access(kind, 8, false);
}

/** The part of a decoded instruction an exit record keeps (one object per decoding, shared by the records). */
export function insn(d: DecodedInstruction): ExitInstruction {
  return d.record;
}

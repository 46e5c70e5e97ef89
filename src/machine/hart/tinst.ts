import { expandCompressed } from "../../isa/compressed";
import { immI, immS, rs1Of } from "../../isa/fields";
import type { Hart } from "./hart";

/**
 * The transformed instruction written to htinst/mtinst for a fault of an explicit memory access
 * (privileged spec 1.12, H extension, "Transformed Instruction or Pseudoinstruction"): the trapping
 * load, store, AMO/LR/SC or HLV/HLVX/HSV with its immediate fields zeroed and rs1 replaced by the
 * offset of the faulting address (tval) from the access's first byte (nonzero only for a misaligned
 * access that crosses into a faulting page); a compressed instruction is expanded first and then has
 * bit 1 cleared. Anything else, or an instruction that crosses a page, gives 0 (always allowed).
 *
 * The trapping instruction is the one at h.pcNum in the current code page, and its source register
 * still holds the base address (a faulting instruction writes nothing).
 */

const LOAD = 0x03, STORE = 0x23, AMO = 0x2f, SYSTEM = 0x73;

export function transformedInstruction(h: Hart, tval: bigint): number {
  const pc = h.pcNum;
  if (pc !== pc) return 0;
  const off = pc - Math.floor(pc / 4096) * 4096;
  const view = h.bus.ram.view;
  const low = view.getUint16(h.cpRam + off, true);
  const compressed = (low & 3) !== 3;
  if (!compressed && off > 4092) return 0;
  const b = compressed ? expandCompressed(low) : view.getInt32(h.cpRam + off, true);
  if (b === 0) return 0;
  let imm: number, keep: number;
  switch (b & 0x7f) {
    case LOAD: imm = immI(b); keep = 0x7fff; break; // funct3, rd, opcode
    case STORE: imm = immS(b); keep = 0x01f0707f; break; // rs2, funct3, opcode
    case AMO: imm = 0; keep = ~0xf8000; break; // all but rs1
    case SYSTEM: if (((b >>> 12) & 7) !== 4) return 0; imm = 0; keep = ~0xf8000; break; // HLV/HLVX/HSV
    default: return 0;
  }
  const rs1 = rs1Of(b);
  const base = rs1 === 0 ? 0n : (BigInt(h.x[2 * rs1 + 1]) << 32n) | BigInt(h.x[2 * rs1] >>> 0);
  const offset = Number(BigInt.asUintN(64, tval - base - BigInt(imm)) & 31n);
  const t = ((b & keep) | (offset << 15)) >>> 0;
  return compressed ? t & ~2 : t;
}

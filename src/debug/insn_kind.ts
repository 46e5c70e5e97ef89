import type { Target } from "../target/target";

/** What the run control needs to know about an instruction: its length and whether it calls or returns. */
export interface InsnKind {
  length: number;
  /** jal/jalr that links (rd ≠ x0), c.jalr: control comes back to pc + length. */
  call: boolean;
  /** ecall/ebreak: a trap whose handler normally resumes at pc + length. */
  trap: boolean;
  /** mret/sret: leaves a trap handler. */
  xret: boolean;
  /** A jump through ra that does not link (ret, jr ra, c.jr ra): a return from a call. */
  ret: boolean;
  /** The SYSTEM opcode: CSR accesses, ecall/ebreak, xRET, wfi, fences of the MMU. */
  system: boolean;
}

const ECALL = 0x00000073;
const EBREAK = 0x00100073;
const MRET = 0x30200073;
const SRET = 0x10200073;
const RA = 1;
const C_JR_RA = 0x8082;

export function classify(bits: number, length: number): InsnKind {
  if (length === 2) {
    const b = bits & 0xffff;
    const jalr = (b & 0xf07f) === 0x9002 && ((b >> 7) & 31) !== 0;
    return { length, call: jalr, trap: b === 0x9002, xret: false, ret: b === C_JR_RA, system: b === 0x9002 };
  }
  const w = bits >>> 0;
  const op = w & 0x7f;
  const rd = (w >>> 7) & 31;
  return {
    length,
    call: (op === 0x6f || op === 0x67) && rd !== 0,
    trap: w === ECALL || w === EBREAK,
    xret: w === MRET || w === SRET,
    ret: op === 0x67 && rd === 0 && ((w >>> 15) & 31) === RA,
    system: op === 0x73,
  };
}

/** The instruction at a virtual address, or undefined where it cannot be read. */
export function insnAt(target: Target, pc: bigint): InsnKind | undefined {
  const lo = target.readMemory("va", pc, 2);
  if (!lo) return undefined;
  const half = lo[0] | (lo[1] << 8);
  if ((half & 3) !== 3) return classify(half, 2);
  const hi = target.readMemory("va", pc + 2n, 2);
  if (!hi) return undefined;
  return classify((half | (hi[0] << 16) | (hi[1] << 24)) >>> 0, 4);
}

/** True when the instruction just before `addr` is a call that would return to `addr`. */
export function isReturnSite(target: Target, addr: bigint): boolean {
  if (addr < 2n || addr % 2n !== 0n) return false;
  const four = addr >= 4n ? insnAt(target, addr - 4n) : undefined;
  if (four?.length === 4 && four.call) return true;
  const two = insnAt(target, addr - 2n);
  return two?.length === 2 && two.call;
}

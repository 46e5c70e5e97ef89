/**
 * Operand printing for the disassembler: a port of binutils' `print_insn_args` for the operand
 * letters that RV64IMAFDC + Zicsr + Zifencei + H use, including objdump's habit of appending
 * `# <address>` when an instruction completes an address that an earlier `lui`/`auipc` started
 * (or that is relative to `zero`, `tp`, or `gp` when `__global_pointer$` is known).
 */
import { expandCompressed } from "../isa/compressed";
import { immB, immI, immJ, immS } from "../isa/fields";

import { ABI_NAMES, FP_ABI_NAMES, ROUNDING_MODES } from "../isa/registers";

const FENCE_SETS: readonly string[] = [
  "unknown", "w", "r", "rw", "o", "ow", "or", "orw", "i", "iw", "ir", "irw", "io", "iow", "ior", "iorw",
];

const X_GP = 3;
const X_TP = 4;
const MASK64 = (1n << 64n) - 1n;
const u64 = (v: bigint): bigint => v & MASK64;

/**
 * What objdump remembers between instructions to annotate address computations: the value each
 * register got from the last `lui`/`auipc`/`c.lui` not yet used as a base, and `gp`. One tracker
 * per disassembled stream; `disassemble` without one starts from nothing.
 */
export class AddressTracker {
  readonly hi: Array<bigint | undefined> = new Array<bigint | undefined>(32).fill(undefined);
  constructor(readonly gp?: bigint) {}
}

export interface OperandContext {
  /** Address of the instruction being printed (set by the caller before each one). */
  pc: bigint;
  readonly csrName: (num: number) => string | undefined;
  readonly printAddress: (addr: bigint) => string;
  readonly tracker: AddressTracker;
}

export interface PrintedOperands {
  readonly text: string;
  readonly target?: bigint;
  /** The address objdump appends as `# …` after the operands. */
  readonly comment?: bigint;
}

/**
 * Prints the operands of `w` (a 32-bit word, or a 16-bit parcel) according to `args`, in objdump's
 * exact spelling. For compressed parcels immediates are read from the table's 32-bit expansion.
 */
export function printOperands(args: string, w: number, ctx: OperandContext): PrintedOperands {
  const compressed = (w & 3) !== 3;
  const x = compressed ? expandCompressed(w) : w;
  const rd = (w >>> 7) & 31;
  const rs1 = (w >>> 15) & 31;
  let out = "";
  let target: bigint | undefined;
  let comment: bigint | undefined;

  const maybeAddress = (base: number, offset: number, wide: boolean): void => {
    const t = ctx.tracker;
    const hi = t.hi[base];
    let addr: bigint;
    if (hi !== undefined) {
      addr = u64((base !== 0 ? hi : 0n) + BigInt(offset));
      t.hi[base] = undefined;
    } else if (base === X_GP && t.gp !== undefined) addr = u64(t.gp + BigInt(offset));
    else if (base === X_TP || base === 0) addr = u64(BigInt(offset));
    else return;
    comment = wide ? u64(BigInt.asIntN(32, addr)) : addr;
  };
  const jumpTo = (offset: number): void => {
    target = u64(ctx.pc + BigInt(offset));
    out += ctx.printAddress(target);
  };
  const isAddi = (w & 0x707f) === 0x13;
  const isAddiw = (w & 0x707f) === 0x1b;
  const isJalr = (w & 0x707f) === 0x67;
  const isCAddi = compressed && (w & 0xe003) === 0x0001;
  const isCAddiw = compressed && (w & 0xe003) === 0x2001;
  const cStore = (x & 0x7f) === 0x23 || (x & 0x7f) === 0x27;

  for (let k = 0; k < args.length; k++) {
    const c = args[k];
    switch (c) {
      case "C": {
        const m = args[++k];
        switch (m) {
          case "s":
          case "w":
            out += ABI_NAMES[8 + ((w >>> 7) & 7)];
            break;
          case "t":
          case "x":
            out += ABI_NAMES[8 + ((w >>> 2) & 7)];
            break;
          case "D":
            out += FP_ABI_NAMES[8 + ((w >>> 2) & 7)];
            break;
          case "T":
            out += FP_ABI_NAMES[(w >>> 2) & 31];
            break;
          case "U":
            out += ABI_NAMES[rd];
            break;
          case "c":
            out += "sp";
            break;
          case "V":
            out += ABI_NAMES[(w >>> 2) & 31];
            break;
          case "z":
            out += "zero";
            break;
          case "o":
          case "j": {
            const imm = immI(x);
            if (isCAddi && rd !== 0) maybeAddress(rd, imm, false);
            if (isCAddiw && rd !== 0) maybeAddress(rd, imm, true);
            out += imm;
            break;
          }
          case "k":
          case "l":
          case "m":
          case "n":
          case "M":
          case "N":
            out += cStore ? immS(x) : immI(x);
            break;
          case "K":
          case "L":
            out += immI(x);
            break;
          case "p":
            jumpTo(immB(x));
            break;
          case "a":
            jumpTo(immJ(x));
            break;
          case "u":
            out += "0x" + ((x >>> 12) & 0xfffff).toString(16);
            break;
          case ">":
            out += "0x" + ((x >>> 20) & 0x3f).toString(16);
            break;
        }
        break;
      }
      case ",":
      case "(":
      case ")":
        out += c;
        break;
      case "0":
        if (k === args.length - 1) out += "0";
        break;
      case "D":
        out += FP_ABI_NAMES[rd];
        break;
      case "S":
      case "U":
        out += FP_ABI_NAMES[rs1];
        break;
      case "T":
        out += FP_ABI_NAMES[(w >>> 20) & 31];
        break;
      case "R":
        out += FP_ABI_NAMES[w >>> 27];
        break;
      case "m":
        out += ROUNDING_MODES[(w >>> 12) & 7] ?? "unknown";
        break;
      case "s":
        if (isJalr) maybeAddress(rs1, immI(w), false);
        out += ABI_NAMES[rs1];
        break;
      case "t":
        out += ABI_NAMES[(w >>> 20) & 31];
        break;
      case "u":
        out += "0x" + (w >>> 12).toString(16);
        break;
      case "P":
        out += FENCE_SETS[(w >>> 24) & 15];
        break;
      case "Q":
        out += FENCE_SETS[(w >>> 20) & 15];
        break;
      case "o":
      case "j": {
        const imm = immI(w);
        if (c === "o") maybeAddress(rs1, imm, false);
        if ((isAddi && rs1 !== 0) || isJalr) maybeAddress(rs1, imm, false);
        if (isAddiw && rs1 !== 0) maybeAddress(rs1, imm, true);
        out += imm;
        break;
      }
      case "q": {
        const imm = immS(w);
        maybeAddress(rs1, imm, false);
        out += imm;
        break;
      }
      case "a":
        jumpTo(immJ(w));
        break;
      case "p":
        jumpTo(immB(w));
        break;
      case "d":
        if ((w & 0x7f) === 0x17) ctx.tracker.hi[rd] = u64(ctx.pc + BigInt(w & 0xfffff000));
        else if ((w & 0x7f) === 0x37) ctx.tracker.hi[rd] = u64(BigInt(w & 0xfffff000));
        else if (compressed && (w & 0xe003) === 0x6001) ctx.tracker.hi[rd] = u64(BigInt(x & 0xfffff000));
        out += ABI_NAMES[rd];
        break;
      case "z":
        out += "zero";
        break;
      case ">":
        out += "0x" + ((w >>> 20) & 0x3f).toString(16);
        break;
      case "<":
        out += "0x" + ((w >>> 20) & 0x1f).toString(16);
        break;
      case "E": {
        const num = w >>> 20;
        out += ctx.csrName(num) ?? "0x" + num.toString(16);
        break;
      }
      case "Z":
        out += rs1;
        break;
    }
  }
  return { text: out, ...(target !== undefined ? { target } : {}), ...(comment !== undefined ? { comment } : {}) };
}

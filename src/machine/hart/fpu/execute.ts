/**
 * Executing the F and D instructions (out of line, from system.ts): operand access with NaN-boxing,
 * the rounding mode, mstatus.FS (status.ts), and the dispatch onto the soft-float core (softfloat.ts,
 * classify.ts, convert.ts). Floating point is rare in the guests this machine runs and exactness
 * matters more than speed, so every operation goes through BigInt; none is on the hot path.
 *
 * QEMU 7.2 sets FS to Dirty only for instructions that write an f register, not for those that only
 * accrue flags (fcvt.w.s, feq, …): the spec's rule wins here (FS is set to Dirty when any FP state,
 * fflags included, is modified: privileged spec 1.12, 3.1.6.6).
 */
import { Exc } from "../../../isa/causes";
import { immI, immS } from "../../../isa/fields";
import type { InstructionSpec } from "../../../isa/instructions";
import type { Hart } from "../hart";
import { loadSlow, storeSlow } from "../mem";
import { raiseException } from "../trap";
import { compare, fclass, minMax } from "./classify";
import { convertFormat, fromInt, toInt } from "./convert";
import { F32, F64, type FlagSink, type FloatFormat } from "./round";
import { add, div, fma, mul, negate, sqrt } from "./softfloat";
import { fpEnabled, markFpDirty } from "./status";
import { unpack } from "./unpack";

/** The upper half of an f register that holds a single (NaN-boxing). */
export const NAN_BOX = 0xffffffff00000000n;

/** A single's bits from an f register: a value not NaN-boxed reads as the canonical NaN. */
function readSingle(h: Hart, i: number): bigint {
  const v = h.f[i];
  return (v & NAN_BOX) === NAN_BOX ? v & 0xffffffffn : F32.canonicalNaN;
}

function writeF(h: Hart, rd: number, bits: bigint, f: FloatFormat): void {
  h.f[rd] = f === F32 ? NAN_BOX | bits : bits;
  markFpDirty(h);
}

function writeX(h: Hart, rd: number, v: bigint): void {
  h.setReg(rd, BigInt.asUintN(64, v));
}

/** The rounding mode an instruction uses (dyn: frm), or −1 when it is reserved (illegal instruction). */
function roundingMode(h: Hart, b: number): number {
  const field = (b >>> 12) & 7;
  const rm = field === 7 ? h.frm : field;
  return rm > 4 ? -1 : rm;
}

/** Executes an F/D instruction; false when it raised an exception (nothing retired). */
export function fpExecute(h: Hart, spec: InstructionSpec, b: number, raw: number): boolean {
  if (!(spec.ext === "D" ? h.hasD : h.hasF) || !fpEnabled(h)) return illegal(h, raw);
  const rd = (b >>> 7) & 31, rs1 = (b >>> 15) & 31, rs2 = (b >>> 20) & 31, rs3 = b >>> 27;
  if (spec.format === "FLOAD") {
    const single = spec.name === "flw";
    if (!loadSlow(h, 2 * rs1, immI(b), single ? 4 : 8, false)) return false;
    const lo = BigInt(h.vlo >>> 0);
    writeF(h, rd, single ? lo : (BigInt(h.vhi >>> 0) << 32n) | lo, single ? F32 : F64);
    return true;
  }
  if (spec.format === "FSTORE") {
    const v = h.f[rs2];
    return storeSlow(h, 2 * rs1, immS(b), spec.name === "fsw" ? 4 : 8, Number(v & 0xffffffffn) | 0, Number(v >> 32n) | 0);
  }
  const rm = spec.operands!.endsWith("m") ? roundingMode(h, b) : 0;
  if (rm < 0) return illegal(h, raw);
  const [op, a1, a2] = spec.name.split(".");
  // The format of the result, or of the f operands: fmv's non-x suffix, else the first s or d suffix.
  const p = op === "fmv" ? (a1 === "x" ? a2 : a1) : [a1, a2].find((n) => n === "s" || n === "d");
  const f = p === "s" || p === "w" ? F32 : F64;
  const read = (i: number) => (f === F32 ? readSingle(h, i) : h.f[i]);
  const fx: FlagSink = { flags: 0 };
  const u = (i: number) => unpack(read(i), f);
  switch (op) {
    case "fadd": writeF(h, rd, add(u(rs1), u(rs2), f, rm, fx), f); break;
    case "fsub": writeF(h, rd, add(u(rs1), negate(u(rs2)), f, rm, fx), f); break;
    case "fmul": writeF(h, rd, mul(u(rs1), u(rs2), f, rm, fx), f); break;
    case "fdiv": writeF(h, rd, div(u(rs1), u(rs2), f, rm, fx), f); break;
    case "fsqrt": writeF(h, rd, sqrt(u(rs1), f, rm, fx), f); break;
    case "fmadd": writeF(h, rd, fma(u(rs1), u(rs2), u(rs3), f, rm, fx), f); break;
    case "fmsub": writeF(h, rd, fma(u(rs1), u(rs2), negate(u(rs3)), f, rm, fx), f); break;
    case "fnmsub": writeF(h, rd, fma(negate(u(rs1)), u(rs2), u(rs3), f, rm, fx), f); break;
    case "fnmadd": writeF(h, rd, fma(negate(u(rs1)), u(rs2), negate(u(rs3)), f, rm, fx), f); break;
    case "fsgnj": case "fsgnjn": case "fsgnjx": {
      const signBit = f === F32 ? 1n << 31n : 1n << 63n;
      const x = read(rs1), y = read(rs2);
      const sign = op === "fsgnj" ? y & signBit : op === "fsgnjn" ? ~y & signBit : (x ^ y) & signBit;
      writeF(h, rd, (x & ~signBit) | sign, f);
      break;
    }
    case "fmin": case "fmax": {
      const w = minMax(op === "fmax", u(rs1), u(rs2), fx);
      writeF(h, rd, w < 0 ? f.canonicalNaN : read(w === 0 ? rs1 : rs2), f);
      break;
    }
    case "feq": case "flt": case "fle":
      writeX(h, rd, compare(op.slice(1) as "eq" | "lt" | "le", u(rs1), u(rs2), fx) ? 1n : 0n);
      break;
    case "fclass": writeX(h, rd, BigInt(fclass(u(rs1)))); break;
    case "fmv":
      if (a1 === "x") writeX(h, rd, f === F32 ? BigInt.asIntN(32, h.f[rs1]) : h.f[rs1]);
      else writeF(h, rd, f === F32 ? BigInt(h.x[2 * rs1] >>> 0) : h.getReg(rs1), f);
      break;
    case "fcvt": fcvt(h, a1, a2, rd, rs1, f, rm, fx); break;
    default: return illegal(h, raw);
  }
  if (fx.flags !== 0) {
    h.fflags |= fx.flags;
    markFpDirty(h);
  }
  return true;
}

/** fcvt.<to>.<from>: to/from integers (w, wu, l, lu) or between the formats. */
function fcvt(h: Hart, to: string, from: string, rd: number, rs1: number, f: FloatFormat, rm: number, fx: FlagSink): void {
  const isFloat = (n: string) => n === "s" || n === "d";
  if (isFloat(to) && isFloat(from)) {
    const src = from === "s" ? F32 : F64;
    const bits = from === "s" ? readSingle(h, rs1) : h.f[rs1];
    writeF(h, rd, convertFormat(unpack(bits, src), f, rm, fx), f);
  } else if (isFloat(to)) {
    const x = h.getReg(rs1);
    const v = from === "w" ? BigInt.asIntN(32, x) : from === "wu" ? BigInt.asUintN(32, x) : from === "l" ? BigInt.asIntN(64, x) : x;
    writeF(h, rd, fromInt(v, f, rm, fx), f);
  } else {
    const bits = f === F32 ? readSingle(h, rs1) : h.f[rs1];
    const v = toInt(unpack(bits, f), to.startsWith("w") ? 32 : 64, !to.endsWith("u"), rm, fx);
    writeX(h, rd, to.startsWith("w") ? BigInt.asIntN(32, v) : v);
  }
}

function illegal(h: Hart, raw: number): false {
  raiseException(h, Exc.illegalInstruction, BigInt(raw >>> 0));
  return false;
}

/**
 * Assembling the F and D instructions (format "FP" of the ISA table, operands by their binutils
 * template) and their pseudo-instructions, as GNU as 2.40 does: a missing rounding mode is dyn (7),
 * except for the always-exact fcvt.d.s, fcvt.d.w and fcvt.d.wu, which GNU writes with rne (0) and
 * for which it takes no rounding mode at all. flw/fld/fsw/fsd go through encode.ts's load/store path.
 */
import { encI, encR } from "../isa/fields";
import { instructionByName, type InstructionSpec } from "../isa/instructions";
import { ROUNDING_MODES } from "../isa/registers";
import type { InsnContext } from "./encode";
import type { Token } from "./lexer";
import { expectCount, fail, freg, inRange, needConst, reg, wholeExpr, type Op } from "./operands";

const EXACT = new Set(["fcvt.d.s", "fcvt.d.w", "fcvt.d.wu"]);

/** The operand letters of a template ("D,S,T,m") and whether the trailing rounding mode is optional. */
function letters(s: InstructionSpec): string[] {
  const list = s.operands!.split(",");
  return EXACT.has(s.name) ? list.filter((l) => l !== "m") : list;
}

function roundingMode(op: Op): number {
  const t = op.next();
  const rm = t.kind === "name" ? ROUNDING_MODES.indexOf(t.text) : -1;
  if (rm < 0) fail(`expected a rounding mode (rne, rtz, rdn, rup, rmm or dyn), found '${t.text || "nothing"}'`, t);
  if (!op.atEnd) fail(`unexpected '${op.peek.text}' after the rounding mode`, op.peek);
  return rm;
}

/** An F/D instruction of the ISA table with its operands. */
export function fpInstruction(ctx: InsnContext, s: InstructionSpec, mn: Token, ops: Op[]): void {
  const want = letters(s);
  const rmOptional = want[want.length - 1] === "m";
  const names = want.map((l) => (l === "m" ? "a rounding mode" : l === l.toUpperCase() ? "an f register" : "an x register"));
  expectCount(ops, rmOptional ? [want.length - 1, want.length] : want.length, mn, names.join(", ") + (rmOptional ? " (the rounding mode is optional)" : ""));
  let bits = s.match | (rmOptional ? 7 << 12 : 0);
  want.forEach((l, k) => {
    const op = ops[k];
    if (!op) return;
    switch (l) {
      case "D": bits |= freg(op) << 7; break;
      case "d": bits |= reg(op) << 7; break;
      case "S": bits |= freg(op) << 15; break;
      case "s": bits |= reg(op) << 15; break;
      case "T": bits |= freg(op) << 20; break;
      case "R": bits |= freg(op) << 27; break;
      case "m": bits = (bits & ~(7 << 12)) | (roundingMode(op) << 12); break;
    }
  });
  ctx.emit(bits >>> 0, 4);
}

const CSR_NUMBER: Record<string, number> = { csr: 3, rm: 2, flags: 1 };
const match = (name: string): number => instructionByName(name)!.match;

/**
 * The F/D pseudo-instructions: fmv/fneg/fabs (sign injection), fgt/fge (operands swapped), the old
 * names fmv.x.s/fmv.s.x, and the fcsr/frm/fflags accessors (frcsr, fscsr, frrm, fsrm, fsrmi, frflags,
 * fsflags, fsflagsi; frsr and fssr are fcsr's older names). False when `name` is none of them.
 */
export function fpPseudo(ctx: InsnContext, name: string, mn: Token, ops: Op[]): boolean {
  const sign = /^f(mv|neg|abs)\.([sd])$/.exec(name);
  if (sign) {
    needs(ctx, sign[2]!, mn);
    expectCount(ops, 2, mn, "two f registers");
    const rd = freg(ops[0]!), rs = freg(ops[1]!);
    const base = { mv: "fsgnj", neg: "fsgnjn", abs: "fsgnjx" }[sign[1] as "mv" | "neg" | "abs"];
    ctx.emit(encR(match(`${base}.${sign[2]}`), rd, rs, rs), 4);
    return true;
  }
  const cmp = /^f(gt|ge)\.([sd])$/.exec(name);
  if (cmp) {
    needs(ctx, cmp[2]!, mn);
    expectCount(ops, 3, mn, "an x register and two f registers");
    const rd = reg(ops[0]!), a = freg(ops[1]!), b = freg(ops[2]!);
    ctx.emit(encR(match(`${cmp[1] === "gt" ? "flt" : "fle"}.${cmp[2]}`), rd, b, a), 4);
    return true;
  }
  if (name === "fmv.x.s" || name === "fmv.s.x") {
    needs(ctx, "s", mn);
    expectCount(ops, 2, mn, "two registers");
    const x = name === "fmv.x.s";
    ctx.emit(encR(match(x ? "fmv.x.w" : "fmv.w.x"), x ? reg(ops[0]!) : freg(ops[0]!), x ? freg(ops[1]!) : reg(ops[1]!), 0), 4);
    return true;
  }
  const acc = /^f([rs])(csr|rm|flags|sr)(i?)$/.exec(name);
  if (!acc || (acc[3] && acc[2] === "csr") || (acc[3] && acc[1] === "r") || (acc[2] === "sr" && acc[3])) return false;
  needs(ctx, "s", mn);
  const num = CSR_NUMBER[acc[2] === "sr" ? "csr" : acc[2]!]!;
  if (acc[1] === "r") {
    expectCount(ops, 1, mn, "an x register");
    ctx.emit(encI(match("csrrs"), reg(ops[0]!), 0, num), 4);
    return true;
  }
  expectCount(ops, [1, 2], mn, acc[3] ? "an optional x register and a 5-bit immediate" : "an optional x register and a source register");
  const rd = ops.length === 2 ? reg(ops[0]!) : 0;
  const src = ops[ops.length - 1]!;
  const rs1 = acc[3] ? inRange(needConst(ctx, wholeExpr(ctx, src), src, "a 5-bit immediate"), 0n, 31n, "immediate", src) : reg(src);
  ctx.emit(encI(match(acc[3] ? "csrrwi" : "csrrw"), rd, rs1, num), 4);
  return true;
}

function needs(ctx: InsnContext, precision: string, mn: Token): void {
  const ext = precision === "d" ? "D" : "F";
  if (!ctx.hasExt(ext)) fail(`'${mn.text}' needs the ${ext.toLowerCase()} extension (add it to the architecture or use .option arch, +${ext.toLowerCase()})`, mn);
}

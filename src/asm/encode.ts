/**
 * Assembles one instruction statement: the mnemonic and its operand tokens become encoded bytes and
 * fixups, through the context the assembler provides. Base instructions come from the ISA table
 * (`src/isa/instructions.ts`) by format; pseudo-instructions expand as GNU as expands them
 * (binutils opcodes/riscv-opc.c and gas/config/tc-riscv.c); compression follows `compressedForm`.
 */
import { csrByAnyName, csrByName } from "../isa/csrs";
import { suggestCsr } from "../isa/csr_suggestion";
import { encB, encI, encJ, encR, encS, encU } from "../isa/fields";
import { instructionByName, type Extension, type InstructionSpec } from "../isa/instructions";
import { compressedForm, encodeCompressed, isCReg, type COperands } from "./compress";
import { fpInstruction, fpPseudo } from "./encode_fp";
import { ExprError, TokenStream, type Expr } from "./expr";
import type { Token } from "./lexer";
import type { FixKind } from "./object";
import {
  expectCount, fail, freg, imm12, inRange, isReg, mem, needConst, reg, splitOperands, uimm5, wholeExpr, type Op,
} from "./operands";

/** A branch or jump whose length the assembler chooses once addresses are known (GNU's relaxable frag). */
export interface BranchVar {
  jump: boolean;
  /** A compressed form exists for these operands (c.beqz/c.bnez/c.j). */
  rvc: boolean;
  /** B-type match bits (beq…bgeu) or jal's rd. */
  match: number;
  rs1: number;
  rs2: number;
  rd: number;
  target: Expr;
}

export interface InsnContext {
  readonly rvc: boolean;
  readonly relax: boolean;
  hasExt(ext: Extension | "C"): boolean;
  expr(ts: TokenStream): Expr;
  /** The value of an expression if it is a constant now (numbers and absolute symbols), else undefined. */
  constant(e: Expr): bigint | undefined;
  emit(bits: number, size: 2 | 4, fix?: { kind: FixKind; expr: Expr }): void;
  emitBranch(b: BranchVar): void;
  /** Defines an assembler-internal label at the current location and returns its name. */
  hereLabel(): string;
}

function fenceSet(op: Op): number {
  const t = op.next();
  if (t.kind === "num" && t.value === 0n) return 0;
  if (t.kind !== "name" || !/^[iorw]+$/.test(t.text)) fail(`expected a fence set made of i, o, r, w (e.g. rw), found '${t.text}'`, t);
  let v = 0;
  for (const ch of t.text) v |= { i: 8, o: 4, r: 2, w: 1 }[ch as "i" | "o" | "r" | "w"];
  if (!op.atEnd) fail(`unexpected '${op.peek.text}'`, op.peek);
  return v;
}

function csrNumber(ctx: InsnContext, op: Op): number {
  const t = op.toks[0]!;
  if (op.toks.length === 2 && t.kind === "name") {
    const spec = csrByAnyName(t.text);
    if (spec) {
      if (spec.rv32Only) fail(`CSR '${t.text}' exists only on RV32`, t);
      op.pos = 1;
      return spec.num;
    }
  }
  const e = wholeExpr(ctx, op);
  const v = ctx.constant(e);
  if (v === undefined) {
    const meant = op.toks.length === 2 && t.kind === "name" ? suggestCsr(t.text) : undefined;
    throw new ExprError(`expected a CSR name or number, found '${t.text}'${meant ? `; did you mean '${meant}'?` : ""}`, t.col, t.end, meant);
  }
  return inRange(v, 0n, 4095n, "CSR number", op);
}

const EXT_NAMES: Record<string, string> = { M: "m", A: "a", F: "f", D: "d", C: "c", Zicsr: "zicsr", Zifencei: "zifencei", Zihintpause: "zihintpause", H: "h" };

function requireExt(ctx: InsnContext, ext: Extension, mnemonic: Token): void {
  // GNU as 2.40 accepts dret (Sdext) under any architecture, as part of base I.
  if (ext === "I" || ext === "Priv" || ext === "Sdext" || ctx.hasExt(ext)) return;
  fail(`'${mnemonic.text}' needs the ${EXT_NAMES[ext] ?? ext} extension (add it to the architecture or use .option arch, +${EXT_NAMES[ext] ?? ext})`, mnemonic);
}

/** Emits a 32-bit instruction, or its compressed form when C is on and GNU would compress it. */
function emitMaybeC(ctx: InsnContext, name: string, bits: number, o: COperands, form?: "short"): void {
  if (ctx.rvc) {
    const c = compressedForm(name, o, form);
    if (c !== undefined) {
      ctx.emit(c, 2);
      return;
    }
  }
  ctx.emit(bits, 4);
}

const spec = (name: string): InstructionSpec => instructionByName(name)!;

/** Emits `addi`-like I-type with compression. */
function emitI(ctx: InsnContext, name: string, rd: number, rs1: number, imm: number): void {
  emitMaybeC(ctx, name, encI(spec(name).match, rd, rs1, imm), { rd, rs1, imm });
}

function emitR(ctx: InsnContext, name: string, rd: number, rs1: number, rs2: number): void {
  emitMaybeC(ctx, name, encR(spec(name).match, rd, rs1, rs2), { rd, rs1, rs2 });
}

/** GNU's load_const (tc-riscv.c): the exact lui/addiw/slli/addi sequence `li` uses for a 64-bit constant. */
export function loadConst(ctx: InsnContext, rd: number, value: bigint): void {
  const v = BigInt.asIntN(64, value);
  const lower = BigInt.asIntN(12, v);
  let upper = BigInt.asIntN(64, v - lower);
  if (v !== BigInt.asIntN(32, v)) {
    let shift = 12n;
    while (((upper >> shift) & 1n) === 0n) shift++;
    upper >>= shift;
    loadConst(ctx, rd, upper);
    emitI(ctx, "slli", rd, rd, Number(shift));
    if (lower !== 0n) emitI(ctx, "addi", rd, rd, Number(lower));
    return;
  }
  let hiReg = 0;
  if (upper !== 0n) {
    const imm = Number(BigInt.asUintN(32, upper) >> 12n);
    emitMaybeC(ctx, "lui", encU(spec("lui").match, rd, imm), { rd, imm });
    hiReg = rd;
  }
  if (lower !== 0n || hiReg === 0) emitI(ctx, "addiw", rd, hiReg, Number(lower));
}

const BRANCH_ALIAS: Record<string, [string, boolean]> = {
  // name: [base, swap operands]
  bgt: ["blt", true],
  ble: ["bge", true],
  bgtu: ["bltu", true],
  bleu: ["bgeu", true],
};
const BRANCH_ZERO: Record<string, [string, "rs1" | "rs2"]> = {
  // name rs, L  →  base with x0 in the given place
  beqz: ["beq", "rs2"],
  bnez: ["bne", "rs2"],
  blez: ["bge", "rs1"],
  bgez: ["bge", "rs2"],
  bltz: ["blt", "rs2"],
  bgtz: ["blt", "rs1"],
};

function branch(ctx: InsnContext, base: string, rs1: number, rs2: number, target: Expr): void {
  const s = spec(base);
  const rvc = ctx.rvc && (base === "beq" || base === "bne") && rs2 === 0 && isCReg(rs1);
  ctx.emitBranch({ jump: false, rvc, match: s.match, rs1, rs2, rd: 0, target });
}

function branchTarget(ctx: InsnContext, op: Op): Expr {
  const e = wholeExpr(ctx, op);
  if (e.k === "reloc") fail(`%${e.op} is not a branch target; expected a label`, e);
  return e;
}

/** auipc rd, %pcrel_hi(target) followed by an instruction using %pcrel_lo of the auipc's label. */
function pcrelPair(ctx: InsnContext, rd: number, target: Expr, second: (lo: Expr) => void): void {
  const label = ctx.hereLabel();
  ctx.emit(encU(spec("auipc").match, rd, 0), 4, { kind: "pcrel_hi20", expr: target });
  second({ k: "sym", name: label, col: 0, end: 0 });
}

const AQRL = /^(.*?)(\.aqrl|\.aq|\.rl)?$/;

/** Assembles one instruction. Throws ExprError (message and columns) for anything wrong with it. */
export function assembleInstruction(ctx: InsnContext, mn: Token, operandToks: Token[], endCol: number): void {
  const name = mn.text.toLowerCase();
  const ops = splitOperands(operandToks.filter((t) => t.kind !== "end"), endCol);

  // Explicit compressed instructions.
  if (name.startsWith("c.")) return compressed(ctx, name, mn, ops);

  switch (name) {
    case "nop":
      expectCount(ops, 0, mn, "no operands");
      return emitI(ctx, "addi", 0, 0, 0);
    case "li": {
      expectCount(ops, 2, mn, "a register and a constant");
      const rd = reg(ops[0]!);
      const e = wholeExpr(ctx, ops[1]!);
      const v = ctx.constant(e);
      if (v === undefined) fail("li needs a constant expression; use la to load an address", ops[1]!.toks[0]!);
      // GNU's li has c.li (rd != x0) as its only compressed form: `li zero, 0` stays a 4-byte nop.
      if (v! >= -2048n && v! <= 2047n) {
        const bits = encI(spec("addi").match, rd, 0, Number(v));
        return rd !== 0 ? emitMaybeC(ctx, "addi", bits, { rd, rs1: 0, imm: Number(v) }) : ctx.emit(bits, 4);
      }
      return loadConst(ctx, rd, v!);
    }
    case "la":
    case "lla": {
      expectCount(ops, 2, mn, "a register and a symbol");
      const rd = reg(ops[0]!);
      const e = wholeExpr(ctx, ops[1]!);
      return pcrelPair(ctx, rd, e, (lo) => ctx.emit(encI(spec("addi").match, rd, rd, 0), 4, { kind: "pcrel_lo12_i", expr: lo }));
    }
    case "call":
    case "tail": {
      expectCount(ops, name === "call" ? [1, 2] : 1, mn, name === "call" ? "a symbol (or a register and a symbol)" : "a symbol");
      const link = name === "tail" ? 0 : ops.length === 2 ? reg(ops[0]!) : 1;
      const tmp = name === "tail" ? 6 : link; // GNU's tail uses t1
      const target = wholeExpr(ctx, ops[ops.length - 1]!);
      ctx.emit(encU(spec("auipc").match, tmp, 0), 4, { kind: "call", expr: target });
      ctx.emit(encI(spec("jalr").match, link, tmp, 0), 4);
      return;
    }
    case "ret":
      expectCount(ops, 0, mn, "no operands");
      return emitMaybeC(ctx, "jalr", encI(spec("jalr").match, 0, 1, 0), { rd: 0, rs1: 1, imm: 0 }, "short");
    case "jr": {
      expectCount(ops, [1, 2], mn, "a register (and an optional offset)");
      const rs = reg(ops[0]!);
      const off = ops.length === 2 ? inRange(needConst(ctx, wholeExpr(ctx, ops[1]!), ops[1]!, "an offset"), -2048n, 2047n, "offset", ops[1]!) : 0;
      return emitMaybeC(ctx, "jalr", encI(spec("jalr").match, 0, rs, off), { rd: 0, rs1: rs, imm: off }, ops.length === 1 ? "short" : undefined);
    }
    case "jalr":
      return jalr(ctx, mn, ops);
    case "j": {
      expectCount(ops, 1, mn, "a label");
      return ctx.emitBranch({ jump: true, rvc: ctx.rvc, match: 0, rs1: 0, rs2: 0, rd: 0, target: branchTarget(ctx, ops[0]!) });
    }
    case "jal": {
      expectCount(ops, [1, 2], mn, "a label (or a register and a label)");
      const rd = ops.length === 2 ? reg(ops[0]!) : 1;
      return ctx.emitBranch({ jump: true, rvc: false, match: 0, rs1: 0, rs2: 0, rd, target: branchTarget(ctx, ops[ops.length - 1]!) });
    }
    case "mv": {
      // GNU's mv has only c.mv as its compressed form (no c.li for `mv rd, zero`).
      expectCount(ops, 2, mn, "two registers");
      const rd = reg(ops[0]!);
      const rs = reg(ops[1]!);
      const bits = encI(spec("addi").match, rd, rs, 0);
      return rd !== 0 && rs !== 0 ? emitMaybeC(ctx, "addi", bits, { rd, rs1: rs, imm: 0 }) : ctx.emit(bits, 4);
    }
    case "not":
      expectCount(ops, 2, mn, "two registers");
      return emitI(ctx, "xori", reg(ops[0]!), reg(ops[1]!), -1);
    case "neg":
      expectCount(ops, 2, mn, "two registers");
      return emitR(ctx, "sub", reg(ops[0]!), 0, reg(ops[1]!));
    case "negw":
      expectCount(ops, 2, mn, "two registers");
      return emitR(ctx, "subw", reg(ops[0]!), 0, reg(ops[1]!));
    case "sext.w":
      expectCount(ops, 2, mn, "two registers");
      return emitI(ctx, "addiw", reg(ops[0]!), reg(ops[1]!), 0);
    case "seqz":
      expectCount(ops, 2, mn, "two registers");
      return emitI(ctx, "sltiu", reg(ops[0]!), reg(ops[1]!), 1);
    case "snez":
      expectCount(ops, 2, mn, "two registers");
      return emitR(ctx, "sltu", reg(ops[0]!), 0, reg(ops[1]!));
    case "sltz":
      expectCount(ops, 2, mn, "two registers");
      return emitR(ctx, "slt", reg(ops[0]!), reg(ops[1]!), 0);
    case "sgtz":
      expectCount(ops, 2, mn, "two registers");
      return emitR(ctx, "slt", reg(ops[0]!), 0, reg(ops[1]!));
    case "zext.b":
      expectCount(ops, 2, mn, "two registers");
      return emitI(ctx, "andi", reg(ops[0]!), reg(ops[1]!), 255);
    case "csrr":
      expectCount(ops, 2, mn, "a register and a CSR");
      return csr(ctx, "csrrs", reg(ops[0]!), csrNumber(ctx, ops[1]!), 0);
    case "csrw":
    case "csrs":
    case "csrc":
    case "csrwi":
    case "csrsi":
    case "csrci": {
      expectCount(ops, 2, mn, "a CSR and a register or immediate");
      const num = csrNumber(ctx, ops[0]!);
      const base = { w: "csrrw", s: "csrrs", c: "csrrc" }[name[3] as "w" | "s" | "c"];
      if (isReg(ops[1]!) && !name.endsWith("i")) return csr(ctx, base, 0, num, reg(ops[1]!));
      return csr(ctx, base + "i", 0, num, uimm5(ctx, ops[1]!));
    }
    case "rdcycle":
    case "rdtime":
    case "rdinstret":
      expectCount(ops, 1, mn, "a register");
      return csr(ctx, "csrrs", reg(ops[0]!), csrByName(name.slice(2))!.num, 0);
    case "fence":
      if (ops.length === 0) return ctx.emit(encFence(0xf, 0xf), 4);
      expectCount(ops, 2, mn, "no operands, or a predecessor and a successor set");
      return ctx.emit(encFence(fenceSet(ops[0]!), fenceSet(ops[1]!)), 4);
    case "unimp":
      expectCount(ops, 0, mn, "no operands");
      return ctx.rvc ? ctx.emit(0, 2) : ctx.emit(0xc0001073, 4);
    case "scall":
      return assembleInstruction(ctx, { ...mn, text: "ecall" }, operandToks, endCol);
    case "sbreak":
      return assembleInstruction(ctx, { ...mn, text: "ebreak" }, operandToks, endCol);
  }
  if (BRANCH_ALIAS[name]) {
    const [base, swap] = BRANCH_ALIAS[name]!;
    expectCount(ops, 3, mn, "two registers and a label");
    const a = reg(ops[0]!);
    const b = reg(ops[1]!);
    return branch(ctx, base, swap ? b : a, swap ? a : b, branchTarget(ctx, ops[2]!));
  }
  if (BRANCH_ZERO[name]) {
    const [base, where] = BRANCH_ZERO[name]!;
    expectCount(ops, 2, mn, "a register and a label");
    const r = reg(ops[0]!);
    const t = branchTarget(ctx, ops[1]!);
    return where === "rs2" ? branch(ctx, base, r, 0, t) : branch(ctx, base, 0, r, t);
  }

  if (fpPseudo(ctx, name, mn, ops)) return;

  const m = AQRL.exec(name)!;
  const s = instructionByName(m[1]!);
  if (!s || (m[2] && s.format !== "AMO" && s.format !== "LR")) {
    fail(`unknown instruction '${mn.text}'`, mn);
  }
  requireExt(ctx, s!.ext, mn);
  return base(ctx, s!, mn, ops, m[2]);
}

function csr(ctx: InsnContext, name: string, rd: number, num: number, rs1: number): void {
  if (!ctx.hasExt("Zicsr")) fail(`'${name}' needs the zicsr extension (add _zicsr to the architecture)`, { col: 0 });
  ctx.emit(encI(spec(name).match, rd, rs1, num), 4);
}

function encFence(pred: number, succ: number): number {
  return (spec("fence").match | (pred << 24) | (succ << 20)) >>> 0;
}

function jalr(ctx: InsnContext, mn: Token, ops: Op[]): void {
  const m = spec("jalr").match;
  if (ops.length === 1) {
    const rs = reg(ops[0]!);
    if (isRegOnly(ops[0]!)) return emitMaybeC(ctx, "jalr", encI(m, 1, rs, 0), { rd: 1, rs1: rs, imm: 0 }, "short");
  }
  if (ops.length === 2) {
    const rd = reg(ops[0]!);
    if (isReg(ops[1]!)) return ctx.emit(encI(m, rd, reg(ops[1]!), 0), 4);
    const { off, base } = mem(ctx, ops[1]!);
    if (base === undefined) fail("expected imm(register) as the second operand of jalr", ops[1]!.toks[0]!);
    const imm = imm12(ctx, off, ops[1]!, false);
    return ctx.emit(encI(m, rd, base!, imm.value), 4, imm.fix);
  }
  expectCount(ops, 3, mn, "rd, rs1, imm or rd, imm(rs1)");
  const rd = reg(ops[0]!);
  const rs1 = reg(ops[1]!);
  const imm = imm12(ctx, wholeExpr(ctx, ops[2]!), ops[2]!, false);
  ctx.emit(encI(m, rd, rs1, imm.value), 4, imm.fix);
}

const isRegOnly = (op: Op) => op.toks.length === 2;

/** The instructions of the ISA table, by format. */
function base(ctx: InsnContext, s: InstructionSpec, mn: Token, ops: Op[], aqrl: string | undefined): void {
  const name = s.name;
  switch (s.format) {
    case "R":
      expectCount(ops, 3, mn, "three registers");
      return emitR(ctx, name, reg(ops[0]!), reg(ops[1]!), reg(ops[2]!));
    case "I": {
      expectCount(ops, 3, mn, "two registers and an immediate");
      const rd = reg(ops[0]!);
      const rs1 = reg(ops[1]!);
      const imm = imm12(ctx, wholeExpr(ctx, ops[2]!), ops[2]!, false);
      if (imm.fix || imm.noC) return ctx.emit(encI(s.match, rd, rs1, imm.value), 4, imm.fix);
      return emitI(ctx, name, rd, rs1, imm.value);
    }
    case "SHIFT64":
    case "SHIFT32": {
      expectCount(ops, 3, mn, "two registers and a shift amount");
      const rd = reg(ops[0]!);
      const rs1 = reg(ops[1]!);
      const max = s.format === "SHIFT64" ? 63n : 31n;
      const sh = inRange(needConst(ctx, wholeExpr(ctx, ops[2]!), ops[2]!, "a shift amount"), 0n, max, "shift amount", ops[2]!);
      return emitMaybeC(ctx, name, encI(s.match, rd, rs1, sh), { rd, rs1, imm: sh });
    }
    case "JALR":
      return jalr(ctx, mn, ops);
    case "FP":
      return fpInstruction(ctx, s, mn, ops);
    case "LOAD":
    case "STORE":
    case "FLOAD":
    case "FSTORE": {
      expectCount(ops, [2, 3], mn, "a register and imm(base)");
      const load = s.format === "LOAD" || s.format === "FLOAD";
      const r = s.format === "LOAD" || s.format === "STORE" ? reg(ops[0]!) : freg(ops[0]!);
      const { off, base } = mem(ctx, ops[1]!);
      if (base === undefined) {
        // `lw rd, symbol` / `sw rs, symbol, rt`: a pc-relative access through a temporary (an x
        // register: an FP load names one too).
        const viaTemp = s.format !== "LOAD";
        if (viaTemp) expectCount(ops, 3, mn, "a register, a symbol and a temporary register");
        else expectCount(ops, 2, mn, "a register and a symbol");
        const tmp = viaTemp ? reg(ops[2]!) : r;
        return pcrelPair(ctx, tmp, off, (lo) =>
          ctx.emit(load ? encI(s.match, r, tmp, 0) : encS(s.match, tmp, r, 0), 4, {
            kind: load ? "pcrel_lo12_i" : "pcrel_lo12_s",
            expr: lo,
          }),
        );
      }
      expectCount(ops, 2, mn, "a register and imm(base)");
      const imm = imm12(ctx, off, ops[1]!, !load);
      if (load) {
        if (imm.fix || imm.noC) return ctx.emit(encI(s.match, r, base, imm.value), 4, imm.fix);
        return emitMaybeC(ctx, name, encI(s.match, r, base, imm.value), { rd: r, rs1: base, imm: imm.value });
      }
      if (imm.fix || imm.noC) return ctx.emit(encS(s.match, base, r, imm.value), 4, imm.fix);
      return emitMaybeC(ctx, name, encS(s.match, base, r, imm.value), { rs1: base, rs2: r, imm: imm.value });
    }
    case "B": {
      expectCount(ops, 3, mn, "two registers and a label");
      return branch(ctx, name, reg(ops[0]!), reg(ops[1]!), branchTarget(ctx, ops[2]!));
    }
    case "U": {
      expectCount(ops, 2, mn, "a register and a 20-bit immediate");
      const rd = reg(ops[0]!);
      const e = wholeExpr(ctx, ops[1]!);
      if (e.k === "reloc") {
        const want = name === "lui" ? "hi" : "pcrel_hi";
        if (e.op !== want) fail(`${name} takes %${want}(…), not %${e.op}`, e);
        const c = e.op === "hi" ? ctx.constant(e.a) : undefined;
        if (c !== undefined) return ctx.emit(encU(s.match, rd, Number(BigInt.asUintN(20, (c + 0x800n) >> 12n))), 4);
        return ctx.emit(encU(s.match, rd, 0), 4, { kind: e.op === "hi" ? "hi20" : "pcrel_hi20", expr: e.a });
      }
      const imm = inRange(needConst(ctx, e, ops[1]!, "a 20-bit immediate"), 0n, 0xfffffn, "immediate", ops[1]!);
      if (name === "lui") return emitMaybeC(ctx, "lui", encU(s.match, rd, imm), { rd, imm });
      return ctx.emit(encU(s.match, rd, imm), 4);
    }
    case "J": {
      expectCount(ops, [1, 2], mn, "a label (or a register and a label)");
      const rd = ops.length === 2 ? reg(ops[0]!) : 1;
      return ctx.emitBranch({ jump: true, rvc: false, match: 0, rs1: 0, rs2: 0, rd, target: branchTarget(ctx, ops[ops.length - 1]!) });
    }
    case "AMO":
    case "LR": {
      const lr = s.format === "LR";
      expectCount(ops, lr ? 2 : 3, mn, lr ? "a register and (address)" : "two registers and (address)");
      const rd = reg(ops[0]!);
      const rs2 = lr ? 0 : reg(ops[1]!);
      const addrOp = ops[ops.length - 1]!;
      const { off, base } = mem(ctx, addrOp);
      if (base === undefined || ctx.constant(off) !== 0n) fail("expected (register) or 0(register) as the address", addrOp.toks[0]!);
      const bits = aqrl === ".aqrl" ? 3 : aqrl === ".aq" ? 2 : aqrl === ".rl" ? 1 : 0;
      return ctx.emit((encR(s.match, rd, base!, rs2) | (bits << 25)) >>> 0, 4);
    }
    case "CSR":
    case "CSRI": {
      expectCount(ops, 3, mn, "a register, a CSR and a register or immediate");
      const rd = reg(ops[0]!);
      const num = csrNumber(ctx, ops[1]!);
      if (s.format === "CSR" && isReg(ops[2]!)) return csr(ctx, name, rd, num, reg(ops[2]!));
      return csr(ctx, s.format === "CSR" ? name + "i" : name, rd, num, uimm5(ctx, ops[2]!));
    }
    case "FENCE":
      return; // handled above as a pseudo-instruction
    case "NONE":
      expectCount(ops, 0, mn, "no operands");
      if (name === "ebreak") return emitMaybeC(ctx, "ebreak", s.match, {});
      return ctx.emit(s.match, 4);
    case "SFENCE": {
      expectCount(ops, [0, 1, 2], mn, "up to two registers (address, ASID)");
      const rs1 = ops.length > 0 ? reg(ops[0]!) : 0;
      const rs2 = ops.length > 1 ? reg(ops[1]!) : 0;
      return ctx.emit(encR(s.match, 0, rs1, rs2), 4);
    }
    case "HLV": {
      expectCount(ops, 2, mn, "a register and (address)");
      const rd = reg(ops[0]!);
      const { off, base } = mem(ctx, ops[1]!);
      if (base === undefined || ctx.constant(off) !== 0n) fail("expected (register) or 0(register) as the address", ops[1]!.toks[0]!);
      return ctx.emit(encR(s.match, rd, base!, 0), 4);
    }
    case "HSV": {
      expectCount(ops, 2, mn, "a register and (address)");
      const rs2 = reg(ops[0]!);
      const { off, base } = mem(ctx, ops[1]!);
      if (base === undefined || ctx.constant(off) !== 0n) fail("expected (register) or 0(register) as the address", ops[1]!.toks[0]!);
      return ctx.emit(encR(s.match, 0, base!, rs2), 4);
    }
  }
}

/** Explicit `c.` mnemonics: operands as GNU writes them, ranges checked by the encoder. */
function compressed(ctx: InsnContext, name: string, mn: Token, ops: Op[]): void {
  if (!ctx.hasExt("C")) fail(`'${mn.text}' needs the C extension (add c to the architecture or use .option rvc)`, mn);
  if (name.startsWith("c.f") && !ctx.hasExt("D")) fail(`'${mn.text}' needs the d extension (add it to the architecture)`, mn);
  const constOf = (op: Op, what: string) => {
    const v = needConst(ctx, wholeExpr(ctx, op), op, what);
    return inRange(v, -(1n << 31n), (1n << 32n) - 1n, what, op);
  };
  const o: COperands = {};
  const memOp = (op: Op) => {
    const { off, base } = mem(ctx, op);
    if (base === undefined) fail("expected imm(register)", op.toks[0]!);
    o.rs1 = base;
    o.imm = inRange(needConst(ctx, off, op, "an offset"), -4096n, 4096n, "offset", op);
  };
  switch (name) {
    case "c.nop":
    case "c.ebreak":
    case "c.unimp":
      expectCount(ops, 0, mn, "no operands");
      break;
    case "c.j":
    case "c.beqz":
    case "c.bnez": {
      const isJ = name === "c.j";
      expectCount(ops, isJ ? 1 : 2, mn, isJ ? "a label" : "a register and a label");
      if (!isJ) o.rs1 = reg(ops[0]!);
      const target = branchTarget(ctx, ops[ops.length - 1]!);
      const r = encodeCompressed(name, { ...o, imm: 0 });
      if (!r.ok) fail(r.error, mn);
      if (r.ok) ctx.emit(r.bits, 2, { kind: isJ ? "rvc_jump" : "rvc_branch", expr: target });
      return;
    }
    case "c.jr":
    case "c.jalr":
      expectCount(ops, 1, mn, "a register");
      o.rs1 = reg(ops[0]!);
      break;
    case "c.mv":
    case "c.add":
      expectCount(ops, 2, mn, "two registers");
      o.rd = reg(ops[0]!);
      o.rs2 = reg(ops[1]!);
      break;
    case "c.sub":
    case "c.xor":
    case "c.or":
    case "c.and":
    case "c.subw":
    case "c.addw":
      expectCount(ops, 2, mn, "two registers");
      o.rd = reg(ops[0]!);
      o.rs2 = reg(ops[1]!);
      break;
    case "c.lw":
    case "c.ld":
    case "c.lwsp":
    case "c.ldsp":
    case "c.fld":
    case "c.fldsp":
      expectCount(ops, 2, mn, "a register and imm(base)");
      o.rd = name.startsWith("c.f") ? freg(ops[0]!) : reg(ops[0]!);
      memOp(ops[1]!);
      if (name.endsWith("sp") && o.rs1 !== 2) fail(`${name} addresses through sp`, ops[1]!.toks[0]!);
      break;
    case "c.sw":
    case "c.sd":
    case "c.swsp":
    case "c.sdsp":
    case "c.fsd":
    case "c.fsdsp":
      expectCount(ops, 2, mn, "a register and imm(base)");
      o.rs2 = name.startsWith("c.f") ? freg(ops[0]!) : reg(ops[0]!);
      memOp(ops[1]!);
      if (name.endsWith("sp") && o.rs1 !== 2) fail(`${name} addresses through sp`, ops[1]!.toks[0]!);
      break;
    case "c.addi4spn":
      expectCount(ops, 3, mn, "a register, sp and an immediate");
      o.rd = reg(ops[0]!);
      if (reg(ops[1]!) !== 2) fail("c.addi4spn adds to sp", ops[1]!.toks[0]!);
      o.imm = constOf(ops[2]!, "an immediate");
      break;
    case "c.addi16sp":
      expectCount(ops, [1, 2], mn, "sp and an immediate");
      if (ops.length === 2 && reg(ops[0]!) !== 2) fail("c.addi16sp adds to sp", ops[0]!.toks[0]!);
      o.imm = constOf(ops[ops.length - 1]!, "an immediate");
      break;
    case "c.addi":
    case "c.addiw":
    case "c.li":
    case "c.lui":
    case "c.slli":
    case "c.srli":
    case "c.srai":
    case "c.andi":
      expectCount(ops, 2, mn, "a register and an immediate");
      o.rd = reg(ops[0]!);
      o.imm = constOf(ops[1]!, "an immediate");
      break;
    default:
      fail(`unknown compressed instruction '${mn.text}'`, mn);
  }
  const r = encodeCompressed(name, o);
  if (!r.ok) fail(r.error, mn);
  if (r.ok) ctx.emit(r.bits, 2);
}

/** Fills the offset of a B-type or J-type instruction (used by the linker and the branch finaliser). */
export function withBranchOffset(bits: number, off: number): number {
  return encB(bits & 0x01fff07f, 0, 0, off);
}
export function withJalOffset(bits: number, off: number): number {
  return encJ(bits & 0xfff, 0, off);
}

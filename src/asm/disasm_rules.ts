/**
 * How GNU objdump 2.40 (`riscv64-unknown-elf-objdump -d`, default aliases) prints each instruction of
 * the ISA table. The table in `src/isa` says which instruction a word is; these rules say which
 * mnemonic and operand template objdump chooses for it. For each base instruction the rules are
 * tried in order and the first whose condition holds wins, mirroring the order of binutils'
 * `riscv_opcodes[]` as 2.40 ships it (which, for example, prints `addi a0,a0,1` as `add a0,a0,1`).
 * A word whose base has no rule that applies prints as `.4byte`/`.2byte`, as objdump does.
 *
 * Operand templates use binutils' letters (see `disasm_operands.ts`): d rd, s rs1, t rs2, j/o I-imm,
 * q S-imm, u U-imm, a/p jump/branch target, >/< shift amounts, E CSR, Z 5-bit uimm, P/Q fence sets,
 * D/S/T/R f registers in rd/rs1/rs2/rs3 (U: rs1 standing for rs1 = rs2), m the rounding mode;
 * the C-prefixed letters are the compressed fields.
 */

export interface PrintRule {
  /** Mnemonic as objdump prints it. */
  readonly name: string;
  /** The ISA-table entry (32-bit or compressed) this rule prints. */
  readonly base: string;
  readonly args: string;
  /** Extra condition on the word beyond the table's match/mask (objdump's match_func and mask). */
  readonly when?: (w: number) => boolean;
  /** The atomics' `.aq`/`.rl`/`.aqrl` suffix comes from bits 26:25. */
  readonly aqrl?: boolean;
  /** An extension this alias needs beyond the base instruction's (checked against `march`). */
  readonly needs?: string;
}

const rd = (w: number): number => (w >>> 7) & 31;
const rs1 = (w: number): number => (w >>> 15) & 31;
const rs2 = (w: number): number => (w >>> 20) & 31;
const imm12 = (w: number): number => w >> 20;
const csr = (w: number): number => w >>> 20;
/** Compressed: bits 6:2 (rs2 of CR, low immediate bits of CI). */
const c62 = (w: number): number => (w >>> 2) & 31;
/** Compressed CI immediate, sign-extended (bit 12, bits 6:2). */
const ciImm = (w: number): number => ((((w >>> 12) & 1) << 5) | c62(w)) << 26 >> 26;

const and =
  (...ps: Array<(w: number) => boolean>) =>
  (w: number): boolean =>
    ps.every((p) => p(w));
const rdIs = (n: number) => (w: number) => rd(w) === n;
const rdNot0 = (w: number): boolean => rd(w) !== 0;
const rs1Is = (n: number) => (w: number) => rs1(w) === n;
const rs2Is = (n: number) => (w: number) => rs2(w) === n;
const immIs = (n: number) => (w: number) => imm12(w) === n;
const ciImmIs0 = (w: number): boolean => ciImm(w) === 0;
const ciImmNot0 = (w: number): boolean => ciImm(w) !== 0;
const csrIs = (n: number) => (w: number) => csr(w) === n;
const rmIs = (n: number) => (w: number) => ((w >>> 12) & 7) === n;
const rs1IsRs2 = (w: number): boolean => rs1(w) === rs2(w);
/** fence/fence.i/fence.tso: objdump also requires rd = rs1 = 0 (and fm = 0 where it masks it). */
const fenceRegs0 = and(rdIs(0), rs1Is(0));

function r(name: string, base: string, args: string, when?: (w: number) => boolean, needs?: string): PrintRule {
  return { name, base, args, ...(when ? { when } : {}), ...(needs ? { needs } : {}) };
}
/** One rule printing the base instruction under its own name. */
const same = (base: string, args: string, when?: (w: number) => boolean): PrintRule => r(base, base, args, when);
const amo = (base: string, args: string): PrintRule => ({ name: base, base, args, aqrl: true });

/** The CSR aliases of F (fcsr 3, frm 2, fflags 1), which binutils lists before the general CSR forms. */
function fpCsrAliases(): PrintRule[] {
  return ([["csr", 3], ["rm", 2], ["flags", 1]] as const).flatMap(([suffix, num]) => {
    const read = suffix === "csr" ? "frcsr" : `fr${suffix}`;
    const write = suffix === "csr" ? "fscsr" : `fs${suffix}`;
    const rules = [
      r(read, "csrrs", "d", and(rs1Is(0), csrIs(num)), "f"),
      r(write, "csrrw", "s", and(rdIs(0), csrIs(num)), "f"),
      r(write, "csrrw", "d,s", csrIs(num), "f"),
    ];
    return suffix === "csr" ? rules : [...rules, r(`${write}i`, "csrrwi", "d,Z", csrIs(num), "f")];
  });
}

/** One precision's instructions: operations with a rounding mode print it unless it is dyn (7). */
function fpRules(p: "s" | "d"): PrintRule[] {
  const dyn = rmIs(7);
  const withRm = (base: string, args: string) => [same(base, args, dyn), same(base, `${args},m`)];
  const xw = p === "s" ? "w" : "d";
  // binutils 2.40 knows fcvt.d.s, fcvt.d.w and fcvt.d.wu (always exact) only with rm = 0, printed without it.
  const exact = (base: string, args: string) => [same(base, args, rmIs(0))];
  return [
    same(p === "s" ? "flw" : "fld", "D,o(s)"),
    same(p === "s" ? "fsw" : "fsd", "T,q(s)"),
    ...["fmadd", "fmsub", "fnmsub", "fnmadd"].flatMap((op) => withRm(`${op}.${p}`, "D,S,T,R")),
    ...["fadd", "fsub", "fmul", "fdiv"].flatMap((op) => withRm(`${op}.${p}`, "D,S,T")),
    ...withRm(`fsqrt.${p}`, "D,S"),
    r(`fmv.${p}`, `fsgnj.${p}`, "D,U", rs1IsRs2),
    same(`fsgnj.${p}`, "D,S,T"),
    r(`fneg.${p}`, `fsgnjn.${p}`, "D,U", rs1IsRs2),
    same(`fsgnjn.${p}`, "D,S,T"),
    r(`fabs.${p}`, `fsgnjx.${p}`, "D,U", rs1IsRs2),
    same(`fsgnjx.${p}`, "D,S,T"),
    same(`fmin.${p}`, "D,S,T"),
    same(`fmax.${p}`, "D,S,T"),
    ...["w", "wu", "l", "lu"].flatMap((i) => withRm(`fcvt.${i}.${p}`, "d,S")),
    same(`fmv.x.${xw}`, "d,S"),
    same(`fclass.${p}`, "d,S"),
    ...["feq", "flt", "fle"].map((op) => same(`${op}.${p}`, "d,S,T")),
    ...["w", "wu"].flatMap((i) => (p === "d" ? exact(`fcvt.d.${i}`, "D,s") : withRm(`fcvt.s.${i}`, "D,s"))),
    ...["l", "lu"].flatMap((i) => withRm(`fcvt.${p}.${i}`, "D,s")),
    same(`fmv.${xw}.x`, "D,s"),
  ];
}

export const PRINT_RULES: readonly PrintRule[] = [
  // RV64I
  same("lui", "d,u"),
  same("auipc", "d,u"),
  r("j", "jal", "a", rdIs(0)),
  r("jal", "jal", "a", rdIs(1)),
  same("jal", "d,a"),
  r("ret", "jalr", "", and(rdIs(0), rs1Is(1), immIs(0))),
  r("jr", "jalr", "s", and(rdIs(0), immIs(0))),
  r("jr", "jalr", "o(s)", rdIs(0)),
  r("jalr", "jalr", "s", and(rdIs(1), immIs(0))),
  r("jalr", "jalr", "o(s)", rdIs(1)),
  r("jalr", "jalr", "d,s", immIs(0)),
  same("jalr", "d,o(s)"),
  r("beqz", "beq", "s,p", rs2Is(0)),
  same("beq", "s,t,p"),
  r("bnez", "bne", "s,p", rs2Is(0)),
  same("bne", "s,t,p"),
  r("bltz", "blt", "s,p", rs2Is(0)),
  r("bgtz", "blt", "t,p", rs1Is(0)),
  same("blt", "s,t,p"),
  r("blez", "bge", "t,p", rs1Is(0)),
  r("bgez", "bge", "s,p", rs2Is(0)),
  same("bge", "s,t,p"),
  same("bltu", "s,t,p"),
  same("bgeu", "s,t,p"),
  ...["lb", "lh", "lw", "ld", "lbu", "lhu", "lwu"].map((n) => same(n, "d,o(s)")),
  ...["sb", "sh", "sw", "sd"].map((n) => same(n, "t,q(s)")),
  r("nop", "addi", "", and(rdIs(0), rs1Is(0), immIs(0))),
  r("li", "addi", "d,j", rs1Is(0)),
  r("mv", "addi", "d,s", immIs(0)),
  r("add", "addi", "d,s,j"),
  same("slti", "d,s,j"),
  r("seqz", "sltiu", "d,s", immIs(1)),
  same("sltiu", "d,s,j"),
  r("not", "xori", "d,s", immIs(-1)),
  r("xor", "xori", "d,s,j"),
  r("or", "ori", "d,s,j"),
  r("zext.b", "andi", "d,s", immIs(255)),
  r("and", "andi", "d,s,j"),
  r("sll", "slli", "d,s,>"),
  r("srl", "srli", "d,s,>"),
  r("sra", "srai", "d,s,>"),
  same("add", "d,s,t"),
  r("neg", "sub", "d,t", rs1Is(0)),
  same("sub", "d,s,t"),
  same("sll", "d,s,t"),
  r("sltz", "slt", "d,s", rs2Is(0)),
  r("sgtz", "slt", "d,t", rs1Is(0)),
  same("slt", "d,s,t"),
  r("snez", "sltu", "d,t", rs1Is(0)),
  same("sltu", "d,s,t"),
  ...["xor", "srl", "sra", "or", "and"].map((n) => same(n, "d,s,t")),
  r("sext.w", "addiw", "d,s", immIs(0)),
  r("addw", "addiw", "d,s,j"),
  r("sllw", "slliw", "d,s,<"),
  r("srlw", "srliw", "d,s,<"),
  r("sraw", "sraiw", "d,s,<"),
  same("addw", "d,s,t"),
  r("negw", "subw", "d,t", rs1Is(0)),
  same("subw", "d,s,t"),
  ...["sllw", "srlw", "sraw"].map((n) => same(n, "d,s,t")),
  r("fence.tso", "fence.tso", "", fenceRegs0),
  r("pause", "pause", "", undefined, "zihintpause"),
  // Without Zihintpause objdump sees pause as the fence it is.
  r("fence", "pause", "P,Q"),
  r("fence", "fence", "", and(fenceRegs0, (w) => w >>> 20 === 0x0ff)),
  r("fence", "fence", "P,Q", and(fenceRegs0, (w) => w >>> 28 === 0)),
  same("ecall", ""),
  same("ebreak", ""),
  // Zifencei
  r("fence.i", "fence.i", "", and(fenceRegs0, immIs(0))),
  // F and D
  ...fpRules("s"),
  ...fpRules("d"),
  same("fcvt.s.d", "D,S", rmIs(7)),
  same("fcvt.s.d", "D,S,m"),
  same("fcvt.d.s", "D,S", rmIs(0)),
  ...fpCsrAliases(),
  // Zicsr
  r("unimp", "csrrw", "", (w) => w >>> 0 === 0xc0001073),
  r("csrw", "csrrw", "E,s", rdIs(0)),
  same("csrrw", "d,E,s"),
  r("rdcycle", "csrrs", "d", and(rs1Is(0), (w) => csr(w) === 0xc00)),
  r("rdinstret", "csrrs", "d", and(rs1Is(0), (w) => csr(w) === 0xc02)),
  r("rdtime", "csrrs", "d", and(rs1Is(0), (w) => csr(w) === 0xc01)),
  r("csrr", "csrrs", "d,E", rs1Is(0)),
  r("csrs", "csrrs", "E,s", rdIs(0)),
  same("csrrs", "d,E,s"),
  r("csrc", "csrrc", "E,s", rdIs(0)),
  same("csrrc", "d,E,s"),
  r("csrw", "csrrwi", "E,Z", rdIs(0)),
  r("csrrw", "csrrwi", "d,E,Z"),
  r("csrs", "csrrsi", "E,Z", rdIs(0)),
  r("csrrs", "csrrsi", "d,E,Z"),
  r("csrc", "csrrci", "E,Z", rdIs(0)),
  r("csrrc", "csrrci", "d,E,Z"),
  // M
  ...["mul", "mulh", "mulhsu", "mulhu", "div", "divu", "rem", "remu", "mulw", "divw", "divuw", "remw", "remuw"].map(
    (n) => same(n, "d,s,t"),
  ),
  // A
  amo("lr.w", "d,0(s)"),
  amo("lr.d", "d,0(s)"),
  ...["sc", "amoswap", "amoadd", "amoxor", "amoand", "amoor", "amomin", "amomax", "amominu", "amomaxu"].flatMap((n) => [
    amo(`${n}.w`, "d,t,0(s)"),
    amo(`${n}.d`, "d,t,0(s)"),
  ]),
  // Privileged
  same("sret", ""),
  same("mret", ""),
  same("dret", ""),
  same("wfi", ""),
  ...["sfence.vma", "hfence.vvma", "hfence.gvma"].flatMap((n) => [
    same(n, "", and(rs1Is(0), rs2Is(0))),
    same(n, "s", rs2Is(0)),
    same(n, "s,t"),
  ]),
  // H
  ...["hlv.b", "hlv.bu", "hlv.h", "hlv.hu", "hlvx.hu", "hlv.w", "hlvx.wu", "hlv.wu", "hlv.d"].map((n) => same(n, "d,0(s)")),
  ...["hsv.b", "hsv.h", "hsv.w", "hsv.d"].map((n) => same(n, "t,0(s)")),

  // RV64C. Compressed instructions print as the 32-bit instruction they abbreviate; only HINTs and
  // the shapes with no 32-bit spelling keep a `c.` name.
  r("unimp", "c.addi4spn", "", (w) => w === 0),
  r("add", "c.addi4spn", "Ct,Cc,CK", (w) => ((w >>> 5) & 0xff) !== 0),
  r("fld", "c.fld", "CD,Cl(Cs)"),
  r("lw", "c.lw", "Ct,Ck(Cs)"),
  r("ld", "c.ld", "Ct,Cl(Cs)"),
  r("fsd", "c.fsd", "CD,Cl(Cs)"),
  r("sw", "c.sw", "Ct,Ck(Cs)"),
  r("sd", "c.sd", "Ct,Cl(Cs)"),
  r("nop", "c.nop", "", ciImmIs0),
  r("c.nop", "c.nop", "Cj"),
  r("add", "c.addi", "d,CU,Co", rdNot0),
  r("sext.w", "c.addiw", "d,CU", and(rdNot0, ciImmIs0)),
  r("addw", "c.addiw", "d,CU,Co", rdNot0),
  r("li", "c.li", "d,Co", rdNot0),
  r("c.li", "c.li", "d,Co"),
  r("add", "c.addi16sp", "Cc,Cc,CL"),
  r("lui", "c.lui", "d,Cu", and(rdNot0, ciImmNot0)),
  r("c.lui", "c.lui", "d,Cu", ciImmNot0),
  r("srl", "c.srli", "Cs,Cw,C>", ciImmNot0),
  r("c.srli64", "c.srli", "Cs"),
  r("sra", "c.srai", "Cs,Cw,C>", ciImmNot0),
  r("c.srai64", "c.srai", "Cs"),
  r("and", "c.andi", "Cs,Cw,Co"),
  r("sub", "c.sub", "Cs,Cw,Ct"),
  r("xor", "c.xor", "Cs,Cw,Ct"),
  r("or", "c.or", "Cs,Cw,Ct"),
  r("and", "c.and", "Cs,Cw,Ct"),
  r("subw", "c.subw", "Cs,Cw,Ct"),
  r("addw", "c.addw", "Cs,Cw,Ct"),
  r("j", "c.j", "Ca"),
  r("beqz", "c.beqz", "Cs,Cp"),
  r("bnez", "c.bnez", "Cs,Cp"),
  r("sll", "c.slli", "d,CU,C>", and(rdNot0, ciImmNot0)),
  r("c.slli", "c.slli", "d,C>", ciImmNot0),
  r("c.slli64", "c.slli", "d"),
  r("fld", "c.fldsp", "D,Cn(Cc)"),
  r("lw", "c.lwsp", "d,Cm(Cc)", rdNot0),
  r("ld", "c.ldsp", "d,Cn(Cc)", rdNot0),
  r("ret", "c.jr", "", rdIs(1)),
  r("jr", "c.jr", "d", rdNot0),
  r("mv", "c.mv", "d,CV", rdNot0),
  r("c.mv", "c.mv", "d,CV"),
  r("ebreak", "c.ebreak", ""),
  r("jalr", "c.jalr", "d", rdNot0),
  r("add", "c.add", "d,CU,CV", rdNot0),
  r("c.add", "c.add", "d,CV"),
  r("fsd", "c.fsdsp", "CT,CN(Cc)"),
  r("sw", "c.swsp", "CV,CM(Cc)"),
  r("sd", "c.sdsp", "CV,CN(Cc)"),
];

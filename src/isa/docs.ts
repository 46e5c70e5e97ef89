/**
 * Short documentation for the editor's hover and completion: the operand syntax and what each
 * instruction does, for every mnemonic the assembler accepts (the ISA table's instructions and
 * compressed forms, and GNU's pseudo-instructions). CSR descriptions live in the CSR table itself.
 *
 * A unit test checks that every entry of `INSTRUCTIONS` and `COMPRESSED` has an entry here. The F and D
 * extensions' entries are in docs_fp.ts.
 */
import { FP_DOCS, FP_PSEUDO } from "./docs_fp";

export interface MnemonicDoc {
  /** Operand syntax as GNU `as` writes it, e.g. `rd, rs1, imm`. Empty for no operands. */
  readonly syntax: string;
  readonly summary: string;
  /** For pseudo-instructions: what the assembler emits. */
  readonly expands?: string;
}

type Row = [syntax: string, summary: string];

const BASE: Record<string, Row> = {
  lui: ["rd, imm20", "Load upper immediate: rd = imm20 << 12 (sign-extended)."],
  auipc: ["rd, imm20", "Add upper immediate to pc: rd = pc + (imm20 << 12)."],
  jal: ["rd, offset", "Jump and link: rd = pc + 4; pc += offset (±1 MiB)."],
  jalr: ["rd, offset(rs1)", "Jump and link register: rd = pc + 4; pc = (rs1 + offset) & ~1."],
  beq: ["rs1, rs2, offset", "Branch if equal."],
  bne: ["rs1, rs2, offset", "Branch if not equal."],
  blt: ["rs1, rs2, offset", "Branch if less than (signed)."],
  bge: ["rs1, rs2, offset", "Branch if greater than or equal (signed)."],
  bltu: ["rs1, rs2, offset", "Branch if less than (unsigned)."],
  bgeu: ["rs1, rs2, offset", "Branch if greater than or equal (unsigned)."],
  lb: ["rd, offset(rs1)", "Load a byte, sign-extended."],
  lh: ["rd, offset(rs1)", "Load a halfword (16 bits), sign-extended."],
  lw: ["rd, offset(rs1)", "Load a word (32 bits), sign-extended."],
  ld: ["rd, offset(rs1)", "Load a doubleword (64 bits)."],
  lbu: ["rd, offset(rs1)", "Load a byte, zero-extended."],
  lhu: ["rd, offset(rs1)", "Load a halfword, zero-extended."],
  lwu: ["rd, offset(rs1)", "Load a word, zero-extended."],
  sb: ["rs2, offset(rs1)", "Store the low byte of rs2."],
  sh: ["rs2, offset(rs1)", "Store the low halfword of rs2."],
  sw: ["rs2, offset(rs1)", "Store the low word of rs2."],
  sd: ["rs2, offset(rs1)", "Store the doubleword rs2."],
  addi: ["rd, rs1, imm12", "Add immediate: rd = rs1 + imm12."],
  slti: ["rd, rs1, imm12", "Set if less than immediate (signed): rd = rs1 < imm12 ? 1 : 0."],
  sltiu: ["rd, rs1, imm12", "Set if less than immediate (unsigned)."],
  xori: ["rd, rs1, imm12", "Bitwise XOR with immediate."],
  ori: ["rd, rs1, imm12", "Bitwise OR with immediate."],
  andi: ["rd, rs1, imm12", "Bitwise AND with immediate."],
  slli: ["rd, rs1, shamt", "Shift left logical by immediate (0–63)."],
  srli: ["rd, rs1, shamt", "Shift right logical by immediate (0–63)."],
  srai: ["rd, rs1, shamt", "Shift right arithmetic by immediate (0–63)."],
  add: ["rd, rs1, rs2", "Add: rd = rs1 + rs2."],
  sub: ["rd, rs1, rs2", "Subtract: rd = rs1 - rs2."],
  sll: ["rd, rs1, rs2", "Shift left logical by rs2[5:0]."],
  slt: ["rd, rs1, rs2", "Set if less than (signed): rd = rs1 < rs2 ? 1 : 0."],
  sltu: ["rd, rs1, rs2", "Set if less than (unsigned)."],
  xor: ["rd, rs1, rs2", "Bitwise XOR."],
  srl: ["rd, rs1, rs2", "Shift right logical by rs2[5:0]."],
  sra: ["rd, rs1, rs2", "Shift right arithmetic by rs2[5:0]."],
  or: ["rd, rs1, rs2", "Bitwise OR."],
  and: ["rd, rs1, rs2", "Bitwise AND."],
  addiw: ["rd, rs1, imm12", "Add immediate on the low 32 bits; the result is sign-extended."],
  slliw: ["rd, rs1, shamt", "32-bit shift left logical by immediate (0–31), sign-extended."],
  srliw: ["rd, rs1, shamt", "32-bit shift right logical by immediate (0–31), sign-extended."],
  sraiw: ["rd, rs1, shamt", "32-bit shift right arithmetic by immediate (0–31), sign-extended."],
  addw: ["rd, rs1, rs2", "32-bit add, sign-extended."],
  subw: ["rd, rs1, rs2", "32-bit subtract, sign-extended."],
  sllw: ["rd, rs1, rs2", "32-bit shift left logical, sign-extended."],
  srlw: ["rd, rs1, rs2", "32-bit shift right logical, sign-extended."],
  sraw: ["rd, rs1, rs2", "32-bit shift right arithmetic, sign-extended."],
  "fence.tso": ["", "Total-store-order fence: orders loads before loads/stores and stores before stores."],
  pause: ["", "Hint that the hart is spinning (Zihintpause); a fence with no effect on state."],
  fence: ["pred, succ", "Memory fence: orders the predecessor accesses (i, o, r, w) before the successor ones."],
  ecall: ["", "Environment call: raises an environment-call exception for the current privilege."],
  ebreak: ["", "Breakpoint: raises a breakpoint exception."],
  "fence.i": ["", "Instruction fence: later instruction fetches see earlier stores (Zifencei)."],
  csrrw: ["rd, csr, rs1", "Atomic CSR read and write: rd = csr; csr = rs1."],
  csrrs: ["rd, csr, rs1", "Atomic CSR read and set bits: rd = csr; csr |= rs1."],
  csrrc: ["rd, csr, rs1", "Atomic CSR read and clear bits: rd = csr; csr &= ~rs1."],
  csrrwi: ["rd, csr, uimm5", "CSR read and write immediate: rd = csr; csr = uimm5."],
  csrrsi: ["rd, csr, uimm5", "CSR read and set immediate bits."],
  csrrci: ["rd, csr, uimm5", "CSR read and clear immediate bits."],
  mul: ["rd, rs1, rs2", "Multiply: the low 64 bits of rs1 × rs2."],
  mulh: ["rd, rs1, rs2", "Multiply high, signed × signed."],
  mulhsu: ["rd, rs1, rs2", "Multiply high, signed × unsigned."],
  mulhu: ["rd, rs1, rs2", "Multiply high, unsigned × unsigned."],
  div: ["rd, rs1, rs2", "Divide (signed); dividing by zero gives -1."],
  divu: ["rd, rs1, rs2", "Divide (unsigned); dividing by zero gives all ones."],
  rem: ["rd, rs1, rs2", "Remainder (signed); by zero gives rs1."],
  remu: ["rd, rs1, rs2", "Remainder (unsigned); by zero gives rs1."],
  mulw: ["rd, rs1, rs2", "32-bit multiply, sign-extended."],
  divw: ["rd, rs1, rs2", "32-bit signed divide, sign-extended."],
  divuw: ["rd, rs1, rs2", "32-bit unsigned divide, sign-extended."],
  remw: ["rd, rs1, rs2", "32-bit signed remainder, sign-extended."],
  remuw: ["rd, rs1, rs2", "32-bit unsigned remainder, sign-extended."],
  "lr.w": ["rd, (rs1)", "Load-reserved word: loads and registers a reservation on the address."],
  "sc.w": ["rd, rs2, (rs1)", "Store-conditional word: stores if the reservation holds; rd = 0 on success, 1 on failure."],
  "lr.d": ["rd, (rs1)", "Load-reserved doubleword."],
  "sc.d": ["rd, rs2, (rs1)", "Store-conditional doubleword; rd = 0 on success."],
  sret: ["", "Return from a supervisor trap: pc = sepc, privilege = sstatus.SPP, SIE = SPIE."],
  mret: ["", "Return from a machine trap: pc = mepc, privilege = mstatus.MPP, MIE = MPIE."],
  wfi: ["", "Wait for interrupt: the hart may stall until an interrupt is pending."],
  dret: ["", "Return from debug mode: pc = dpc, privilege = dcsr.prv. Illegal outside debug mode, where a guest always runs."],
  "sfence.vma": ["rs1, rs2", "Supervisor address-translation fence: flushes TLB entries (rs1 = address, rs2 = ASID; x0 = all)."],
  "hfence.vvma": ["rs1, rs2", "Hypervisor fence for VS-stage translations (rs1 = guest virtual address, rs2 = ASID)."],
  "hfence.gvma": ["rs1, rs2", "Hypervisor fence for G-stage translations (rs1 = guest physical address >> 2, rs2 = VMID)."],
  "hlv.b": ["rd, (rs1)", "Hypervisor load byte as VS/VU-mode would (two-stage translation), sign-extended."],
  "hlv.bu": ["rd, (rs1)", "Hypervisor load byte as the guest would, zero-extended."],
  "hlv.h": ["rd, (rs1)", "Hypervisor load halfword as the guest would, sign-extended."],
  "hlv.hu": ["rd, (rs1)", "Hypervisor load halfword as the guest would, zero-extended."],
  "hlvx.hu": ["rd, (rs1)", "Hypervisor load halfword with execute permission (reads guest code)."],
  "hlv.w": ["rd, (rs1)", "Hypervisor load word as the guest would, sign-extended."],
  "hlvx.wu": ["rd, (rs1)", "Hypervisor load word with execute permission (reads guest code)."],
  "hlv.wu": ["rd, (rs1)", "Hypervisor load word as the guest would, zero-extended."],
  "hlv.d": ["rd, (rs1)", "Hypervisor load doubleword as the guest would."],
  "hsv.b": ["rs2, (rs1)", "Hypervisor store byte as VS/VU-mode would."],
  "hsv.h": ["rs2, (rs1)", "Hypervisor store halfword as the guest would."],
  "hsv.w": ["rs2, (rs1)", "Hypervisor store word as the guest would."],
  "hsv.d": ["rs2, (rs1)", "Hypervisor store doubleword as the guest would."],
};

const AMO_OPS: Record<string, string> = {
  swap: "swap", add: "add", xor: "XOR", and: "AND", or: "OR",
  min: "signed minimum", max: "signed maximum", minu: "unsigned minimum", maxu: "unsigned maximum",
};
for (const [op, what] of Object.entries(AMO_OPS)) {
  for (const [w, size] of [["w", "word"], ["d", "doubleword"]]) {
    BASE[`amo${op}.${w}`] = ["rd, rs2, (rs1)", `Atomic memory ${what} on a ${size}: rd = mem[rs1]; mem[rs1] = ${op === "swap" ? "rs2" : `${what}(mem[rs1], rs2)`}.`];
  }
}

const COMPRESSED_DOCS: Record<string, Row> = {
  "c.addi4spn": ["rd', sp, uimm", "addi rd', sp, uimm (scaled by 4, nonzero)."],
  "c.lw": ["rd', offset(rs1')", "lw with a 5-bit word-scaled offset."],
  "c.ld": ["rd', offset(rs1')", "ld with a 5-bit doubleword-scaled offset."],
  "c.sw": ["rs2', offset(rs1')", "sw with a 5-bit word-scaled offset."],
  "c.sd": ["rs2', offset(rs1')", "sd with a 5-bit doubleword-scaled offset."],
  "c.nop": ["", "addi x0, x0, 0."],
  "c.addi": ["rd, imm6", "addi rd, rd, imm6."],
  "c.addiw": ["rd, imm6", "addiw rd, rd, imm6."],
  "c.li": ["rd, imm6", "addi rd, x0, imm6."],
  "c.addi16sp": ["sp, imm", "addi sp, sp, imm (a nonzero multiple of 16)."],
  "c.lui": ["rd, imm6", "lui rd, imm6 (rd ≠ x0, x2)."],
  "c.srli": ["rd', shamt", "srli rd', rd', shamt."],
  "c.srai": ["rd', shamt", "srai rd', rd', shamt."],
  "c.andi": ["rd', imm6", "andi rd', rd', imm6."],
  "c.sub": ["rd', rs2'", "sub rd', rd', rs2'."],
  "c.xor": ["rd', rs2'", "xor rd', rd', rs2'."],
  "c.or": ["rd', rs2'", "or rd', rd', rs2'."],
  "c.and": ["rd', rs2'", "and rd', rd', rs2'."],
  "c.subw": ["rd', rs2'", "subw rd', rd', rs2'."],
  "c.addw": ["rd', rs2'", "addw rd', rd', rs2'."],
  "c.j": ["offset", "jal x0, offset (±2 KiB)."],
  "c.beqz": ["rs1', offset", "beq rs1', x0, offset (±256 B)."],
  "c.bnez": ["rs1', offset", "bne rs1', x0, offset (±256 B)."],
  "c.slli": ["rd, shamt", "slli rd, rd, shamt."],
  "c.lwsp": ["rd, offset(sp)", "lw rd, offset(sp)."],
  "c.ldsp": ["rd, offset(sp)", "ld rd, offset(sp)."],
  "c.jr": ["rs1", "jalr x0, 0(rs1)."],
  "c.mv": ["rd, rs2", "add rd, x0, rs2."],
  "c.ebreak": ["", "ebreak."],
  "c.jalr": ["rs1", "jalr ra, 0(rs1)."],
  "c.add": ["rd, rs2", "add rd, rd, rs2."],
  "c.swsp": ["rs2, offset(sp)", "sw rs2, offset(sp)."],
  "c.sdsp": ["rs2, offset(sp)", "sd rs2, offset(sp)."],
  "c.unimp": ["", "The all-zero halfword: an illegal instruction."],
};

type PseudoRow = [syntax: string, summary: string, expands: string];

const PSEUDO: Record<string, PseudoRow> = {
  nop: ["", "No operation.", "addi x0, x0, 0"],
  li: ["rd, imm", "Load any 64-bit constant.", "lui/addi(w)/slli sequence, as GNU as chooses"],
  la: ["rd, symbol", "Load a symbol's address (pc-relative without -fPIC).", "auipc rd, %pcrel_hi(symbol); addi rd, rd, %pcrel_lo(…)"],
  lla: ["rd, symbol", "Load a symbol's local address, pc-relative.", "auipc rd, %pcrel_hi(symbol); addi rd, rd, %pcrel_lo(…)"],
  call: ["symbol", "Call a function far away; ra = return address.", "auipc ra, …; jalr ra, …(ra) (relaxed to jal when in range)"],
  tail: ["symbol", "Tail call: jump without saving a return address.", "auipc t1, …; jalr x0, …(t1)"],
  ret: ["", "Return from a function.", "jalr x0, 0(ra)"],
  j: ["offset", "Jump.", "jal x0, offset"],
  jr: ["rs1", "Jump to the address in a register.", "jalr x0, 0(rs1)"],
  mv: ["rd, rs1", "Copy a register.", "addi rd, rs1, 0"],
  not: ["rd, rs1", "Bitwise NOT.", "xori rd, rs1, -1"],
  neg: ["rd, rs1", "Negate.", "sub rd, x0, rs1"],
  negw: ["rd, rs1", "Negate the low 32 bits, sign-extended.", "subw rd, x0, rs1"],
  "sext.w": ["rd, rs1", "Sign-extend the low 32 bits.", "addiw rd, rs1, 0"],
  "zext.b": ["rd, rs1", "Zero-extend the low byte.", "andi rd, rs1, 255"],
  seqz: ["rd, rs1", "Set if zero.", "sltiu rd, rs1, 1"],
  snez: ["rd, rs1", "Set if not zero.", "sltu rd, x0, rs1"],
  sltz: ["rd, rs1", "Set if negative.", "slt rd, rs1, x0"],
  sgtz: ["rd, rs1", "Set if positive.", "slt rd, x0, rs1"],
  beqz: ["rs1, offset", "Branch if zero.", "beq rs1, x0, offset"],
  bnez: ["rs1, offset", "Branch if not zero.", "bne rs1, x0, offset"],
  blez: ["rs1, offset", "Branch if ≤ 0.", "bge x0, rs1, offset"],
  bgez: ["rs1, offset", "Branch if ≥ 0.", "bge rs1, x0, offset"],
  bltz: ["rs1, offset", "Branch if < 0.", "blt rs1, x0, offset"],
  bgtz: ["rs1, offset", "Branch if > 0.", "blt x0, rs1, offset"],
  bgt: ["rs1, rs2, offset", "Branch if greater than (signed).", "blt rs2, rs1, offset"],
  ble: ["rs1, rs2, offset", "Branch if less than or equal (signed).", "bge rs2, rs1, offset"],
  bgtu: ["rs1, rs2, offset", "Branch if greater than (unsigned).", "bltu rs2, rs1, offset"],
  bleu: ["rs1, rs2, offset", "Branch if less than or equal (unsigned).", "bgeu rs2, rs1, offset"],
  csrr: ["rd, csr", "Read a CSR.", "csrrs rd, csr, x0"],
  csrw: ["csr, rs1", "Write a CSR.", "csrrw x0, csr, rs1"],
  csrs: ["csr, rs1", "Set bits in a CSR.", "csrrs x0, csr, rs1"],
  csrc: ["csr, rs1", "Clear bits in a CSR.", "csrrc x0, csr, rs1"],
  csrwi: ["csr, uimm5", "Write a CSR with an immediate.", "csrrwi x0, csr, uimm5"],
  csrsi: ["csr, uimm5", "Set CSR bits from an immediate.", "csrrsi x0, csr, uimm5"],
  csrci: ["csr, uimm5", "Clear CSR bits from an immediate.", "csrrci x0, csr, uimm5"],
  rdcycle: ["rd", "Read the cycle counter.", "csrrs rd, cycle, x0"],
  rdtime: ["rd", "Read the real-time clock.", "csrrs rd, time, x0"],
  rdinstret: ["rd", "Read the instructions-retired counter.", "csrrs rd, instret, x0"],
  unimp: ["", "An illegal instruction, on purpose.", "csrrw x0, cycle, x0 (c.unimp with C)"],
  scall: ["", "Old name of ecall.", "ecall"],
  sbreak: ["", "Old name of ebreak.", "ebreak"],
};

const docs = new Map<string, MnemonicDoc>();
for (const [name, [syntax, summary]] of Object.entries({ ...BASE, ...COMPRESSED_DOCS, ...FP_DOCS })) docs.set(name, { syntax, summary });
for (const [name, [syntax, summary, expands]] of Object.entries({ ...PSEUDO, ...FP_PSEUDO })) {
  // `fence`, `jal` and `jalr` are real instructions with shorter pseudo forms; keep the real entry.
  if (!docs.has(name)) docs.set(name, { syntax, summary, expands });
}

/** The names of GNU's pseudo-instructions the assembler accepts. */
export const PSEUDO_INSTRUCTIONS: readonly string[] = [...Object.keys(PSEUDO), ...Object.keys(FP_PSEUDO)];

/** Documentation for a mnemonic (case-insensitive; `.aq`/`.rl`/`.aqrl` suffixes of atomics are ignored). */
export function mnemonicDoc(name: string): MnemonicDoc | undefined {
  const lower = name.toLowerCase();
  return docs.get(lower) ?? docs.get(lower.replace(/\.(?:aqrl|aq|rl)$/, ""));
}

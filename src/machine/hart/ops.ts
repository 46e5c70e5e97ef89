/**
 * The hart's internal operation numbers: what a decoded instruction does. The hot loop switches on
 * them; esbuild inlines `const enum` members as numeric literals, which V8 turns into a jump table
 * (named module constants compile to a chain of comparisons instead: PERFORMANCE-NOTES.md).
 *
 * Operations from `Slow` on are executed out of line by `system.ts` from the raw instruction bits;
 * they are rare (CSR access, traps, atomics, fences) and may change privilege or translation.
 * 0 is reserved: in the decoded-instruction cache it means "not decoded yet".
 */
export const enum Op {
  Illegal = 1,
  Lui, Auipc, Jal, Jalr,
  Beq, Bne, Blt, Bge, Bltu, Bgeu,
  Lb, Lh, Lw, Ld, Lbu, Lhu, Lwu,
  Sb, Sh, Sw, Sd,
  Addi, Slti, Sltiu, Xori, Ori, Andi, Slli, Srli, Srai,
  Add, Sub, Sll, Slt, Sltu, Xor, Srl, Sra, Or, And,
  Addiw, Slliw, Srliw, Sraiw, Addw, Subw, Sllw, Srlw, Sraw,
  Mul, Mulh, Mulhsu, Mulhu, Div, Divu, Rem, Remu,
  Mulw, Divw, Divuw, Remw, Remuw,
  Fence,
  /** Everything from here on runs out of line. */
  Slow,
}

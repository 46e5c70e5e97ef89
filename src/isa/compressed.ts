import { encB, encI, encJ, encR, encS, encU } from "./fields";

/**
 * RV64C expansion: every compressed instruction is an abbreviation of one 32-bit instruction, and
 * this returns that instruction's encoding (the D forms expand to fld/fsd, which a hart without D
 * rejects). Returns 0 (an illegal 32-bit encoding) for reserved encodings. HINT encodings expand to the
 * no-op they are (for example c.li x0, 5 → addi x0, x0, 5).
 */
export function expandCompressed(h: number): number {
  const op = h & 3;
  const f3 = (h >>> 13) & 7;
  const rdFull = (h >>> 7) & 31;
  const rs2Full = (h >>> 2) & 31;
  const rdP = 8 + ((h >>> 2) & 7); // rd' / rs2' in bits 4:2
  const rs1P = 8 + ((h >>> 7) & 7); // rs1' / rd' in bits 9:7
  // CI-format 6-bit immediate, sign-extended: imm[5] = bit 12, imm[4:0] = bits 6:2.
  const ciImm = ((((h >>> 12) & 1) << 5) | ((h >>> 2) & 31)) << 26 >> 26;
  const shamt = (((h >>> 12) & 1) << 5) | ((h >>> 2) & 31);
  if (op === 0) {
    switch (f3) {
      case 0: {
        // c.addi4spn: nzuimm[5:4|9:6|2|3] in bits 12:5
        const imm =
          (((h >>> 11) & 3) << 4) | (((h >>> 7) & 15) << 6) | (((h >>> 6) & 1) << 2) | (((h >>> 5) & 1) << 3);
        return imm === 0 ? 0 : encI(0x13, rdP, 2, imm);
      }
      case 2: // c.lw: uimm[5:3] bits 12:10, uimm[2] bit 6, uimm[6] bit 5
        return encI(0x2003, rdP, rs1P, clwOffset(h));
      case 1: // c.fld: as c.ld
        return encI(0x3007, rdP, rs1P, cldOffset(h));
      case 3: // c.ld: uimm[5:3] bits 12:10, uimm[7:6] bits 6:5
        return encI(0x3003, rdP, rs1P, cldOffset(h));
      case 5: // c.fsd
        return encS(0x3027, rs1P, rdP, cldOffset(h));
      case 6:
        return encS(0x2023, rs1P, rdP, clwOffset(h));
      case 7:
        return encS(0x3023, rs1P, rdP, cldOffset(h));
      default: // 4 reserved
        return 0;
    }
  }
  if (op === 1) {
    switch (f3) {
      case 0: // c.addi / c.nop
        return encI(0x13, rdFull, rdFull, ciImm);
      case 1: // c.addiw (rd = 0 reserved)
        return rdFull === 0 ? 0 : encI(0x1b, rdFull, rdFull, ciImm);
      case 2: // c.li
        return encI(0x13, rdFull, 0, ciImm);
      case 3: {
        if (rdFull === 2) {
          // c.addi16sp: nzimm[9] bit 12, nzimm[4|6|8:7|5] bits 6:2
          const imm =
            ((((h >>> 12) & 1) << 9) |
              (((h >>> 6) & 1) << 4) |
              (((h >>> 5) & 1) << 6) |
              (((h >>> 3) & 3) << 7) |
              (((h >>> 2) & 1) << 5)) <<
            22 >>
            22;
          return imm === 0 ? 0 : encI(0x13, 2, 2, imm);
        }
        // c.lui: nzimm[17] bit 12, nzimm[16:12] bits 6:2
        return ciImm === 0 ? 0 : encU(0x37, rdFull, ciImm & 0xfffff);
      }
      case 4: {
        const f2 = (h >>> 10) & 3;
        if (f2 === 0) return encI(0x5013, rs1P, rs1P, shamt); // c.srli
        if (f2 === 1) return encI(0x40005013, rs1P, rs1P, shamt); // c.srai (funct6 lands in bits 31:26)
        if (f2 === 2) return encI(0x7013, rs1P, rs1P, ciImm); // c.andi
        const f = (h >>> 5) & 3;
        if (((h >>> 12) & 1) === 0) {
          const base = [0x40000033, 0x4033, 0x6033, 0x7033][f]; // sub xor or and
          return encR(base, rs1P, rs1P, rdP);
        }
        if (f === 0) return encR(0x4000003b, rs1P, rs1P, rdP); // c.subw
        if (f === 1) return encR(0x3b, rs1P, rs1P, rdP); // c.addw
        return 0;
      }
      case 5: // c.j
        return encJ(0x6f, 0, cjOffset(h));
      case 6: // c.beqz
        return encB(0x63, rs1P, 0, cbOffset(h));
      default: // 7 c.bnez
        return encB(0x1063, rs1P, 0, cbOffset(h));
    }
  }
  if (op === 2) {
    switch (f3) {
      case 0: // c.slli
        return encI(0x1013, rdFull, rdFull, shamt);
      case 2: {
        // c.lwsp: uimm[5] bit 12, uimm[4:2|7:6] bits 6:2
        const imm = (((h >>> 12) & 1) << 5) | (((h >>> 4) & 7) << 2) | (((h >>> 2) & 3) << 6);
        return rdFull === 0 ? 0 : encI(0x2003, rdFull, 2, imm);
      }
      case 1: // c.fldsp: as c.ldsp, and f0 is a valid destination
        return encI(0x3007, rdFull, 2, ldspOffset(h));
      case 3: // c.ldsp
        return rdFull === 0 ? 0 : encI(0x3003, rdFull, 2, ldspOffset(h));
      case 4: {
        if (((h >>> 12) & 1) === 0) {
          if (rs2Full === 0) return rdFull === 0 ? 0 : encI(0x67, 0, rdFull, 0); // c.jr
          return encR(0x33, rdFull, 0, rs2Full); // c.mv
        }
        if (rs2Full === 0) return rdFull === 0 ? 0x00100073 : encI(0x67, 1, rdFull, 0); // c.ebreak / c.jalr
        return encR(0x33, rdFull, rdFull, rs2Full); // c.add
      }
      case 6: {
        // c.swsp: uimm[5:2|7:6] bits 12:7
        const imm = (((h >>> 9) & 15) << 2) | (((h >>> 7) & 3) << 6);
        return encS(0x2023, 2, rs2Full, imm);
      }
      case 5: // c.fsdsp: as c.sdsp
        return encS(0x3027, 2, rs2Full, sdspOffset(h));
      default: // 7 c.sdsp
        return encS(0x3023, 2, rs2Full, sdspOffset(h));
    }
  }
  return 0; // op === 3 is a 32-bit instruction, not a compressed one
}

/** c.ldsp/c.fldsp: uimm[5] bit 12, uimm[4:3|8:6] bits 6:2. */
function ldspOffset(h: number): number {
  return (((h >>> 12) & 1) << 5) | (((h >>> 5) & 3) << 3) | (((h >>> 2) & 7) << 6);
}

/** c.sdsp/c.fsdsp: uimm[5:3|8:6] bits 12:7. */
function sdspOffset(h: number): number {
  return (((h >>> 10) & 7) << 3) | (((h >>> 7) & 7) << 6);
}

function clwOffset(h: number): number {
  return (((h >>> 10) & 7) << 3) | (((h >>> 6) & 1) << 2) | (((h >>> 5) & 1) << 6);
}

function cldOffset(h: number): number {
  return (((h >>> 10) & 7) << 3) | (((h >>> 5) & 3) << 6);
}

/** c.j offset[11|4|9:8|10|6|7|3:1|5] in bits 12:2. */
function cjOffset(h: number): number {
  const v =
    (((h >>> 12) & 1) << 11) |
    (((h >>> 11) & 1) << 4) |
    (((h >>> 9) & 3) << 8) |
    (((h >>> 8) & 1) << 10) |
    (((h >>> 7) & 1) << 6) |
    (((h >>> 6) & 1) << 7) |
    (((h >>> 3) & 7) << 1) |
    (((h >>> 2) & 1) << 5);
  return (v << 20) >> 20;
}

/** c.beqz/c.bnez offset[8|4:3] in bits 12:10, offset[7:6|2:1|5] in bits 6:2. */
function cbOffset(h: number): number {
  const v =
    (((h >>> 12) & 1) << 8) |
    (((h >>> 10) & 3) << 3) |
    (((h >>> 5) & 3) << 6) |
    (((h >>> 3) & 3) << 1) |
    (((h >>> 2) & 1) << 5);
  return (v << 23) >> 23;
}

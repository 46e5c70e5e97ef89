/**
 * Compressed (RVC) encodings: writing each C instruction from its operands, and choosing the compressed
 * form of a 32-bit instruction the way GNU as does.
 *
 * GNU as compresses through its opcode table (binutils opcodes/riscv-opc.c): for a mnemonic, the C
 * alternatives are listed before the 32-bit one and the first whose operand constraints hold wins. The
 * rules in `compressedForm` are those alternatives, in that order, for the mnemonics that have them.
 * Their quirks are GNU's: `addi rd, rs, 0` becomes `c.mv`, `add rd, x0, rs` becomes `c.mv` but
 * `add rd, rs, x0` stays 32-bit, and `jalr` only compresses in its one-operand form.
 */
import { COMPRESSED } from "../isa/instructions";

const MATCH = new Map<string, number>(COMPRESSED.map((c) => [c.name, c.match]));
const m = (name: string) => MATCH.get(name)!;

/** x8..x15, the registers the 3-bit fields can name. */
export const isCReg = (r: number) => r >= 8 && r <= 15;
const fits = (v: number, bits: number) => v >= -(1 << (bits - 1)) && v < 1 << (bits - 1);
const bit = (v: number, b: number) => (v >> b) & 1;

export interface COperands {
  rd?: number;
  rs1?: number;
  rs2?: number;
  imm?: number;
}

/** Why a C operand is out of range; undefined when the encoding is valid. */
export type CResult = { ok: true; bits: number } | { ok: false; error: string };

const ok = (bits: number): CResult => ({ ok: true, bits: bits & 0xffff });
const bad = (error: string): CResult => ({ ok: false, error });

function ciImm(base: number, rd: number, imm: number): number {
  return base | (bit(imm, 5) << 12) | (rd << 7) | ((imm & 31) << 2);
}

/** Encodes one explicit compressed instruction (`c.addi a0, 1`). The operands are already parsed. */
export function encodeCompressed(name: string, o: COperands): CResult {
  const rd = o.rd ?? 0;
  const rs1 = o.rs1 ?? 0;
  const rs2 = o.rs2 ?? 0;
  const imm = o.imm ?? 0;
  const p = (r: number) => r - 8;
  switch (name) {
    case "c.addi4spn":
      if (!isCReg(rd)) return bad("c.addi4spn needs rd in x8..x15");
      if (imm <= 0 || imm > 1020 || imm % 4) return bad("c.addi4spn needs a non-zero multiple of 4 in 4..1020");
      return ok(m(name) | (((imm >> 4) & 3) << 11) | (((imm >> 6) & 15) << 7) | (bit(imm, 2) << 6) | (bit(imm, 3) << 5) | (p(rd) << 2));
    case "c.lw":
    case "c.sw": {
      const r = name === "c.lw" ? rd : rs2;
      if (!isCReg(r) || !isCReg(rs1)) return bad(`${name} needs registers in x8..x15`);
      if (imm < 0 || imm > 124 || imm % 4) return bad(`${name} needs an offset that is a multiple of 4 in 0..124`);
      return ok(m(name) | (((imm >> 3) & 7) << 10) | (p(rs1) << 7) | (bit(imm, 2) << 6) | (bit(imm, 6) << 5) | (p(r) << 2));
    }
    case "c.ld":
    case "c.sd":
    case "c.fld":
    case "c.fsd": {
      const r = name.endsWith("ld") ? rd : rs2;
      if (!isCReg(r) || !isCReg(rs1)) return bad(`${name} needs registers in x8..x15`);
      if (imm < 0 || imm > 248 || imm % 8) return bad(`${name} needs an offset that is a multiple of 8 in 0..248`);
      return ok(m(name) | (((imm >> 3) & 7) << 10) | (p(rs1) << 7) | (((imm >> 6) & 3) << 5) | (p(r) << 2));
    }
    case "c.nop":
      return ok(0x0001);
    case "c.addi":
      if (!fits(imm, 6)) return bad("c.addi needs an immediate in -32..31");
      return ok(ciImm(m(name), rd, imm));
    case "c.addiw":
      if (rd === 0) return bad("c.addiw needs a destination other than x0");
      if (!fits(imm, 6)) return bad("c.addiw needs an immediate in -32..31");
      return ok(ciImm(m(name), rd, imm));
    case "c.li":
      if (!fits(imm, 6)) return bad("c.li needs an immediate in -32..31");
      return ok(ciImm(m(name), rd, imm));
    case "c.addi16sp":
      if (imm === 0 || imm % 16 || !fits(imm, 10)) return bad("c.addi16sp needs a non-zero multiple of 16 in -512..496");
      return ok(
        m(name) | (bit(imm, 9) << 12) | (bit(imm, 4) << 6) | (bit(imm, 6) << 5) | (((imm >> 7) & 3) << 3) | (bit(imm, 5) << 2),
      );
    case "c.lui": {
      if (rd === 0 || rd === 2) return bad("c.lui needs a destination other than x0 and sp");
      // The operand is the 20-bit lui immediate: 1..31 or 0xfffe0..0xfffff.
      const v = imm >= 0xfffe0 && imm <= 0xfffff ? imm - 0x100000 : imm;
      if (v === 0 || !fits(v, 6)) return bad("c.lui needs an immediate in 1..31 or 0xfffe0..0xfffff");
      return ok(ciImm(m(name), rd, v));
    }
    case "c.srli":
    case "c.srai":
    case "c.andi":
      if (!isCReg(rd)) return bad(`${name} needs a register in x8..x15`);
      if (name === "c.andi" ? !fits(imm, 6) : imm <= 0 || imm > 63)
        return bad(name === "c.andi" ? "c.andi needs an immediate in -32..31" : `${name} needs a shift amount in 1..63`);
      return ok(m(name) | (bit(imm, 5) << 12) | (p(rd) << 7) | ((imm & 31) << 2));
    case "c.sub":
    case "c.xor":
    case "c.or":
    case "c.and":
    case "c.subw":
    case "c.addw":
      if (!isCReg(rd) || !isCReg(rs2)) return bad(`${name} needs registers in x8..x15`);
      return ok(m(name) | (p(rd) << 7) | (p(rs2) << 2));
    case "c.j":
      if (imm % 2 || !fits(imm, 12)) return bad("c.j needs an even offset in -2048..2046");
      return ok(m(name) | cjBits(imm));
    case "c.beqz":
    case "c.bnez":
      if (!isCReg(rs1)) return bad(`${name} needs a register in x8..x15`);
      if (imm % 2 || !fits(imm, 9)) return bad(`${name} needs an even offset in -256..254`);
      return ok(m(name) | (p(rs1) << 7) | cbBits(imm));
    case "c.slli":
      if (rd === 0) return bad("c.slli needs a destination other than x0");
      if (imm <= 0 || imm > 63) return bad("c.slli needs a shift amount in 1..63");
      return ok(m(name) | (bit(imm, 5) << 12) | (rd << 7) | ((imm & 31) << 2));
    case "c.lwsp":
      if (rd === 0) return bad("c.lwsp needs a destination other than x0");
      if (imm < 0 || imm > 252 || imm % 4) return bad("c.lwsp needs an offset that is a multiple of 4 in 0..252");
      return ok(m(name) | (bit(imm, 5) << 12) | (rd << 7) | (((imm >> 2) & 7) << 4) | (((imm >> 6) & 3) << 2));
    case "c.ldsp":
    case "c.fldsp":
      if (rd === 0 && name === "c.ldsp") return bad("c.ldsp needs a destination other than x0");
      if (imm < 0 || imm > 504 || imm % 8) return bad(`${name} needs an offset that is a multiple of 8 in 0..504`);
      return ok(m(name) | (bit(imm, 5) << 12) | (rd << 7) | (((imm >> 3) & 3) << 5) | (((imm >> 6) & 7) << 2));
    case "c.swsp":
      if (imm < 0 || imm > 252 || imm % 4) return bad("c.swsp needs an offset that is a multiple of 4 in 0..252");
      return ok(m(name) | (((imm >> 2) & 15) << 9) | (((imm >> 6) & 3) << 7) | (rs2 << 2));
    case "c.sdsp":
    case "c.fsdsp":
      if (imm < 0 || imm > 504 || imm % 8) return bad(`${name} needs an offset that is a multiple of 8 in 0..504`);
      return ok(m(name) | (((imm >> 3) & 7) << 10) | (((imm >> 6) & 7) << 7) | (rs2 << 2));
    case "c.jr":
    case "c.jalr":
      if (rs1 === 0) return bad(`${name} needs a register other than x0`);
      return ok(m(name) | (rs1 << 7));
    case "c.mv":
    case "c.add":
      if (rs2 === 0) return bad(`${name} needs a source register other than x0`);
      return ok(m(name) | (rd << 7) | (rs2 << 2));
    case "c.ebreak":
      return ok(m(name));
    case "c.unimp":
      return ok(0);
  }
  return bad(`unknown compressed instruction ${name}`);
}

function cjBits(v: number): number {
  return (
    (bit(v, 11) << 12) | (bit(v, 4) << 11) | (((v >> 8) & 3) << 9) | (bit(v, 10) << 8) |
    (bit(v, 6) << 7) | (bit(v, 7) << 6) | (((v >> 1) & 7) << 3) | (bit(v, 5) << 2)
  );
}

function cbBits(v: number): number {
  return (bit(v, 8) << 12) | (((v >> 3) & 3) << 10) | (((v >> 6) & 3) << 5) | (((v >> 1) & 3) << 3) | (bit(v, 5) << 2);
}

/** Replaces the offset bits of a c.j / c.beqz / c.bnez; used when relocations are applied. */
export function setCJOffset(h: number, off: number): number {
  return (h & ~cjBits(-1)) | cjBits(off);
}
export function setCBOffset(h: number, off: number): number {
  return (h & ~cbBits(-1)) | cbBits(off);
}
export function setCLuiImm(h: number, hi20: number): number {
  const v = (hi20 << 12) >> 12; // sign-extend the 20-bit value
  return (h & ~((1 << 12) | (31 << 2))) | (bit(v, 5) << 12) | ((v & 31) << 2);
}

function pick(c: string, ops: COperands): number | undefined {
  const r = encodeCompressed(c, ops);
  return r.ok ? r.bits : undefined;
}

/**
 * The compressed encoding GNU as picks for a 32-bit instruction written with its plain mnemonic and
 * constant operands, or undefined when it keeps the 32-bit form. `form` distinguishes the syntaxes that
 * GNU treats differently (`jalr rs` against `jalr rd, imm(rs)`).
 */
export function compressedForm(name: string, o: COperands, form?: "short"): number | undefined {
  const rd = o.rd ?? 0;
  const rs1 = o.rs1 ?? 0;
  const rs2 = o.rs2 ?? 0;
  const imm = o.imm ?? 0;
  switch (name) {
    case "addi":
      if (rd === 0 && rs1 === 0 && imm === 0) return 0x0001;
      if (isCReg(rd) && rs1 === 2 && imm > 0) return pick("c.addi4spn", { rd, imm });
      if (rd !== 0 && rd === rs1 && imm !== 0 && fits(imm, 6)) return pick("c.addi", { rd, imm });
      if (rd !== 0 && rs1 !== 0 && imm === 0) return pick("c.mv", { rd, rs2: rs1 });
      if (rd === 2 && rs1 === 2) return pick("c.addi16sp", { imm });
      if (rd !== 0 && rs1 === 0) return pick("c.li", { rd, imm });
      return undefined;
    case "addiw":
      return rd !== 0 && rd === rs1 ? pick("c.addiw", { rd, imm }) : undefined;
    case "lui":
      return pick("c.lui", { rd, imm });
    case "add":
      if (rd !== 0 && rd === rs1 && rs2 !== 0) return pick("c.add", { rd, rs2 });
      if (rd !== 0 && rd === rs2 && rs1 !== 0) return pick("c.add", { rd, rs2: rs1 });
      if (rd !== 0 && rs1 === 0 && rs2 !== 0) return pick("c.mv", { rd, rs2 });
      return undefined;
    case "sub":
    case "subw":
      return rd === rs1 ? pick(`c.${name}`, { rd, rs2 }) : undefined;
    case "and":
    case "or":
    case "xor":
    case "addw":
      if (rd === rs1 && isCReg(rs2)) return pick(`c.${name}`, { rd, rs2 });
      if (rd === rs2 && isCReg(rs1)) return pick(`c.${name}`, { rd, rs2: rs1 });
      return undefined;
    case "andi":
      return rd === rs1 ? pick("c.andi", { rd, imm }) : undefined;
    case "slli":
      return rd === rs1 ? pick("c.slli", { rd, imm }) : undefined;
    case "srli":
    case "srai":
      return rd === rs1 ? pick(`c.${name}`, { rd, imm }) : undefined;
    case "lw":
    case "ld":
      if (rs1 === 2 && rd !== 0) return pick(`c.${name}sp`, { rd, imm });
      return pick(`c.${name}`, { rd, rs1, imm });
    case "sw":
    case "sd":
    case "fsd":
      if (rs1 === 2) return pick(`c.${name}sp`, { rs2, imm });
      return pick(`c.${name}`, { rs1, rs2, imm });
    case "fld":
      // f0 may be c.fldsp's destination (x0 may not be c.ldsp's).
      if (rs1 === 2) return pick("c.fldsp", { rd, imm });
      return pick("c.fld", { rd, rs1, imm });
    case "jalr":
      // Only `jr rs`, `jalr rs` and `ret` (GNU lists C forms for the short syntaxes alone).
      if (form !== "short" || imm !== 0 || rs1 === 0) return undefined;
      if (rd === 0) return pick("c.jr", { rs1 });
      if (rd === 1) return pick("c.jalr", { rs1 });
      return undefined;
    case "ebreak":
      return m("c.ebreak");
  }
  return undefined;
}

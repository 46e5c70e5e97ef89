/**
 * Field extraction and insertion for the 32-bit base formats. Immediates come back sign-extended
 * as int32 numbers; U-type immediates are already shifted into place (bits 31:12).
 */

export const rdOf = (b: number): number => (b >>> 7) & 31;
export const rs1Of = (b: number): number => (b >>> 15) & 31;
export const rs2Of = (b: number): number => (b >>> 20) & 31;
export const funct3Of = (b: number): number => (b >>> 12) & 7;
export const csrOf = (b: number): number => b >>> 20;

export const immI = (b: number): number => b >> 20;
export const immS = (b: number): number => ((b >> 25) << 5) | ((b >>> 7) & 31);
export const immB = (b: number): number =>
  ((b >> 31) << 12) | (((b >>> 7) & 1) << 11) | (((b >>> 25) & 63) << 5) | (((b >>> 8) & 15) << 1);
export const immU = (b: number): number => b & 0xfffff000;
export const immJ = (b: number): number =>
  ((b >> 31) << 20) | (((b >>> 12) & 255) << 12) | (((b >>> 20) & 1) << 11) | (((b >>> 21) & 1023) << 1);

/** Encoders: put operands into the fields of a base encoding `base` (match bits from the table). */
export function encR(base: number, rd: number, rs1: number, rs2: number): number {
  return (base | (rd << 7) | (rs1 << 15) | (rs2 << 20)) >>> 0;
}
export function encI(base: number, rd: number, rs1: number, imm: number): number {
  return (base | (rd << 7) | (rs1 << 15) | ((imm & 0xfff) << 20)) >>> 0;
}
export function encS(base: number, rs1: number, rs2: number, imm: number): number {
  return (base | ((imm & 31) << 7) | (rs1 << 15) | (rs2 << 20) | (((imm >> 5) & 127) << 25)) >>> 0;
}
export function encB(base: number, rs1: number, rs2: number, off: number): number {
  return (
    (base |
      (((off >> 11) & 1) << 7) |
      (((off >> 1) & 15) << 8) |
      (rs1 << 15) |
      (rs2 << 20) |
      (((off >> 5) & 63) << 25) |
      (((off >> 12) & 1) << 31)) >>>
    0
  );
}
/** `imm` is the value of bits 31:12, i.e. what `lui rd, imm` writes shifted right by 12. */
export function encU(base: number, rd: number, imm: number): number {
  return (base | (rd << 7) | ((imm & 0xfffff) << 12)) >>> 0;
}
export function encJ(base: number, rd: number, off: number): number {
  return (
    (base |
      (rd << 7) |
      (((off >> 12) & 255) << 12) |
      (((off >> 11) & 1) << 20) |
      (((off >> 1) & 1023) << 21) |
      (((off >> 20) & 1) << 31)) >>>
    0
  );
}

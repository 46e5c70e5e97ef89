import { ABI_NAMES, FP_ABI_NAMES } from "../isa/registers";
import { CSRS } from "../isa/csrs";
import type { Target } from "../target/target";

/**
 * GDB's RISC-V register numbers (gdb/riscv-tdep.h, and QEMU's gdbstub): x0–x31 are 0–31, pc is 32,
 * f0–f31 are 33–64 (when the hart has F), CSR n is 65 + n, and the virtual register `priv` (the privilege mode) comes
 * after the 4,096 CSR numbers. The target description (target_xml.ts) names the same numbers.
 */
export const PC_REGNUM = 32;
export const FP_REGNUM_BASE = 33;
export const CSR_REGNUM_BASE = 65;
export const PRIV_REGNUM = CSR_REGNUM_BASE + 4096;

/** One register of the description: its name, number and feature. */
export interface GdbRegister {
  name: string;
  regnum: number;
  feature: "cpu" | "fpu" | "csr" | "virtual";
}

/** fflags, frm and fcsr: GDB's fpu feature holds them, beside f0–f31. */
const isFpCsr = (num: number) => num >= 1 && num <= 3;

/** The registers this target has: the GPRs, pc, f0–f31 with F, every CSR its hart implements, and priv. */
export function targetRegisters(target: Target): GdbRegister[] {
  const gprs = ABI_NAMES.map((name, regnum): GdbRegister => ({ name, regnum, feature: "cpu" }));
  const fprs = target.getFpReg(0) === undefined ? [] : FP_ABI_NAMES.map((name, i): GdbRegister => ({ name, regnum: FP_REGNUM_BASE + i, feature: "fpu" }));
  const csrs = CSRS.filter((c) => !c.rv32Only && target.readCsr(c.num) !== undefined)
    .map((c): GdbRegister => ({ name: c.name, regnum: CSR_REGNUM_BASE + c.num, feature: isFpCsr(c.num) ? "fpu" : "csr" }));
  return [...gprs, { name: "pc", regnum: PC_REGNUM, feature: "cpu" }, ...fprs, ...csrs, { name: "priv", regnum: PRIV_REGNUM, feature: "virtual" }];
}

/** A register's value; undefined for a number this target does not have. */
export function readRegister(target: Target, regnum: number): bigint | undefined {
  if (regnum >= 0 && regnum < 32) return target.getReg(regnum);
  if (regnum === PC_REGNUM) return target.pc;
  if (regnum >= FP_REGNUM_BASE && regnum < FP_REGNUM_BASE + 32) return target.getFpReg(regnum - FP_REGNUM_BASE);
  if (regnum === PRIV_REGNUM) return BigInt(target.priv);
  if (regnum >= CSR_REGNUM_BASE && regnum < PRIV_REGNUM) return target.readCsr(regnum - CSR_REGNUM_BASE);
  return undefined;
}

/** Writes a register as GDB's `P` does; false where it cannot be written (priv, a read-only or absent CSR). */
export function writeRegister(target: Target, regnum: number, value: bigint): boolean {
  if (regnum >= 0 && regnum < 32) {
    target.setReg(regnum, value);
    return true;
  }
  if (regnum === PC_REGNUM) {
    target.pc = value;
    return true;
  }
  if (regnum >= FP_REGNUM_BASE && regnum < FP_REGNUM_BASE + 32) return target.setFpReg(regnum - FP_REGNUM_BASE, value);
  if (regnum >= CSR_REGNUM_BASE && regnum < PRIV_REGNUM) return target.writeCsr(regnum - CSR_REGNUM_BASE, value);
  return false;
}

/** The `g` packet's registers: the GPRs and pc; GDB fetches the rest one by one with `p`. */
export const G_PACKET_REGNUMS: readonly number[] = [...Array(32).keys(), PC_REGNUM];

/** 64-bit values go on the wire as 8 bytes, little-endian, in hex. */
export function encodeValue(value: bigint): string {
  let out = "";
  for (let i = 0n; i < 8n; i++) out += Number((value >> (8n * i)) & 0xffn).toString(16).padStart(2, "0");
  return out;
}

/** The value of up to 8 little-endian bytes in hex; undefined when the text is not that. */
export function decodeValue(hex: string): bigint | undefined {
  if (hex.length === 0 || hex.length > 16 || hex.length % 2 !== 0 || !/^[0-9a-fA-F]+$/.test(hex)) return undefined;
  let v = 0n;
  for (let i = hex.length - 2; i >= 0; i -= 2) v = (v << 8n) | BigInt(parseInt(hex.slice(i, i + 2), 16));
  return v;
}

/**
 * A tiny encoder for building test programs (there is no assembler yet): `ins("addi", 5, 0, 42)`
 * gives the 32-bit encoding, operands in the order of each format (see below), fields from the ISA
 * table. `program(...)` lays instructions out from 0x8000_0000; a `{ c: bits }` item is a 16-bit one.
 */
import { encB, encI, encJ, encR, encS, encU } from "../../../../src/isa/fields";
import { instructionByName } from "../../../../src/isa/instructions";
import type { LoadableProgram } from "../../../../src/machine/board";

export const RAM = 0x8000_0000;

/**
 * Operand order: R rd,rs1,rs2 · I/LOAD/JALR rd,rs1,imm · STORE rs2,rs1,imm · B rs1,rs2,off ·
 * U rd,imm20 · J rd,off · SHIFT rd,rs1,shamt · AMO rd,rs1(addr),rs2 · LR rd,rs1 · CSR rd,csr,rs1 ·
 * CSRI rd,csr,uimm · SFENCE rs1,rs2 · NONE/FENCE none.
 */
export function ins(name: string, ...o: number[]): number {
  const s = instructionByName(name);
  if (!s) throw new Error(`unknown instruction ${name}`);
  const m = s.match;
  switch (s.format) {
    case "R": return encR(m, o[0], o[1], o[2]);
    case "I": case "LOAD": case "JALR": return encI(m, o[0], o[1], o[2]);
    case "STORE": return encS(m, o[1], o[0], o[2]);
    case "B": return encB(m, o[0], o[1], o[2]);
    case "U": return encU(m, o[0], o[1]);
    case "J": return encJ(m, o[0], o[1]);
    case "SHIFT64": case "SHIFT32": return (m | (o[0] << 7) | (o[1] << 15) | (o[2] << 20)) >>> 0;
    case "AMO": return encR(m, o[0], o[1], o[2]);
    case "LR": return encR(m, o[0], o[1], 0);
    case "CSR": case "CSRI": return (m | (o[0] << 7) | (o[2] << 15) | (o[1] << 20)) >>> 0;
    case "SFENCE": return encR(m, 0, o[0], o[1]);
    case "HLV": return encR(m, o[0], o[1], 0);
    case "HSV": return encR(m, 0, o[1], o[0]);
    default: return m;
  }
}

/** Loads a 64-bit constant into rd using lui/addi/slli (up to 8 instructions). */
export function li(rd: number, value: bigint): number[] {
  const v = BigInt.asIntN(64, value);
  if (v >= -(1n << 31n) && v < 1n << 31n) {
    const n = Number(v);
    const lo = (n << 20) >> 20;
    const hi = ((n - lo) >>> 12) & 0xfffff;
    const out: number[] = [];
    if (hi !== 0) out.push(ins("lui", rd, hi));
    if (lo !== 0 || hi === 0) out.push(hi !== 0 ? ins("addiw", rd, rd, lo) : ins("addi", rd, 0, lo));
    return out;
  }
  const lo12 = Number(BigInt.asIntN(12, v));
  const rest = (v - BigInt(lo12)) >> 12n;
  let shift = 12;
  let r = rest;
  while ((r & 1n) === 0n) { r >>= 1n; shift++; }
  return [...li(rd, r), ins("slli", rd, rd, shift), ...(lo12 !== 0 ? [ins("addi", rd, rd, lo12)] : [])];
}

export type Item = number | { c: number } | number[];

export function bytesOf(items: Item[]): Uint8Array {
  const out: number[] = [];
  const put = (w: number, n: number) => { for (let k = 0; k < n; k++) out.push((w >>> (8 * k)) & 0xff); };
  for (const it of items) {
    if (Array.isArray(it)) it.forEach((w) => put(w, 4));
    else if (typeof it === "number") put(it, 4);
    else put(it.c, 2);
  }
  return Uint8Array.from(out);
}

export function program(items: Item[], at = RAM, extra: { paddr: number; data: Uint8Array }[] = []): LoadableProgram {
  const data = bytesOf(items);
  return {
    entry: BigInt(at),
    segments: [{ paddr: at, data, memsz: data.length }, ...extra.map((e) => ({ ...e, memsz: e.data.length }))],
  };
}

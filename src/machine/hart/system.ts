import { findInstruction } from "../../isa/instructions";
import { amo, loadReserved, storeConditional } from "./atomics";
import { csrAccessible, csrRead, csrWrite } from "./csr";
import { expandedBits } from "./decode";
import type { Hart } from "./hart";
import { fetchRaw, flushFast } from "./mem";
import { mret, raiseException, sret } from "./trap";

/**
 * The out-of-line executor: instructions the hot loop hands over (Op.Slow, Op.Illegal). It
 * re-fetches the raw bits at h.pcNum, executes, and leaves h.pcNum / h.retired updated. It sets
 * h.yieldReq when the run loop must look at interrupts again (CSR writes, xRET, WFI, traps).
 */

const MSTATUS_TVM = 1 << 20;
const MSTATUS_TW = 1 << 21;
const MSTATUS_TSR = 1 << 22;

function retire(h: Hart, len: number): void {
  h.pcNum += len;
  h.retired++;
}

function illegal(h: Hart, raw: number): void {
  raiseException(h, 2, BigInt(raw >>> 0));
}

export function execSlow(h: Hart): void {
  if (!fetchRaw(h)) return;
  const raw = h.fw, len = h.fimm;
  const b = expandedBits(raw, len as 2 | 4);
  const spec = b === 0 ? undefined : findInstruction(b);
  if (!spec) return illegal(h, raw);
  const rd = (b >>> 7) & 31, rs1 = (b >>> 15) & 31, rs2 = (b >>> 20) & 31;
  const rdPair = rd === 0 ? 64 : 2 * rd;
  switch (spec.name) {
    case "ecall":
      return raiseException(h, [8, 9, 9, 11][h.prv], 0n);
    case "ebreak":
      return raiseException(h, 3, 0n);
    case "fence.i":
      // Stores already drop decoded code precisely, as QEMU detects self-modifying code.
      return retire(h, len);
    case "mret":
      if (h.prv !== 3) return illegal(h, raw);
      h.retired++;
      return mret(h);
    case "sret":
      if (h.prv === 0 || (h.prv === 1 && (h.mstatus & MSTATUS_TSR) !== 0)) return illegal(h, raw);
      h.retired++;
      return sret(h);
    case "wfi":
      // QEMU 7.2: illegal in U-mode (S is implemented), and in S-mode when TW = 1.
      if (h.prv === 0 || (h.prv === 1 && (h.mstatus & MSTATUS_TW) !== 0)) return illegal(h, raw);
      retire(h, len);
      h.waiting = true;
      h.yieldReq = true;
      return;
    case "sfence.vma": {
      if (h.prv === 0 || (h.prv === 1 && (h.mstatus & MSTATUS_TVM) !== 0)) return illegal(h, raw);
      const vpn = rs1 === 0 ? -1 : sfenceVpn(h, rs1);
      const asid = rs2 === 0 ? -1 : h.x[2 * rs2] & 0xffff;
      h.tlb.flush(vpn, asid);
      flushFast(h);
      return retire(h, len);
    }
    case "csrrw": case "csrrs": case "csrrc": case "csrrwi": case "csrrsi": case "csrrci":
      return csrInstruction(h, spec.name, b, raw, len, rdPair, rs1);
    case "lr.w": case "lr.d":
      if (loadReserved(h, rdPair, 2 * rs1, spec.name === "lr.w" ? 4 : 8)) retire(h, len);
      return;
    case "sc.w": case "sc.d":
      if (storeConditional(h, rdPair, 2 * rs1, 2 * rs2, spec.name === "sc.w" ? 4 : 8)) retire(h, len);
      return;
  }
  if (spec.ext === "A") {
    if (amo(h, b >>> 27, rdPair, 2 * rs1, 2 * rs2, spec.name.endsWith(".w") ? 4 : 8)) retire(h, len);
    return;
  }
  illegal(h, raw);
}

/** The VPN an sfence.vma names: bits 38:12 of rs1 (addresses outside Sv39 match nothing anyway). */
function sfenceVpn(h: Hart, rs1: number): number {
  const lo = h.x[2 * rs1], hi = h.x[2 * rs1 + 1];
  return ((lo >>> 12) | ((hi & 0x7f) << 20)) & 0x7ffffff;
}

function csrInstruction(h: Hart, name: string, b: number, raw: number, len: number, rdPair: number, rs1: number): void {
  const num = b >>> 20;
  const imm = name.endsWith("i");
  const src = imm ? BigInt(rs1) : h.getReg(rs1);
  const kind = name.slice(4, 5); // w, s or c
  const writes = kind === "w" || rs1 !== 0;
  if (!csrAccessible(h, num, writes)) return illegal(h, raw);
  const old = csrRead(h, num) as bigint;
  if (writes) {
    const value = kind === "w" ? src : kind === "s" ? old | src : old & ~src;
    csrWrite(h, num, BigInt.asUintN(64, value));
    h.yieldReq = true; // interrupt enables, delegation, privilege state may have changed
  }
  h.x[rdPair] = Number(BigInt.asIntN(32, old));
  h.x[rdPair + 1] = Number(BigInt.asIntN(32, old >> 32n));
  retire(h, len);
}

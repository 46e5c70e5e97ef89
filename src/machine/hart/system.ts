import { Exc } from "../../isa/causes";
import { HSTATUS_HU, HSTATUS_VTSR, HSTATUS_VTVM, HSTATUS_VTW, MSTATUS_TSR, MSTATUS_TVM, MSTATUS_TW } from "../../isa/csr_bits";
import { findInstruction } from "../../isa/instructions";
import { amo, loadReserved, storeConditional } from "./atomics";
import { csrCheck, csrRead, csrWrite, redirectVs } from "./csr";
import { expandedBits } from "./decode";
import { fpExecute } from "./fpu/execute";
import type { Hart } from "./hart";
import { fetchRaw, flushFast, loadSlow, storeSlow } from "./mem";
import { Acc, RX, VIRT } from "./mmu";
import { ALL_GUESTS, HOST } from "./tlb";
import { mret, raiseException, sret } from "./trap";

/**
 * The out-of-line executor: instructions the hot loop hands over (Op.Slow, Op.Illegal). It
 * re-fetches the raw bits at h.pcNum, executes, and leaves h.pcNum / h.retired updated. It sets
 * h.yieldReq when the run loop must look at interrupts again (CSR writes, xRET, WFI, traps).
 *
 * With H, the spec's "Virtual-Instruction Exceptions" decide between illegal instruction (2) and
 * virtual instruction (22, tval = the instruction bits as for 2) when V=1: an instruction HS-mode
 * could execute (TSR/TVM assumed 0) that V=1 forbids is virtual. SFENCE.VMA in VS-mode fences the
 * current VMID's VS-stage entries, like HFENCE.VVMA. WFI in VS-mode with VTW=1 (and TW=0) raises
 * the virtual-instruction exception at once (the spec's "implementation-specific bounded time" is 0,
 * as in QEMU 7.2).
 */

const ECALL = 0x00000073;

function retire(h: Hart, len: number): void {
  h.pcNum += len;
  h.retired++;
}

function illegal(h: Hart, raw: number): void {
  raiseException(h, Exc.illegalInstruction, BigInt(raw >>> 0));
}

function virtualInstruction(h: Hart, raw: number): void {
  raiseException(h, Exc.virtualInstruction, BigInt(raw >>> 0));
}

/** The exception (illegal or virtual instruction) an H instruction (HLV, HLVX, HSV, HFENCE) raises in the current mode, or 0. */
function hypervisorInstructionFault(h: Hart, userOk: boolean): number {
  if (!h.hasH) return Exc.illegalInstruction;
  if (h.virt) return Exc.virtualInstruction;
  return h.prv === 0 && !userOk ? Exc.illegalInstruction : 0;
}

export function execSlow(h: Hart): void {
  if (!fetchRaw(h)) return;
  const raw = h.fw, len = h.fimm;
  // Before the decode: a gate that answers ecalls does so for most of those it sees.
  if (raw === ECALL && h.ecallGate !== undefined && h.ecallGate(h)) return;
  const b = expandedBits(raw, len as 2 | 4);
  const spec = b === 0 ? undefined : findInstruction(b);
  if (!spec) return illegal(h, raw);
  const rd = (b >>> 7) & 31, rs1 = (b >>> 15) & 31, rs2 = (b >>> 20) & 31;
  const rdPair = rd === 0 ? 64 : 2 * rd;
  switch (spec.name) {
    case "ecall":
      return raiseException(h, h.virt && h.prv === 1 ? Exc.ecallVS : [Exc.ecallU, Exc.ecallS, Exc.ecallS, Exc.ecallM][h.prv], 0n);
    case "ebreak":
      return raiseException(h, Exc.breakpoint, 0n);
    case "fence.i":
      // Stores already drop decoded code precisely, as QEMU detects self-modifying code.
      return retire(h, len);
    case "mret":
      if (h.prv !== 3) return illegal(h, raw);
      h.retired++;
      return mret(h);
    case "sret":
      if (h.virt) {
        if (h.prv === 0 || (h.hstatus & HSTATUS_VTSR) !== 0) return virtualInstruction(h, raw);
      } else if (h.prv === 0 || (h.prv === 1 && (h.mstatus & MSTATUS_TSR) !== 0)) {
        return illegal(h, raw);
      }
      h.retired++;
      return sret(h);
    case "wfi":
      // QEMU 7.2: illegal in U-mode (S is implemented), and in S-mode when TW = 1 (TW: every mode below M).
      if (h.prv < 3 && (h.mstatus & MSTATUS_TW) !== 0) return illegal(h, raw);
      if (h.virt ? h.prv === 0 || (h.hstatus & HSTATUS_VTW) !== 0 : h.prv === 0) {
        return h.virt ? virtualInstruction(h, raw) : illegal(h, raw);
      }
      retire(h, len);
      h.waiting = true;
      h.yieldReq = true;
      return;
    case "sfence.vma": {
      if (h.virt) {
        if (h.prv === 0 || (h.hstatus & HSTATUS_VTVM) !== 0) return virtualInstruction(h, raw);
        return fenceGuest(h, rs1, rs2, len);
      }
      if (h.prv === 0 || (h.prv === 1 && (h.mstatus & MSTATUS_TVM) !== 0)) return illegal(h, raw);
      const vpn = rs1 === 0 ? -1 : sfenceVpn(h, rs1);
      const asid = rs2 === 0 ? -1 : h.x[2 * rs2] & 0xffff;
      h.tlb.flush(vpn, asid, HOST);
      flushFast(h);
      return retire(h, len);
    }
    case "hfence.vvma": {
      const fault = hypervisorInstructionFault(h, false);
      if (fault !== 0) return raiseException(h, fault, BigInt(raw >>> 0));
      return fenceGuest(h, rs1, rs2, len);
    }
    case "hfence.gvma": {
      let fault = hypervisorInstructionFault(h, false);
      if (fault === 0 && h.prv === 1 && (h.mstatus & MSTATUS_TVM) !== 0) fault = 2;
      if (fault !== 0) return raiseException(h, fault, BigInt(raw >>> 0));
      // Guest entries are not tagged by GPA, so an address fences the whole VMID (the spec allows it).
      h.tlb.flush(-1, -1, rs2 === 0 ? ALL_GUESTS : h.x[2 * rs2] & 0x3fff);
      flushFast(h);
      return retire(h, len);
    }
    case "csrrw": case "csrrs": case "csrrc": case "csrrwi": case "csrrsi": case "csrrci":
      return csrInstruction(h, spec.name, b, raw, len, rdPair, rs1);
    case "hlv.b": case "hlv.bu": case "hlv.h": case "hlv.hu": case "hlv.w": case "hlv.wu": case "hlv.d":
    case "hlvx.hu": case "hlvx.wu": case "hsv.b": case "hsv.h": case "hsv.w": case "hsv.d":
      return guestAccess(h, spec.name, raw, len, rdPair, rs1, rs2);
    case "lr.w": case "lr.d":
      if (loadReserved(h, rdPair, 2 * rs1, spec.name === "lr.w" ? 4 : 8)) retire(h, len);
      return;
    case "sc.w": case "sc.d":
      if (storeConditional(h, rdPair, 2 * rs1, 2 * rs2, spec.name === "sc.w" ? 4 : 8)) retire(h, len);
      return;
  }
  if (spec.ext === "F" || spec.ext === "D") {
    if (fpExecute(h, spec, b, raw)) retire(h, len);
    return;
  }
  if (spec.ext === "A") {
    if (amo(h, b >>> 27, rdPair, 2 * rs1, 2 * rs2, spec.name.endsWith(".w") ? 4 : 8)) retire(h, len);
    return;
  }
  illegal(h, raw);
}

/** SFENCE.VMA in VS-mode and HFENCE.VVMA: the current VMID's guest entries (rs1 a guest VA, rs2 a guest ASID). */
function fenceGuest(h: Hart, rs1: number, rs2: number, len: number): void {
  const vpn = rs1 === 0 ? -1 : sfenceVpn(h, rs1);
  const asid = rs2 === 0 ? -1 : h.x[2 * rs2] & 0xffff;
  h.tlb.flush(vpn, asid, h.hgatpVmid);
  flushFast(h);
  retire(h, len);
}

const GUEST_ACCESS_SIZE: Record<string, number> = { b: 1, bu: 1, h: 2, hu: 2, w: 4, wu: 4, d: 8 };

/**
 * HLV, HLVX, HSV: a load or store as though V=1 in the privilege hstatus.SPVP says (VU or VS), with
 * two-stage translation; legal in M, HS, and U when hstatus.HU = 1. HLVX needs execute permission
 * instead of read (faults are still load faults).
 */
function guestAccess(h: Hart, name: string, raw: number, len: number, rdPair: number, rs1: number, rs2: number): void {
  const fault = hypervisorInstructionFault(h, (h.hstatus & HSTATUS_HU) !== 0);
  if (fault !== 0) return raiseException(h, fault, BigInt(raw >>> 0));
  const [op, width] = name.split(".");
  const size = GUEST_ACCESS_SIZE[width];
  h.hlvMode = ((h.hstatus >> 8) & 1) | VIRT;
  let ok: boolean;
  if (op === "hsv") {
    ok = storeSlow(h, 2 * rs1, 0, size, h.x[2 * rs2], h.x[2 * rs2 + 1]);
  } else {
    ok = loadSlow(h, 2 * rs1, 0, size, !width.endsWith("u"), op === "hlvx" ? RX : Acc.R);
    if (ok) {
      h.x[rdPair] = h.vlo;
      h.x[rdPair + 1] = h.vhi;
    }
  }
  h.hlvMode = -1;
  if (ok) retire(h, len);
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
  const fault = csrCheck(h, num, writes);
  if (fault !== 0) return raiseException(h, fault, BigInt(raw >>> 0));
  const target = h.virt ? redirectVs(num) : num;
  const old = csrRead(h, target) as bigint;
  if (writes) {
    const value = kind === "w" ? src : kind === "s" ? old | src : old & ~src;
    csrWrite(h, target, BigInt.asUintN(64, value));
    h.yieldReq = true; // interrupt enables, delegation, privilege state may have changed
  }
  h.x[rdPair] = Number(BigInt.asIntN(32, old));
  h.x[rdPair + 1] = Number(BigInt.asIntN(32, old >> 32n));
  retire(h, len);
}

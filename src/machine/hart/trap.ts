import { Exc, INTERRUPT_BIT, INTERRUPT_PRIORITY } from "../../isa/causes";
import {
  HSTATUS_GVA, HSTATUS_SPV, HSTATUS_SPVP, MSTATUS_MIE, MSTATUS_MPIE, MSTATUS_MPP, MSTATUS_MPP_SHIFT, MSTATUS_MPRV, MSTATUS_SIE,
  MSTATUS_SPIE, MSTATUS_SPP,
  VS_INTERRUPTS,
} from "../../isa/csr_bits";
import type { Hart } from "./hart";
import { flushFast } from "./mem";
import { dataMode, VIRT } from "./mmu";
import { transformedInstruction } from "./tinst";

/**
 * Trap entry and return, and the choice of interrupt (privileged spec 1.12, 3.1.6–3.1.9, 3.3.2, and
 * the H extension's "Traps").
 *
 * tval follows QEMU 7.2: the address for misaligned/access/page faults, the instruction bits for
 * illegal instructions (16 bits for a compressed one), and 0 for ecall and ebreak.
 * Every trap entry and xRET clears the LR reservation (QEMU does it in riscv_cpu_set_mode).
 *
 * With H: a trap from V=1 that medeleg/mideleg send to HS goes on to VS when hedeleg/hideleg
 * delegate it; VS-level interrupts 2, 6, 10 arrive in VS-mode as 1, 5, 9 (only interrupts: QEMU 7.2
 * also shifts exceptions 2, 6, 10, its issue 1708). A trap into HS sets hstatus.SPV (and SPVP when
 * it came from V=1), GVA, htval and htinst; a trap into M sets MPV, GVA, mtval2, mtinst.
 * GVA = 1 exactly when tval is a guest virtual address: a memory fault of an access made with V=1
 * (or by HLV/HSV, or through MPRV with MPV). htval/mtval2 = GPA >> 2 for guest-page faults, else 0.
 * htinst/mtinst: the pseudoinstruction for faults of implicit VS-stage PTE accesses, a transformed
 * instruction for other load/store/AMO/HLV/HSV faults (tinst.ts), else 0.
 */

/** mideleg bits that read as one with H: VSSI, VSTI, VSEI (GEILEN = 0: no SGEI). */
const MIDELEG_H = VS_INTERRUPTS;

/** Exception codes whose tval is the faulting address; the first four are instruction fetches. */
const causeSet = (codes: number[]): number => codes.reduce((set, c) => set | (1 << c), 0);
const FETCH_FAULTS = causeSet([Exc.misalignedFetch, Exc.fetchAccess, Exc.fetchPageFault, Exc.fetchGuestPageFault]);
const DATA_FAULTS = causeSet([Exc.misalignedLoad, Exc.loadAccess, Exc.misalignedStore, Exc.storeAccess,
  Exc.loadPageFault, Exc.storePageFault, Exc.loadGuestPageFault, Exc.storeGuestPageFault]);
const GUEST_PAGE_FAULTS = causeSet([Exc.fetchGuestPageFault, Exc.loadGuestPageFault, Exc.storeGuestPageFault]);

/** Raises synchronous exception `code` at the current pc (h.pcNum / h.wildPc). */
export function raiseException(h: Hart, code: number, tval: bigint): void {
  enterTrap(h, BigInt(code), tval);
}

/** mideleg as the hart uses it: with H, the VS-level bits are always set. */
export function midelegOf(h: Hart): number {
  return h.hasH ? h.mideleg | MIDELEG_H : h.mideleg;
}

/** Whether exception `code` writes a guest virtual address to tval. */
function writesGuestVa(h: Hart, code: number): boolean {
  if ((FETCH_FAULTS >>> code) & 1) return h.virt;
  return ((DATA_FAULTS >>> code) & 1) !== 0 && (dataMode(h) & VIRT) !== 0;
}

/** Enters the trap handler for `cause` (bit 63 set for interrupts) taken at the current pc. */
export function enterTrap(h: Hart, cause: bigint, tval: bigint): void {
  const pc = h.pc;
  const isInterrupt = (cause & INTERRUPT_BIT) !== 0n;
  const code = Number(cause & 0x3fn);
  const deleg = isInterrupt ? midelegOf(h) : h.medeleg;
  const toS = h.prv <= 1 && code < 32 && ((deleg >>> code) & 1) !== 0;
  let ms = h.mstatus;
  let tvec: bigint;
  let written = cause;
  if (toS && h.virt && (((isInterrupt ? h.hideleg : h.hedeleg) >>> code) & 1) !== 0) {
    if (isInterrupt && (code === 2 || code === 6 || code === 10)) written = cause - 1n;
    h.vsepc = pc & ~1n;
    h.vscause = written;
    h.vstval = tval;
    const vs = h.vsstatus;
    h.vsstatus = (vs & ~(MSTATUS_SPIE | MSTATUS_SIE | MSTATUS_SPP)) | ((vs & MSTATUS_SIE) << 4) | (h.prv << 8);
    h.prv = 1;
    tvec = h.vstvec;
  } else if (toS) {
    if (h.hasH) {
      let hs = h.hstatus & ~(HSTATUS_GVA | HSTATUS_SPV);
      if (h.virt) hs = (hs & ~HSTATUS_SPVP) | HSTATUS_SPV | (h.prv << 8);
      if (!isInterrupt && writesGuestVa(h, code)) hs |= HSTATUS_GVA;
      h.hstatus = hs;
      h.htval = isInterrupt ? 0n : faultGpa(h, code);
      h.htinst = isInterrupt ? 0n : trapInstruction(h, code, tval);
      h.virt = false;
    }
    h.sepc = pc & ~1n;
    h.scause = cause;
    h.stval = tval;
    ms = (ms & ~(MSTATUS_SPIE | MSTATUS_SIE | MSTATUS_SPP)) | ((ms & MSTATUS_SIE) << 4) | (h.prv << 8);
    h.prv = 1;
    tvec = h.stvec;
  } else {
    if (h.hasH) {
      h.mpv = h.virt;
      h.gva = !isInterrupt && writesGuestVa(h, code);
      h.mtval2 = isInterrupt ? 0n : faultGpa(h, code);
      h.mtinst = isInterrupt ? 0n : trapInstruction(h, code, tval);
      h.virt = false;
    }
    h.mepc = pc & ~1n;
    h.mcause = cause;
    h.mtval = tval;
    ms = (ms & ~(MSTATUS_MPIE | MSTATUS_MIE | MSTATUS_MPP)) | ((ms & MSTATUS_MIE) << 4) | (h.prv << MSTATUS_MPP_SHIFT);
    h.prv = 3;
    tvec = h.mtvec;
  }
  h.mstatus = ms;
  h.hlvMode = -1;
  const base = tvec & ~3n;
  h.pc = isInterrupt && (tvec & 3n) === 1n ? base + 4n * BigInt(Number(written & 0x3fn)) : base;
  h.resAddrBeforeTrap = h.resAddr;
  h.resAddr = NaN;
  h.waiting = false;
  h.sliceTraps++;
  h.yieldReq = true;
  flushFast(h);
  if (h.onTrap?.(written, tval, pc) && !h.pendingStop) h.pendingStop = { kind: "trap", cause: written, tval, pc };
}

/** htval/mtval2 for exception `code`: the guest-page fault's GPA >> 2, else 0. */
function faultGpa(h: Hart, code: number): bigint {
  if (((GUEST_PAGE_FAULTS >>> code) & 1) === 0 || h.faultGpa < 0) return 0n;
  return BigInt(Math.floor(h.faultGpa / 4));
}

/** htinst/mtinst for exception `code`. */
function trapInstruction(h: Hart, code: number, tval: bigint): bigint {
  if ((GUEST_PAGE_FAULTS >>> code) & 1 && h.faultTinst !== 0) return BigInt(h.faultTinst);
  if (((DATA_FAULTS >>> code) & 1) === 0) return 0n;
  return BigInt(transformedInstruction(h, tval));
}

/** mret (the caller has checked that the hart is in M-mode). */
export function mret(h: Hart): void {
  const ms = h.mstatus;
  const mpp = (ms & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT;
  let next = (ms & ~(MSTATUS_MIE | MSTATUS_MPP)) | ((ms & MSTATUS_MPIE) >> 4) | MSTATUS_MPIE;
  if (mpp !== 3) next &= ~MSTATUS_MPRV;
  h.mstatus = next;
  h.virt = mpp !== 3 && h.mpv;
  h.mpv = false;
  h.prv = mpp;
  h.pc = h.mepc;
  returned(h);
}

/** sret (the caller has checked privilege, TSR and VTSR): from VS-mode through vsstatus, else SPP/SPV. */
export function sret(h: Hart): void {
  if (h.virt) {
    const vs = h.vsstatus;
    h.vsstatus = (vs & ~(MSTATUS_SIE | MSTATUS_SPP)) | ((vs & MSTATUS_SPIE) >> 4) | MSTATUS_SPIE;
    h.prv = (vs >> 8) & 1;
    h.pc = h.vsepc;
    returned(h);
    return;
  }
  const ms = h.mstatus;
  const spp = (ms >> 8) & 1;
  h.mstatus = (ms & ~(MSTATUS_SIE | MSTATUS_SPP | MSTATUS_MPRV)) | ((ms & MSTATUS_SPIE) >> 4) | MSTATUS_SPIE;
  if (h.hasH) {
    h.virt = (h.hstatus & HSTATUS_SPV) !== 0;
    h.hstatus &= ~HSTATUS_SPV;
  }
  h.prv = spp;
  h.pc = h.sepc;
  returned(h);
}

function returned(h: Hart): void {
  h.resAddr = NaN;
  h.yieldReq = true;
  flushFast(h);
}

/** mip as software reads it: written bits, device lines, and (with H) hvip's VS-level bits. */
export function mipValue(h: Hart): number {
  return h.mipSw | h.mipHw | h.hvip;
}

/**
 * The interrupt the hart should take now, or −1. M-level (not delegated) interrupts are enabled
 * below M, or in M with MIE; delegated ones below S, or in S with SIE, never in M. With H, those
 * hideleg delegates further are VS-level: enabled only when V=1, in VU, or in VS with vsstatus.SIE;
 * HS-level ones are always enabled when V=1. M before HS before VS; within a level, INTERRUPT_PRIORITY.
 */
export function pendingInterrupt(h: Hart): number {
  const pending = mipValue(h) & h.mie;
  if (pending === 0) return -1;
  const mideleg = midelegOf(h);
  const m = pending & ~mideleg;
  if (m !== 0 && (h.prv < 3 || (h.mstatus & MSTATUS_MIE) !== 0)) {
    const irq = highest(m);
    if (irq >= 0) return irq;
  }
  const s = pending & mideleg & ~h.hideleg;
  if (s !== 0 && (h.prv === 0 || h.virt || (h.prv === 1 && (h.mstatus & MSTATUS_SIE) !== 0))) {
    const irq = highest(s);
    if (irq >= 0) return irq;
  }
  const vs = pending & mideleg & h.hideleg;
  if (vs !== 0 && h.virt && (h.prv === 0 || (h.vsstatus & MSTATUS_SIE) !== 0)) return highest(vs);
  return -1;
}

function highest(bits: number): number {
  for (const irq of INTERRUPT_PRIORITY) if ((bits >> irq) & 1) return irq;
  return -1;
}

/** WFI's wake-up condition: an interrupt pending and enabled in mie, whatever the global enables. */
export function wakeable(h: Hart): boolean {
  return (mipValue(h) & h.mie) !== 0;
}

import { INTERRUPT_PRIORITY } from "../../isa/causes";
import type { Hart } from "./hart";
import { flushFast } from "./mem";

/**
 * Trap entry and return, and the choice of interrupt (privileged spec 1.12, 3.1.6–3.1.9, 3.3.2).
 *
 * tval follows QEMU 7.2: the address for misaligned/access/page faults, the instruction bits for
 * illegal instructions (16 bits for a compressed one), and 0 for ecall and ebreak.
 * Every trap entry and xRET clears the LR reservation (QEMU does it in riscv_cpu_set_mode).
 */

const MSTATUS_SIE = 1 << 1;
const MSTATUS_MIE = 1 << 3;
const MSTATUS_SPIE = 1 << 5;
const MSTATUS_MPIE = 1 << 7;
const MSTATUS_SPP = 1 << 8;
const MSTATUS_MPP = 3 << 11;
const MSTATUS_MPRV = 1 << 17;
const INTERRUPT = 1n << 63n;

/** Raises synchronous exception `code` at the current pc (h.pcNum / h.wildPc). */
export function raiseException(h: Hart, code: number, tval: bigint): void {
  enterTrap(h, BigInt(code), tval);
}

/** Enters the trap handler for `cause` (bit 63 set for interrupts) taken at the current pc. */
export function enterTrap(h: Hart, cause: bigint, tval: bigint): void {
  const pc = h.pc;
  const isInterrupt = (cause & INTERRUPT) !== 0n;
  const code = Number(cause & 0x3fn);
  const deleg = isInterrupt ? h.mideleg : h.medeleg;
  const toS = h.prv <= 1 && code < 32 && ((deleg >>> code) & 1) !== 0;
  let ms = h.mstatus;
  let tvec: bigint;
  if (toS) {
    h.sepc = pc & ~1n;
    h.scause = cause;
    h.stval = tval;
    ms = (ms & ~(MSTATUS_SPIE | MSTATUS_SIE | MSTATUS_SPP)) | ((ms & MSTATUS_SIE) << 4) | (h.prv << 8);
    h.prv = 1;
    tvec = h.stvec;
  } else {
    h.mepc = pc & ~1n;
    h.mcause = cause;
    h.mtval = tval;
    ms = (ms & ~(MSTATUS_MPIE | MSTATUS_MIE | MSTATUS_MPP)) | ((ms & MSTATUS_MIE) << 4) | (h.prv << 11);
    h.prv = 3;
    tvec = h.mtvec;
  }
  h.mstatus = ms;
  const base = tvec & ~3n;
  h.pc = isInterrupt && (tvec & 3n) === 1n ? base + 4n * BigInt(code) : base;
  h.resAddr = NaN;
  h.waiting = false;
  h.sliceTraps++;
  h.yieldReq = true;
  flushFast(h);
  if (h.onTrap?.(cause, tval, pc) && !h.pendingStop) h.pendingStop = { kind: "trap", cause, tval, pc };
}

/** mret (the caller has checked that the hart is in M-mode). */
export function mret(h: Hart): void {
  const ms = h.mstatus;
  const mpp = (ms >> 11) & 3;
  let next = (ms & ~(MSTATUS_MIE | MSTATUS_MPP)) | ((ms & MSTATUS_MPIE) >> 4) | MSTATUS_MPIE;
  if (mpp !== 3) next &= ~MSTATUS_MPRV;
  h.mstatus = next;
  h.prv = mpp;
  h.pc = h.mepc;
  returned(h);
}

/** sret (the caller has checked privilege and TSR). */
export function sret(h: Hart): void {
  const ms = h.mstatus;
  const spp = (ms >> 8) & 1;
  h.mstatus = (ms & ~(MSTATUS_SIE | MSTATUS_SPP | MSTATUS_MPRV)) | ((ms & MSTATUS_SPIE) >> 4) | MSTATUS_SPIE;
  h.prv = spp;
  h.pc = h.sepc;
  returned(h);
}

function returned(h: Hart): void {
  h.resAddr = NaN;
  h.yieldReq = true;
  flushFast(h);
}

/** mip as software reads it: written bits plus device lines. */
export function mipValue(h: Hart): number {
  return h.mipSw | h.mipHw;
}

/**
 * The interrupt the hart should take now, or −1. M-level (not delegated) interrupts are enabled
 * below M, or in M with MIE; delegated ones below S, or in S with SIE, never in M. Among the
 * enabled ones of the higher level, INTERRUPT_PRIORITY decides.
 */
export function pendingInterrupt(h: Hart): number {
  const pending = mipValue(h) & h.mie;
  if (pending === 0) return -1;
  const m = pending & ~h.mideleg;
  if (m !== 0 && (h.prv < 3 || (h.mstatus & MSTATUS_MIE) !== 0)) {
    const irq = highest(m);
    if (irq >= 0) return irq;
  }
  const s = pending & h.mideleg;
  if (s !== 0 && (h.prv === 0 || (h.prv === 1 && (h.mstatus & MSTATUS_SIE) !== 0))) return highest(s);
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

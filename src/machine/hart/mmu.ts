import type { Hart } from "./hart";
import { PmpAccess } from "./pmp";

/**
 * Sv39 address translation, as the privileged spec 1.12 describes it and QEMU 7.2 does it:
 *  - the architectural TLB (tlb.ts) is consulted first; it caches successful translations, and an
 *    access its cached flags do not permit (or a store to a page whose D is clear) walks again;
 *  - the walker sets A, and D on stores, in the PTE itself (QEMU writes them atomically, and never
 *    faults for A = 0 or D = 0); PTEs must be in RAM for that, else page fault, as in QEMU;
 *  - PTE reads are PMP-checked as S-mode accesses (failure: access fault); a PTE read from an
 *    address nothing decodes is a page fault (QEMU's TRANSLATE_FAIL);
 *  - reserved PTE bits 63:54 set, V = 0, or W without R fault; so does a misaligned superpage.
 */

export const enum Acc { R = 0, W = 1, X = 2 }

/** What the debugger asks for: read, write or execute. */
export type MmuAccess = "r" | "w" | "x";

export interface WalkStep {
  level: number;
  pteAddr: number;
  pte: bigint;
}

export type Translation = { pa: number; steps: WalkStep[] } | { fault: bigint };

const PAGE_FAULT = [13, 15, 12];
const ACCESS_FAULT = [5, 7, 1];
export const pageFaultCause = (acc: Acc): number => PAGE_FAULT[acc];
export const accessFaultCause = (acc: Acc): number => ACCESS_FAULT[acc];

const SV39_LIMIT = 2 ** 38;
const MSTATUS_SUM = 1 << 18;
const MSTATUS_MXR = 1 << 19;

/** Whether a leaf with these PTE flags permits the access at this privilege (U/SUM/MXR rules). */
export function permitted(h: Hart, flags: number, acc: Acc, priv: number): boolean {
  if (flags & 0x10) {
    if (priv === 1 && (acc === Acc.X || (h.mstatus & MSTATUS_SUM) === 0)) return false;
  } else if (priv === 0) {
    return false;
  }
  if (acc === Acc.X) return (flags & 8) !== 0;
  if (acc === Acc.R) return (flags & 2) !== 0 || ((h.mstatus & MSTATUS_MXR) !== 0 && (flags & 8) !== 0);
  return (flags & 4) !== 0;
}

/** True when accesses at this privilege go through Sv39. */
export function translating(h: Hart, priv: number): boolean {
  return priv !== 3 && h.satpMode === 8;
}

/**
 * Translates virtual address `va` (exact, |va| < 2^53) for an access at privilege `priv`.
 * Returns the physical address, or −1 − cause when the access faults. PMP on the final address is
 * the caller's job.
 */
export function translate(h: Hart, va: number, acc: Acc, priv: number): number {
  if (!translating(h, priv)) return va >= 0 ? va : -1 - ACCESS_FAULT[acc];
  if (va < -SV39_LIMIT || va >= SV39_LIMIT) return -1 - PAGE_FAULT[acc];
  const vpn = Math.floor(va / 4096) & 0x7ffffff;
  const tlb = h.tlb;
  const slot = tlb.lookup(vpn, h.satpAsid);
  if (slot >= 0) {
    const f = tlb.flags[slot];
    if (permitted(h, f, acc, priv) && (acc !== Acc.W || (f & 0x80) !== 0)) return tlb.ppn[slot] * 4096 + (va & 4095);
  }
  const r = walk(h, va, vpn, acc, priv, null);
  if (r < 0) return r;
  tlb.insert(vpn, h.satpAsid, walkResult.flags, walkResult.level, walkResult.ppn);
  return r;
}

/** The leaf the last successful walk found (module scratch: no allocation). */
const walkResult = { flags: 0, level: 0, ppn: 0 };

/**
 * The page-table walk. With `steps`, it records each PTE and changes nothing (debugger use);
 * without, it sets A/D. Returns the physical address or −1 − cause.
 */
function walk(h: Hart, va: number, vpn: number, acc: Acc, priv: number, steps: WalkStep[] | null): number {
  const ram = h.bus.ram;
  const pf = -1 - PAGE_FAULT[acc];
  let a = h.satpRoot;
  for (let level = 2; level >= 0; level--) {
    const pteAddr = a + ((vpn >>> (9 * level)) & 511) * 8;
    if (!h.pmp.check(pteAddr, 8, PmpAccess.R, 1)) return -1 - ACCESS_FAULT[acc];
    let lo: number, hi: number;
    const inRam = ram.contains(pteAddr, 8);
    if (inRam) {
      lo = ram.view.getInt32(pteAddr - ram.base, true);
      hi = ram.view.getInt32(pteAddr - ram.base + 4, true);
    } else {
      const v = h.bus.load(pteAddr, 8);
      if (v === undefined) return pf;
      lo = Number(BigInt.asIntN(32, v));
      hi = Number(BigInt.asIntN(32, v >> 32n));
    }
    steps?.push({ level, pteAddr, pte: (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0) });
    if ((lo & 1) === 0 || (lo & 6) === 4 || hi >>> 22 !== 0) return pf;
    const ppn = (hi & 0x3fffff) * 4194304 + (lo >>> 10);
    if ((lo & 0xa) === 0) {
      a = ppn * 4096;
      continue;
    }
    const span = 2 ** (9 * level);
    if (ppn % span !== 0) return pf; // misaligned superpage
    if (!permitted(h, lo & 0xff, acc, priv)) return pf;
    let flags = lo & 0xff;
    if (!steps) {
      const updated = lo | 0x40 | (acc === Acc.W ? 0x80 : 0);
      if (updated !== lo) {
        if (!inRam) return pf;
        ram.view.setInt32(pteAddr - ram.base, updated, true);
        h.bus.noteRamWrite(pteAddr, 4);
        flags = updated & 0xff;
      }
    }
    walkResult.flags = flags;
    walkResult.level = level;
    walkResult.ppn = ppn + (vpn % span);
    return walkResult.ppn * 4096 + (va & 4095);
  }
  return pf;
}

const ACC_OF: Record<MmuAccess, Acc> = { r: Acc.R, w: Acc.W, x: Acc.X };

/**
 * The debugger's view: where `va` leads for the hart's current privilege, or `asPriv` (data accesses
 * from M honour MPRV), by walking the tables in memory now. It bypasses the TLB, so it shows what the tables say,
 * not what a stale TLB entry might still say (tlbEntries() shows that), and changes nothing.
 */
export function translateForDebugger(h: Hart, vaIn: bigint, access: MmuAccess, asPriv = h.prv): Translation {
  const acc = ACC_OF[access];
  const priv = privFor(h, acc, asPriv);
  const va = BigInt.asIntN(64, vaIn);
  if (!translating(h, priv)) {
    return va >= 0n && va < 1n << 53n ? { pa: Number(va), steps: [] } : { fault: BigInt(ACCESS_FAULT[acc]) };
  }
  if (va < -(1n << 38n) || va >= 1n << 38n) return { fault: BigInt(PAGE_FAULT[acc]) };
  const v = Number(va);
  const steps: WalkStep[] = [];
  const r = walk(h, v, Math.floor(v / 4096) & 0x7ffffff, acc, priv, steps);
  return r < 0 ? { fault: BigInt(-1 - r) } : { pa: r, steps };
}

/** The privilege a data access runs at: with MPRV in M-mode, the one in MPP. Fetches use the current one. */
export function dataPriv(h: Hart, acc: Acc): number {
  return privFor(h, acc, h.prv);
}

/** The privilege an access of kind `acc` made in mode `prv` runs at. */
function privFor(h: Hart, acc: Acc, prv: number): number {
  if (acc !== Acc.X && prv === 3 && (h.mstatus & (1 << 17)) !== 0) return (h.mstatus >> 11) & 3;
  return prv;
}

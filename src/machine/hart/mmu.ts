import { Exc } from "../../isa/causes";
import { MSTATUS_MXR, MSTATUS_SUM } from "../../isa/csr_bits";
import type { Hart } from "./hart";
import { PmpAccess } from "./pmp";

/**
 * Address translation: Sv39, and with the H extension two-stage translation (VS stage Sv39 through
 * vsatp, G stage Sv39x4 through hgatp), as the privileged spec 1.12 describes it and QEMU 7.2 does it:
 *  - the architectural TLB (tlb.ts) is consulted first; it caches successful translations, and an
 *    access its cached flags do not permit (or a store to a page whose D is clear) walks again;
 *  - the walker sets A, and D on stores, in the PTE itself (QEMU writes them atomically, and never
 *    faults for A = 0 or D = 0); PTEs must be in RAM for that, else page fault, as in QEMU;
 *  - PTE reads are PMP-checked as S-mode accesses (failure: access fault); a PTE read from an
 *    address nothing decodes is a page fault (QEMU's TRANSLATE_FAIL);
 *  - reserved PTE bits 63:54 set, V = 0, or W without R fault; so does a misaligned superpage.
 *
 * An access's *mode* is its privilege in bits 1:0 plus VIRT (4) when it runs with V=1: 0 U, 1 HS/S,
 * 3 M, 4 VU, 5 VS. Two-stage rules (spec "Two-Stage Address Translation"):
 *  - every VS-stage PTE address is a guest-physical address, translated by the G stage as an implicit
 *    load (and, to set A/D, an implicit store); a G-stage fault there is a guest-page fault of the
 *    original access type, htval = that PTE's GPA >> 2 and htinst = the pseudoinstruction 0x3000
 *    (read) or 0x3020 (A/D write) — `h.faultGpa`/`h.faultTinst` carry them to trap entry;
 *  - G-stage leaves must have U = 1 (every G-stage access counts as a U-mode access); vsstatus.SUM
 *    replaces SUM for VS-mode; vsstatus.MXR acts on the VS stage only, mstatus.MXR on both;
 *  - GPAs are 41 bits (bits 63:41 set: guest-page fault), the G-stage root is 16 KiB (2048 entries);
 *  - Bare vsatp: the guest virtual address is the GPA; Bare hgatp: the GPA is the physical address.
 * The TLB caches whole two-stage translations tagged with the VMID (tlb.ts).
 */

export const enum Acc { R = 0, W = 1, X = 2 }

/** An access kind inside the hart: Acc, or RX, HLVX's read that needs execute permission (it faults as a load). */
export type Access = Acc | 3;
export const RX = 3 as Access;

/** Mode bit: the access runs with V = 1 (two-stage translation). */
export const VIRT = 4;

/** What the debugger asks for: read, write or execute. */
export type MmuAccess = "r" | "w" | "x";

/** One PTE read by a walk: its stage, level, host-physical address (and GPA for a VS-stage PTE), value. */
export interface WalkStep {
  stage: "s" | "vs" | "g";
  level: number;
  /** The PTE's index in its table (0..2047 at the root of a G-stage table). */
  index: number;
  pteAddr: number;
  /** VS-stage PTEs only: the guest-physical address the G stage translated into pteAddr. */
  gpa?: number;
  /** G-stage PTEs only: the guest-physical address the G-stage walk they belong to translates. */
  gpaWalked?: number;
  pte: bigint;
  /** A leaf: whether it permits the access at its stage (U, SUM and MXR rules included). */
  permits?: boolean;
  /** A leaf that permits the access: the A and D bits (0x40, 0x80) the walker sets in it. */
  sets?: number;
}

export type Translation = { pa: number; steps: WalkStep[] } | { fault: bigint };

/** Why a walk stopped short of an address, in the walker's own terms. */
export type WalkStopReason =
  | "va-range" // the virtual address is not sign-extended from bit 38 (or beyond ±2^52)
  | "pa-range" // untranslated, the address is not a physical one
  | "gpa-range" // the guest-physical address has bits set above bit 40
  | "pmp" // PMP denies reading the PTE: an access fault
  | "no-memory" // the PTE's address is not RAM: an access fault
  | "invalid" // V = 0
  | "reserved" // reserved bits 63:54 set, or W without R
  | "no-leaf" // a pointer at level 0
  | "misaligned" // a superpage whose PPN is not aligned to its size
  | "permission"; // the leaf does not permit the access

export interface WalkStop {
  why: WalkStopReason;
  stage: "s" | "vs" | "g";
  /** The level and PTE address where it stopped (undefined for the range checks before any read). */
  level?: number;
  pteAddr?: number;
}

/** A debugger walk: every PTE read, and where it ended (pa, or fault; gpa when a VS stage completed). */
export interface Walk {
  steps: WalkStep[];
  pa?: number;
  gpa?: number;
  fault?: bigint;
  /** Why it faulted. */
  stop?: WalkStop;
}

// Indexed by Acc; RX (HLVX: execute permission) faults as a load.
const PAGE_FAULT = [Exc.loadPageFault, Exc.storePageFault, Exc.fetchPageFault, Exc.loadPageFault];
const ACCESS_FAULT = [Exc.loadAccess, Exc.storeAccess, Exc.fetchAccess, Exc.loadAccess];
const GUEST_PAGE_FAULT = [Exc.loadGuestPageFault, Exc.storeGuestPageFault, Exc.fetchGuestPageFault, Exc.loadGuestPageFault];
export const accessFaultCause = (acc: Access): number => ACCESS_FAULT[acc];

const SV39_LIMIT = 2 ** 38;
const GPA_LIMIT = 2 ** 41;
/** G-stage flags of a Bare G stage: everything allowed (V R W X U A D). */
const G_BARE = 0xdf;
/** Pseudoinstructions for htinst/mtinst: 64-bit read / write for VS-stage translation. */
export const PSEUDO_READ = 0x3000, PSEUDO_WRITE = 0x3020;

/** Whether a leaf with these flags permits the access at privilege `priv` (0 or 1) given SUM and MXR. */
function leafOk(flags: number, acc: Access, priv: number, sum: boolean, mxr: boolean): boolean {
  if (flags & 0x10) {
    if (priv === 1 && (acc === Acc.X || !sum)) return false;
  } else if (priv === 0) {
    return false;
  }
  if (acc === Acc.X || acc === RX) return (flags & 8) !== 0;
  if (acc === Acc.R) return (flags & 2) !== 0 || (mxr && (flags & 8) !== 0);
  return (flags & 4) !== 0;
}

/** Whether a single-stage leaf with these PTE flags permits the access at this privilege (U/SUM/MXR rules). */
export function permitted(h: Hart, flags: number, acc: Access, priv: number): boolean {
  return leafOk(flags, acc, priv, (h.mstatus & MSTATUS_SUM) !== 0, (h.mstatus & MSTATUS_MXR) !== 0);
}

/** VS-stage permission for mode `mode` (VU or VS): vsstatus.SUM; either MXR. */
function vsOk(h: Hart, flags: number, acc: Access, mode: number): boolean {
  const mxr = ((h.mstatus | h.vsstatus) & MSTATUS_MXR) !== 0;
  return leafOk(flags, acc, mode & 3, (h.vsstatus & MSTATUS_SUM) !== 0, mxr);
}

/** G-stage permission: always a U-mode access; only mstatus.MXR applies. */
function gOk(h: Hart, flags: number, acc: Access): boolean {
  return leafOk(flags, acc, 0, false, (h.mstatus & MSTATUS_MXR) !== 0);
}

/** True when accesses in this mode are translated at all. */
export function translating(h: Hart, mode: number): boolean {
  if (mode & VIRT) return h.vsatpMode === 8 || h.hgatpMode === 8;
  return mode !== 3 && h.satpMode === 8;
}

/** The fault an access in `mode` to an address beyond ±2^52 raises. */
export function wildFaultCause(h: Hart, mode: number, acc: Access): number {
  if (mode & VIRT) {
    if (h.vsatpMode === 8) return PAGE_FAULT[acc];
    if (h.hgatpMode === 8) {
      h.faultGpa = -1; // beyond any GPA: htval 0 (allowed: "zero or the GPA")
      h.faultTinst = 0;
      return GUEST_PAGE_FAULT[acc];
    }
    return ACCESS_FAULT[acc];
  }
  return translating(h, mode) ? PAGE_FAULT[acc] : ACCESS_FAULT[acc];
}

/**
 * Translates virtual address `va` (exact, |va| < 2^53) for an access in `mode`.
 * Returns the physical address, or −1 − cause when the access faults. PMP on the final address is
 * the caller's job.
 */
export function translate(h: Hart, va: number, acc: Access, mode: number): number {
  if (mode & VIRT) return translateGuest(h, va, acc, mode);
  if (!translating(h, mode)) return va >= 0 ? va : -1 - ACCESS_FAULT[acc];
  if (va < -SV39_LIMIT || va >= SV39_LIMIT) return -1 - PAGE_FAULT[acc];
  const vpn = Math.floor(va / 4096) & 0x7ffffff;
  const tlb = h.tlb;
  const slot = tlb.lookup(vpn, h.satpAsid);
  if (slot >= 0) {
    const f = tlb.flags[slot];
    if (permitted(h, f, acc, mode) && (acc !== Acc.W || (f & 0x80) !== 0)) return tlb.ppn[slot] * 4096 + (va & 4095);
  }
  const r = walk(h, Stage.S, h.satpRoot, vpn, acc, acc, mode, null, sLeaf);
  if (r < 0) return r;
  tlb.insert(vpn, h.satpAsid, sLeaf.flags, sLeaf.level, sLeaf.ppn);
  return r + (va & 4095);
}

/** Two-stage translation (V = 1, or HLV/HSV, or MPRV with MPV). */
function translateGuest(h: Hart, va: number, acc: Access, mode: number): number {
  const vsOn = h.vsatpMode === 8, gOn = h.hgatpMode === 8;
  if (!vsOn && !gOn) return va >= 0 ? va : -1 - ACCESS_FAULT[acc];
  let vpn: number, asid: number;
  if (vsOn) {
    if (va < -SV39_LIMIT || va >= SV39_LIMIT) return -1 - PAGE_FAULT[acc];
    vpn = Math.floor(va / 4096) & 0x7ffffff;
    asid = h.vsatpAsid;
  } else {
    if (va < 0 || va >= GPA_LIMIT) return guestFault(h, va, acc, 0);
    vpn = Math.floor(va / 4096);
    asid = -1;
  }
  const tlb = h.tlb;
  const vmid = h.hgatpVmid;
  const slot = tlb.lookup(vpn, asid, vmid);
  if (slot >= 0) {
    const f = tlb.flags[slot], g = tlb.gflags[slot];
    if ((!vsOn || (vsOk(h, f, acc, mode) && (acc !== Acc.W || (f & 0x80) !== 0))) && gOk(h, g, acc) && (acc !== Acc.W || (g & 0x80) !== 0)) {
      return tlb.ppn[slot] * 4096 + (va & 4095);
    }
  }
  let gpa = va, vsFlags = 0, vsLevel = 0;
  if (vsOn) {
    const page = walk(h, Stage.VS, h.vsatpRoot, vpn, acc, acc, mode, null, sLeaf);
    if (page < 0) return page;
    gpa = page + (va & 4095);
    vsFlags = sLeaf.flags;
    vsLevel = sLeaf.level;
  }
  let pa = gpa, gFlags = G_BARE;
  if (gOn) {
    pa = gTranslate(h, gpa, acc, acc, false, null);
    if (pa < 0) return pa;
    gFlags = gLeaf.flags;
  }
  tlb.insert(vpn, asid, vsFlags, vsLevel, Math.floor(pa / 4096), vmid, gFlags);
  return pa;
}

const enum Stage { S, VS, G }

interface Leaf { flags: number; level: number; ppn: number }

/** The leaves the last successful walks found (module scratch: no allocation). */
const sLeaf: Leaf = { flags: 0, level: 0, ppn: 0 };
const gLeaf: Leaf = { flags: 0, level: 0, ppn: 0 };

/** Records a guest-page fault at `gpa` for trap entry and returns −1 − its cause. */
function guestFault(h: Hart, gpa: number, origAcc: Access, tinst: number): number {
  h.faultGpa = gpa;
  h.faultTinst = tinst;
  return -1 - GUEST_PAGE_FAULT[origAcc];
}

/**
 * G-stage translation of `gpa` for permission `acc`, faults reported as `origAcc`; `implicit` when the
 * access reads or writes a VS-stage PTE. Returns the physical address or −1 − cause.
 */
function gTranslate(h: Hart, gpa: number, acc: Access, origAcc: Access, implicit: boolean, rec: Walk | null): number {
  const tinst = implicit ? (acc === Acc.W ? PSEUDO_WRITE : PSEUDO_READ) : 0;
  if (gpa < 0 || gpa >= GPA_LIMIT) {
    if (rec) rec.stop = { why: "gpa-range", stage: "g" };
    return guestFault(h, gpa, origAcc, tinst);
  }
  const first = rec ? rec.steps.length : 0;
  const r = walk(h, Stage.G, h.hgatpRoot, Math.floor(gpa / 4096), acc, origAcc, 0, rec, gLeaf);
  if (rec) for (let i = first; i < rec.steps.length; i++) rec.steps[i].gpaWalked = gpa;
  if (r === -1 - GUEST_PAGE_FAULT[origAcc]) return guestFault(h, gpa, origAcc, tinst);
  return r < 0 ? r : r + (gpa % 4096);
}

/**
 * One stage's page-table walk from `root` for page number `vpn`. For the VS stage each PTE address
 * goes through the G stage first. With `rec`, it records each PTE and why it stops, and changes
 * nothing (debugger use); without, it sets A/D. Returns the (guest-)physical address of the 4 KiB
 * page or −1 − cause.
 */
function walk(h: Hart, stage: Stage, root: number, vpn: number, acc: Access, origAcc: Access, mode: number, rec: Walk | null, out: Leaf): number {
  const ram = h.bus.ram;
  const pf = -1 - (stage === Stage.G ? GUEST_PAGE_FAULT[origAcc] : PAGE_FAULT[origAcc]);
  const twoStage = stage === Stage.VS && h.hgatpMode === 8;
  let a = root;
  for (let level = 2; ; level--) {
    const index = level === 2 && stage === Stage.G ? (vpn >>> 18) & 0x7ff : (vpn >>> (9 * level)) & 511;
    const tableAddr = a + index * 8;
    let pteAddr = tableAddr;
    if (twoStage) {
      pteAddr = gTranslate(h, tableAddr, Acc.R, origAcc, true, rec);
      if (pteAddr < 0) return pteAddr;
    }
    if (!h.pmp.check(pteAddr, 8, PmpAccess.R, 1)) return stopped(rec, "pmp", stage, level, pteAddr, -1 - ACCESS_FAULT[origAcc]);
    // Page tables live in RAM: a device or nothing does not support page-table walks (its PMA), so
    // reading a PTE there is an access fault (privileged spec, 4.3.2 step 2, "violates a PMA or PMP check").
    if (!ram.contains(pteAddr, 8)) return stopped(rec, "no-memory", stage, level, pteAddr, -1 - ACCESS_FAULT[origAcc]);
    const lo = ram.view.getInt32(pteAddr - ram.base, true);
    const hi = ram.view.getInt32(pteAddr - ram.base + 4, true);
    let step: WalkStep | undefined;
    if (rec) {
      step = { stage: STAGE_NAME[stage], level, index, pteAddr, pte: (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0) };
      if (stage === Stage.VS) step.gpa = tableAddr;
      rec.steps.push(step);
    }
    if ((lo & 1) === 0) return stopped(rec, "invalid", stage, level, pteAddr, pf);
    if ((lo & 6) === 4 || hi >>> 22 !== 0) return stopped(rec, "reserved", stage, level, pteAddr, pf);
    const ppn = (hi & 0x3fffff) * 4194304 + (lo >>> 10);
    if ((lo & 0xa) === 0) {
      if (level === 0) return stopped(rec, "no-leaf", stage, level, pteAddr, pf);
      a = ppn * 4096;
      continue;
    }
    const span = 2 ** (9 * level);
    if (ppn % span !== 0) return stopped(rec, "misaligned", stage, level, pteAddr, pf);
    const ok = stage === Stage.S ? permitted(h, lo & 0xff, acc, mode) : stage === Stage.VS ? vsOk(h, lo & 0xff, acc, mode) : gOk(h, lo & 0xff, acc);
    if (step) {
      step.permits = ok;
      if (ok) step.sets = (0x40 | (acc === Acc.W ? 0x80 : 0)) & ~lo;
    }
    if (!ok) return stopped(rec, "permission", stage, level, pteAddr, pf);
    let flags = lo & 0xff;
    if (!rec) {
      const updated = lo | 0x40 | (acc === Acc.W ? 0x80 : 0);
      if (updated !== lo) {
        // Setting A/D in a VS-level table is an implicit store through the G stage.
        if (twoStage) {
          const w = gTranslate(h, tableAddr, Acc.W, origAcc, true, null);
          if (w < 0) return w;
        }
        ram.view.setInt32(pteAddr - ram.base, updated, true);
        h.bus.noteRamWrite(pteAddr, 4);
        flags = updated & 0xff;
      }
    }
    out.flags = flags;
    out.level = level;
    out.ppn = ppn + (vpn % span);
    return out.ppn * 4096;
  }
}

const STAGE_NAME = ["s", "vs", "g"] as const;

/** Records in a debugger walk why it stopped; returns `result`. */
function stopped(rec: Walk | null, why: WalkStopReason, stage: Stage, level: number, pteAddr: number, result: number): number {
  if (rec) rec.stop = { why, stage: STAGE_NAME[stage], level, pteAddr };
  return result;
}

const ACC_OF: Record<MmuAccess, Acc> = { r: Acc.R, w: Acc.W, x: Acc.X };

/**
 * The debugger's walk: where `va` leads for an access in `mode`, by walking the tables in memory now,
 * recording every PTE read (both stages). It bypasses the TLB, so it shows what the tables say, not
 * what a stale TLB entry might still say (tlbEntries() shows that), and changes nothing.
 */
export function walkForDebugger(h: Hart, vaIn: bigint, access: MmuAccess, mode: number): Walk {
  const acc = ACC_OF[access];
  const va = BigInt.asIntN(64, vaIn);
  const w: Walk = { steps: [] };
  const faultGpa = h.faultGpa, faultTinst = h.faultTinst;
  const fault = (cause: number, why?: WalkStopReason, stage: WalkStop["stage"] = "s"): Walk => {
    w.fault = BigInt(cause);
    if (why) w.stop = { why, stage };
    return w;
  };
  try {
    if (!translating(h, mode)) {
      if (va >= 0n && va < 1n << 53n) w.pa = Number(va);
      else fault(ACCESS_FAULT[acc], "pa-range");
      return w;
    }
    const virt = (mode & VIRT) !== 0;
    const vsOn = virt ? h.vsatpMode === 8 : true;
    if (va < -(1n << 52n) || va >= 1n << 52n) return fault(wildFaultCause(h, mode, acc), "va-range", virt && !vsOn ? "g" : virt ? "vs" : "s");
    const v = Number(va);
    let gpa = v;
    if (vsOn) {
      if (v < -SV39_LIMIT || v >= SV39_LIMIT) return fault(PAGE_FAULT[acc], "va-range", virt ? "vs" : "s");
      const page = walk(h, virt ? Stage.VS : Stage.S, virt ? h.vsatpRoot : h.satpRoot, Math.floor(v / 4096) & 0x7ffffff, acc, acc, mode, w, sLeaf);
      if (page < 0) return fault(-1 - page);
      gpa = page + (v & 4095);
      if (!virt) {
        w.pa = gpa;
        return w;
      }
    }
    w.gpa = gpa;
    if (h.hgatpMode !== 8) {
      w.pa = gpa;
      return w;
    }
    const pa = gTranslate(h, gpa, acc, acc, false, w);
    if (pa < 0) return fault(-1 - pa);
    w.pa = pa;
    return w;
  } finally {
    h.faultGpa = faultGpa;
    h.faultTinst = faultTinst;
  }
}

/** Translation CSRs a debugger walk may assume in place of the hart's own. */
export interface AssumedCsrs {
  satp?: bigint;
  vsatp?: bigint;
  hgatp?: bigint;
  /** vsstatus bits 31:0: its SUM and MXR apply to the VS stage. */
  vsstatus?: number;
}

/**
 * walkForDebugger as if the hart's translation CSRs held `csrs`: the walk the hart will make once
 * software has written them (a hypervisor, at its next entry into a guest). They are written as a
 * CSR write would write them, only where they differ, and the hart's own are put back: nothing the
 * hart holds changes but its software TLB of RAM pages, which refills itself.
 */
export function walkAssuming(h: Hart, csrs: AssumedCsrs, va: bigint, access: MmuAccess, mode: number): Walk {
  const own: AssumedCsrs = { satp: h.satp, vsatp: h.vsatp, hgatp: h.hgatp, vsstatus: h.vsstatus };
  loadCsrs(h, csrs);
  try {
    return walkForDebugger(h, va, access, mode);
  } finally {
    loadCsrs(h, own);
  }
}

function loadCsrs(h: Hart, c: AssumedCsrs): void {
  if (c.satp !== undefined && c.satp !== h.satp) h.writeCsr(0x180, c.satp);
  if (c.vsatp !== undefined && c.vsatp !== h.vsatp) h.vsatp = c.vsatp;
  if (c.hgatp !== undefined && c.hgatp !== h.hgatp) h.hgatp = c.hgatp;
  if (c.vsstatus !== undefined) h.vsstatus = c.vsstatus;
}

/** A two-stage walk of a guest access (V = 1) for the debugger, with the state it applied. */
export interface GuestWalk {
  gva: bigint;
  access: MmuAccess;
  /** The guest privilege it walks at: 1 VS-mode, 0 VU-mode. */
  priv: 0 | 1;
  vsatp: bigint;
  hgatp: bigint;
  /** vsstatus.SUM and vsstatus.MXR (the VS stage), mstatus.MXR (both stages). */
  sum: boolean;
  vsMxr: boolean;
  hsMxr: boolean;
  walk: Walk;
}

/** The walk of a guest access to `gva` from VS- or VU-mode, assuming `csrs` (walkAssuming). */
export function walkGuestAccess(h: Hart, gva: bigint, access: MmuAccess, priv: 0 | 1, csrs: AssumedCsrs = {}): GuestWalk {
  const walk = walkAssuming(h, csrs, gva, access, priv | VIRT);
  const vsstatus = csrs.vsstatus ?? h.vsstatus;
  return {
    gva, access, priv, vsatp: csrs.vsatp ?? h.vsatp, hgatp: csrs.hgatp ?? h.hgatp,
    sum: (vsstatus & MSTATUS_SUM) !== 0, vsMxr: (vsstatus & MSTATUS_MXR) !== 0, hsMxr: (h.mstatus & MSTATUS_MXR) !== 0, walk,
  };
}

/**
 * The debugger's view: where `va` leads for the hart's current mode, or privilege `asPriv` (and V
 * `asVirt`, default the current V), with MPRV applied to data accesses from M; see walkForDebugger.
 */
export function translateForDebugger(h: Hart, vaIn: bigint, access: MmuAccess, asPriv = h.prv, asVirt = h.virt): Translation {
  const w = walkForDebugger(h, vaIn, access, modeFor(h, ACC_OF[access], asPriv, asVirt));
  return w.fault !== undefined ? { fault: w.fault } : { pa: w.pa as number, steps: w.steps };
}

/** The mode a data access runs in: HLV/HSV's, else with MPRV in M-mode the one in MPP/MPV, else the current one. */
export function dataMode(h: Hart): number {
  if (h.hlvMode >= 0) return h.hlvMode;
  return modeFor(h, Acc.R, h.prv, h.virt);
}

/** The mode instruction fetches run in. */
export function fetchMode(h: Hart): number {
  return h.virt ? h.prv | VIRT : h.prv;
}

/** The mode an access of kind `acc` made in privilege `prv` (V = `virt`) runs in. */
function modeFor(h: Hart, acc: Acc, prv: number, virt: boolean): number {
  if (acc !== Acc.X && prv === 3 && (h.mstatus & (1 << 17)) !== 0) {
    const mpp = (h.mstatus >> 11) & 3;
    return mpp !== 3 && h.mpv ? mpp | VIRT : mpp;
  }
  return virt && prv !== 3 ? prv | VIRT : prv;
}

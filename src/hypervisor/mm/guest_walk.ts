import { Exc } from "../../isa/causes";
import { joinHalves } from "../../isa/u64";
import type { Hart } from "../../machine/hart/hart";
import { Acc, permitted } from "../../machine/hart/mmu";
import { PmpAccess } from "../../machine/hart/pmp";

/**
 * The VMM's walk of the guest's own Sv39 table, in guest-physical memory: the same rules as the
 * hart's walker (mmu.ts), applied to the virtual CPU's state (its satp, mstatus SUM/MXR and PMP),
 * so that a fault the guest would see natively is exactly the fault the VMM reflects.
 *
 * With `setAccessed`, it sets A (and D for a store) in the guest PTE as the hardware walker does:
 * the guest-visible A/D bits are emulated here, because the hardware only ever sees the shadow.
 */
export { Acc };

export interface GuestMemory {
  /**
   * Where the 8-byte PTE at guest-physical `gpa` lies in `ramView`, or −1 when it is not guest RAM.
   * The walker reads PTEs as two 32-bit halves: bigint reads and shifts cost more than the rest of
   * a walk, and the VMM walks on every hidden fault and page-table write.
   */
  pteOffset(gpa: number): number;
  readonly ramView: DataView;
  writePte(gpa: number, pte: bigint): void;
}

/** One PTE a walk read: its level, guest-physical address and value (as halves; `pte` joins them). */
export class GuestWalkStep {
  constructor(readonly level: number, readonly pteGpa: number, readonly lo: number, readonly hi: number) {}

  get pte(): bigint {
    return joinHalves(this.lo, this.hi);
  }
}

export type GuestTranslation =
  | {
      ok: true;
      /** Guest-physical address of the access. */
      gpa: number;
      /** The leaf's level (0 = 4 KiB, 1 = 2 MiB, 2 = 1 GiB) and its low 8 flag bits after A/D updates. */
      level: number;
      flags: number;
      steps: GuestWalkStep[];
    }
  | { ok: false; cause: number; steps: GuestWalkStep[] };

/** A walk that succeeded. */
export type GuestTranslated = Extract<GuestTranslation, { ok: true }>;

const PAGE_FAULT = [Exc.loadPageFault, Exc.storePageFault, Exc.fetchPageFault];
const ACCESS_FAULT = [5, 7, 1];
const SV39_LIMIT = 2 ** 38;
/** Pages a leaf maps at each level (2 ** (9 * level), which costs a call of Math.pow per walk). */
const LEVEL_PAGES = [1, 512, 512 * 512];

/** Translates `va` for an access at guest privilege `priv`, with the vCPU's satp being Sv39. */
export function walkGuest(v: Hart, mem: GuestMemory, va: number, acc: Acc, priv: number, setAccessed: boolean): GuestTranslation {
  const steps: GuestWalkStep[] = [];
  if (!(va >= -SV39_LIMIT && va < SV39_LIMIT)) return { ok: false, cause: PAGE_FAULT[acc], steps };
  const vpn = Math.floor(va / 4096) & 0x7ffffff;
  const view = mem.ramView;
  let a = v.satpRoot;
  for (let level = 2; level >= 0; level--) {
    const pteGpa = a + ((vpn >>> (9 * level)) & 511) * 8;
    if (!v.pmp.check(pteGpa, 8, PmpAccess.R, 1)) return { ok: false, cause: ACCESS_FAULT[acc], steps };
    const at = mem.pteOffset(pteGpa);
    // As the hart's walker: a PTE outside RAM is an access fault (mmu.ts).
    if (at < 0) return { ok: false, cause: ACCESS_FAULT[acc], steps };
    const lo = view.getUint32(at, true), hi = view.getUint32(at + 4, true);
    steps.push(new GuestWalkStep(level, pteGpa, lo, hi));
    if ((lo & 1) === 0 || (lo & 6) === 4 || hi >>> 22 !== 0) break;
    const ppn = (lo >>> 10) + (hi & 0x3fffff) * 2 ** 22;
    if ((lo & 0xa) === 0) {
      a = ppn * 4096;
      continue;
    }
    const span = LEVEL_PAGES[level];
    if (ppn % span !== 0 || !permitted(v, lo & 0xff, acc, priv)) break;
    const t: GuestTranslation = { ok: true, gpa: (ppn + (vpn % span)) * 4096 + (va & 4095), level, flags: lo & 0xff, steps };
    if (setAccessed) markAccessed(mem, t, acc);
    return t;
  }
  return { ok: false, cause: PAGE_FAULT[acc], steps };
}

/**
 * Sets A (and D for a store) in the leaf a successful walk found, as the hardware walker does, and
 * updates `t.flags`. Nothing to do when the guest does not translate (level < 0).
 */
export function markAccessed(mem: GuestMemory, t: GuestTranslated, acc: Acc): void {
  if (t.level < 0) return;
  const updated = t.flags | 0x40 | (acc === Acc.W ? 0x80 : 0);
  if (updated === t.flags) return;
  const leaf = t.steps[t.steps.length - 1];
  mem.writePte(leaf.pteGpa, leaf.pte | BigInt(updated));
  t.flags = updated;
}

/** Whether the vCPU's data accesses (or fetches, for X) at `priv` go through the guest's Sv39 table. */
export function guestTranslates(v: Hart, priv: number): boolean {
  return priv !== 3 && v.satpMode === 8;
}

/** The privilege a guest data access runs at: with MPRV in M-mode, MPP's. */
export function guestDataPriv(v: Hart, acc: Acc): number {
  if (acc !== Acc.X && v.prv === 3 && (v.mstatus & (1 << 17)) !== 0) return (v.mstatus >> 11) & 3;
  return v.prv;
}

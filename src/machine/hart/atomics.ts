import { Exc } from "../../isa/causes";
import type { Hart } from "./hart";
import { effectiveAddress, physRead, physWrite, resolve } from "./mem";
import { Acc } from "./mmu";
import { PmpAccess } from "./pmp";
import { raiseException } from "./trap";

/**
 * LR/SC and AMOs (aq/rl accepted and, on one hart, needing nothing more). As in QEMU 7.2:
 *  - misaligned LR raises load-address-misaligned (4), misaligned AMOs and SCs store/AMO-misaligned (6);
 *  - an AMO's faults are store/AMO faults (7, 15), PMP-checked for read and write;
 *  - SC succeeds when its address equals the reserved one and memory still holds the value LR
 *    loaded (QEMU's cmpxchg);
 *  - SC always clears the reservation, and so does every trap entry and xRET.
 * Unlike QEMU 7.2, which fails an SC without a reservation before looking at its address, an SC is
 * always checked as a store, as Spike does (mmu.h, check_load_reservation: misalignment, then
 * translation and PMP for a store, whether or not the reservation holds): "For the purposes of memory
 * protection, a failed SC.W may be treated like a store" (unprivileged spec 20240411, "Zalrsc"), since
 * clarified to "No SC.W instruction shall retire unless it passes memory permission checks, but it is
 * UNSPECIFIED whether any side effects of implicit address translation and protection memory
 * accesses (such as setting a page-table entry D bit) occur on a failed SC.W". Here the walk of a
 * failed SC sets A and D as a store's would. Spike also raises a store access fault for an SC to
 * anything but memory, where its LR faults too; this hart's LR and SC reach devices, so only an
 * address nothing decodes is an access fault. A failed SC writes nothing, so no write watch sees it.
 * Where QEMU 7.2 goes on instead of trapping, test/oracle/lockstep.ts (rule 24) follows it.
 */

const enum Amo { Swap, Add, Xor, And, Or, Min, Max, Minu, Maxu }

const AMO_BY_FUNCT5: Record<number, Amo> = {
  0x01: Amo.Swap, 0x00: Amo.Add, 0x04: Amo.Xor, 0x0c: Amo.And, 0x08: Amo.Or,
  0x10: Amo.Min, 0x14: Amo.Max, 0x18: Amo.Minu, 0x1c: Amo.Maxu,
};

function misaligned(h: Hart, va: number, size: number): boolean {
  const low = va === va ? va & 7 : Number(h.wildAddr & 7n);
  return (low & (size - 1)) !== 0;
}

function tval(h: Hart, va: number): bigint {
  return va === va ? BigInt.asUintN(64, BigInt(va)) : h.wildAddr;
}

function writeRd(h: Hart, rd: number, lo: number, hi: number): void {
  h.x[rd] = lo;
  h.x[rd + 1] = hi;
}

/** lr.w / lr.d; rd and rs1 are register-pair indices (2·n, rd 0 → 64). False after a trap. */
export function loadReserved(h: Hart, rd: number, rs1: number, size: number): boolean {
  const va = effectiveAddress(h, rs1, 0);
  if (misaligned(h, va, size)) {
    raiseException(h, Exc.misalignedLoad, tval(h, va));
    return false;
  }
  const pa = resolve(h, va, size, Acc.R, PmpAccess.R);
  if (pa < 0) return false;
  if (!physRead(h, pa, size)) {
    raiseException(h, Exc.loadAccess, tval(h, va));
    return false;
  }
  if (size === 4) h.vhi = h.vlo >> 31;
  h.resAddr = va;
  h.resPa = pa;
  h.resLo = h.vlo;
  h.resHi = h.vhi;
  h.resSize = size;
  writeRd(h, rd, h.vlo, h.vhi);
  return true;
}

/** sc.w / sc.d. False after a trap. */
export function storeConditional(h: Hart, rd: number, rs1: number, rs2: number, size: number): boolean {
  const va = effectiveAddress(h, rs1, 0);
  const reserved = va === h.resAddr && size === h.resSize;
  h.scHeldReservation = reserved;
  h.resAddr = NaN;
  if (misaligned(h, va, size)) {
    raiseException(h, Exc.misalignedStore, tval(h, va));
    return false;
  }
  // A reserved SC reads memory too (the comparison), so PMP must allow both.
  const pa = resolve(h, va, size, Acc.W, reserved ? PmpAccess.R | PmpAccess.W : PmpAccess.W);
  if (pa < 0) return false;
  if (!reserved) {
    if (!h.bus.ram.contains(pa, size) && h.bus.deviceAt(pa, size) === undefined) {
      raiseException(h, Exc.storeAccess, tval(h, va));
      return false;
    }
    writeRd(h, rd, 1, 0);
    return true;
  }
  if (!physRead(h, pa, size)) {
    raiseException(h, Exc.storeAccess, tval(h, va));
    return false;
  }
  const same = size === 4 ? h.vlo === h.resLo : h.vlo === h.resLo && h.vhi === h.resHi;
  if (same) {
    const lo = h.x[rs2], hi = h.x[rs2 + 1];
    if (!physWrite(h, pa, size, lo, hi)) {
      raiseException(h, Exc.storeAccess, tval(h, va));
      return false;
    }
  }
  writeRd(h, rd, same ? 0 : 1, 0);
  return true;
}

/** amo<op>.w / .d, with funct5 from the encoding. False after a trap. */
export function amo(h: Hart, funct5: number, rd: number, rs1: number, rs2: number, size: number): boolean {
  const op = AMO_BY_FUNCT5[funct5];
  const va = effectiveAddress(h, rs1, 0);
  if (misaligned(h, va, size)) {
    raiseException(h, Exc.misalignedStore, tval(h, va));
    return false;
  }
  const pa = resolve(h, va, size, Acc.W, PmpAccess.R | PmpAccess.W);
  if (pa < 0) return false;
  if (!physRead(h, pa, size)) {
    raiseException(h, Exc.storeAccess, tval(h, va));
    return false;
  }
  let alo = h.vlo, ahi = size === 4 ? h.vlo >> 31 : h.vhi;
  const blo = h.x[rs2], bhi = size === 4 ? h.x[rs2] >> 31 : h.x[rs2 + 1];
  const oldLo = alo, oldHi = ahi;
  switch (op) {
    case Amo.Swap: alo = blo; ahi = bhi; break;
    case Amo.Add: {
      const s = (alo >>> 0) + (blo >>> 0);
      alo = s | 0;
      ahi = (ahi + bhi + (s > 0xffffffff ? 1 : 0)) | 0;
      break;
    }
    case Amo.Xor: alo ^= blo; ahi ^= bhi; break;
    case Amo.And: alo &= blo; ahi &= bhi; break;
    case Amo.Or: alo |= blo; ahi |= bhi; break;
    default: {
      const signed = op === Amo.Min || op === Amo.Max;
      const less = signed
        ? ahi < bhi || (ahi === bhi && alo >>> 0 < blo >>> 0)
        : ahi >>> 0 < bhi >>> 0 || (ahi === bhi && alo >>> 0 < blo >>> 0);
      const takeA = op === Amo.Min || op === Amo.Minu ? less : !less;
      if (!takeA) { alo = blo; ahi = bhi; }
    }
  }
  if (!physWrite(h, pa, size, alo, ahi)) {
    raiseException(h, Exc.storeAccess, tval(h, va));
    return false;
  }
  writeRd(h, rd, oldLo, oldHi);
  return true;
}

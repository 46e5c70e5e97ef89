import { Exc } from "../../isa/causes";
import { decodeInto } from "./decode";
import type { Hart } from "./hart";
import { Acc, type Access, accessFaultCause, dataMode, fetchMode, translate, wildFaultCause } from "./mmu";
import { PmpAccess } from "./pmp";
import { keyOf, noKey } from "./tlb";
import { raiseException } from "./trap";

/**
 * The slow memory path and the caches that let the hot loop skip it.
 *
 * Software TLB (one per access kind, FAST_SIZE direct-mapped slots): a slot maps a virtual page
 * (tag = floor(va / 4096)) to RAM, as `add` with RAM index = va + add. A page gets a slot only when
 * the whole page is RAM, translation and PMP allow the access for the whole page, no watch covers
 * it, and (for writes) it holds no decoded code and its D bit is set. So every store to a page that
 * holds code goes through here, and drops the code if it overlaps the bytes decoded (ramWritten). The architectural TLB drops
 * the slot of every entry it evicts. Everything is
 * flushed when privilege, V, MPRV/MPP/MPV, SUM, MXR, satp, vsatp, hgatp, vsstatus, a fence or PMP
 * change. HLV/HSV never fill it (they run in another mode than the current one).
 *
 * Misaligned loads and stores are performed, not trapped: QEMU 7.2 TCG on `virt` does so (checked
 * with a guest: `lw` at an odd address returns the bytes, no trap). One that crosses a page is split
 * there: each page's part is translated and PMP-checked on its own (resolveParts), both before any
 * byte moves, so a fault on the second page (tval = that part's first address) leaves memory
 * unchanged. Misaligned LR/SC/AMOs trap (atomics.ts).
 */
export const FAST_SIZE = 256;
const EMPTY_KEYS = emptyKeys();

const PMP_OF = [PmpAccess.R, PmpAccess.W, PmpAccess.X, PmpAccess.R | PmpAccess.X];

/** The int32 keys of an empty software TLB (Hart.keyR, keyW). */
export function emptyKeys(): Int32Array {
  return Int32Array.from({ length: FAST_SIZE }, (_, i) => noKey(i, FAST_SIZE));
}

/**
 * Slots filled since the last flush, logged so that a flush clears just those: under a VMM every exit
 * is a trap into M, which flushes, after a run that filled a handful of slots (clearing all 5 × 256
 * was a tenth of xv6's time under binary translation). Entry 0 counts them; past FILL_LOG the log is
 * full and the flush clears everything. A typed array, so that time travel treats it as derived
 * state with the slots themselves (Hart.derivedObjects).
 */
export const FILL_LOG = 32;
const FILL_OVERFLOW = FILL_LOG + 1;

export function flushFast(h: Hart): void {
  h.cpBase = NaN;
  const log = h.fillLog;
  const n = log[0];
  if (n > FILL_LOG) {
    h.tagR.fill(NaN);
    h.tagW.fill(NaN);
    h.keyR.set(EMPTY_KEYS);
    h.keyW.set(EMPTY_KEYS);
    h.tagX.fill(NaN);
  } else {
    for (let k = 1; k <= n; k++) {
      const i = log[k];
      h.tagR[i] = NaN;
      h.tagW[i] = NaN;
      h.tagX[i] = NaN;
      h.keyR[i] = EMPTY_KEYS[i];
      h.keyW[i] = EMPTY_KEYS[i];
    }
  }
  log[0] = 0;
}

/** Makes the next flush clear every slot (their contents are not known: time travel put the state back). */
export function forgetFills(h: Hart): void {
  h.fillLog[0] = FILL_OVERFLOW;
}

/**
 * Drops decoded and translated code for RAM bytes [pa, pa+len) (called for every RAM write outside
 * the hot loop), in every hart on the bus: each keeps its own code caches of the shared RAM. Only a
 * write that overlaps the bytes decoded so far in a page drops its code, so data that shares a page
 * with code (small guests put .bss right after .text) does not.
 */
export function ramWritten(h: Hart, pa: number, len: number): void {
  const ram = h.bus.ram;
  if (ram.contains(pa, len)) ram.noteWritten(pa - ram.base, len);
  for (const peer of h.peers) dropWrittenCode(peer, pa, len);
}

function dropWrittenCode(h: Hart, pa: number, len: number): void {
  const base = h.bus.ram.base;
  const first = Math.floor((pa - base) / 4096), last = Math.floor((pa + len - 1 - base) / 4096);
  for (let p = first; p <= last; p++) {
    if (h.codeBlocks[p] === undefined) continue;
    const from = pa - base - p * 4096, to = from + len;
    if (to <= h.codeLo[p] || from >= h.codeHi[p]) continue;
    dropCode(h, p);
    if (h.cpRam === p * 4096) {
      h.cpBase = NaN;
      h.yieldReq = true;
    }
  }
}

/** Forgets the decoded and translated code of RAM page `p`. */
export function dropCode(h: Hart, p: number): void {
  h.codeBlocks[p] = undefined;
  if (h.regions[p] !== undefined) {
    h.regions[p] = undefined;
    if (h.invalidations[p] < 255) h.invalidations[p]++;
  }
  h.heat[p] = 0;
  h.codeLo[p] = 4096;
  h.codeHi[p] = 0;
}

function noteCode(h: Hart, page: number, off: number, len: number): void {
  if (off < h.codeLo[page]) h.codeLo[page] = off;
  if (off + len > h.codeHi[page]) h.codeHi[page] = off + len;
}

/**
 * The decoded word 0 of the instruction at `off` in RAM page `page` (which has a block), decoding it
 * now if needed; −1 for a 32-bit instruction that crosses into the next page (never cached).
 */
export function decodedWord(h: Hart, page: number, off: number): number {
  const blk = h.codeBlocks[page]!;
  if (blk[off] === 0) {
    const view = h.bus.ram.view, at = page * 4096 + off;
    const low = view.getUint16(at, true);
    if ((low & 3) !== 3) decodeInto(low, 2, blk, off);
    else if (off < 4094) decodeInto(view.getInt32(at, true), 4, blk, off);
    else blk[off] = -1;
    noteCode(h, page, off, blk[off] > 0 ? blk[off] >>> 28 : 2);
  }
  return blk[off];
}

/** The exact address rs1 + imm as a number, or NaN with `h.wildAddr` set when it is beyond ±2^52. */
export function effectiveAddress(h: Hart, rs1: number, imm: number): number {
  const lo = h.x[rs1], hi = h.x[rs1 + 1];
  if (hi >= -0x100000 && hi < 0x100000) return hi * 4294967296 + (lo >>> 0) + imm;
  h.wildAddr = BigInt.asUintN(64, ((BigInt(hi) << 32n) | BigInt(lo >>> 0)) + BigInt(imm));
  return NaN;
}

function tvalOf(h: Hart, va: number): bigint {
  return va === va ? BigInt.asUintN(64, BigInt(va)) : (h.wildAddr as bigint);
}

/**
 * Translates and PMP-checks an access that stays within one page. Returns the physical address, or
 * −1 after raising the fault. `pmpAccess` may differ from `acc` (an AMO is checked for R and W).
 */
export function resolve(h: Hart, va: number, size: number, acc: Access, pmpAccess: number): number {
  const mode = acc === Acc.X ? fetchMode(h) : dataMode(h);
  if (va !== va) {
    raiseException(h, wildFaultCause(h, mode, acc), tvalOf(h, va));
    return -1;
  }
  const pa = translate(h, va, acc, mode);
  if (pa < 0) {
    raiseException(h, -1 - pa, tvalOf(h, va));
    return -1;
  }
  if (!h.pmp.check(pa, size, pmpAccess, mode & 3)) {
    raiseException(h, accessFaultCause(acc), tvalOf(h, va));
    return -1;
  }
  return pa;
}

/** Installs the page of (va → pa) in the software TLB of `acc` when the rules above allow it. */
function fill(h: Hart, va: number, pa: number, acc: Acc): void {
  if (h.hlvMode >= 0) return;
  const ram = h.bus.ram;
  const pagePa = pa - (pa & 4095);
  if (!ram.contains(pagePa, 4096)) return;
  const ramPage = (pagePa - ram.base) / 4096;
  if (h.watchPages.has(ramPage)) return;
  if (acc === Acc.W && holdsCode(h, ramPage)) return;
  const priv = (acc === Acc.X ? fetchMode(h) : dataMode(h)) & 3;
  if ((h.pmp.active || priv !== 3) && !h.pmp.check(pagePa, 4096, PMP_OF[acc], priv)) return;
  const vp = Math.floor(va / 4096);
  const i = vp & (FAST_SIZE - 1);
  const tag = acc === Acc.R ? h.tagR : acc === Acc.W ? h.tagW : h.tagX;
  const add = acc === Acc.R ? h.addR : acc === Acc.W ? h.addW : h.addX;
  // The fast path stores without telling anyone: the page counts as written from now (memory.ts).
  if (acc === Acc.W) ram.written[ramPage] = 1;
  tag[i] = vp;
  add[i] = pa - ram.base - va;
  const log = h.fillLog;
  if (log[0] < FILL_LOG) log[++log[0]] = i;
  else log[0] = FILL_OVERFLOW;
  if (acc !== Acc.X) {
    (acc === Acc.R ? h.pageR : h.pageW)[i] = pagePa - ram.base;
    (acc === Acc.R ? h.keyR : h.keyW)[i] = keyOf(vp, i, FAST_SIZE);
  }
}

/** Whether any hart on the bus has decoded code in RAM page `page`: stores there take the slow path. */
function holdsCode(h: Hart, page: number): boolean {
  for (const peer of h.peers) if (peer.codeBlocks[page] !== undefined) return true;
  return false;
}

function notifyWatches(h: Hart, pa: number, size: number, lo: number, hi: number, write: boolean): void {
  if (watchesAskToStop(h, pa, size, lo, hi, write) && !h.pendingStop) {
    h.pendingStop = { kind: "watchpoint", pc: h.pc, pa, size, write };
    h.yieldReq = true;
  }
}

/** Tells every watch the access concerns; true when one of them asks to stop. */
function watchesAskToStop(h: Hart, pa: number, size: number, lo: number, hi: number, write: boolean): boolean {
  let stop = false;
  for (const w of h.watches) {
    if ((write ? !w.write : !w.read) || pa + size <= w.pa || pa >= w.pa + w.len) continue;
    const value = BigInt.asUintN(size * 8, (BigInt(hi) << 32n) | BigInt(lo >>> 0));
    if (w.onHit(pa, value, size, write)) stop = true;
  }
  return stop;
}

/**
 * A store of `size` (at most 8) bytes that software outside the hart made to RAM at `pa` for the
 * code the hart runs (a VMM emulating a guest's store): the watches see it as they see the hart's
 * own stores, with the value now in RAM. True when one asks to stop; the caller stops its run.
 */
export function storeMadeFor(h: Hart, pa: number, size: number): boolean {
  if (h.watches.length === 0 || !h.bus.ram.contains(pa, size)) return false;
  const o = pa - h.bus.ram.base, v = h.bus.ram.view;
  let lo = 0, hi = 0;
  for (let k = size - 1; k >= 0; k--) {
    if (k >= 4) hi = (hi << 8) | v.getUint8(o + k);
    else lo = (lo << 8) | v.getUint8(o + k);
  }
  return watchesAskToStop(h, pa, size, lo, hi, true);
}

/** Reads `size` bytes at physical `pa` into h.vlo/h.vhi (zero-extended). False if nothing is there. */
export function physRead(h: Hart, pa: number, size: number): boolean {
  const ram = h.bus.ram;
  if (ram.contains(pa, size)) {
    const o = pa - ram.base, v = ram.view;
    h.vhi = 0;
    switch (size) {
      case 1: h.vlo = v.getUint8(o); break;
      case 2: h.vlo = v.getUint16(o, true); break;
      case 4: h.vlo = v.getInt32(o, true); break;
      default: h.vlo = v.getInt32(o, true); h.vhi = v.getInt32(o + 4, true);
    }
  } else {
    const r = h.bus.load(pa, size as 1 | 2 | 4 | 8);
    if (r === undefined) return false;
    h.vlo = Number(BigInt.asIntN(32, r));
    h.vhi = Number(BigInt.asIntN(32, r >> 32n));
    h.yieldReq = true; // a device access may change interrupt lines or halt the board
  }
  if (h.watches.length !== 0) notifyWatches(h, pa, size, h.vlo, h.vhi, false);
  return true;
}

/** Writes the low `size` bytes of (lo, hi) at physical `pa`. False if nothing is there. */
export function physWrite(h: Hart, pa: number, size: number, lo: number, hi: number): boolean {
  const ram = h.bus.ram;
  if (ram.contains(pa, size)) {
    const o = pa - ram.base, v = ram.view;
    switch (size) {
      case 1: v.setUint8(o, lo & 0xff); break;
      case 2: v.setUint16(o, lo & 0xffff, true); break;
      case 4: v.setInt32(o, lo, true); break;
      default: v.setInt32(o, lo, true); v.setInt32(o + 4, hi, true);
    }
    ramWritten(h, pa, size);
  } else {
    if (!h.bus.store(pa, size as 1 | 2 | 4 | 8, (BigInt(hi) << 32n) | BigInt(lo >>> 0))) return false;
    h.yieldReq = true;
  }
  if (h.watches.length !== 0) notifyWatches(h, pa, size, lo, hi, true);
  return true;
}

function signExtend(h: Hart, size: number, signed: boolean): void {
  switch (size) {
    case 1: h.vlo = signed ? (h.vlo << 24) >> 24 : h.vlo & 0xff; h.vhi = h.vlo >> 31; break;
    case 2: h.vlo = signed ? (h.vlo << 16) >> 16 : h.vlo & 0xffff; h.vhi = h.vlo >> 31; break;
    case 4: h.vhi = signed ? h.vlo >> 31 : 0; break;
  }
}

/**
 * Data load of `size` bytes at rs1 + imm into h.vlo/h.vhi, sign- or zero-extended. Returns false
 * after raising a fault. Fills the software TLB for next time. `acc` is RX for HLVX.
 */
export function loadSlow(h: Hart, rs1: number, imm: number, size: number, signed: boolean, acc: Access = Acc.R): boolean {
  const va = effectiveAddress(h, rs1, imm);
  if (va === va && (va & 4095) + size > 4096) return crossLoad(h, va, size, signed, acc);
  const pa = resolve(h, va, size, acc, PMP_OF[acc]);
  if (pa < 0) return false;
  if (!physRead(h, pa, size)) {
    raiseException(h, Exc.loadAccess, tvalOf(h, va));
    return false;
  }
  fill(h, va, pa, Acc.R);
  signExtend(h, size, signed);
  return true;
}

/** Data store of the low `size` bytes of (lo, hi) at rs1 + imm. Returns false after raising a fault. */
export function storeSlow(h: Hart, rs1: number, imm: number, size: number, lo: number, hi: number): boolean {
  const va = effectiveAddress(h, rs1, imm);
  if (va === va && (va & 4095) + size > 4096) return crossStore(h, va, size, lo, hi);
  const pa = resolve(h, va, size, Acc.W, PmpAccess.W);
  if (pa < 0) return false;
  if (!physWrite(h, pa, size, lo, hi)) {
    raiseException(h, Exc.storeAccess, tvalOf(h, va));
    return false;
  }
  fill(h, va, pa, Acc.W);
  return true;
}

const crossPa = new Float64Array(8);

/**
 * Translates and PMP-checks each page's part of a page-crossing access as an access of its own (as
 * Spike does: the spec lets a misaligned access be split, and one PMP entry must match all the bytes of
 * each part), and notes each byte's physical address; false after raising the first part's fault.
 */
function resolveParts(h: Hart, va: number, size: number, acc: Access): boolean {
  const first = 4096 - (va & 4095);
  const pa0 = resolve(h, va, first, acc, PMP_OF[acc]);
  if (pa0 < 0) return false;
  const pa1 = resolve(h, va + first, size - first, acc, PMP_OF[acc]);
  if (pa1 < 0) return false;
  for (let k = 0; k < size; k++) crossPa[k] = k < first ? pa0 + k : pa1 + k - first;
  return true;
}

function crossLoad(h: Hart, va: number, size: number, signed: boolean, acc: Access): boolean {
  if (!resolveParts(h, va, size, acc)) return false;
  let lo = 0, hi = 0;
  for (let k = 0; k < size; k++) {
    if (!physRead(h, crossPa[k], 1)) {
      raiseException(h, Exc.loadAccess, tvalOf(h, va + k));
      return false;
    }
    if (k < 4) lo |= h.vlo << (8 * k);
    else hi |= h.vlo << (8 * (k - 4));
  }
  h.vlo = lo;
  h.vhi = hi;
  signExtend(h, size, signed);
  return true;
}

function crossStore(h: Hart, va: number, size: number, lo: number, hi: number): boolean {
  if (!resolveParts(h, va, size, Acc.W)) return false;
  for (let k = 0; k < size; k++) {
    const byte = k < 4 ? (lo >>> (8 * k)) & 0xff : (hi >>> (8 * (k - 4))) & 0xff;
    if (!physWrite(h, crossPa[k], 1, byte, 0)) {
      raiseException(h, Exc.storeAccess, tvalOf(h, va + k));
      return false;
    }
  }
  return true;
}

/**
 * Makes the page holding `pc` the current code page: sets h.cpBlk, h.cpRam and h.cpOff, and h.cpBase
 * when the whole page may be fetched from without further checks. False after raising a fetch fault.
 */
export function enterCodePage(h: Hart, pc: number): boolean {
  if (pc !== pc) {
    h.wildAddr = h.wildPc as bigint;
  } else {
    const vp = Math.floor(pc / 4096);
    const i = vp & (FAST_SIZE - 1);
    if (h.tagX[i] === vp) {
      setCodePage(h, vp * 4096 + h.addX[i], pc, true);
      return true;
    }
  }
  const pa = resolve(h, pc, 2, Acc.X, PmpAccess.X);
  if (pa < 0) return false;
  const ram = h.bus.ram;
  if (!ram.contains(pa, 2)) {
    raiseException(h, Exc.fetchAccess, BigInt.asUintN(64, BigInt(pc)));
    return false;
  }
  fill(h, pc, pa, Acc.X);
  const vp = Math.floor(pc / 4096);
  setCodePage(h, pa - ram.base - (pc - vp * 4096), pc, h.tagX[vp & (FAST_SIZE - 1)] === vp);
  return true;
}

function setCodePage(h: Hart, ramIndex: number, pc: number, whole: boolean): void {
  const page = ramIndex / 4096;
  let blk = h.codeBlocks[page];
  if (blk === undefined) {
    blk = new Int32Array(4096);
    h.codeBlocks[page] = blk;
    // Stores to this page, by any hart, must now take the slow path, which drops the block.
    for (const peer of h.peers) {
      for (let i = 0; i < FAST_SIZE; i++) {
        if (Math.floor((peer.tagW[i] * 4096 + peer.addW[i]) / 4096) === page) {
          peer.tagW[i] = NaN;
          peer.keyW[i] = noKey(i, FAST_SIZE);
        }
      }
    }
  }
  const vbase = Math.floor(pc / 4096) * 4096;
  h.cpBlk = blk;
  h.cpRam = ramIndex;
  h.cpOff = pc - vbase;
  h.cpBase = whole ? vbase : NaN;
}

const scratch = new Int32Array(2);

/**
 * Decodes the instruction at `pc` (offset `off` in the current code page) into its cache slot, or,
 * for a 32-bit instruction that crosses into the next page, fetches the upper half through that
 * page's translation (never cached). Leaves the decoded pair in h.fw/h.fimm; false after a fault.
 */
export function fillSlot(h: Hart, pc: number, off: number): boolean {
  const blk = h.cpBlk;
  const view = h.bus.ram.view;
  const low = view.getUint16(h.cpRam + off, true);
  if ((low & 3) !== 3) {
    decodeInto(low, 2, blk, off);
    noteCode(h, h.cpRam / 4096, off, 2);
  } else if (off < 4094) {
    decodeInto(view.getInt32(h.cpRam + off, true), 4, blk, off);
    noteCode(h, h.cpRam / 4096, off, 4);
  } else {
    blk[off] = -1;
    noteCode(h, h.cpRam / 4096, off, 2);
    const pa = resolve(h, pc + 2, 2, Acc.X, PmpAccess.X);
    if (pa < 0) return false;
    if (!h.bus.ram.contains(pa, 2)) {
      raiseException(h, Exc.fetchAccess, BigInt.asUintN(64, BigInt(pc + 2)));
      return false;
    }
    decodeInto(low | (view.getUint16(pa - h.bus.ram.base, true) << 16), 4, scratch, 0);
    h.fw = scratch[0];
    h.fimm = scratch[1];
    return true;
  }
  h.fw = blk[off];
  h.fimm = blk[off + 1];
  return true;
}

/**
 * The raw bits of the instruction at h.pcNum (16 or 32 bits) into h.fw, its length into h.fimm.
 * Used by the slow executor, which needs the bits themselves (illegal-instruction tval, CSR fields).
 */
export function fetchRaw(h: Hart): boolean {
  const pc = h.pcNum;
  if (!enterCodePage(h, pc)) return false;
  const view = h.bus.ram.view;
  const low = view.getUint16(h.cpRam + h.cpOff, true);
  if ((low & 3) !== 3) {
    h.fw = low;
    h.fimm = 2;
    return true;
  }
  let high: number;
  if (h.cpOff < 4094) {
    high = view.getUint16(h.cpRam + h.cpOff + 2, true);
  } else {
    const pa = resolve(h, pc + 2, 2, Acc.X, PmpAccess.X);
    if (pa < 0) return false;
    if (!h.bus.ram.contains(pa, 2)) {
      raiseException(h, Exc.fetchAccess, BigInt.asUintN(64, BigInt(pc + 2)));
      return false;
    }
    high = view.getUint16(pa - h.bus.ram.base, true);
  }
  h.fw = low | (high << 16);
  h.fimm = 4;
  return true;
}

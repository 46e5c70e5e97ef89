/**
 * mstatus.FS (and vsstatus.FS when V=1): Off makes every F/D instruction and the fcsr/fflags/frm
 * CSRs illegal; anything that changes floating-point state (an f register, fflags, frm) sets Dirty
 * in both; SD summarizes FS = Dirty (VS and XS are always Off here). Without F, FS is read-only 0.
 */
import { MSTATUS_FS, SSTATUS_WRITABLE } from "../../../isa/csr_bits";
import type { Hart } from "../hart";

const SD = 1n << 63n;

/** Whether FP instructions may execute: FS is not Off (in vsstatus too when V=1). */
export function fpEnabled(h: Hart): boolean {
  return (h.mstatus & MSTATUS_FS) !== 0 && (!h.virt || (h.vsstatus & MSTATUS_FS) !== 0);
}

/** FS = Dirty: the FP state changed. */
export function markFpDirty(h: Hart): void {
  h.mstatus |= MSTATUS_FS;
  if (h.virt) h.vsstatus |= MSTATUS_FS;
}

/** The sstatus (and vsstatus) bits software may write on this hart: FS only with F. */
export function sstatusWritable(h: Hart): number {
  return h.hasF ? SSTATUS_WRITABLE | MSTATUS_FS : SSTATUS_WRITABLE;
}

/** SD for a status register's low word. */
export function sdBit(status: number): bigint {
  return (status & MSTATUS_FS) === MSTATUS_FS ? SD : 0n;
}

/**
 * The Hyperstep paravirtual ABI, version 1: the numbers a PV guest kernel is written against
 * (sample-guests/paravirtual/README.md documents them for its authors). Stable: a number here never
 * changes meaning. Function numbers and error codes are Xen's (xen/include/public/xen.h, errno.h),
 * so the lesson reads beside the Xen paper and its sources.
 *
 * A hypercall is an `ecall` from the guest kernel (host S-mode) with the SBI calling convention:
 * extension id in a7, function in a6, arguments in a0–a5; the error comes back in a0 (0 or a
 * negative errno) and a value in a1. Any other a7 is a standard SBI call (console, timer, reset).
 */

/**
 * The symbol a PV kernel defines to say it is written for this ABI (Xen's kernels carry an ELF note
 * for the same purpose): such a guest runs only under paravirtualization, and only such a guest does.
 */
export const PV_GUEST_SYMBOL = "hyperstep_pv_abi";

/** a7 of a Hyperstep hypercall: in the SBI's firmware-specific range, "PV" in its middle bytes. */
export const PV_EID = 0x0a505600n;

/** a6: the hypercall, numbered as Xen numbers it. */
export const HC = {
  setTrapTable: 0,
  mmuUpdate: 1,
  multicall: 13,
  updateVaMapping: 14,
  setTimerOp: 15,
  consoleIo: 18,
  iret: 23,
  mmuextOp: 26,
  schedOp: 29,
  eventChannelOp: 32,
} as const;
export type Hypercall = (typeof HC)[keyof typeof HC];

export const HYPERCALL_NAMES: Readonly<Record<number, string>> = {
  [HC.setTrapTable]: "set_trap_table",
  [HC.mmuUpdate]: "mmu_update",
  [HC.multicall]: "multicall",
  [HC.updateVaMapping]: "update_va_mapping",
  [HC.setTimerOp]: "set_timer_op",
  [HC.consoleIo]: "console_io",
  [HC.iret]: "iret",
  [HC.mmuextOp]: "mmuext_op",
  [HC.schedOp]: "sched_op",
  [HC.eventChannelOp]: "event_channel_op",
};

/** Errors in a0, negative as Xen's. */
export const PV_ERR = { EPERM: -1, EFAULT: -14, EBUSY: -16, EINVAL: -22, ENOSYS: -38 } as const;
export const PV_ERROR_NAMES: Readonly<Record<number, string>> = { 0: "ok", [-1]: "EPERM", [-14]: "EFAULT", [-16]: "EBUSY", [-22]: "EINVAL", [-38]: "ENOSYS" };

/** mmuext_op commands (Xen's MMUEXT_*; pin takes any level: RISC-V PTEs look alike at every level). */
export const MMUEXT = { pinTable: 0, unpinTable: 4, newBaseptr: 5, tlbFlushAll: 6, invlpg: 7, flushAsid: 8 } as const;
export const MMUEXT_NAMES: Readonly<Record<number, string>> = {
  [MMUEXT.pinTable]: "pin_table", [MMUEXT.unpinTable]: "unpin_table", [MMUEXT.newBaseptr]: "new_baseptr",
  [MMUEXT.tlbFlushAll]: "tlb_flush_all", [MMUEXT.invlpg]: "invlpg", [MMUEXT.flushAsid]: "flush_asid",
};

/** update_va_mapping's flags (a2): what to flush after the write. */
export const UVM_FLUSH = { none: 0, invlpg: 1, all: 2 } as const;

/** sched_op commands (a0). */
export const SCHED = { yield: 0, block: 1, shutdown: 2 } as const;
export const SCHED_NAMES: Readonly<Record<number, string>> = { 0: "yield", 1: "block", 2: "shutdown" };

/** console_io commands (a0): Xen's CONSOLEIO_write and CONSOLEIO_read (the read added in v1, compatibly). */
export const CONSOLEIO_WRITE = 0;
export const CONSOLEIO_READ = 1;
/** The most bytes one console_io moves. */
export const CONSOLEIO_MAX = 4096;

/** event_channel_op commands (a0), and the virtual IRQs bind_virq binds (a1), numbered as Xen's VIRQ_*. */
export const EVTCHN_BIND_VIRQ = 0;
export const VIRQ = { timer: 0, console: 2 } as const;
export const VIRQ_NAMES: Readonly<Record<number, string>> = { [VIRQ.timer]: "timer", [VIRQ.console]: "console" };

/** Sizes of the records the batched calls read from guest memory (little-endian u64 words). */
export const MMU_UPDATE_BYTES = 16; // { ptr: machine address of the PTE, val: the new PTE }
export const MMUEXT_OP_BYTES = 16; // { cmd, arg }
export const MULTICALL_BYTES = 64; // { op, args[6], result }
/** The most requests one batch may carry (a guest cannot keep the VMM busy unboundedly). */
export const MAX_BATCH = 512;

/**
 * The start-info page (Xen's start_info): where the VMM tells the guest what it was given. Its
 * virtual address is in a0 at boot. Words, by byte offset:
 */
export const START_INFO = {
  magic: 0, // "HSPVABI1"
  nrPages: 8, // frames of guest RAM
  firstMfn: 16, // machine frame of pseudo-physical frame 0: mfn = firstMfn + pfn (the p2m)
  sharedInfo: 24, // virtual address of the shared-info page
  ptBase: 32, // machine address of the boot root (the current page-table base)
  ptPoolMfn: 40, // first of the spare page-table frames (pinned, zeroed, mapped read-only)
  ptPoolCount: 48,
  virtBase: 56, // virtual address of pseudo-physical frame 0 (the kernel's linear map)
} as const;
export const START_INFO_MAGIC = 0x3149424156505348n; // "HSPVABI1" little-endian

/** The shared-info page (Xen's shared_info): events and time, read and written by both sides. */
export const SHARED_INFO = {
  pending: 0, // bit p: event port p is pending (the VMM sets it; the guest clears it)
  mask: 8, // bit p: port p is masked (the guest's to set)
  time: 16, // virtual time (mtime) when the VMM last wrote it: at every upcall and set_timer_op
} as const;

/** Spare page-table frames the VMM gives a PV guest at boot. */
export const PT_POOL_FRAMES = 16;

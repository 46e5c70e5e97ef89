/**
 * Trap cause codes (mcause/scause) of the privileged spec 1.12 and the H extension. An interrupt's
 * cause has bit XLEN-1 set; `INTERRUPT_BIT` is that bit for RV64.
 */

export const INTERRUPT_BIT = 1n << 63n;

export interface CauseSpec {
  readonly code: number;
  readonly name: string;
  readonly description: string;
}

export const EXCEPTIONS: readonly CauseSpec[] = [
  { code: 0, name: "misaligned-fetch", description: "Instruction address misaligned" },
  { code: 1, name: "fetch-access", description: "Instruction access fault" },
  { code: 2, name: "illegal-instruction", description: "Illegal instruction" },
  { code: 3, name: "breakpoint", description: "Breakpoint" },
  { code: 4, name: "misaligned-load", description: "Load address misaligned" },
  { code: 5, name: "load-access", description: "Load access fault" },
  { code: 6, name: "misaligned-store", description: "Store/AMO address misaligned" },
  { code: 7, name: "store-access", description: "Store/AMO access fault" },
  { code: 8, name: "ecall-u", description: "Environment call from U-mode" },
  { code: 9, name: "ecall-s", description: "Environment call from S-mode (HS-mode)" },
  { code: 10, name: "ecall-vs", description: "Environment call from VS-mode" },
  { code: 11, name: "ecall-m", description: "Environment call from M-mode" },
  { code: 12, name: "fetch-page-fault", description: "Instruction page fault" },
  { code: 13, name: "load-page-fault", description: "Load page fault" },
  { code: 15, name: "store-page-fault", description: "Store/AMO page fault" },
  { code: 20, name: "fetch-guest-page-fault", description: "Instruction guest-page fault" },
  { code: 21, name: "load-guest-page-fault", description: "Load guest-page fault" },
  { code: 22, name: "virtual-instruction", description: "Virtual instruction" },
  { code: 23, name: "store-guest-page-fault", description: "Store/AMO guest-page fault" },
];

export const INTERRUPTS: readonly CauseSpec[] = [
  { code: 1, name: "ssi", description: "Supervisor software interrupt" },
  { code: 2, name: "vssi", description: "Virtual supervisor software interrupt" },
  { code: 3, name: "msi", description: "Machine software interrupt" },
  { code: 5, name: "sti", description: "Supervisor timer interrupt" },
  { code: 6, name: "vsti", description: "Virtual supervisor timer interrupt" },
  { code: 7, name: "mti", description: "Machine timer interrupt" },
  { code: 9, name: "sei", description: "Supervisor external interrupt" },
  { code: 10, name: "vsei", description: "Virtual supervisor external interrupt" },
  { code: 11, name: "mei", description: "Machine external interrupt" },
  { code: 12, name: "sgei", description: "Supervisor guest external interrupt" },
  { code: 13, name: "lcofi", description: "Local counter overflow interrupt" },
];

/** Exception codes as numbers, for code that raises them. */
export const Exc = {
  misalignedFetch: 0, fetchAccess: 1, illegalInstruction: 2, breakpoint: 3, misalignedLoad: 4,
  loadAccess: 5, misalignedStore: 6, storeAccess: 7, ecallU: 8, ecallS: 9, ecallVS: 10, ecallM: 11,
  fetchPageFault: 12, loadPageFault: 13, storePageFault: 15,
  fetchGuestPageFault: 20, loadGuestPageFault: 21, virtualInstruction: 22, storeGuestPageFault: 23,
} as const;

/** Interrupt numbers, which are also their bit positions in mip/mie. */
export const Irq = { ssi: 1, vssi: 2, msi: 3, sti: 5, vsti: 6, mti: 7, sei: 9, vsei: 10, mei: 11, sgei: 12 } as const;

/**
 * Decreasing priority of simultaneous interrupts destined for the same privilege mode
 * (privileged spec 1.12, 3.1.9): MEI, MSI, MTI, SEI, SSI, STI; with the H extension ("Hypervisor
 * Interrupt Registers") then SGEI, VSEI, VSSI, VSTI.
 */
export const INTERRUPT_PRIORITY: readonly number[] = [11, 3, 7, 9, 1, 5, 12, 10, 2, 6];

/** A readable name for an mcause/scause value, e.g. "load-page-fault" or "interrupt mti". */
export function causeName(cause: bigint): string {
  const isInterrupt = (cause & INTERRUPT_BIT) !== 0n;
  const code = Number(cause & ~INTERRUPT_BIT);
  const table = isInterrupt ? INTERRUPTS : EXCEPTIONS;
  const spec = table.find((s) => s.code === code);
  const name = spec ? spec.name : `cause ${code}`;
  return isInterrupt ? `interrupt ${name}` : name;
}

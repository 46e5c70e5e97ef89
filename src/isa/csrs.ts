/**
 * The standard CSRs of the unprivileged spec (Zicsr counters, F), the privileged spec 1.12 (M, S,
 * PMP, debug/trigger) and the H extension (HS and VS CSRs).
 *
 * A CSR's lowest privilege and its read-only-ness are encoded in its number (bits 9:8 and 11:10);
 * `csrPrivilege` and `csrReadOnly` decode them. Which of these CSRs a hart implements is the hart's
 * business: an unimplemented one raises illegal instruction there.
 */

export interface CsrSpec {
  readonly num: number;
  readonly name: string;
  readonly description: string;
  /** Present only on RV32 (the `…h` high halves and odd pmpcfg registers). */
  readonly rv32Only?: boolean;
  /** Which extension or part of the spec defines it. */
  readonly ext: "Zicsr" | "F" | "S" | "M" | "H" | "PMP" | "Debug";
}

function csr(num: number, name: string, ext: CsrSpec["ext"], description: string, rv32Only = false): CsrSpec {
  return rv32Only ? { num, name, ext, description, rv32Only } : { num, name, ext, description };
}

function range(count: number, first: number, make: (i: number) => CsrSpec): CsrSpec[] {
  return Array.from({ length: count }, (_, k) => make(first + k));
}

export const CSRS: readonly CsrSpec[] = [
  // Unprivileged
  csr(0x001, "fflags", "F", "Floating-point accrued exceptions"),
  csr(0x002, "frm", "F", "Floating-point dynamic rounding mode"),
  csr(0x003, "fcsr", "F", "Floating-point control and status (frm + fflags)"),
  csr(0xc00, "cycle", "Zicsr", "Cycle counter (read-only shadow of mcycle)"),
  csr(0xc01, "time", "Zicsr", "Real-time clock (read-only shadow of the CLINT's mtime)"),
  csr(0xc02, "instret", "Zicsr", "Instructions-retired counter (read-only shadow of minstret)"),
  ...range(29, 3, (n) => csr(0xc00 + n, `hpmcounter${n}`, "Zicsr", `Performance-monitoring counter ${n}`)),
  csr(0xc80, "cycleh", "Zicsr", "Upper 32 bits of cycle", true),
  csr(0xc81, "timeh", "Zicsr", "Upper 32 bits of time", true),
  csr(0xc82, "instreth", "Zicsr", "Upper 32 bits of instret", true),
  ...range(29, 3, (n) => csr(0xc80 + n, `hpmcounter${n}h`, "Zicsr", `Upper 32 bits of hpmcounter${n}`, true)),
  // Supervisor
  csr(0x100, "sstatus", "S", "Supervisor status (a view of mstatus)"),
  csr(0x104, "sie", "S", "Supervisor interrupt enable (a view of mie)"),
  csr(0x105, "stvec", "S", "Supervisor trap vector base address and mode"),
  csr(0x106, "scounteren", "S", "Counters U-mode may read"),
  csr(0x10a, "senvcfg", "S", "Supervisor environment configuration"),
  csr(0x140, "sscratch", "S", "Scratch register for supervisor trap handlers"),
  csr(0x141, "sepc", "S", "Supervisor exception program counter"),
  csr(0x142, "scause", "S", "Supervisor trap cause"),
  csr(0x143, "stval", "S", "Supervisor trap value (bad address or instruction)"),
  csr(0x144, "sip", "S", "Supervisor interrupt pending (a view of mip)"),
  csr(0x180, "satp", "S", "Supervisor address translation and protection (mode, ASID, root PPN)"),
  csr(0x5a8, "scontext", "Debug", "Supervisor-mode context register"),
  // Hypervisor and virtual supervisor
  csr(0x600, "hstatus", "H", "Hypervisor status"),
  csr(0x602, "hedeleg", "H", "Hypervisor exception delegation"),
  csr(0x603, "hideleg", "H", "Hypervisor interrupt delegation"),
  csr(0x604, "hie", "H", "Hypervisor interrupt enable"),
  csr(0x605, "htimedelta", "H", "Delta for VS/VU-mode timer"),
  csr(0x606, "hcounteren", "H", "Counters VS/VU-mode may read"),
  csr(0x607, "hgeie", "H", "Hypervisor guest external interrupt enable"),
  csr(0x60a, "henvcfg", "H", "Hypervisor environment configuration"),
  csr(0x615, "htimedeltah", "H", "Upper 32 bits of htimedelta", true),
  csr(0x61a, "henvcfgh", "H", "Upper 32 bits of henvcfg", true),
  csr(0x643, "htval", "H", "Hypervisor trap value (guest physical address >> 2)"),
  csr(0x644, "hip", "H", "Hypervisor interrupt pending"),
  csr(0x645, "hvip", "H", "Hypervisor virtual interrupt pending"),
  csr(0x64a, "htinst", "H", "Hypervisor trap instruction (transformed)"),
  csr(0x680, "hgatp", "H", "Hypervisor guest address translation and protection (G-stage root)"),
  csr(0x6a8, "hcontext", "Debug", "Hypervisor-mode context register"),
  csr(0xe12, "hgeip", "H", "Hypervisor guest external interrupt pending"),
  csr(0x200, "vsstatus", "H", "Virtual supervisor status"),
  csr(0x204, "vsie", "H", "Virtual supervisor interrupt enable"),
  csr(0x205, "vstvec", "H", "Virtual supervisor trap vector"),
  csr(0x240, "vsscratch", "H", "Virtual supervisor scratch"),
  csr(0x241, "vsepc", "H", "Virtual supervisor exception program counter"),
  csr(0x242, "vscause", "H", "Virtual supervisor trap cause"),
  csr(0x243, "vstval", "H", "Virtual supervisor trap value"),
  csr(0x244, "vsip", "H", "Virtual supervisor interrupt pending"),
  csr(0x280, "vsatp", "H", "Virtual supervisor address translation and protection"),
  // Machine information
  csr(0xf11, "mvendorid", "M", "Vendor ID"),
  csr(0xf12, "marchid", "M", "Architecture ID"),
  csr(0xf13, "mimpid", "M", "Implementation ID"),
  csr(0xf14, "mhartid", "M", "Hardware thread ID"),
  csr(0xf15, "mconfigptr", "M", "Pointer to the configuration data structure"),
  // Machine trap setup and handling
  csr(0x300, "mstatus", "M", "Machine status"),
  csr(0x301, "misa", "M", "ISA and extensions"),
  csr(0x302, "medeleg", "M", "Machine exception delegation to S-mode"),
  csr(0x303, "mideleg", "M", "Machine interrupt delegation to S-mode"),
  csr(0x304, "mie", "M", "Machine interrupt enable"),
  csr(0x305, "mtvec", "M", "Machine trap vector base address and mode"),
  csr(0x306, "mcounteren", "M", "Counters S-mode may read"),
  csr(0x310, "mstatush", "M", "Upper 32 bits of mstatus", true),
  csr(0x340, "mscratch", "M", "Scratch register for machine trap handlers"),
  csr(0x341, "mepc", "M", "Machine exception program counter"),
  csr(0x342, "mcause", "M", "Machine trap cause"),
  csr(0x343, "mtval", "M", "Machine trap value (bad address or instruction)"),
  csr(0x344, "mip", "M", "Machine interrupt pending"),
  csr(0x34a, "mtinst", "H", "Machine trap instruction (transformed)"),
  csr(0x34b, "mtval2", "H", "Machine second trap value (guest physical address >> 2)"),
  csr(0x30a, "menvcfg", "M", "Machine environment configuration"),
  csr(0x31a, "menvcfgh", "M", "Upper 32 bits of menvcfg", true),
  csr(0x747, "mseccfg", "M", "Machine security configuration"),
  csr(0x757, "mseccfgh", "M", "Upper 32 bits of mseccfg", true),
  // Memory protection
  ...range(16, 0, (n) => csr(0x3a0 + n, `pmpcfg${n}`, "PMP", `PMP configuration of entries ${n * 4}–${n * 4 + 3}`, n % 2 === 1)),
  ...range(64, 0, (n) => csr(0x3b0 + n, `pmpaddr${n}`, "PMP", `PMP address register ${n}`)),
  // Machine counters
  csr(0xb00, "mcycle", "M", "Machine cycle counter"),
  csr(0xb02, "minstret", "M", "Machine instructions-retired counter"),
  ...range(29, 3, (n) => csr(0xb00 + n, `mhpmcounter${n}`, "M", `Machine performance-monitoring counter ${n}`)),
  csr(0xb80, "mcycleh", "M", "Upper 32 bits of mcycle", true),
  csr(0xb82, "minstreth", "M", "Upper 32 bits of minstret", true),
  ...range(29, 3, (n) => csr(0xb80 + n, `mhpmcounter${n}h`, "M", `Upper 32 bits of mhpmcounter${n}`, true)),
  csr(0x320, "mcountinhibit", "M", "Machine counter-inhibit"),
  ...range(29, 3, (n) => csr(0x320 + n, `mhpmevent${n}`, "M", `Machine performance-monitoring event selector ${n}`)),
  // Debug and trigger
  csr(0x7a0, "tselect", "Debug", "Debug/trace trigger register select"),
  csr(0x7a1, "tdata1", "Debug", "First debug/trace trigger data register"),
  csr(0x7a2, "tdata2", "Debug", "Second debug/trace trigger data register"),
  csr(0x7a3, "tdata3", "Debug", "Third debug/trace trigger data register"),
  csr(0x7a8, "mcontext", "Debug", "Machine-mode context register"),
  csr(0x7b0, "dcsr", "Debug", "Debug control and status"),
  csr(0x7b1, "dpc", "Debug", "Debug program counter"),
  csr(0x7b2, "dscratch0", "Debug", "Debug scratch register 0"),
  csr(0x7b3, "dscratch1", "Debug", "Debug scratch register 1"),
];

const byNum = new Map<number, CsrSpec>(CSRS.map((s) => [s.num, s]));
const byName = new Map<string, CsrSpec>(CSRS.map((s) => [s.name, s]));

export function csrByNumber(num: number): CsrSpec | undefined {
  return byNum.get(num);
}

export function csrByName(name: string): CsrSpec | undefined {
  return byName.get(name);
}

/** Lowest privilege that may access the CSR: 0 = U, 1 = S, 2 = HS/VS (hypervisor), 3 = M. */
export function csrPrivilege(num: number): 0 | 1 | 2 | 3 {
  return ((num >> 8) & 3) as 0 | 1 | 2 | 3;
}

/** True when the CSR number lies in a read-only range (bits 11:10 = 3): writing it is illegal. */
export function csrReadOnly(num: number): boolean {
  return ((num >> 10) & 3) === 3;
}

/** Well-known CSR numbers used by code (the hart, the CLI), named to read better than literals. */
export const CSR = {
  sstatus: 0x100, sie: 0x104, stvec: 0x105, scounteren: 0x106, senvcfg: 0x10a, sscratch: 0x140,
  sepc: 0x141, scause: 0x142, stval: 0x143, sip: 0x144, satp: 0x180,
  mstatus: 0x300, misa: 0x301, medeleg: 0x302, mideleg: 0x303, mie: 0x304, mtvec: 0x305,
  mcounteren: 0x306, menvcfg: 0x30a, mcountinhibit: 0x320, mscratch: 0x340, mepc: 0x341, mcause: 0x342,
  mtval: 0x343, mip: 0x344, pmpcfg0: 0x3a0, pmpaddr0: 0x3b0, mcycle: 0xb00, minstret: 0xb02,
  cycle: 0xc00, time: 0xc01, instret: 0xc02, mtinst: 0x34a, mtval2: 0x34b,
  hstatus: 0x600, hedeleg: 0x602, hideleg: 0x603, hie: 0x604, htimedelta: 0x605, hcounteren: 0x606,
  hgeie: 0x607, henvcfg: 0x60a, htval: 0x643, hip: 0x644, hvip: 0x645, htinst: 0x64a, hgatp: 0x680,
  hgeip: 0xe12, vsstatus: 0x200, vsie: 0x204, vstvec: 0x205, vsscratch: 0x240, vsepc: 0x241,
  vscause: 0x242, vstval: 0x243, vsip: 0x244, vsatp: 0x280,
  mvendorid: 0xf11, marchid: 0xf12, mimpid: 0xf13, mhartid: 0xf14, mconfigptr: 0xf15,
} as const;

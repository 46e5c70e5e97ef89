/**
 * The standard CSRs of the unprivileged spec (Zicsr counters, F), the privileged spec 1.12 (M, S,
 * PMP, debug/trigger) and the H extension (HS and VS CSRs), followed by the CSRs that GNU as and
 * objdump 2.40 name but whose extensions Hyperstep does not model (marked `nameOnly`): the assembler
 * and disassembler know them, the debugger and the editor do not.
 *
 * A CSR's lowest privilege and its read-only-ness are encoded in its number (bits 9:8 and 11:10);
 * `csrPrivilege` and `csrReadOnly` decode them. Which of these CSRs a hart implements is the hart's
 * business: an unimplemented one raises illegal instruction there. Bit-field layouts are in
 * csr_fields.ts.
 */

/** Privileged-spec versions whose CSR names differ; objdump picks one by an ELF's Tag_RISCV_priv_spec. */
export type PrivSpecVersion = "1.11" | "1.12";

export interface CsrSpec {
  readonly num: number;
  readonly name: string;
  readonly description: string;
  /** Present only on RV32 (the `…h` high halves and odd pmpcfg registers). */
  readonly rv32Only?: boolean;
  /** Which extension or part of the spec defines it. */
  readonly ext: "Zicsr" | "F" | "S" | "M" | "H" | "PMP" | "Debug" | "V" | "AIA" | "Smstateen" | "Sstc" | "Sscofpmf" | "Zkr" | "N";
  /** Defined from privileged spec 1.12 on: under 1.11 the number has no name. */
  readonly since?: "1.12";
  /** Defined only up to privileged spec 1.11 (the N extension, dropped in 1.12). */
  readonly until?: "1.11";
  /**
   * Its extension is one Hyperstep does not model (vector, AIA, state enable, ...), or it left the
   * spec. It is here only so that the disassembler names it as objdump does: `CSRS` leaves it out,
   * so the assembler, the debugger and the editor do not offer it, and no hart implements it.
   */
  readonly nameOnly?: true;
}

function csr(num: number, name: string, ext: CsrSpec["ext"], description: string, rv32Only = false): CsrSpec {
  return rv32Only ? { num, name, ext, description, rv32Only } : { num, name, ext, description };
}

function range(count: number, first: number, make: (i: number) => CsrSpec): CsrSpec[] {
  return Array.from({ length: count }, (_, k) => make(first + k));
}

/** objdump names these only in files that record privileged spec 1.12 (or no version). */
const from112 = (spec: CsrSpec): CsrSpec => ({ ...spec, since: "1.12" });
const upTo111 = (spec: CsrSpec): CsrSpec => ({ ...spec, until: "1.11" });

/**
 * CSRs that objdump 2.40 names (read off objdump itself: `csrrs a0,N,zero` for all 4096 N under both
 * privileged-spec versions), from extensions Hyperstep does not model, plus the RV32 high halves of
 * those, and the N extension's CSRs that privileged spec 1.11 still had.
 */
const NAME_ONLY_CSRS: readonly CsrSpec[] = [
  // Vector
  csr(0x008, "vstart", "V", "Vector start element index"),
  csr(0x009, "vxsat", "V", "Vector fixed-point saturation flag"),
  csr(0x00a, "vxrm", "V", "Vector fixed-point rounding mode"),
  csr(0x00f, "vcsr", "V", "Vector control and status (vxrm + vxsat)"),
  csr(0xc20, "vl", "V", "Vector length"),
  csr(0xc21, "vtype", "V", "Vector data type"),
  csr(0xc22, "vlenb", "V", "Vector register length in bytes"),
  // Entropy source
  csr(0x015, "seed", "Zkr", "Entropy source"),
  // State enable
  ...range(4, 0, (n) => csr(0x10c + n, `sstateen${n}`, "Smstateen", `Supervisor state enable ${n}`)),
  ...range(4, 0, (n) => csr(0x30c + n, `mstateen${n}`, "Smstateen", `Machine state enable ${n}`)),
  ...range(4, 0, (n) => csr(0x31c + n, `mstateen${n}h`, "Smstateen", `Upper 32 bits of mstateen${n}`, true)),
  ...range(4, 0, (n) => csr(0x60c + n, `hstateen${n}`, "Smstateen", `Hypervisor state enable ${n}`)),
  ...range(4, 0, (n) => csr(0x61c + n, `hstateen${n}h`, "Smstateen", `Upper 32 bits of hstateen${n}`, true)),
  // Supervisor timer compare
  csr(0x14d, "stimecmp", "Sstc", "Supervisor timer compare"),
  csr(0x15d, "stimecmph", "Sstc", "Upper 32 bits of stimecmp", true),
  csr(0x24d, "vstimecmp", "Sstc", "Virtual supervisor timer compare"),
  csr(0x25d, "vstimecmph", "Sstc", "Upper 32 bits of vstimecmp", true),
  // Advanced interrupt architecture
  csr(0x114, "sieh", "AIA", "Upper 32 bits of sie", true),
  csr(0x150, "siselect", "AIA", "Supervisor indirect register select"),
  csr(0x151, "sireg", "AIA", "Supervisor indirect register alias"),
  csr(0x154, "siph", "AIA", "Upper 32 bits of sip", true),
  csr(0x15c, "stopei", "AIA", "Supervisor top external interrupt"),
  csr(0x214, "vsieh", "AIA", "Upper 32 bits of vsie", true),
  csr(0x250, "vsiselect", "AIA", "Virtual supervisor indirect register select"),
  csr(0x251, "vsireg", "AIA", "Virtual supervisor indirect register alias"),
  csr(0x254, "vsiph", "AIA", "Upper 32 bits of vsip", true),
  csr(0x25c, "vstopei", "AIA", "Virtual supervisor top external interrupt"),
  csr(0x308, "mvien", "AIA", "Machine virtual interrupt enables"),
  csr(0x309, "mvip", "AIA", "Machine virtual interrupt-pending bits"),
  csr(0x313, "midelegh", "AIA", "Upper 32 bits of mideleg", true),
  csr(0x314, "mieh", "AIA", "Upper 32 bits of mie", true),
  csr(0x318, "mvienh", "AIA", "Upper 32 bits of mvien", true),
  csr(0x319, "mviph", "AIA", "Upper 32 bits of mvip", true),
  csr(0x350, "miselect", "AIA", "Machine indirect register select"),
  csr(0x351, "mireg", "AIA", "Machine indirect register alias"),
  csr(0x354, "miph", "AIA", "Upper 32 bits of mip", true),
  csr(0x35c, "mtopei", "AIA", "Machine top external interrupt"),
  csr(0x608, "hvien", "AIA", "Hypervisor virtual interrupt enables"),
  csr(0x609, "hvictl", "AIA", "Hypervisor virtual interrupt control"),
  csr(0x613, "hidelegh", "AIA", "Upper 32 bits of hideleg", true),
  csr(0x618, "hvienh", "AIA", "Upper 32 bits of hvien", true),
  csr(0x646, "hviprio1", "AIA", "Hypervisor VS-level interrupt priorities 1"),
  csr(0x647, "hviprio2", "AIA", "Hypervisor VS-level interrupt priorities 2"),
  csr(0x655, "hviph", "AIA", "Upper 32 bits of hvip", true),
  csr(0x656, "hviprio1h", "AIA", "Upper 32 bits of hviprio1", true),
  csr(0x657, "hviprio2h", "AIA", "Upper 32 bits of hviprio2", true),
  csr(0xdb0, "stopi", "AIA", "Supervisor top interrupt"),
  csr(0xeb0, "vstopi", "AIA", "Virtual supervisor top interrupt"),
  csr(0xfb0, "mtopi", "AIA", "Machine top interrupt"),
  // Counter overflow
  ...range(29, 3, (n) => csr(0x720 + n, `mhpmevent${n}h`, "Sscofpmf", `Upper 32 bits of mhpmevent${n}`, true)),
  csr(0xda0, "scountovf", "Sscofpmf", "Counter overflow bits (read-only)"),
  // Debug and trigger, beyond those above
  csr(0x7a4, "tinfo", "Debug", "Trigger information"),
  csr(0x7a5, "tcontrol", "Debug", "Trigger control"),
  csr(0x7aa, "mscontext", "Debug", "Supervisor context register at its older debug-spec address"),
  // User-level interrupts (N extension) and their delegation, gone from privileged spec 1.12
  ...[
    csr(0x000, "ustatus", "N", "User status"),
    csr(0x004, "uie", "N", "User interrupt enable"),
    csr(0x005, "utvec", "N", "User trap vector base address and mode"),
    csr(0x040, "uscratch", "N", "Scratch register for user trap handlers"),
    csr(0x041, "uepc", "N", "User exception program counter"),
    csr(0x042, "ucause", "N", "User trap cause"),
    csr(0x043, "utval", "N", "User trap value"),
    csr(0x044, "uip", "N", "User interrupt pending"),
    csr(0x102, "sedeleg", "N", "Supervisor exception delegation to U-mode"),
    csr(0x103, "sideleg", "N", "Supervisor interrupt delegation to U-mode"),
  ].map(upTo111),
];

/** Every CSR the table knows, the name-only ones last. */
export const CSR_TABLE: readonly CsrSpec[] = [
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
  from112(csr(0x10a, "senvcfg", "S", "Supervisor environment configuration")),
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
  from112(csr(0xf15, "mconfigptr", "M", "Pointer to the configuration data structure")),
  // Machine trap setup and handling
  csr(0x300, "mstatus", "M", "Machine status"),
  csr(0x301, "misa", "M", "ISA and extensions"),
  csr(0x302, "medeleg", "M", "Machine exception delegation to S-mode"),
  csr(0x303, "mideleg", "M", "Machine interrupt delegation to S-mode"),
  csr(0x304, "mie", "M", "Machine interrupt enable"),
  csr(0x305, "mtvec", "M", "Machine trap vector base address and mode"),
  csr(0x306, "mcounteren", "M", "Counters S-mode may read"),
  from112(csr(0x310, "mstatush", "M", "Upper 32 bits of mstatus", true)),
  csr(0x340, "mscratch", "M", "Scratch register for machine trap handlers"),
  csr(0x341, "mepc", "M", "Machine exception program counter"),
  csr(0x342, "mcause", "M", "Machine trap cause"),
  csr(0x343, "mtval", "M", "Machine trap value (bad address or instruction)"),
  csr(0x344, "mip", "M", "Machine interrupt pending"),
  from112(csr(0x34a, "mtinst", "H", "Machine trap instruction (transformed)")),
  from112(csr(0x34b, "mtval2", "H", "Machine second trap value (guest physical address >> 2)")),
  from112(csr(0x30a, "menvcfg", "M", "Machine environment configuration")),
  from112(csr(0x31a, "menvcfgh", "M", "Upper 32 bits of menvcfg", true)),
  from112(csr(0x747, "mseccfg", "M", "Machine security configuration")),
  from112(csr(0x757, "mseccfgh", "M", "Upper 32 bits of mseccfg", true)),
  // Memory protection
  // PMP: 1.11 had 4 pmpcfg and 16 pmpaddr registers, 1.12 has 16 and 64.
  ...range(16, 0, (n) => {
    const spec = csr(0x3a0 + n, `pmpcfg${n}`, "PMP", `PMP configuration of entries ${n * 4}–${n * 4 + 3}`, n % 2 === 1);
    return n < 4 ? spec : from112(spec);
  }),
  ...range(64, 0, (n) => {
    const spec = csr(0x3b0 + n, `pmpaddr${n}`, "PMP", `PMP address register ${n}`);
    return n < 16 ? spec : from112(spec);
  }),
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
  ...NAME_ONLY_CSRS.map((spec): CsrSpec => ({ ...spec, nameOnly: true })),
];

/** The CSRs of the specs Hyperstep follows: those the assembler, the debugger and the editor know. */
export const CSRS: readonly CsrSpec[] = CSR_TABLE.filter((s) => !s.nameOnly);

const byNum = new Map<number, CsrSpec>(CSRS.map((s) => [s.num, s]));
const byName = new Map<string, CsrSpec>(CSRS.map((s) => [s.name, s]));
const namesUnder: Record<PrivSpecVersion, Map<number, string>> = {
  "1.11": new Map(CSR_TABLE.filter((s) => s.since === undefined).map((s) => [s.num, s.name])),
  "1.12": new Map(CSR_TABLE.filter((s) => s.until === undefined).map((s) => [s.num, s.name])),
};

export function csrByNumber(num: number): CsrSpec | undefined {
  return byNum.get(num);
}

export function csrByName(name: string): CsrSpec | undefined {
  return byName.get(name);
}

const byAnyName = new Map<string, CsrSpec>(CSR_TABLE.map((s) => [s.name, s]));

/** A CSR by any name GNU as accepts, those of extensions Hyperstep does not model included: the assembler's view. */
export function csrByAnyName(name: string): CsrSpec | undefined {
  return byAnyName.get(name);
}

/** The name a CSR number has under a privileged-spec version, name-only CSRs included (as objdump names it). */
export function csrNameUnder(num: number, privSpec: PrivSpecVersion): string | undefined {
  return namesUnder[privSpec].get(num);
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
  fflags: 0x001, frm: 0x002, fcsr: 0x003,
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

import { EXCEPTIONS, INTERRUPTS } from "./causes";

/**
 * Bit fields of the CSRs that have a layout worth decoding (privileged spec 1.12 and its H
 * extension), by CSR name, and how a field's value reads. The debugger decodes CSR values with them.
 * WARL choices are the hart's: a field listed here may read as a constant on a given hart.
 */
export interface CsrField {
  name: string;
  lsb: number;
  width: number;
  /** Names of the field's values, by value (e.g. privilege modes for MPP). */
  values?: Readonly<Record<number, string>>;
  description: string;
  /** Shown in one-line summaries even when zero (a privilege or a mode, where 0 means something). */
  always?: boolean;
  /** Never shown in one-line summaries (constant or unused state such as XLEN and VS). */
  quiet?: boolean;
  /** The field exists only on a hart with the H extension (elsewhere the bits are read-only zero). */
  h?: boolean;
}

const PRIV_NAMES: Record<number, string> = { 0: "U", 1: "S", 3: "M" };
const XLEN_NAMES: Record<number, string> = { 1: "32", 2: "64", 3: "128" };
const EXT_STATE: Record<number, string> = { 0: "Off", 1: "Initial", 2: "Clean", 3: "Dirty" };
const TVEC_MODE: Record<number, string> = { 0: "Direct", 1: "Vectored" };
const SATP_MODE: Record<number, string> = { 0: "Bare", 8: "Sv39", 9: "Sv48", 10: "Sv57" };
const HGATP_MODE: Record<number, string> = { 0: "Bare", 8: "Sv39x4", 9: "Sv48x4", 10: "Sv57x4" };
const PMP_A: Record<number, string> = { 0: "OFF", 1: "TOR", 2: "NA4", 3: "NAPOT" };

const ALWAYS = new Set(["SPP", "MPP", "MODE", "FRM"]);
const QUIET = new Set(["UXL", "SXL", "MXL", "VSXL", "VS", "XS"]);

const f = (name: string, lsb: number, width: number, description: string, values?: Record<number, string>): CsrField => ({
  name, lsb, width, description,
  ...(values ? { values } : {}),
  ...(ALWAYS.has(name) ? { always: true } : {}),
  ...(QUIET.has(name) ? { quiet: true } : {}),
});

/** Fields that the H extension adds to a CSR that exists without it. */
const hOnly = (fields: CsrField[]): CsrField[] => fields.map((x) => ({ ...x, h: true }));
const byBit = (fields: CsrField[]): CsrField[] => fields.sort((a, b) => a.lsb - b.lsb);

const SSTATUS: CsrField[] = [
  f("SIE", 1, 1, "S-mode interrupts enabled"),
  f("SPIE", 5, 1, "SIE before the last trap into S-mode"),
  f("UBE", 6, 1, "U-mode data accesses are big-endian"),
  f("SPP", 8, 1, "Privilege before the last trap into S-mode", { 0: "U", 1: "S" }),
  f("VS", 9, 2, "Vector unit state", EXT_STATE),
  f("FS", 13, 2, "Floating-point unit state", EXT_STATE),
  f("XS", 15, 2, "Other extensions' state", EXT_STATE),
  f("SUM", 18, 1, "S-mode may access U-mode pages"),
  f("MXR", 19, 1, "Loads from executable-only pages succeed"),
  f("UXL", 32, 2, "U-mode XLEN", XLEN_NAMES),
  f("SD", 63, 1, "Some extension state is dirty"),
];

const MSTATUS: CsrField[] = byBit([
  ...SSTATUS.filter((x) => x.lsb < 32),
  f("MIE", 3, 1, "M-mode interrupts enabled"),
  f("MPIE", 7, 1, "MIE before the last trap into M-mode"),
  f("MPP", 11, 2, "Privilege before the last trap into M-mode", PRIV_NAMES),
  f("MPRV", 17, 1, "Loads and stores use the privilege in MPP"),
  f("TVM", 20, 1, "Trap S-mode satp accesses and sfence.vma"),
  f("TW", 21, 1, "Trap wfi below M-mode"),
  f("TSR", 22, 1, "Trap sret in S-mode"),
  f("UXL", 32, 2, "U-mode XLEN", XLEN_NAMES),
  f("SXL", 34, 2, "S-mode XLEN", XLEN_NAMES),
  f("SBE", 36, 1, "S-mode data accesses are big-endian"),
  f("MBE", 37, 1, "M-mode data accesses are big-endian"),
  ...hOnly([
    f("GVA", 38, 1, "The last trap into M-mode wrote a guest virtual address to mtval"),
    f("MPV", 39, 1, "The last trap into M-mode came from a guest (V was 1)"),
  ]),
  f("SD", 63, 1, "Some extension state is dirty"),
]);

/** The hypervisor's view of its guest ("Hypervisor Status Register"). */
const HSTATUS: CsrField[] = [
  f("VSBE", 5, 1, "VS-mode data accesses are big-endian"),
  f("GVA", 6, 1, "The last trap into HS-mode wrote a guest virtual address to stval"),
  f("SPV", 7, 1, "The last trap into HS-mode came from a guest (V was 1)"),
  f("SPVP", 8, 1, "Guest privilege before the last trap into HS-mode; hlv/hsv access with it", { 0: "VU", 1: "VS" }),
  f("HU", 9, 1, "U-mode may use hlv, hlvx and hsv"),
  f("VGEIN", 12, 6, "Guest external interrupt source for VS-level external interrupts"),
  f("VTVM", 20, 1, "Trap VS-mode satp accesses and sfence.vma (virtual instruction)"),
  f("VTW", 21, 1, "Trap wfi in VS-mode (virtual instruction)"),
  f("VTSR", 22, 1, "Trap sret in VS-mode (virtual instruction)"),
  f("VSXL", 32, 2, "VS-mode XLEN", XLEN_NAMES),
];

function interruptBits(codes: readonly number[], prefix = ""): CsrField[] {
  return INTERRUPTS.filter((i) => codes.includes(i.code)).map((i) => f(i.name.toUpperCase(), i.code, 1, prefix + i.description));
}

const M_INTERRUPTS = [1, 3, 5, 7, 9, 11];
const S_INTERRUPTS = [1, 5, 9];
/** VSSI, VSTI, VSEI: the bits hideleg and hvip have ("Hypervisor Interrupt Registers"). */
const VS_INTERRUPTS = [2, 6, 10];
/** hip and hie add SGEI, the guest external interrupt at HS-level. */
const H_INTERRUPTS = [...VS_INTERRUPTS, 12];

/** mip and mie with the H extension: the VS-level interrupts and SGEI as well. */
const M_INTERRUPT_BITS = byBit([...interruptBits(M_INTERRUPTS), ...hOnly(interruptBits(H_INTERRUPTS))]);
/** With the H extension mideleg's VS-level bits are read-only ones: those interrupts always go to HS-mode or below. */
const MIDELEG = byBit([...interruptBits(S_INTERRUPTS, "Delegate: "), ...hOnly(interruptBits(VS_INTERRUPTS, "Delegated (read-only 1): "))]);

const CAUSE: CsrField[] = [
  f("Code", 0, 63, "Exception code or interrupt number"),
  f("Interrupt", 63, 1, "The trap was an interrupt"),
];
const CAUSE_CSRS = new Set(["mcause", "scause", "vscause"]);

const TVEC: CsrField[] = [f("MODE", 0, 2, "Vector mode", TVEC_MODE), f("BASE", 2, 62, "Trap vector base address, in 4-byte units")];

const SATP: CsrField[] = [
  f("PPN", 0, 44, "Physical page number of the root page table"),
  f("ASID", 44, 16, "Address-space identifier"),
  f("MODE", 60, 4, "Translation mode", SATP_MODE),
];

const HGATP: CsrField[] = [
  f("PPN", 0, 44, "Physical page number of the G-stage root table (16 KiB, so PPN[1:0] = 0)"),
  f("VMID", 44, 14, "Virtual-machine identifier"),
  f("MODE", 60, 4, "G-stage translation mode", HGATP_MODE),
];

const COUNTEREN: CsrField[] = [f("CY", 0, 1, "cycle readable"), f("TM", 1, 1, "time readable"), f("IR", 2, 1, "instret readable")];

/** fflags: the accrued IEEE 754 exception flags. */
const FFLAGS: CsrField[] = [
  f("NX", 0, 1, "Inexact"), f("UF", 1, 1, "Underflow"), f("OF", 2, 1, "Overflow"), f("DZ", 3, 1, "Divide by zero"),
  f("NV", 4, 1, "Invalid operation"),
];
const ROUNDING_NAMES = { 0: "RNE", 1: "RTZ", 2: "RDN", 3: "RUP", 4: "RMM", 5: "reserved", 6: "reserved", 7: "reserved" };
const FRM: CsrField[] = [f("FRM", 0, 3, "Dynamic rounding mode (what rm = dyn uses)", ROUNDING_NAMES)];
const FCSR: CsrField[] = [...FFLAGS, { ...FRM[0]!, lsb: 5 }];

const MISA: CsrField[] = [
  ...Array.from({ length: 26 }, (_, i) => f(String.fromCharCode(65 + i), i, 1, `Extension ${String.fromCharCode(65 + i)}`)),
  f("MXL", 62, 2, "Machine XLEN", XLEN_NAMES),
];

const delegatedExceptions = (codes: (code: number) => boolean, prefix: string): CsrField[] =>
  EXCEPTIONS.filter((e) => codes(e.code)).map((e) => f(e.name, e.code, 1, prefix + e.description));

/** The guest ecall, the guest-page faults and the virtual-instruction exception exist only with the H extension. */
const H_CAUSES = [10, 20, 21, 22, 23];
const DELEG_EXCEPTIONS = byBit([
  ...delegatedExceptions((code) => code < 16 && !H_CAUSES.includes(code), "Delegate: "),
  ...hOnly(delegatedExceptions((code) => H_CAUSES.includes(code), "Delegate: ")),
]);
/** hedeleg: the ecalls from HS-, VS- and M-mode and the guest-page faults cannot go to VS-mode. */
const HEDELEG = delegatedExceptions((code) => code < 16 && ![9, 10, 11].includes(code), "Delegate to VS-mode: ");

function pmpcfg(): CsrField[] {
  const out: CsrField[] = [];
  for (let e = 0; e < 8; e++) {
    const b = e * 8;
    out.push(f(`pmp${e}R`, b, 1, `Entry ${e} permits reads`), f(`pmp${e}W`, b + 1, 1, `Entry ${e} permits writes`),
      f(`pmp${e}X`, b + 2, 1, `Entry ${e} permits execution`), f(`pmp${e}A`, b + 3, 2, `Entry ${e} address matching`, PMP_A),
      f(`pmp${e}L`, b + 7, 1, `Entry ${e} locked`));
  }
  return out;
}

/** Decoded layouts by CSR name. The VS CSRs have the layouts of the S CSRs they stand in for. */
export const CSR_FIELDS: ReadonlyMap<string, readonly CsrField[]> = new Map<string, readonly CsrField[]>([
  ["mstatus", MSTATUS],
  ["sstatus", SSTATUS],
  ["misa", MISA],
  ["fflags", FFLAGS],
  ["frm", FRM],
  ["fcsr", FCSR],
  ["mie", M_INTERRUPT_BITS],
  ["mip", M_INTERRUPT_BITS],
  ["sie", interruptBits(S_INTERRUPTS)],
  ["sip", interruptBits(S_INTERRUPTS)],
  ["medeleg", DELEG_EXCEPTIONS],
  ["mideleg", MIDELEG],
  ["mcause", CAUSE],
  ["scause", CAUSE],
  ["mtvec", TVEC],
  ["stvec", TVEC],
  ["satp", SATP],
  ["mcounteren", COUNTEREN],
  ["scounteren", COUNTEREN],
  ["pmpcfg0", pmpcfg()],
  ["pmpcfg2", pmpcfg()],
  ["hstatus", HSTATUS],
  ["hedeleg", HEDELEG],
  ["hideleg", interruptBits(VS_INTERRUPTS, "Delegate to VS-mode: ")],
  ["hvip", interruptBits(VS_INTERRUPTS)],
  ["hip", interruptBits(H_INTERRUPTS)],
  ["hie", interruptBits(H_INTERRUPTS)],
  ["hgatp", HGATP],
  ["hcounteren", COUNTEREN],
  ["vsstatus", SSTATUS],
  ["vsie", interruptBits(S_INTERRUPTS)],
  ["vsip", interruptBits(S_INTERRUPTS)],
  ["vstvec", TVEC],
  ["vscause", CAUSE],
  ["vsatp", SATP],
]);

export function fieldValue(value: bigint, field: CsrField): bigint {
  return (value >> BigInt(field.lsb)) & ((1n << BigInt(field.width)) - 1n);
}

export function withField(value: bigint, field: CsrField, v: bigint): bigint {
  const mask = ((1n << BigInt(field.width)) - 1n) << BigInt(field.lsb);
  return (value & ~mask) | ((v << BigInt(field.lsb)) & mask);
}

/** A field's value as the user reads it: `S (1)` for named values, the cause name for a cause code. */
export function formatField(csr: string, field: CsrField, value: bigint): string {
  const v = fieldValue(value, field);
  const named = field.values?.[Number(v)];
  if (named !== undefined) return `${named} (${v})`;
  if (field.name === "Code" && CAUSE_CSRS.has(csr)) {
    const table = fieldValue(value, CAUSE[1]) === 1n ? INTERRUPTS : EXCEPTIONS;
    const spec = table.find((s) => BigInt(s.code) === v);
    return spec ? `${spec.name} (${v})` : `${v}`;
  }
  if (field.name === "BASE") return "0x" + (v << 2n).toString(16);
  if (field.name === "PPN") return `0x${v.toString(16)} (table at 0x${(v << 12n).toString(16)})`;
  return field.width > 4 ? "0x" + v.toString(16) : v.toString();
}

/** A one-line summary of the set fields: `MPP=M MPIE SIE`. */
export function summarize(csr: string, value: bigint): string {
  const fields = CSR_FIELDS.get(csr);
  if (!fields) return "";
  const parts: string[] = [];
  for (const field of fields) {
    const v = fieldValue(value, field);
    if (field.quiet) continue;
    if (field.width === 1 && !field.values) {
      if (v !== 0n) parts.push(field.name);
    } else if (v !== 0n || field.always) {
      parts.push(`${field.name}=${formatField(csr, field, value).replace(/ \(\d+\)$/, "")}`);
    }
  }
  return parts.join(" ");
}

/** Parses a field value typed by the user: a number, or one of the field's value names. */
export function parseFieldValue(field: CsrField, text: string): bigint | undefined {
  const t = text.trim();
  if (field.values) {
    for (const [k, name] of Object.entries(field.values)) if (name.toLowerCase() === t.toLowerCase()) return BigInt(k);
  }
  return undefined;
}

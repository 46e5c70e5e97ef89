import { EXCEPTIONS, INTERRUPTS } from "../isa/causes";

/**
 * Bit fields of the CSRs the debugger decodes (privileged spec 1.12). These layouts belong in the
 * ISA table (src/isa/csrs.ts) beside the CSR numbers; they live here until that table grows them.
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
  /** Never shown in one-line summaries (constant or unused state such as XLEN and FS). */
  quiet?: boolean;
}

const PRIV_NAMES: Record<number, string> = { 0: "U", 1: "S", 3: "M" };
const XLEN_NAMES: Record<number, string> = { 1: "32", 2: "64", 3: "128" };
const EXT_STATE: Record<number, string> = { 0: "Off", 1: "Initial", 2: "Clean", 3: "Dirty" };
const TVEC_MODE: Record<number, string> = { 0: "Direct", 1: "Vectored" };
const SATP_MODE: Record<number, string> = { 0: "Bare", 8: "Sv39", 9: "Sv48", 10: "Sv57" };
const PMP_A: Record<number, string> = { 0: "OFF", 1: "TOR", 2: "NA4", 3: "NAPOT" };

const ALWAYS = new Set(["SPP", "MPP", "MODE"]);
const QUIET = new Set(["UXL", "SXL", "MXL", "VS", "FS", "XS", "SD"]);

const f = (name: string, lsb: number, width: number, description: string, values?: Record<number, string>): CsrField => ({
  name, lsb, width, description,
  ...(values ? { values } : {}),
  ...(ALWAYS.has(name) ? { always: true } : {}),
  ...(QUIET.has(name) ? { quiet: true } : {}),
});

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

const MSTATUS: CsrField[] = [
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
  f("SD", 63, 1, "Some extension state is dirty"),
].sort((a, b) => a.lsb - b.lsb);

function interruptBits(levels: "m" | "s"): CsrField[] {
  const wanted = levels === "m" ? [1, 3, 5, 7, 9, 11] : [1, 5, 9];
  return INTERRUPTS.filter((i) => wanted.includes(i.code)).map((i) => f(i.name.toUpperCase(), i.code, 1, i.description));
}

const CAUSE: CsrField[] = [
  f("Code", 0, 63, "Exception code or interrupt number"),
  f("Interrupt", 63, 1, "The trap was an interrupt"),
];

const TVEC: CsrField[] = [f("MODE", 0, 2, "Vector mode", TVEC_MODE), f("BASE", 2, 62, "Trap vector base address, in 4-byte units")];

const SATP: CsrField[] = [
  f("PPN", 0, 44, "Physical page number of the root page table"),
  f("ASID", 44, 16, "Address-space identifier"),
  f("MODE", 60, 4, "Translation mode", SATP_MODE),
];

const COUNTEREN: CsrField[] = [f("CY", 0, 1, "cycle readable"), f("TM", 1, 1, "time readable"), f("IR", 2, 1, "instret readable")];

const MISA: CsrField[] = [
  ...Array.from({ length: 26 }, (_, i) => f(String.fromCharCode(65 + i), i, 1, `Extension ${String.fromCharCode(65 + i)}`)),
  f("MXL", 62, 2, "Machine XLEN", XLEN_NAMES),
];

const DELEG_EXCEPTIONS: CsrField[] = EXCEPTIONS.filter((e) => e.code < 16).map((e) => f(e.name, e.code, 1, `Delegate: ${e.description}`));
const DELEG_INTERRUPTS: CsrField[] = INTERRUPTS.filter((i) => [1, 5, 9].includes(i.code)).map((i) => f(i.name.toUpperCase(), i.code, 1, `Delegate: ${i.description}`));

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

/** Decoded layouts by CSR name. */
export const CSR_FIELDS: ReadonlyMap<string, readonly CsrField[]> = new Map<string, readonly CsrField[]>([
  ["mstatus", MSTATUS],
  ["sstatus", SSTATUS],
  ["misa", MISA],
  ["mie", interruptBits("m")],
  ["mip", interruptBits("m")],
  ["sie", interruptBits("s")],
  ["sip", interruptBits("s")],
  ["medeleg", DELEG_EXCEPTIONS],
  ["mideleg", DELEG_INTERRUPTS],
  ["mcause", CAUSE],
  ["scause", CAUSE],
  ["mtvec", TVEC],
  ["stvec", TVEC],
  ["satp", SATP],
  ["mcounteren", COUNTEREN],
  ["scounteren", COUNTEREN],
  ["pmpcfg0", pmpcfg()],
  ["pmpcfg2", pmpcfg()],
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
  if (field.name === "Code" && (csr === "mcause" || csr === "scause")) {
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

import { techniqueEntry, type Technique } from "./techniques";

/**
 * The `cpu` option (launch attribute and `--cpu`), in QEMU's `-cpu` syntax: a model, then
 * comma-separated `property=value` pairs. Hyperstep's hart is QEMU's `rv64` trimmed to what it
 * implements (RV64IMAFDC, M/S/U, Sv39), and the properties it models are `h` (the H extension, off by
 * default) and `f`/`d` (single- and double-precision floating point, on by default as in QEMU):
 * `rv64`, `rv64,h=true`, or `rv64,f=false,d=false` for a hart without floating point (RV64IMAC).
 * Parsed once here, for the launch configuration, the CLI and createTarget alike, so that the three
 * can never disagree.
 */
export interface CpuModel {
  readonly model: "rv64";
  /** The hart has the H extension: HS/VS/VU modes, the H and VS CSRs, two-stage translation. */
  readonly h: boolean;
  /** The F and D extensions (f registers, fcsr, mstatus.FS). D needs F. */
  readonly f: boolean;
  readonly d: boolean;
}

export const DEFAULT_CPU = "rv64";
export const CPU_RV64: CpuModel = { model: "rv64", h: false, f: true, d: true };

/** How `cpu` is wrong: `reason` reads after the option's name ("cpu: unknown property 'x'; …"). */
export class CpuError extends Error {
  override readonly name = "CpuError";
  constructor(readonly reason: string) {
    super(`cpu: ${reason}`);
  }
}

/** What QEMU 7.2 accepts for a boolean property (qapi_bool_parse, case-sensitive). */
const TRUE = ["true", "on", "yes", "y"];
const FALSE = ["false", "off", "no", "n"];

const PROPERTIES = ["h", "f", "d"] as const;
type Property = (typeof PROPERTIES)[number];

const PROPERTIES_HINT = `Hyperstep's rv64 has the properties h (the H extension), f and d (floating point), as in "rv64,h=true" or "rv64,f=false,d=false"`;

/** Parses `rv64[,h=…][,f=…][,d=…]`; QEMU's rules: a later setting overrides an earlier one, empty items are skipped. */
export function parseCpu(text: string): CpuModel | CpuError {
  const [model, ...items] = text.split(",");
  if (model !== "rv64") return new CpuError(`unknown model '${model}'; Hyperstep's hart is rv64 (RV64IMAFDC), with the H extension as "rv64,h=true"`);
  const cpu: Record<Property, boolean> = { h: CPU_RV64.h, f: CPU_RV64.f, d: CPU_RV64.d };
  for (const item of items.filter((i) => i !== "")) {
    const eq = item.indexOf("=");
    const property = eq < 0 ? item : item.slice(0, eq);
    if (!(PROPERTIES as readonly string[]).includes(property)) return new CpuError(`unknown property '${property}'; ${PROPERTIES_HINT}`);
    const value = eq < 0 ? undefined : item.slice(eq + 1);
    if (value !== undefined && TRUE.includes(value)) cpu[property as Property] = true;
    else if (value !== undefined && FALSE.includes(value)) cpu[property as Property] = false;
    else return new CpuError(`'${property}' must be true or false (QEMU also accepts on/off, yes/no, y/n), not ${value === undefined ? "missing" : `'${value}'`}`);
  }
  // QEMU 7.2 refuses the same combination: "D extension requires F extension".
  if (cpu.d && !cpu.f) return new CpuError(`d=true needs f=true (the D extension requires F): turn both off with "rv64,f=false,d=false"`);
  return { model, ...cpu };
}

/** The canonical spelling: `rv64`, then each property that differs from the default (h, f, d). */
export function formatCpu(cpu: CpuModel): string {
  return [cpu.model, ...PROPERTIES.filter((p) => cpu[p] !== CPU_RV64[p]).map((p) => `${p}=${cpu[p]}`)].join(",");
}

/**
 * Whether this CPU goes with the technique. Under a VMM the CPU the guest sees is the VMM's vCPU,
 * which has no H extension (running a hypervisor as a guest is nested virtualization, not modelled
 * yet): `h=true` is for the bare board. F and D go with every technique.
 */
export function checkCpuTechnique(cpu: CpuModel, technique: Technique): CpuError | undefined {
  if (!cpu.h || techniqueEntry(technique).runs === "bare") return undefined;
  return new CpuError(`h=true (the H extension) needs technique "native": under "${technique}" the guest runs on the VMM's vCPU, which has no H extension (a hypervisor inside a VM is nested virtualization, not available yet)`);
}

import { techniqueEntry, type Technique } from "./techniques";

/**
 * The `cpu` option (launch attribute and `--cpu`), in QEMU's `-cpu` syntax: a model, then
 * comma-separated `property=value` pairs. Hyperstep's hart is QEMU's `rv64` trimmed to what it
 * implements (RV64IMAC, M/S/U, Sv39), and the one property it models is `h`, the H extension:
 * `rv64` (the default, no H, as today) or `rv64,h=true`. Parsed once here, for the launch
 * configuration, the CLI and createTarget alike, so that the three can never disagree.
 */
export interface CpuModel {
  readonly model: "rv64";
  /** The hart has the H extension: HS/VS/VU modes, the H and VS CSRs, two-stage translation. */
  readonly h: boolean;
}

export const DEFAULT_CPU = "rv64";
export const CPU_RV64: CpuModel = { model: "rv64", h: false };

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

const PROPERTIES_HINT = `Hyperstep's rv64 has one property, h (the H extension), as in "rv64,h=true"`;

/** Parses `rv64[,h=true|false]`; QEMU's rules: a later `h` overrides an earlier one, empty items are skipped. */
export function parseCpu(text: string): CpuModel | CpuError {
  const [model, ...items] = text.split(",");
  if (model !== "rv64") return new CpuError(`unknown model '${model}'; Hyperstep's hart is rv64 (RV64IMAC), with the H extension as "rv64,h=true"`);
  let h = false;
  for (const item of items.filter((i) => i !== "")) {
    const eq = item.indexOf("=");
    const property = eq < 0 ? item : item.slice(0, eq);
    if (property !== "h") return new CpuError(`unknown property '${property}'; ${PROPERTIES_HINT}`);
    const value = eq < 0 ? undefined : item.slice(eq + 1);
    if (value !== undefined && TRUE.includes(value)) h = true;
    else if (value !== undefined && FALSE.includes(value)) h = false;
    else return new CpuError(`'h' must be true or false (QEMU also accepts on/off, yes/no, y/n), not ${value === undefined ? "missing" : `'${value}'`}`);
  }
  return { model, h };
}

/** The canonical spelling: `rv64` or `rv64,h=true`. */
export function formatCpu(cpu: CpuModel): string {
  return cpu.h ? `${cpu.model},h=true` : cpu.model;
}

/**
 * Whether this CPU goes with the technique. Under a VMM the CPU the guest sees is the VMM's vCPU,
 * which has no H extension (running a hypervisor as a guest is nested virtualization, not modelled
 * yet): `h=true` is for the bare board.
 */
export function checkCpuTechnique(cpu: CpuModel, technique: Technique): CpuError | undefined {
  if (!cpu.h || techniqueEntry(technique).runs === "bare") return undefined;
  return new CpuError(`h=true (the H extension) needs technique "native": under "${technique}" the guest runs on the VMM's vCPU, which has no H extension (a hypervisor inside a VM is nested virtualization, not available yet)`);
}

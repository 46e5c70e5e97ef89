import { largestGuestRam } from "../hypervisor/host_memory";
import { BINARY_TRANSLATION } from "../hypervisor/techniques/binary_translation";
import { HARDWARE_ASSISTED } from "../hypervisor/techniques/hardware_assisted";
import { PARAVIRTUAL } from "../hypervisor/techniques/paravirtual";
import { MAX_MEMORY_BYTES } from "../machine/memory_size";
import { vcpusProblem, type GuestBoot } from "../hypervisor/vm";
import type { TechniqueSpec } from "../hypervisor/techniques/technique";
import { TRAP_AND_EMULATE } from "../hypervisor/techniques/trap_and_emulate";

/**
 * The virtualization techniques a user can name, once: launch validation, the CLI's arguments and
 * help, and package.json's `technique` enum (checked by test/unit/package) all read this list. How
 * each runs is its strategy class in src/hypervisor/techniques/; `native` runs the bare board, and
 * a technique without a strategy is accepted by the schema but not built yet.
 *
 * Adding a technique: its strategy file in src/hypervisor/techniques/ exporting a TechniqueSpec, one
 * line here, and its lesson in sample-guests/.
 */
export interface TechniqueEntry {
  readonly id: string;
  readonly description: string;
  /** How the VMM runs it; "bare" for native (no VMM); undefined while it is not built. */
  readonly runs: TechniqueSpec | "bare" | undefined;
}

export const TECHNIQUES = [
  { id: "native", description: "No VMM: the guest runs on the bare simulated machine (the baseline).", runs: "bare" },
  { id: "trap-and-emulate", description: TRAP_AND_EMULATE.description, runs: TRAP_AND_EMULATE },
  { id: "hardware-assisted", description: HARDWARE_ASSISTED.description, runs: HARDWARE_ASSISTED },
  { id: "binary-translation", description: BINARY_TRANSLATION.description, runs: BINARY_TRANSLATION },
  { id: "paravirtual", description: PARAVIRTUAL.description, runs: PARAVIRTUAL },
] as const satisfies readonly TechniqueEntry[];

export type Technique = (typeof TECHNIQUES)[number]["id"];

export const TECHNIQUE_IDS: readonly Technique[] = TECHNIQUES.map((t) => t.id);

/** The techniques that run today, in the order the user meets them. */
export const AVAILABLE_TECHNIQUES: readonly Technique[] = TECHNIQUES.filter((t) => t.runs !== undefined).map((t) => t.id);

/** The VMM techniques: every available one but native. */
export const VMM_TECHNIQUES: readonly Technique[] = TECHNIQUES.filter((t) => typeof t.runs === "object").map((t) => t.id);
/** The techniques that accept the Popek–Goldberg option (their sensitive instructions run deprivileged). */
export const NON_TRAPPING_TECHNIQUES: readonly Technique[] = TECHNIQUES.filter((t) => typeof t.runs === "object" && t.runs.nonTrappingSensitive).map((t) => t.id);

export function techniqueEntry(id: Technique): TechniqueEntry {
  return TECHNIQUES.find((t) => t.id === id)!;
}

/** The most guest RAM `id` can give: the board's 4 GiB natively, less the VMM's own memory under a VMM. */
export function largestMemory(id: Technique): number {
  const runs = techniqueEntry(id).runs;
  return typeof runs === "object" ? largestGuestRam(runs) : MAX_MEMORY_BYTES;
}

/**
 * The techniques that run any guest: native and the VMMs that keep equivalence. Not those that run
 * only kernels written for them (paravirtualization).
 */
export const EQUIVALENT_TECHNIQUES: readonly Technique[] = AVAILABLE_TECHNIQUES.filter((t) => {
  const runs = techniqueEntry(t).runs;
  return typeof runs !== "object" || runs.guestSymbol === undefined;
});

/**
 * Why `technique` cannot give the guest `smp` harts (a VMM's vCPUs) when it boots `boot`; undefined
 * when it can. Natively the board has them; under a VMM the technique must run several vCPUs.
 */
export function smpProblem(technique: Technique, smp: number, boot: GuestBoot = "machine"): string | undefined {
  const runs = techniqueEntry(technique).runs;
  if (smp <= 1 || typeof runs !== "object") return undefined;
  return vcpusProblem(runs, runs.boot ?? boot);
}

/** Whether `id` names a technique (of the list, available or not). */
export function isTechnique(id: string): id is Technique {
  return (TECHNIQUE_IDS as readonly string[]).includes(id);
}

/** A launch option that does not go with a technique: which option, and why. */
export interface TechniqueOptionError {
  option: "technique" | "boot" | "nonTrappingSensitive";
  message: string;
}

/**
 * Checks a technique and the options that depend on it, for the launch configuration, the CLI and
 * createTarget alike: the technique must exist and run today, `boot: "supervisor"` needs a VMM (the
 * SBI firmware), and the Popek–Goldberg option needs a technique that deprivileges every sensitive
 * instruction.
 */
export function checkTechnique(technique: string, opts: { boot?: string; nonTrappingSensitive?: readonly string[] } = {}): TechniqueOptionError | undefined {
  if (!isTechnique(technique)) return { option: "technique", message: `must be one of ${TECHNIQUE_IDS.join(", ")}; got "${technique}"` };
  const runs = techniqueEntry(technique).runs;
  if (runs === undefined) {
    return { option: "technique", message: `"${technique}" is not yet available in this version; use one of ${AVAILABLE_TECHNIQUES.join(", ")}` };
  }
  if (opts.boot === "supervisor" && runs === "bare") {
    return { option: "boot", message: `"supervisor" (the guest boots in S-mode) needs firmware (an SBI), which only a VMM provides: use one of the techniques ${VMM_TECHNIQUES.join(", ")}` };
  }
  if ((opts.nonTrappingSensitive?.length ?? 0) > 0 && !NON_TRAPPING_TECHNIQUES.includes(technique)) {
    const fit = NON_TRAPPING_TECHNIQUES.map((t) => `"${t}"`).join(" or ");
    return { option: "nonTrappingSensitive", message: `only applies under technique ${fit} (the sensitive instructions must run deprivileged); technique is "${technique}"` };
  }
  return undefined;
}

import { hostTripCycles, SEED_COSTS } from "../hypervisor/cost_model";
import type { RunCost } from "./technique_comparison";
import type { VmStats } from "./vmm_view";

/** The hosting line of `stats` and `run --exits`: what the host OS's share cost, or would cost a hosted VMM. */
export function hostingText(s: VmStats): string {
  const cycles = hostTripCycles(s.costs, s.hostTrips);
  return s.hosting === "hosted"
    ? `hosted VMM (type 2): ${s.hostTrips} exits went to the host OS and back, ${cycles} of the cycles above`
    : `native VMM (type 1): as a hosted one, its ${s.hostTrips} device exits would cost ${cycles} cycles more (--hosting hosted)`;
}

/** The vCPUs line of `stats` and `run --exits`, with several vCPUs: each one's share, and the scheduler's switches. */
export function vcpusText(s: VmStats): string[] {
  const v = s.vcpus;
  if (!v) return [];
  const each = v.each.map((c, n) => `vCPU ${n} ${c.instructions} instructions, ${c.exits} exits (${c.exitCycles} cycles)`);
  return [`${v.each.length} vCPUs on one host hart, ${v.quantum} steps each in turn, ${v.switches} switches: ${each.join("; ")}`];
}

/** A run's modelled cycles had a hosted VMM, at the seed costs, run it (`compare --hosting`, whose runs are native). */
export function hostedCycles(run: RunCost): number {
  return run.modelledCycles + hostTripCycles(SEED_COSTS, run.hostTrips);
}

/** What the hosted VMM pays for each trip to the host OS, for the reader. */
export const HOST_TRIP_CYCLES = hostTripCycles(SEED_COSTS, 1);

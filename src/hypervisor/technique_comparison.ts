import type { Target, Technique } from "./target";

/**
 * `stats`' comparison: the loaded guest run again from its start on a fresh machine under another
 * technique, up to the instruction count the debugged VM has reached, so that the exits and modelled
 * cycles of the techniques can be set side by side for the same stretch of the same guest.
 *
 * The runs are silent (their UART output goes nowhere) and get no console input, and they start from
 * the program as loaded: changes made in the debugger are not in them.
 */

/** Creates the loaded guest afresh under a technique; a string says why it cannot run there. */
export type FreshGuest = (technique: Technique) => Target | string;

export interface ReasonCount {
  reason: string;
  count: number;
  cycles: number;
}

/** One technique's run (or the debugged VM itself) up to the compared instruction count. */
export interface TechniqueRun {
  technique: Technique;
  /** This row is the VM being debugged, not a fresh run. */
  current: boolean;
  instructions: bigint;
  /** How the run ended before reaching the count, when it did ("halted with exit code 0", …). */
  endedEarly?: string;
  byReason: ReasonCount[];
  exits: number;
  exitCycles: number;
  /** instructions + exitCycles (cost_model.ts: one cycle per guest instruction). */
  modelledCycles: number;
}

export interface TechniqueComparison {
  /** The instruction count every run was taken to. */
  instructions: bigint;
  /** The debugged VM had retired more than `cap`: the fresh runs stopped at the cap. */
  capped: boolean;
  runs: TechniqueRun[];
  /** Techniques with no run, and why (e.g. no native run for a guest that boots in S-mode). */
  unavailable: { technique: Technique; why: string }[];
}

/**
 * Bounds on each fresh run: sample guests need far less, and a long session must not stall the
 * console. Exit-heavy guests run far slower than 20 M instructions per second, hence the wall-clock
 * limit as well.
 */
export const COMPARISON_CAP = 20_000_000;
export const COMPARISON_SECONDS = 3;
const SLICE = 100_000;

/** The counts of a target as it stands: its instructions and its exits by reason (none without a VMM). */
export function measureRun(target: Target, current: boolean, endedEarly?: string): TechniqueRun {
  const byReason = (target.exitLog?.()?.stats ?? []).filter((s) => s.count > 0).map((s) => ({ reason: s.reason, count: s.count, cycles: s.cycles }));
  const exits = byReason.reduce((n, s) => n + s.count, 0);
  const exitCycles = byReason.reduce((n, s) => n + s.cycles, 0);
  const run: TechniqueRun = { technique: target.technique, current, instructions: target.instret, byReason, exits, exitCycles, modelledCycles: Number(target.instret) + exitCycles };
  if (endedEarly) run.endedEarly = endedEarly;
  return run;
}

/** Runs `target` until it has retired `goal` instructions, stops on its own before, or runs out of time. */
export function runUpTo(target: Target, goal: bigint, seconds = COMPARISON_SECONDS): TechniqueRun {
  const deadline = Date.now() + seconds * 1000;
  // Budgets count trap entries too, so a slice never retires past the goal.
  while (target.instret < goal) {
    if (Date.now() > deadline) return measureRun(target, false, `ran out of time (the comparison's limit is ${seconds} s of wall time per run)`);
    const stop = target.run(Number(goal - target.instret < BigInt(SLICE) ? goal - target.instret : BigInt(SLICE)));
    if (stop.kind === "budget" || target.instret >= goal) continue;
    const why = stop.kind === "halt" ? `halted with exit code ${stop.code}` : stop.kind === "idle" ? "asleep in WFI (comparison runs get no console input)" : `stopped (${stop.kind})`;
    return measureRun(target, false, why);
  }
  return measureRun(target, false);
}

/**
 * The debugged target against fresh runs of `others`, all up to its instruction count (at most
 * `cap`). The debugged target is measured as it is, not run.
 */
export function compareTechniques(current: Target, others: readonly Technique[], fresh: FreshGuest, cap = COMPARISON_CAP): TechniqueComparison {
  const capped = current.instret > BigInt(cap);
  const goal = capped ? BigInt(cap) : current.instret;
  const runs = [measureRun(current, true)];
  const unavailable: TechniqueComparison["unavailable"] = [];
  for (const technique of others) {
    const target = fresh(technique);
    if (typeof target === "string") unavailable.push({ technique, why: target });
    else runs.push(runUpTo(target, goal));
  }
  return { instructions: goal, capped, runs, unavailable };
}

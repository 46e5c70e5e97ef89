import type { ByteSink, ByteSource } from "../machine/device";
import type { Target, TargetStop } from "./target";
import type { Technique } from "./techniques";
import type { TcStats } from "../hypervisor/techniques/tc_view";
import type { FpuSwitchStats } from "../hypervisor/fpu_switch";

/**
 * Comparing techniques: the same guest run from its start under several techniques, and what each
 * costs. One implementation for every place that compares: `hyperstep compare` (every technique to
 * the guest's end), `hyperstep run --exits` (the run against a native one of the same length), the
 * debug console's `stats` and the VM Exits view (the debugged VM against fresh runs up to the
 * instruction count it has reached).
 *
 * Costs are modelled (cost_model.ts): one cycle per guest instruction, plus each exit's modelled
 * cost. Fresh runs start from the program as loaded: changes made in the debugger are not in them.
 */

/** Creates the loaded guest afresh under a technique, with this console; a string says why it cannot run there. */
export type FreshGuest = (technique: Technique, console?: { uartOut?: ByteSink; uartIn?: ByteSource }) => Target | string;

export interface ReasonCount {
  reason: string;
  count: number;
  cycles: number;
}

/** What a target has cost so far: its instructions and its exits by reason (none without a VMM). */
export interface RunCost {
  technique: Technique;
  instructions: bigint;
  byReason: ReasonCount[];
  exits: number;
  exitCycles: number;
  /** instructions + exitCycles. */
  modelledCycles: number;
  /** Binary translation's translation cache. */
  tc?: TcStats;
  /** Exits a hosted (type 2) VMM serves in the host OS (cost_model.ts `needsHost`); 0 without a VMM. */
  hostTrips: number;
  /** What switching the guest's FP state cost (a VMM's runs only). */
  fpu?: FpuSwitchStats;
}

/** How a run ended: it reached the count it was run to, or the guest stopped first. */
export type RunEnd =
  | { kind: "goal" }
  | { kind: "halt"; code: number; how: string }
  | { kind: "idle" }
  | { kind: "trap-loop"; pc: bigint }
  | { kind: "time"; seconds: number }
  | { kind: "stopped"; reason: string };

/** One technique's run (or the debugged VM itself). */
export interface TechniqueRun extends RunCost {
  /** This row is the target being debugged, not a fresh run. */
  current: boolean;
  end: RunEnd;
  /** Wall time of the run (fresh runs only). */
  wallSeconds?: number;
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
 * Bounds on each fresh run for `stats`: sample guests need far less, and a long session must not
 * stall the console. Exit-heavy guests run far slower than 20 M instructions per second, hence the
 * wall-clock limit as well.
 */
export const COMPARISON_CAP = 20_000_000;
export const COMPARISON_SECONDS = 3;
/** Steps per call into a target: long enough to amortise the call, short enough for the time limit. */
export const SLICE = 100_000;

/** The cost of a target as it stands. */
export function measureRun(target: Target): RunCost {
  const byReason = (target.exitLog?.()?.stats ?? []).filter((s) => s.count > 0).map((s) => ({ reason: s.reason, count: s.count, cycles: s.cycles }));
  const exits = byReason.reduce((n, s) => n + s.count, 0);
  const exitCycles = byReason.reduce((n, s) => n + s.cycles, 0);
  const vmm = target.vmm?.stats();
  return {
    technique: target.technique, instructions: target.instret, byReason, exits, exitCycles, modelledCycles: Number(target.instret) + exitCycles,
    tc: vmm?.tc, hostTrips: vmm?.hostTrips ?? 0, fpu: vmm?.fpu,
  };
}

/** What a stop means for a run toward a goal: undefined while it should go on. */
export function runEnd(stop: TargetStop): RunEnd | undefined {
  switch (stop.kind) {
    case "budget":
      return undefined;
    case "halt":
      return { kind: "halt", code: stop.code, how: stop.how };
    case "idle":
      return { kind: "idle" };
    case "trap-loop":
      return { kind: "trap-loop", pc: stop.pc };
    default:
      return { kind: "stopped", reason: stop.kind };
  }
}

/** "halted with exit code 0", "asleep in WFI", …: how a run ended, for the reader. */
export function describeEnd(end: RunEnd): string {
  switch (end.kind) {
    case "goal":
      return "reached the count";
    case "halt":
      return `exit code ${end.code}`;
    case "idle":
      return "asleep in WFI";
    case "trap-loop":
      return `trap loop at pc 0x${end.pc.toString(16)}`;
    case "time":
      return `out of time (${end.seconds} s)`;
    case "stopped":
      return `stopped (${end.reason})`;
  }
}

/**
 * Runs `target` one slice toward `goal` retired instructions. Returns how the run ended, or undefined
 * when it should go on. `inputPending` says whether console input may still wake a guest in WFI.
 */
export function runSlice(target: Target, goal: bigint, inputPending: () => boolean = () => false, yieldNow?: () => boolean): RunEnd | undefined {
  if (target.instret >= goal) return { kind: "goal" };
  target.pollInput();
  // Budgets count trap entries too, so a slice never retires past the goal.
  const left = goal - target.instret;
  const end = runEnd(target.run(left < BigInt(SLICE) ? Number(left) : SLICE, yieldNow));
  // A guest that halts on the goal's last instruction reached it.
  if (target.instret >= goal) return { kind: "goal" };
  if (end?.kind === "idle" && inputPending()) return undefined;
  return end;
}

/** Runs a fresh target to `goal` instructions, or until it stops on its own or runs out of time. */
export function runTo(target: Target, goal: bigint, seconds = COMPARISON_SECONDS, now = () => performance.now()): TechniqueRun {
  const started = now();
  const deadline = started + seconds * 1000;
  let end: RunEnd | undefined;
  const late = () => now() > deadline;
  while (!end) end = late() ? { kind: "time", seconds } : runSlice(target, goal, undefined, late);
  return { ...measureRun(target), current: false, end, wallSeconds: (now() - started) / 1000 };
}

/**
 * The debugged target against fresh runs of `others`, all up to its instruction count (at most
 * `cap`). The debugged target is measured as it is, not run.
 */
export function compareTechniques(current: Target, others: readonly Technique[], fresh: FreshGuest, cap = COMPARISON_CAP, seconds = COMPARISON_SECONDS): TechniqueComparison {
  const capped = current.instret > BigInt(cap);
  const goal = capped ? BigInt(cap) : current.instret;
  const runs: TechniqueRun[] = [{ ...measureRun(current), current: true, end: { kind: "goal" } }];
  const unavailable: TechniqueComparison["unavailable"] = [];
  for (const technique of others) {
    const target = fresh(technique);
    if (typeof target === "string") unavailable.push({ technique, why: target });
    else runs.push(runTo(target, goal, seconds));
  }
  return { instructions: goal, capped, runs, unavailable };
}

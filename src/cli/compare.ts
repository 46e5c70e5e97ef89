import { basename } from "node:path";
import type { GuestProgram as GuestImage } from "../asm/guest_image";
import { HOST_TRIP_CYCLES, hostedCycles } from "../target/hosting";
import { createTarget } from "../target/create_target";
import type { Target } from "../target/target";
import { tcStatsText } from "../target/tc_text";
import { fpuSwitchText } from "../target/fpu_text";
import type { FpuSwitchPolicy, GuestBoot, NonTrappingSensitive } from "../target/target_options";
import { describeEnd, measureRun, runSlice, type RunEnd, type TechniqueComparison, type TechniqueRun } from "../target/technique_comparison";
import { AVAILABLE_TECHNIQUES, NON_TRAPPING_TECHNIQUES, type Technique } from "../target/techniques";
import { NO_PROGRESS_SECONDS } from "./commands";
import { runLabel, techniqueRuns } from "./compare_models";
import type { BlockBackend } from "../machine/devices/virtio/block_backend";
import { snapshotOf } from "../target/disk_image";
import type { DeviceModel } from "../target/target_options";
import { EXIT_NOT_EQUIVALENT } from "./exit_status";
import { wrap } from "./wrap";

/**
 * `hyperstep compare <guest>`: the same guest under every technique that can run today
 * (techniques.ts `AVAILABLE_TECHNIQUES`), each on a fresh machine, and what each costs against the
 * baseline (native, unless the guest cannot run natively): instructions, exits by reason, modelled
 * cycles (one per guest instruction plus each exit's modelled cost, cost_model.ts), wall time, and
 * whether the guest could tell the difference (Popek and Goldberg's equivalence: the same UART
 * output, exit code and final registers as under the baseline).
 */

export interface CompareSettings {
  memoryBytes: number;
  /** Every technique stops after this many guest instructions if the guest has not halted. */
  maxInstructions: number;
  /** Where the guest starts, under every technique; a technique that cannot start it so is listed as unavailable. */
  boot?: GuestBoot;
  /** UART input: every run receives these same bytes. */
  input?: Uint8Array;
  /** The non-standard teaching machine (vm.ts), under the techniques it applies to; the others run standard hardware. */
  nonTrappingSensitive?: readonly NonTrappingSensitive[];
  /** Also cost each run as a hosted (type 2) VMM would. */
  hosting?: boolean;
  /** How every VMM technique switches the guest's FP state at world switches (default lazy). */
  fpuSwitch?: FpuSwitchPolicy;
  /** The virtio-blk disk; every run gets a snapshot of it, so that all start from the same bytes and the file is never written. */
  disk?: BlockBackend;
  /** A virtio-console in every run. */
  virtioConsole?: boolean;
  /** Each VMM technique runs once per model here (compare_models.ts); once with the default when absent. */
  deviceModels?: readonly DeviceModel[];
}

export interface CompareIo {
  /** A progress line for stderr. */
  log(line: string): void;
  /** Wall-clock milliseconds. */
  now(): number;
  /** Lets the event loop run between slices. */
  breathe(): Promise<void>;
}

export interface Equivalence {
  output: boolean;
  end: boolean;
  registers: boolean;
  /** All three. */
  equal: boolean;
  /** What differs, for the reader; empty when equal. */
  differences: string[];
}

/** How a compare run ended: as any comparison run, or stopped for retiring nothing for `seconds`. */
export type CompareEnd = RunEnd | { kind: "no-progress"; seconds: number; pc: bigint };

export interface TechniqueResult extends Omit<TechniqueRun, "end"> {
  end: CompareEnd;
  /** modelledCycles / the baseline's − 1; null for the baseline itself. */
  overhead: number | null;
  wallSeconds: number;
  output: Uint8Array;
  /** x1..x31 and pc when the run ended. */
  registers: bigint[];
  /** Against the baseline; undefined for the baseline itself, and for another kernel's run. */
  equivalence?: Equivalence;
  /** The program this technique ran, when the report has two (a PV kernel and its twin: compare_twin.ts). */
  guest?: string;
  /** With --hosting: the modelled cycles as a hosted VMM, and their overhead against the baseline's (native) cycles. */
  hosted?: { cycles: number; overhead: number | null };
  /** The device model of this run, when the report compares several (compare_models.ts). */
  deviceModel?: DeviceModel;
}

export interface CompareReport {
  memoryBytes: number;
  maxInstructions: number;
  boot: GuestBoot;
  fpuSwitch: FpuSwitchPolicy;
  /** The runs, the baseline first. */
  results: TechniqueResult[];
  /** Techniques that cannot run the guest, and why. */
  unavailable: TechniqueComparison["unavailable"];
  /** What the reader should know about the runs, beyond the table. */
  notes: string[];
  /** The twin whose runs fill the techniques the program cannot run (compare_twin.ts). */
  twin?: { program: string; boot: GuestBoot };
}

const PROGRESS_MS = 1000;

/** Makes a target for one technique's run; tests pass their own. */
export type MakeTarget = typeof createTarget;

/** Runs the guest under every available technique; the first that can run it is the baseline. */
export async function compareTechniques(program: GuestImage, settings: CompareSettings, io: CompareIo, make: MakeTarget = createTarget): Promise<CompareReport | { error: string }> {
  const boot = settings.boot ?? "machine";
  const results: TechniqueResult[] = [];
  const unavailable: CompareReport["unavailable"] = [];
  /** Techniques whose run ended in a trap loop that an unanswered ecall began. */
  const unansweredEcall: Technique[] = [];
  for (const { technique, deviceModel } of techniqueRuns(settings.deviceModels)) {
    const out: number[] = [];
    const input = settings.input ?? new Uint8Array();
    let read = 0;
    const uartIn = { read: () => (read < input.length ? input[read++] : -1) };
    const nonTrappingSensitive = NON_TRAPPING_TECHNIQUES.includes(technique) ? settings.nonTrappingSensitive : undefined;
    const created = make(program, {
      technique, boot, memoryBytes: settings.memoryBytes, uartOut: { write: (b) => out.push(b) }, uartIn, nonTrappingSensitive, fpuSwitch: settings.fpuSwitch,
      disk: settings.disk && snapshotOf(settings.disk), virtioConsole: settings.virtioConsole, deviceModels: deviceModel && { vm: deviceModel, perDevice: {} },
    });
    if (!created.ok) {
      if (!unavailable.some((u) => u.technique === technique)) unavailable.push({ technique, why: created.error });
      continue;
    }
    const target = created.target;
    const loopStart = watchTrapLoopStart(target);
    const started = io.now();
    const end = await runToEnd(target, technique, settings.maxInstructions, () => read < input.length, io);
    if (end.kind === "trap-loop" && ECALLS.has(loopStart())) unansweredEcall.push(technique);
    const registers = [...Array.from({ length: 31 }, (_, i) => target.getReg(i + 1)), target.pc];
    results.push({ ...measureRun(target), current: false, end, overhead: null, wallSeconds: (io.now() - started) / 1000, output: Uint8Array.from(out), registers, deviceModel });
  }
  if (results.length === 0) return { error: `no technique can run the guest: ${unavailable.map((u) => `${u.technique}: ${u.why}`).join("; ")}` };
  const baseline = results[0];
  for (const r of results.slice(1)) {
    r.overhead = baseline.modelledCycles > 0 ? r.modelledCycles / baseline.modelledCycles - 1 : 0;
    r.equivalence = equivalence(baseline, r);
  }
  if (settings.hosting) {
    for (const r of results) {
      const cycles = hostedCycles(r);
      r.hosted = { cycles, overhead: r === baseline ? null : baseline.modelledCycles > 0 ? cycles / baseline.modelledCycles - 1 : 0 };
    }
  }
  const notes = unansweredEcall.length > 0 && boot === "machine"
    ? [`The trap loop under ${unansweredEcall.join(", ")} began with an ecall that nothing handles: a kernel that calls SBI firmware, as one written for OpenSBI does, needs --boot supervisor.`]
    : [];
  const nonTrapping = settings.nonTrappingSensitive ?? [];
  if (nonTrapping.length > 0) {
    notes.push(`Non-standard hardware (--non-trapping-sensitive ${nonTrapping.join(",")}) under ${NON_TRAPPING_TECHNIQUES.join(" and ")}: ${nonTrapping.join(" and ")} run in U-mode without trapping, as x86 pushf/popf did; the other techniques run standard hardware.`);
  }
  return { memoryBytes: settings.memoryBytes, maxInstructions: settings.maxInstructions, boot, fpuSwitch: settings.fpuSwitch ?? "lazy", results, unavailable, notes };
}

/**
 * Runs one technique to the guest's end, the instruction limit, or until it retires nothing for
 * NO_PROGRESS_SECONDS: the guards that keep `compare` from hanging on a guest that cannot run.
 */
async function runToEnd(target: Target, technique: Technique, limit: number, inputPending: () => boolean, io: CompareIo): Promise<CompareEnd> {
  let lastReport = io.now();
  let progressAt = lastReport;
  let retired = target.instret;
  for (;;) {
    const end = runSlice(target, BigInt(limit), inputPending);
    if (end) return end;
    const now = io.now();
    if (target.instret !== retired) {
      retired = target.instret;
      progressAt = now;
    } else if (now - progressAt >= NO_PROGRESS_SECONDS * 1000) {
      return { kind: "no-progress", seconds: NO_PROGRESS_SECONDS, pc: target.pc };
    }
    if (now - lastReport >= PROGRESS_MS) {
      lastReport = now;
      io.log(`hyperstep compare: ${technique}: ${(Number(target.instret) / 1e6).toFixed(1)}M instructions so far`);
    }
    await io.breathe();
  }
}

/** ecall from U-, S- and M-mode. */
const ECALLS: ReadonlySet<bigint | undefined> = new Set([8n, 9n, 11n]);

/** Watches a run's traps: the cause of the first trap since the last retired instruction. */
function watchTrapLoopStart(target: Target): () => bigint | undefined {
  let first: bigint | undefined;
  let at = -1n;
  target.onTrap = (cause) => {
    if (target.instret !== at) {
      first = cause;
      at = target.instret;
    }
    return false;
  };
  return () => first;
}

const REG_NAMES = [...Array.from({ length: 31 }, (_, i) => `x${i + 1}`), "pc"];

function equivalence(baseline: TechniqueResult, r: TechniqueResult): Equivalence {
  const differences: string[] = [];
  const there = baseline.technique === "native" ? "natively" : `under ${baseline.technique}`;
  const firstDiff = baseline.output.findIndex((b, i) => r.output[i] !== b);
  const output = baseline.output.length === r.output.length && firstDiff < 0;
  if (!output) {
    const at = firstDiff < 0 ? Math.min(baseline.output.length, r.output.length) : firstDiff;
    differences.push(`UART output differs from byte ${at} (${r.output.length} bytes vs ${baseline.output.length} ${there})`);
  }
  const end = endText(baseline.end) === endText(r.end);
  if (!end) differences.push(`${endText(r.end)} vs ${endText(baseline.end)} ${there}`);
  const regs = REG_NAMES.filter((_, i) => baseline.registers[i] !== r.registers[i]);
  if (regs.length) differences.push(`final ${regs.join(", ")} differ${regs.length === 1 ? "s" : ""}`);
  return { output, end, registers: regs.length === 0, equal: differences.length === 0, differences };
}

/** How a run ended, in the table: the limit reached rather than "the count". */
function endText(e: CompareEnd): string {
  if (e.kind === "goal") return "instruction limit reached";
  if (e.kind === "no-progress") return `no progress: nothing retired for ${e.seconds} s at pc ${hex(e.pc)}`;
  return describeEnd(e);
}

// ---- output ----

const hex = (v: bigint) => `0x${v.toString(16)}`;
const pct = (x: number) => `${x >= 0 ? "+" : ""}${(x * 100).toFixed(1)}%`;
const ms = (s: number) => (s < 1 ? `${(s * 1000).toFixed(1)} ms` : `${s.toFixed(2)} s`);

/**
 * The human table: one row per technique (those that cannot run the guest say so), then exits by
 * reason with one column per run, then why the missing ones cannot run.
 */
export function formatCompare(program: string, report: CompareReport): string {
  const baseline = report.results[0];
  const twin = report.twin;
  // Optional columns, shown only when a run has something in them: each a heading, its cells, and right-aligned or not.
  const optional: { head: string; cell: (r: TechniqueResult) => string; right: boolean }[] = [];
  if (report.results.some((r) => r.hosted)) {
    optional.push(
      { head: "hosted cycles", cell: (r) => String(r.hosted?.cycles ?? ""), right: true },
      { head: "hosted overhead", cell: (r) => (r.hosted ? (r.hosted.overhead === null ? "baseline" : pct(r.hosted.overhead)) : ""), right: true },
    );
  }
  // The FPU switching column, once switching the guest's FP state cost a VMM anything.
  if (report.results.some((r) => (r.fpu?.cycles ?? 0) > 0)) {
    optional.push({ head: `FPU switching (${report.fpuSwitch})`, cell: (r) => (r.fpu ? fpuSwitchText(r.fpu) : ""), right: false });
  }
  const rows = AVAILABLE_TECHNIQUES.flatMap((technique) => {
    const runs = report.results.filter((x) => x.technique === technique);
    if (runs.length === 0) return report.unavailable.some((u) => u.technique === technique) ? [[technique, ...(twin ? [""] : []), "cannot run this guest (below)", "", "", "", "", ...optional.map(() => ""), "", ""]] : [];
    return runs.map((r) => [
      runLabel(r), ...(twin ? [basename(r.guest ?? program)] : []), endText(r.end), String(r.instructions), String(r.exits), String(r.modelledCycles),
      r.overhead === null ? "baseline" : pct(r.overhead),
      ...optional.map((c) => c.cell(r)),
      `${ms(r.wallSeconds)}${r === baseline || baseline.wallSeconds <= 0 ? "" : ` (${(r.wallSeconds / baseline.wallSeconds).toFixed(1)}x)`}`,
      r.equivalence !== undefined ? (r.equivalence.equal ? "yes" : "NO") : r === baseline ? "baseline" : "other kernel",
    ]);
  });
  const boot = (b: GuestBoot) => (b === "supervisor" ? ", booted in S-mode behind the VMM's SBI" : "");
  const lines = [`${program}: ${report.results.length} techniques ran, ${report.memoryBytes / (1 << 20)} MiB of guest RAM${twin ? "" : boot(report.boot)}`];
  if (twin) lines.push(`beside its twin ${twin.program}${boot(twin.boot)}: the same workload as an ordinary kernel, for the techniques that cannot run ${basename(program)}`);
  const head = ["technique", ...(twin ? ["guest"] : []), "end", "instructions", "exits", "modelled cycles", "overhead", ...optional.map((c) => c.head), "wall time", "equivalent"];
  const right = [false, ...(twin ? [false] : []), false, true, true, true, true, ...optional.map((c) => c.right), true, false];
  lines.push("", ...table(head, rows, right));
  if (report.results.some((r) => r.hosted)) {
    lines.push("", ...wrap(`Hosted: the same runs as a type 2 VMM beside a host OS, which performs the I/O; each exit the cost model charges as device emulation costs two world switches more (${HOST_TRIP_CYCLES} cycles), to the host OS and back (${report.results.map((r) => `${r.technique} ${r.hostTrips}`).join(", ")}).`, 100));
  }
  const reasons = [...new Set(report.results.flatMap((r) => r.byReason.map((e) => e.reason)))];
  if (reasons.length) {
    const count = (r: TechniqueResult, reason: string) => r.byReason.find((e) => e.reason === reason);
    const reasonRows = reasons.map((reason) => [reason, ...report.results.map((r) => {
      const c = count(r, reason);
      return c ? `${c.count} (${c.cycles} cycles)` : "0";
    })]);
    lines.push("", ...table(["exits by reason", ...report.results.map(runLabel)], reasonRows, [false, ...report.results.map(() => true)]));
  }
  const caches = report.results.flatMap((r) => (r.tc ? [`${runLabel(r)}: ${tcStatsText(r.tc)}`] : []));
  if (caches.length) lines.push("", ...caches.flatMap((c) => wrap(c, 100)));
  const notes = [
    ...report.unavailable.map((u) => `${u.technique} cannot run this guest: ${u.why}`),
    ...report.results.flatMap((r) => (r.equivalence?.differences ?? []).map((d) => `${runLabel(r)} is not equivalent: ${d}`)),
    ...report.notes,
  ];
  if (notes.length) lines.push("", ...notes.flatMap((n) => wrap(n, 100)));
  return lines.join("\n") + "\n";
}

function table(head: string[], rows: string[][], right: boolean[]): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (right[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join("  ").trimEnd();
  return [line(head), ...rows.map(line)];
}

/** The same report for machines. */
export function compareJson(program: string, report: CompareReport): object {
  return {
    program,
    memoryBytes: report.memoryBytes,
    maxInstructions: report.maxInstructions,
    boot: report.boot,
    fpuSwitch: report.fpuSwitch,
    twin: report.twin ?? null,
    techniques: report.results.map((r) => ({
      technique: r.technique,
      ...(r.deviceModel === undefined ? {} : { deviceModel: r.deviceModel }),
      ...(r.guest === undefined ? {} : { guest: r.guest }),
      end: r.end.kind === "goal" ? { kind: "limit" } : "pc" in r.end ? { ...r.end, pc: hex(r.end.pc) } : r.end,
      instructions: Number(r.instructions),
      exits: r.exits,
      exitsByReason: Object.fromEntries(r.byReason.map((e) => [e.reason, { count: e.count, cycles: e.cycles }])),
      exitCycles: r.exitCycles,
      modelledCycles: r.modelledCycles,
      overhead: r.overhead,
      wallSeconds: r.wallSeconds,
      outputBytes: r.output.length,
      equivalence: r.equivalence ?? null,
      translationCache: r.tc ?? null,
      ...(r.hosted ? { hostTrips: r.hostTrips, hosted: r.hosted } : {}),
      fpuSwitching: r.fpu ?? null,
    })),
    unavailable: report.unavailable,
    notes: report.notes,
  };
}

/** 0 when every technique matched the baseline, 3 when one did not (after the table is printed). */
export function compareStatus(report: CompareReport): number {
  return report.results.every((r) => r.equivalence?.equal !== false) ? 0 : EXIT_NOT_EQUIVALENT;
}

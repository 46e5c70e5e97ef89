import type { GuestProgram as GuestImage } from "../asm/guest_image";
import { createTarget } from "../target/create_target";
import { describeEnd, measureRun, runSlice, type RunEnd, type TechniqueRun } from "../target/technique_comparison";
import { AVAILABLE_TECHNIQUES } from "../target/techniques";
import { EXIT_NOT_EQUIVALENT } from "./exit_status";

/**
 * `hyperstep compare <guest>`: the same guest under every technique that can run today
 * (target.ts `AVAILABLE_TECHNIQUES`), each on a fresh machine, and what each costs against native:
 * instructions, exits by reason, modelled cycles (one per guest instruction plus each exit's modelled
 * cost, cost_model.ts), wall time, and whether the guest could tell the difference (Popek and
 * Goldberg's equivalence: the same UART output, exit code and final registers as natively).
 */

export interface CompareSettings {
  memoryBytes: number;
  /** Every technique stops after this many guest instructions if the guest has not halted. */
  maxInstructions: number;
  /** UART input: every run receives these same bytes. */
  input?: Uint8Array;
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

export interface TechniqueResult extends TechniqueRun {
  /** modelledCycles / native's − 1; null for native itself. */
  overhead: number | null;
  wallSeconds: number;
  output: Uint8Array;
  /** x1..x31 and pc when the run ended. */
  registers: bigint[];
  /** Against native; undefined for native itself. */
  equivalence?: Equivalence;
}

export interface CompareReport {
  memoryBytes: number;
  maxInstructions: number;
  results: TechniqueResult[];
}

const PROGRESS_MS = 1000;

/** Runs the guest under every available technique; native first, as the baseline. */
export async function compareTechniques(program: GuestImage, settings: CompareSettings, io: CompareIo): Promise<CompareReport | { error: string }> {
  const results: TechniqueResult[] = [];
  for (const technique of AVAILABLE_TECHNIQUES) {
    const out: number[] = [];
    const input = settings.input ?? new Uint8Array();
    let read = 0;
    const uartIn = { read: () => (read < input.length ? input[read++] : -1) };
    const created = createTarget(program, { technique, memoryBytes: settings.memoryBytes, uartOut: { write: (b) => out.push(b) }, uartIn });
    if (!created.ok) return { error: `cannot run the guest under ${technique}: ${created.error}` };
    const target = created.target;
    const started = io.now();
    let lastReport = started;
    let end: RunEnd | undefined;
    while (!(end = runSlice(target, BigInt(settings.maxInstructions), () => read < input.length))) {
      if (io.now() - lastReport >= PROGRESS_MS) {
        lastReport = io.now();
        io.log(`hyperstep compare: ${technique}: ${(Number(target.instret) / 1e6).toFixed(1)}M instructions so far`);
      }
      await io.breathe();
    }
    const registers = [...Array.from({ length: 31 }, (_, i) => target.getReg(i + 1)), target.pc];
    results.push({ ...measureRun(target), current: false, end, overhead: null, wallSeconds: (io.now() - started) / 1000, output: Uint8Array.from(out), registers });
  }
  const native = results[0];
  for (const r of results.slice(1)) {
    r.overhead = native.modelledCycles > 0 ? r.modelledCycles / native.modelledCycles - 1 : 0;
    r.equivalence = equivalence(native, r);
  }
  return { memoryBytes: settings.memoryBytes, maxInstructions: settings.maxInstructions, results };
}

const REG_NAMES = [...Array.from({ length: 31 }, (_, i) => `x${i + 1}`), "pc"];

function equivalence(native: TechniqueResult, r: TechniqueResult): Equivalence {
  const differences: string[] = [];
  const firstDiff = native.output.findIndex((b, i) => r.output[i] !== b);
  const output = native.output.length === r.output.length && firstDiff < 0;
  if (!output) {
    const at = firstDiff < 0 ? Math.min(native.output.length, r.output.length) : firstDiff;
    differences.push(`UART output differs from byte ${at} (${r.output.length} bytes vs ${native.output.length} natively)`);
  }
  const end = endText(native.end) === endText(r.end);
  if (!end) differences.push(`${endText(r.end)} vs ${endText(native.end)} natively`);
  const regs = REG_NAMES.filter((_, i) => native.registers[i] !== r.registers[i]);
  if (regs.length) differences.push(`final ${regs.join(", ")} differ${regs.length === 1 ? "s" : ""}`);
  return { output, end, registers: regs.length === 0, equal: differences.length === 0, differences };
}

/** How a run ended, in the table: the limit reached rather than "the count". */
function endText(e: RunEnd): string {
  return e.kind === "goal" ? "instruction limit reached" : describeEnd(e);
}

// ---- output ----

const pct = (x: number) => `${x >= 0 ? "+" : ""}${(x * 100).toFixed(1)}%`;
const ms = (s: number) => (s < 1 ? `${(s * 1000).toFixed(1)} ms` : `${s.toFixed(2)} s`);

/** The human table: one row per technique, then exits by reason with one column per technique. */
export function formatCompare(program: string, report: CompareReport): string {
  const native = report.results[0];
  const rows = report.results.map((r) => [
    r.technique, endText(r.end), String(r.instructions), String(r.exits), String(r.modelledCycles),
    r.overhead === null ? "baseline" : pct(r.overhead),
    `${ms(r.wallSeconds)}${r === native || native.wallSeconds <= 0 ? "" : ` (${(r.wallSeconds / native.wallSeconds).toFixed(1)}x)`}`,
    r.equivalence === undefined ? "baseline" : r.equivalence.equal ? "yes" : "NO",
  ]);
  const lines = [`${program}: ${report.results.length} techniques, ${report.memoryBytes / (1 << 20)} MiB of guest RAM`, ""];
  lines.push(...table(["technique", "end", "instructions", "exits", "modelled cycles", "overhead", "wall time", "equivalent"], rows, [false, false, true, true, true, true, true, false]));
  const reasons = [...new Set(report.results.flatMap((r) => r.byReason.map((e) => e.reason)))];
  if (reasons.length) {
    const count = (r: TechniqueResult, reason: string) => r.byReason.find((e) => e.reason === reason);
    const reasonRows = reasons.map((reason) => [reason, ...report.results.map((r) => {
      const c = count(r, reason);
      return c ? `${c.count} (${c.cycles} cycles)` : "0";
    })]);
    lines.push("", ...table(["exits by reason", ...report.results.map((r) => r.technique)], reasonRows, [false, ...report.results.map(() => true)]));
  }
  for (const r of report.results) {
    for (const d of r.equivalence?.differences ?? []) lines.push(`${r.technique} is not equivalent: ${d}`);
  }
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
    techniques: report.results.map((r) => ({
      technique: r.technique,
      end: r.end.kind === "goal" ? { kind: "limit" } : r.end.kind === "trap-loop" ? { kind: r.end.kind, pc: `0x${r.end.pc.toString(16)}` } : r.end,
      instructions: Number(r.instructions),
      exits: r.exits,
      exitsByReason: Object.fromEntries(r.byReason.map((e) => [e.reason, { count: e.count, cycles: e.cycles }])),
      exitCycles: r.exitCycles,
      modelledCycles: r.modelledCycles,
      overhead: r.overhead,
      wallSeconds: r.wallSeconds,
      outputBytes: r.output.length,
      equivalence: r.equivalence ?? null,
    })),
  };
}

/** 0 when every technique matched native, 3 when one did not (after the table is printed). */
export function compareStatus(report: CompareReport): number {
  return report.results.every((r) => r.equivalence?.equal !== false) ? 0 : EXIT_NOT_EQUIVALENT;
}

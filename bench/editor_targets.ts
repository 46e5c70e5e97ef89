/**
 * The editor and start-up targets of issue #20, for `npm run bench` (run.ts): each figure comes from
 * its own benchmark, run as a process of its own with `--json` (under tsx, after building dist/, which
 * the debug adapter and the CLI are run from), and is printed against its target.
 *
 *  - startup_bench.ts: `hyperstep run` on the hello lesson as source and as an ELF, whole processes;
 *  - entry_bench.ts: F5 to the entry stop for every lesson configuration (the slowest is the figure);
 *  - dap_bench.ts: the adapter's stepIn round trip;
 *  - panels_bench.ts: the Page Tables request, opening and refreshing, for 64 MiB in 4 KiB pages.
 *
 * The peak RSS of the guest that writes all its 128 MiB (run.ts measures it) joins them as a row.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";

export interface TargetRow {
  what: string;
  value: number;
  unit: "ms" | "MB";
  /** The figure must stay below this. */
  target: number;
  /** What else the reader needs to judge the figure: Node's own start-up, the slowest lesson. */
  note?: string;
}

function benchJson<T>(root: string, script: string): T {
  const r = spawnSync(process.execPath, ["--import", "tsx", join(root, "bench", script), "--json"], { cwd: root, encoding: "utf8", maxBuffer: 1 << 24 });
  const line = r.stdout?.trim().split("\n").pop();
  if (r.status !== 0 || !line) throw new Error(`bench/${script} failed (exit ${r.status}):\n${r.stdout}${r.stderr}`);
  return JSON.parse(line) as T;
}

interface Timing { wallMs: number; cpuMs: number }
interface Startup { runs: number; node: Timing; guests: ({ guest: string } & Timing)[] }
interface Entry { runs: number; lessons: { name: string; ms: number }[] }
interface Dap { stepInRoundTripMs: number }
interface Panels { openMs: number; totalMs: number }

/** Builds dist/ and runs the four benchmarks; `touchRamPeakRss` is the 128 MiB guest's peak RSS in bytes (undefined: not measured). */
export function measureEditorTargets(root: string, touchRamPeakRss: number | undefined): TargetRow[] {
  const build = spawnSync(process.execPath, [join(root, "scripts/build.mjs")], { cwd: root, encoding: "utf8" });
  if (build.status !== 0) throw new Error(`building dist/ failed:\n${build.stdout}${build.stderr}`);
  const startup = benchJson<Startup>(root, "startup_bench.ts");
  const entry = benchJson<Entry>(root, "entry_bench.ts");
  const dap = benchJson<Dap>(root, "dap_bench.ts");
  const panels = benchJson<Panels>(root, "panels_bench.ts");
  const slowest = entry.lessons.reduce((a, b) => (b.ms > a.ms ? b : a));
  const over = entry.lessons.filter((l) => l.ms >= 500).length;
  const node = `node -e 0: ${startup.node.wallMs.toFixed(0)} ms, CPU ${startup.node.cpuMs.toFixed(0)} ms`;
  return [
    ...startup.guests.map((g) => ({ what: `\`hyperstep run\` ${g.guest}, whole process (median of ${startup.runs})`, value: g.wallMs, unit: "ms" as const, target: 100, note: `CPU ${g.cpuMs.toFixed(0)} ms; ${node}` })),
    { what: `F5 to the entry stop, slowest of ${entry.lessons.length} lesson configurations (median of ${entry.runs} each)`, value: slowest.ms, unit: "ms", target: 500, note: `${slowest.name}; ${over} of ${entry.lessons.length} at or over 500 ms` },
    { what: "a step (stepIn round trip in the adapter)", value: dap.stepInRoundTripMs, unit: "ms", target: 20 },
    { what: "Page Tables opens, 64 MiB in 4 KiB pages (adapter and webview data)", value: panels.openMs, unit: "ms", target: 300 },
    { what: "Page Tables refreshes after a step, same guest", value: panels.totalMs, unit: "ms", target: 100 },
    ...(touchRamPeakRss === undefined ? [] : [{ what: "a guest that writes all 128 MiB of its RAM: peak resident memory", value: touchRamPeakRss / 2 ** 20, unit: "MB" as const, target: 400 }]),
  ];
}

const met = (r: TargetRow) => r.value < r.target;

/** The rows as `npm run bench` prints them. */
export function formatTargets(rows: readonly TargetRow[]): string {
  return rows.map((r) => `${r.what.padEnd(96)} ${r.value.toFixed(r.unit === "ms" && r.value < 10 ? 1 : 0).padStart(6)} ${r.unit}   target < ${r.target} ${r.unit}   ${met(r) ? "ok" : "MISSED"}${r.note ? `   (${r.note})` : ""}`).join("\n");
}

/** The rows as the README's table has them. */
export function targetTableRows(rows: readonly TargetRow[]): string[] {
  return rows.map((r) => `| ${r.what} | ${r.value.toFixed(r.unit === "ms" && r.value < 10 ? 1 : 0)} ${r.unit}${r.note ? ` (${r.note})` : ""} | < ${r.target} ${r.unit} | ${met(r) ? "met" : "missed"} |`);
}

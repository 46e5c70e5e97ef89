/**
 * Start-up of `hyperstep run` as a whole process, hyperfine-style: RUNS alternating runs of
 * `node dist/hyperstep.js run <guest>` and of an empty `node -e 0` (the floor Node itself sets),
 * medians of each: wall-clock, and the CPU time (user + system) each process reports as it exits
 * (a file the bench writes and preloads into both with `--require`), which a loaded machine inflates far less than wall-clock.
 * Build first (`node scripts/build.mjs`); run: `npx tsx bench/startup_bench.ts [--json] [guest...]`.
 * By default the hello lesson both as assembly source and as an ELF (which `hyperstep asm` writes
 * into a temporary folder). The runs keep a code cache of their own (XDG_CACHE_HOME in that folder),
 * warmed by one run of each guest first, so that runs from other checkouts cannot replace it meanwhile.
 * Target: under 100 ms for the hello guest.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const ROOT = resolve(__dirname, "..");
const CLI = join(ROOT, "dist/hyperstep.js");
const HELLO = join(ROOT, "sample-guests/hello/hello.S");
const RUNS = Number(process.env.RUNS ?? 21);
const TARGET_MS = 100;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

interface Timing { wallMs: number; cpuMs: number }

/** Preloaded into each timed process: its CPU time as it exits, which Node does not report for a child. */
const CPU_AT_EXIT = `process.on("exit", () => {
  const { user, system } = process.cpuUsage();
  require("node:fs").writeSync(2, "\\ncpu-at-exit " + (user + system) / 1000 + "\\n");
});
`;

function timed(args: string[], env: NodeJS.ProcessEnv, preload: string): Timing {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ["--require", preload, ...args], { stdio: ["ignore", "ignore", "pipe"], env, encoding: "utf8" });
  const wallMs = performance.now() - t0;
  const cpu = /^cpu-at-exit ([\d.]+)$/m.exec(r.stderr);
  if (r.status !== 0 || !cpu) throw new Error(`node ${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  return { wallMs, cpuMs: Number(cpu[1]) };
}

const medians = (ts: Timing[]): Timing => ({ wallMs: median(ts.map((t) => t.wallMs)), cpuMs: median(ts.map((t) => t.cpuMs)) });

const dir = mkdtempSync(join(tmpdir(), "hyperstep-startup-"));
try {
  const env = { ...process.env, XDG_CACHE_HOME: join(dir, "cache") };
  const preload = join(dir, "cpu_at_exit.cjs");
  writeFileSync(preload, CPU_AT_EXIT);
  const guests = process.argv.slice(2).filter((a) => a !== "--json");
  if (!guests.length) {
    const elf = join(dir, "hello.elf");
    const asm = spawnSync(process.execPath, [CLI, "asm", HELLO, "-o", elf], { encoding: "utf8" });
    if (asm.status !== 0) throw new Error(`hyperstep asm ${HELLO}: ${asm.stderr}`);
    guests.push(HELLO, elf);
  }
  for (const g of guests) timed([CLI, "run", g], env, preload); // writes the code cache
  const floor: Timing[] = [];
  const runs = new Map<string, Timing[]>(guests.map((g) => [g, []]));
  for (let i = 0; i < RUNS; i++) {
    floor.push(timed(["-e", "0"], env, preload));
    for (const g of guests) runs.get(g)!.push(timed([CLI, "run", g], env, preload));
  }
  const name = (g: string) => (g.startsWith(dir) ? `${g.slice(dir.length + 1)} (the hello lesson as an ELF)` : g.replace(ROOT + "/", ""));
  const figures = {
    runs: RUNS,
    targetMs: TARGET_MS,
    node: medians(floor),
    guests: [...runs].map(([g, ts]) => ({ guest: name(g), ...medians(ts), ok: medians(ts).wallMs < TARGET_MS })),
  };
  if (process.argv.includes("--json")) console.log(JSON.stringify(figures));
  else {
    const ms = (t: Timing) => `${t.wallMs.toFixed(1).padStart(6)} ms (CPU ${t.cpuMs.toFixed(1).padStart(6)} ms)`;
    console.log(`medians of ${RUNS} alternating runs, whole processes`);
    console.log(`${"node -e 0 (Node's own start-up)".padEnd(58)} ${ms(figures.node)}`);
    for (const g of figures.guests) console.log(`${`hyperstep run ${g.guest}`.padEnd(58)} ${ms(g)}   target < ${TARGET_MS} ms   ${g.ok ? "ok" : "MISSED"}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

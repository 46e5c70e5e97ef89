/**
 * Time travel's cost (issue #19). Run it bundled, as the extension ships:
 *   npx esbuild bench/history_bench.ts --bundle --platform=node --outfile=build/history_bench.js --log-level=warning && node build/history_bench.js
 *
 * The CPU-bound bench guest (build/guests/bench.elf, from `node scripts/build-guests.mjs`, about
 * 115 M instructions) runs to its end in slices of 1 M steps, as the debugger runs it, natively and
 * under trap-and-emulate, once with recording (the default 512 MiB history) and once without. It
 * reports the slowdown recording causes (median of each round's ratio: the machine is shared), the
 * history's snapshots and memory, and, at the end of the recorded run, the latency of a Step Back
 * (one step), of travelling 50 M instructions back, and (under trap-and-emulate) of going to just
 * before the exit nearest the middle of the run. `--runs N` rounds (default 3), `--json` for JSON.
 */
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { readGuestImage, type GuestProgram } from "../src/asm/guest_image";
import { createTarget } from "../src/target/create_target";
import type { Target, Technique } from "../src/target/target";

const ROOT = resolve(__dirname, "..");
const SLICE = 1_000_000;
const MEMORY = 64 << 20;
const TECHNIQUES: Technique[] = ["native", "trap-and-emulate"];

function load(file: string): GuestProgram {
  const r = readGuestImage(file, readFileSync(file), (p) => readFileSync(p, "utf8"));
  if (!r.ok) {
    console.error(`history_bench: ${file}: ${r.error}`);
    process.exit(1);
  }
  return r.program;
}

function make(program: GuestProgram, technique: Technique, historyBytes: number): Target {
  const r = createTarget(program, { technique, memoryBytes: MEMORY, historyBytes });
  if (!r.ok) throw new Error(r.error);
  return r.target;
}

/** Runs to the guest's end in debugger-sized slices; returns the seconds it took. */
function runToEnd(t: Target): number {
  const t0 = performance.now();
  for (;;) {
    const r = t.run(SLICE);
    if (r.kind !== "budget") break;
  }
  return (performance.now() - t0) / 1000;
}

function ms(fn: () => unknown): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

interface Figures {
  technique: Technique;
  instructions: number;
  plainMips: number;
  recordedMips: number;
  slowdown: number;
  snapshots: number;
  historyMiB: number;
  stepBackMs: number;
  back50MMs: number;
  gotoExitMs?: number;
}

function measure(program: GuestProgram, technique: Technique, runs: number): Figures {
  const ratios: number[] = [], plain: number[] = [], recorded: number[] = [], stepBack: number[] = [], back50: number[] = [], gotoExit: number[] = [];
  let last: Target | undefined;
  let instructions = 0;
  for (let i = 0; i < runs; i++) {
    const off = make(program, technique, 0);
    const on = make(program, technique, 512 << 20);
    // Alternate which goes first, so that neither always meets a cold JIT.
    let offSeconds: number, onSeconds: number;
    if (i % 2 === 0) {
      offSeconds = runToEnd(off);
      onSeconds = runToEnd(on);
    } else {
      onSeconds = runToEnd(on);
      offSeconds = runToEnd(off);
    }
    const n = Number(on.instret);
    instructions = n;
    plain.push(n / offSeconds / 1e6);
    recorded.push(n / onSeconds / 1e6);
    ratios.push(onSeconds / offSeconds);
    const h = on.history;
    const end = h.position;
    stepBack.push(ms(() => h.travelTo(end - 1)));
    back50.push(ms(() => h.travelToInstret(Math.max(0, n - 50_000_000))));
    const vmm = on.vmm;
    if (vmm) {
      h.travelTo(end);
      const all = vmm.exits({ count: Number.MAX_SAFE_INTEGER }).exits;
      const middle = all.reduce((best, e) => (Math.abs(Number(e.instret) - n / 2) < Math.abs(Number(best.instret) - n / 2) ? e : best), all[0]);
      gotoExit.push(ms(() => h.travelBeforeExit(middle.seq, Number(middle.instret))));
    }
    last = on;
  }
  const s = last!.history.stats();
  return {
    technique, instructions, plainMips: median(plain), recordedMips: median(recorded), slowdown: median(ratios),
    snapshots: s.snapshots, historyMiB: s.bytes / 2 ** 20, stepBackMs: median(stepBack), back50MMs: median(back50),
    gotoExitMs: gotoExit.length ? median(gotoExit) : undefined,
  };
}

function main(): void {
  const args = process.argv.slice(2);
  const runsAt = args.indexOf("--runs");
  const runs = runsAt >= 0 ? Number(args[runsAt + 1]) : 3;
  const elf = join(ROOT, "build/guests/bench.elf");
  if (!existsSync(elf)) {
    console.error("history_bench: build/guests/bench.elf is missing: run `node scripts/build-guests.mjs`");
    process.exit(1);
  }
  const program = load(elf);
  const figures = TECHNIQUES.map((t) => measure(program, t, runs));
  if (args.includes("--json")) {
    console.log(JSON.stringify(figures, null, 2));
    return;
  }
  for (const f of figures) {
    console.log(`${f.technique}: ${(f.instructions / 1e6).toFixed(1)} M instructions; ${f.plainMips.toFixed(0)} MIPS without history, ${f.recordedMips.toFixed(0)} recording (${f.slowdown.toFixed(2)}×)`);
    console.log(`  history: ${f.snapshots} snapshots, ${f.historyMiB.toFixed(1)} MiB; Step Back ${f.stepBackMs.toFixed(0)} ms; 50 M instructions back ${f.back50MMs.toFixed(0)} ms` +
      (f.gotoExitMs !== undefined ? `; to the exit mid-run ${f.gotoExitMs.toFixed(0)} ms` : ""));
  }
}

main();

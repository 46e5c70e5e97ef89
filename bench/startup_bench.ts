/**
 * Start-up of `hyperstep run` as a whole process, hyperfine-style: RUNS alternating runs of
 * `node dist/hyperstep.js run <guest>` and of an empty `node -e 0` (the floor Node itself sets),
 * medians of each. Build first (`node scripts/build.mjs`); run: `npx tsx bench/startup_bench.ts [guest...]`
 * (default: the hello lesson as assembly source). Target: under 100 ms for the hello guest.
 */
import { spawnSync } from "node:child_process";
import { join, resolve } from "node:path";

const ROOT = resolve(__dirname, "..");
const CLI = join(ROOT, "dist/hyperstep.js");
const RUNS = Number(process.env.RUNS ?? 21);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function timed(args: string[]): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { stdio: ["ignore", "ignore", "pipe"] });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`node ${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  return ms;
}

const guests = process.argv.slice(2);
if (!guests.length) guests.push(join(ROOT, "sample-guests/hello/hello.S"));
const floor: number[] = [];
const runs = new Map<string, number[]>(guests.map((g) => [g, []]));
for (let i = 0; i < RUNS; i++) {
  floor.push(timed(["-e", "0"]));
  for (const g of guests) runs.get(g)!.push(timed([CLI, "run", g]));
}
console.log(`medians of ${RUNS} alternating runs, whole processes`);
console.log(`node -e 0 (Node's own start-up): ${median(floor).toFixed(1)} ms`);
for (const [g, ms] of runs) console.log(`hyperstep run ${g.replace(ROOT + "/", "")}: ${median(ms).toFixed(1)} ms   target < 100 ms   ${median(ms) < 100 ? "ok" : "MISSED"}`);

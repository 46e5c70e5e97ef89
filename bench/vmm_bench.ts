/**
 * The VMM's cost. Run it bundled, as the extension ships:
 *   npx esbuild bench/vmm_bench.ts --bundle --platform=node --outfile=build/vmm_bench.js && node build/vmm_bench.js
 * or `npx tsx bench/vmm_bench.ts`, whose per-module loading makes each of the VMM's many calls across
 * modules slower: its per-exit figures come out about twice the bundled ones.
 *
 * For the CPU-bound bench guest (build/guests/bench.elf, from `node scripts/build-guests.mjs`) and a
 * page-table-heavy guest (bench/guest-pagetables.S), natively and under trap-and-emulate: guest
 * MIPS, exits per million instructions, the wall-time slowdown, and the VMM's own time per exit
 * (from the return of the hart's run at an exit to the next VM entry), median over all exits.
 * `--json` prints the figures as JSON.
 */
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { readGuestImage, type GuestProgram } from "../src/asm/guest_image";
import { Vm } from "../src/hypervisor/vm";
import { createVirtBoard } from "../src/machine/virt";

const ROOT = resolve(__dirname, "..");
const SLICE = 1_000_000;

function load(file: string): GuestProgram {
  const r = readGuestImage(file, readFileSync(file), (p) => readFileSync(p, "utf8"));
  if (!r.ok) {
    console.error(`vmm_bench: ${file}: ${r.error}`);
    process.exit(1);
  }
  return r.program;
}

function native(p: GuestProgram): { seconds: number; instructions: number } {
  const b = createVirtBoard({ memoryBytes: 64 << 20 });
  b.load(p);
  const t = performance.now();
  while (b.run(SLICE).kind === "budget");
  return { seconds: (performance.now() - t) / 1000, instructions: Number(b.instret) };
}

function virtualized(p: GuestProgram) {
  const vm = new Vm({ memoryBytes: 64 << 20, exitLogCapacity: 0 });
  vm.load(p);
  // Time the VMM alone: from the hart's return at an exit to the next VM entry.
  const perExit: number[] = [];
  const board = vm.board;
  const hostRun = board.run.bind(board);
  let returned = -1;
  board.run = (n: number) => {
    const now = performance.now();
    if (returned >= 0) perExit.push(now - returned);
    const r = hostRun(n);
    returned = performance.now();
    return r;
  };
  const t = performance.now();
  while (vm.run(SLICE).kind === "budget");
  const seconds = (performance.now() - t) / 1000;
  const exits = vm.log.stats().reduce((s, r) => s + r.count, 0);
  perExit.sort((a, b) => a - b);
  return { seconds, instructions: Number(vm.instret), exits, medianExitUs: (perExit[perExit.length >> 1] ?? 0) * 1000, stats: vm.log.stats() };
}

const guests = [
  { name: "bench (CPU-bound C)", file: join(ROOT, "build/guests/bench.elf") },
  { name: "page-table-heavy", file: join(ROOT, "bench/guest-pagetables.S") },
];
const results = guests.filter((g) => {
  if (existsSync(g.file)) return true;
  console.error(`vmm_bench: ${g.file} is missing; build it with 'node scripts/build-guests.mjs'`);
  process.exitCode = 1;
  return false;
}).map((g) => {
  const p = load(g.file);
  const n = native(p);
  const v = virtualized(p);
  if (v.instructions !== n.instructions) console.error(`vmm_bench: ${g.name}: ${v.instructions} instructions virtualized, ${n.instructions} native`);
  return {
    guest: g.name, instructions: n.instructions,
    nativeMips: n.instructions / n.seconds / 1e6, vmMips: v.instructions / v.seconds / 1e6,
    slowdown: v.seconds / n.seconds, exits: v.exits, exitsPerMillion: (v.exits * 1e6) / v.instructions,
    vmmMedianMicrosecondsPerExit: v.medianExitUs, byReason: v.stats,
  };
});
if (process.argv.includes("--json")) {
  console.log(JSON.stringify(results, null, 2));
} else {
  for (const r of results) {
    console.log(`${r.guest}: ${r.instructions} instructions; native ${r.nativeMips.toFixed(1)} MIPS, trap-and-emulate ` +
      `${r.vmMips.toFixed(1)} MIPS (${r.slowdown.toFixed(2)}x wall time); ${r.exits} exits = ${r.exitsPerMillion.toFixed(1)} per million ` +
      `instructions; VMM time per exit, median ${r.vmmMedianMicrosecondsPerExit.toFixed(2)} µs`);
    console.log("  " + r.byReason.map((s) => `${s.reason} ${s.count}`).join(", "));
  }
}

/**
 * Several VMs on one host (issue #17's benchmark). Run it bundled:
 *   npx esbuild bench/host_bench.ts --bundle --platform=node --outfile=build/host_bench.js --log-level=warning && node build/host_bench.js
 *
 * 1. Scheduling: the CPU-bound bench guest (build/guests/bench.elf, from `node scripts/build-guests.mjs`)
 *    in one VM alone under trap-and-emulate, then two VMs of it on one host (hypervisor/host.ts), each
 *    run to its halt in slices of SLICE steps as the debugger and the CLI run them. Wall time is the
 *    median over `--runs N` rounds (default 5), each round timing one VM alone and then two; the
 *    ratio is the median of each round's ratio, which cancels load that drifts between rounds. The
 *    scheduler's overhead is the world-switch exits' modelled cycles against the VMs' modelled
 *    total, and the wall time the host spends beyond twice one VM's.
 *    Check: two VMs take 1.6–2.4× one VM's time ("about twice").
 * 2. Page sharing: two VMs of the same guest with `pageSharing: { scanPagesPerTick: 64 }` on a host
 *    whose memory is one frame short of all their RAM, so that each guest page gets its frame on
 *    first touch and "touched" is the pages that have one: the two-vms lesson's kernel, and the bench
 *    guest. Saved = guest pages on shared frames less those frames, at the end of the run.
 *    Check: at least 40% of the memory the two VMs touched is saved, for each guest.
 * `--json` prints the figures as JSON.
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { readGuestImage, type GuestProgram } from "../src/asm/guest_image";
import { Host, VM_SLICE, type HostedVm } from "../src/hypervisor/host";
import { vmFootprint, type VmOptions } from "../src/hypervisor/vm";
import { techniqueEntry } from "../src/target/techniques";

const ROOT = resolve(__dirname, "..");
const SLICE = 1_000_000;
const args = process.argv.slice(2);
const RUNS = Number(args[args.indexOf("--runs") + 1]) || 5;

function load(file: string): GuestProgram {
  const r = readGuestImage(file, readFileSync(file), (p) => readFileSync(p, "utf8"));
  if (!r.ok) throw new Error(`${file}: ${r.error}`);
  return r.program;
}

const spec = techniqueEntry("trap-and-emulate").runs;
if (typeof spec !== "object") throw new Error("trap-and-emulate is a VMM technique");
const options = (more: Partial<VmOptions> = {}): HostedVm["options"] => ({ technique: spec, memoryBytes: 16 << 20, ...more });

/** Runs every VM of the host to its halt; returns the wall seconds. */
function runToHalt(host: Host): number {
  const t0 = performance.now();
  for (let guard = 0; !host.vms.every((vm) => vm.halt); guard++) {
    const { stop } = host.run(SLICE);
    if (stop.kind !== "budget" && stop.kind !== "halt") throw new Error(`stopped: ${JSON.stringify(stop)}`);
    if (guard > 100_000) throw new Error("no halt");
  }
  return (performance.now() - t0) / 1000;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function scheduling(program: GuestProgram) {
  const one: number[] = [], two: number[] = [], ratios: number[] = [];
  let last: Host | undefined;
  for (let round = 0; round < RUNS; round++) {
    const alone = new Host([{ name: "a", options: options() }]);
    alone.load([program]);
    const a = runToHalt(alone);
    const pair = new Host([{ name: "a", options: options() }, { name: "b", options: options() }]);
    pair.load([program, program]);
    const b = runToHalt(pair);
    one.push(a);
    two.push(b);
    ratios.push(b / a);
    last = pair;
  }
  const host = last!;
  const exitCycles = host.vms.reduce((n, vm) => n + vm.log.stats().reduce((m, r) => m + r.cycles, 0), 0);
  const switchCycles = host.vms.reduce((n, vm) => n + (vm.log.stats().find((r) => r.reason === "world-switch")?.cycles ?? 0), 0);
  const instructions = host.vms.reduce((n, vm) => n + vm.retired, 0);
  return {
    instructionsPerVm: host.vms[0].retired,
    oneVmSeconds: median(one),
    twoVmsSeconds: median(two),
    ratio: median(ratios),
    worldSwitches: host.worldSwitches,
    slice: host.slice,
    worldSwitchCycles: switchCycles,
    modelledCycles: instructions + exitCycles,
    schedulerOverhead: switchCycles / (instructions + exitCycles),
  };
}

function sharing(label: string, program: GuestProgram, memoryBytes: number) {
  const opts = options({ memoryBytes, pageSharing: { scanPagesPerTick: 64 } });
  const whole = 2 * vmFootprint(opts);
  const host = new Host([{ name: "a", options: opts }, { name: "b", options: opts }], { memoryBytes: whole - 4096 });
  host.load([program, program]);
  runToHalt(host);
  const s = host.vms[0].sharing!.stats();
  const touched = host.vms.reduce((n, vm) => n + vm.p2m.backedPages, 0);
  return { guest: label, pagesShared: s.pagesShared, sharedFrames: s.sharedFrames, touchedPages: touched, savedPages: s.bytesSaved / 4096, saved: s.bytesSaved / 4096 / touched, copies: s.copies };
}

const bench = load(join(ROOT, "build/guests/bench.elf"));
const sched = scheduling(bench);
const shares = [
  sharing("two-vms lesson kernel", load(join(ROOT, "sample-guests/two-vms/two_vms.S")), 1 << 20),
  sharing("CPU-bound bench guest", bench, 16 << 20),
];
const checks = [
  { name: "two VMs take about twice one VM's time (1.6–2.4×)", ok: sched.ratio >= 1.6 && sched.ratio <= 2.4 },
  ...shares.map((s) => ({ name: `page sharing saves at least 40% of the touched memory of two VMs of the ${s.guest}`, ok: s.saved >= 0.4 })),
];
if (args.includes("--json")) {
  console.log(JSON.stringify({ scheduling: sched, sharing: shares, checks }, null, 2));
} else {
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  console.log(`Several VMs on one host, trap-and-emulate, median of ${RUNS} rounds`);
  console.log(`  one VM of the bench guest:  ${(sched.oneVmSeconds * 1000).toFixed(0)} ms for ${sched.instructionsPerVm} instructions`);
  console.log(`  two VMs of it on one host:  ${(sched.twoVmsSeconds * 1000).toFixed(0)} ms, ×${sched.ratio.toFixed(2)} one VM's (median of each round's ratio)`);
  console.log(`  scheduler: ${sched.worldSwitches} world switches (a slice of ${sched.slice} steps, default ${VM_SLICE}), ${sched.worldSwitchCycles} modelled cycles: ${pct(sched.schedulerOverhead)} of the VMs' ${sched.modelledCycles}`);
  for (const s of shares) {
    console.log(`  page sharing, two VMs of the ${s.guest}: ${s.pagesShared} guest pages on ${s.sharedFrames} frames, ${s.copies} copy-on-write breaks; ${s.savedPages} of ${s.touchedPages} touched pages saved: ${pct(s.saved)}`);
  }
  for (const c of checks) console.log(`${c.ok ? "ok  " : "FAIL"} ${c.name}`);
}
process.exitCode = checks.every((c) => c.ok) ? 0 : 1;

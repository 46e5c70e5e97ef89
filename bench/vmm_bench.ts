/**
 * The VMM's cost. Run it bundled, as the extension ships:
 *   npx esbuild bench/vmm_bench.ts --bundle --platform=node --outfile=build/vmm_bench.js --log-level=warning && node build/vmm_bench.js
 * or `npx tsx bench/vmm_bench.ts`, whose per-module loading makes each of the VMM's many calls across
 * modules slower: its per-exit figures come out about twice the bundled ones.
 *
 * For the CPU-bound bench guest (build/guests/bench.elf, from `node scripts/build-guests.mjs`) and a
 * page-table-heavy guest (bench/guest-pagetables.S), natively, under trap-and-emulate and under
 * hardware assistance: guest MIPS, exits and exits per million instructions, the wall-time slowdown
 * against native, and the VMM's own time per exit (from the return of the hart's run at an exit to
 * the next VM entry, median over all exits of all rounds, with the exit log kept as the debugger
 * keeps it). That includes exits taken before V8 has compiled the VMM's exit path: the bench guest
 * has too few exits (about 114 a run) for it ever to be compiled, so its figure is that of the
 * unoptimized tiers. Even the page-table-heavy guest's 9,080 exits a run start cold in most runs: the
 * last run's VM, collected while the other techniques run, takes V8's compiled exit path with it
 * (measured on 2026-12-08, in runs alternating with native ones: keeping one exit record, or one
 * `Ram`, alive across runs kept the code from the third run on), so a run's first exits take 3 to
 * 9 µs and its first half a few µs; the bench prints the median of each run's second half beside the
 * median of all. Each figure also holds one read of the clock (performance.now(),
 * 0.06 to 0.07 µs here). Then the checks: issue #6's VMM time per exit under 2 µs (median) on the
 * page-table-heavy guest under trap-and-emulate (issue #20 asks for 1 µs, not met yet: README), and issue #7's two, hardware-assisted within
 * 1.5× of native on the bench guest and at least 10× fewer exits than trap-and-emulate on the
 * page-table-heavy one; and issue #15's, the paravirtual lesson's kernel taking fewer exits than its
 * twin (the same workload as an ordinary kernel) under trap-and-emulate. The bench guest runs entirely in M-mode (bench/guest/start.S calls main with
 * no mret), which VS-mode cannot run: under hardware assistance it runs by trap-and-emulate, as under
 * that technique, so its figure measures the VMM's M-mode path, not the H extension.
 *
 * Binary translation (issue #14), which the tables above include: its checks are that on a kernel
 * dense with CSR accesses that never trap natively (bench/guest-csr-kernel.S) it takes at least 10×
 * fewer exits than trap-and-emulate, since its CSR accesses run inline in the translation cache;
 * that on a system-call loop (bench/guest-syscalls.S: U→S ecall, 5 CSR accesses, sret) it takes
 * fewer, with the ratio and the reason printed (the ecall exits under both, the sret is a callout);
 * and that the bench guest started in guest S-mode (boot "supervisor", where BT translates it)
 * runs within 2× of native wall time. The bench guest's only code page also holds the start of its
 * matrix `c`, so its stores there would exit on the code page's write protection: after 32 such
 * stores the hot-page policy (binary_translation.ts) runs that page directly. The bench measures it
 * once more with that policy off, to show what running it from the TC all the way costs. Then the
 * translation cache of each binary-translation run: size, blocks, hit rate, invalidations.
 *
 * The machine is shared, so every figure of time is a median over `--runs N` rounds (default 7); each
 * round runs the three techniques in a rotated order, so that no technique always runs first (cold
 * JIT) or last. The slowdown is the median of each round's ratio, which cancels load that drifts
 * between rounds. Exit counts and instructions are deterministic: the bench checks every run agrees.
 * `--json` prints the figures as JSON.
 */
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { readGuestImage, type GuestProgram } from "../src/asm/guest_image";
import type { ExitReason } from "../src/hypervisor/exits";
import { TC_BYTES, binaryTranslation } from "../src/hypervisor/techniques/binary_translation";
import type { TcStats } from "../src/hypervisor/techniques/tc_view";
import type { TechniqueSpec } from "../src/hypervisor/techniques/technique";
import { Vm, type GuestBoot } from "../src/hypervisor/vm";
import { EQUIVALENT_TECHNIQUES, techniqueEntry, type Technique } from "../src/target/techniques";
import { Board } from "../src/machine/board";
import { createVirtBoard } from "../src/machine/virt";
import { tcStatsText } from "../src/target/tc_text";

const ROOT = resolve(__dirname, "..");
const SLICE = 1_000_000;
const MEMORY = 64 << 20;
/** The techniques that run any guest (paravirtualization runs only kernels written for it: below). */
const TECHNIQUES = EQUIVALENT_TECHNIQUES;
const MAX_SLOWDOWN = 1.5;
const MIN_EXIT_RATIO = 10;
/** Issue #14's bound for binary translation on the bench guest in guest S-mode. */
const MAX_BT_SLOWDOWN = 2;
/** Issue #6's target for the VMM's own time per exit, in µs (median). */
const MAX_EXIT_MICROSECONDS = 2;

interface Run {
  seconds: number;
  instructions: number;
  exits: number;
  byReason: { reason: ExitReason; count: number }[];
  /** The VMM's time at each exit, in ms (empty natively). */
  perExit: number[];
  /** Binary translation's translation cache at the end. */
  tc?: TcStats;
}

function load(file: string): GuestProgram {
  const r = readGuestImage(file, readFileSync(file), (p) => readFileSync(p, "utf8"));
  if (!r.ok) {
    console.error(`vmm_bench: ${file}: ${r.error}`);
    process.exit(1);
  }
  return r.program;
}

function native(p: GuestProgram): Run {
  const b = createVirtBoard({ memoryBytes: MEMORY });
  b.load(p);
  const t = performance.now();
  while (b.run(SLICE).kind === "budget");
  return { seconds: (performance.now() - t) / 1000, instructions: Number(b.instret), exits: 0, byReason: [], perExit: [] };
}

/**
 * The VMM's time at each exit: from the hart's return at an exit (a trap into the VMM) to the next VM
 * entry. Returns at the end of a budget slice are not exits and are not timed. Board.run is wrapped
 * once, for every board, so the VMM's call into it always meets the same function: a wrapper made
 * per VM would make the optimizer drop the VMM's compiled code along with each old VM.
 */
const timing = { on: false, exitAt: -1, perExit: [] as number[] };
const hostRun = Board.prototype.run;
Board.prototype.run = function (this: Board, n: number) {
  if (!timing.on) return hostRun.call(this, n);
  if (timing.exitAt >= 0) timing.perExit.push(performance.now() - timing.exitAt);
  const r = hostRun.call(this, n);
  timing.exitAt = r.kind === "trap" ? performance.now() : -1;
  return r;
};

function virtualized(p: GuestProgram, technique: TechniqueSpec, boot: GuestBoot = "machine"): Run {
  // The default exit log, as the debugger keeps it (the last 100,000 records).
  const vm = new Vm({ technique, memoryBytes: MEMORY, boot });
  vm.load(p);
  const perExit: number[] = [];
  Object.assign(timing, { on: true, exitAt: -1, perExit });
  const t = performance.now();
  while (vm.run(SLICE).kind === "budget");
  const seconds = (performance.now() - t) / 1000;
  timing.on = false;
  const byReason = vm.log.stats().map((s) => ({ reason: s.reason, count: s.count }));
  return { seconds, instructions: Number(vm.instret), exits: byReason.reduce((s, r) => s + r.count, 0), byReason, perExit, tc: vm.technique.tcStats?.() };
}

function runOnce(p: GuestProgram, t: Technique): Run {
  const runs = techniqueEntry(t).runs;
  return typeof runs === "object" ? virtualized(p, runs) : native(p);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 0 : s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** All rounds of one guest: each round runs every technique once, starting with a different one. */
function measure(name: string, p: GuestProgram, rounds: number) {
  const runs = new Map<Technique, Run[]>(TECHNIQUES.map((t) => [t, []]));
  for (let i = 0; i < rounds; i++) {
    for (let j = 0; j < TECHNIQUES.length; j++) {
      const t = TECHNIQUES[(i + j) % TECHNIQUES.length];
      runs.get(t)!.push(runOnce(p, t));
    }
  }
  const base = runs.get("native")!;
  const techniques = TECHNIQUES.map((t) => {
    const rs = runs.get(t)!;
    for (const r of rs) {
      if (r.instructions !== base[0].instructions || r.exits !== rs[0].exits) {
        console.error(`vmm_bench: ${name}, ${t}: ${r.instructions} instructions and ${r.exits} exits in one run, ` +
          `${base[0].instructions} native and ${rs[0].exits} exits in the first`);
        process.exitCode = 1;
      }
    }
    const { instructions, exits, byReason, tc } = rs[0];
    return {
      technique: t,
      mips: median(rs.map((r) => r.instructions / r.seconds / 1e6)),
      seconds: median(rs.map((r) => r.seconds)),
      slowdown: median(rs.map((r, i) => r.seconds / base[i].seconds)),
      exits, exitsPerMillion: (exits * 1e6) / instructions,
      vmmMedianMicrosecondsPerExit: t === "native" ? undefined : median(rs.flatMap((r) => r.perExit)) * 1000,
      /** The same over the second half of each run's exits, once the run has warmed the exit path up (see the header). */
      vmmSecondHalfMedianMicrosecondsPerExit: t === "native" ? undefined : median(rs.flatMap((r) => r.perExit.slice(r.perExit.length >> 1))) * 1000,
      byReason, tc,
    };
  });
  return { guest: name, instructions: base[0].instructions, rounds, techniques };
}

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  const n = i < 0 ? fallback : Number(process.argv[i + 1]);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`vmm_bench: ${name} takes a positive integer, not ${process.argv[i + 1]}`);
    process.exit(2);
  }
  return n;
}

const rounds = option("--runs", 7);
const guests = [
  { key: "bench", name: "bench (CPU-bound C)", file: join(ROOT, "build/guests/bench.elf") },
  { key: "pagetables", name: "page-table-heavy", file: join(ROOT, "bench/guest-pagetables.S") },
];
const missing = guests.filter((g) => !existsSync(g.file));
if (missing.length > 0) {
  for (const g of missing) console.error(`vmm_bench: ${g.file} is missing; build it with 'node scripts/build-guests.mjs'`);
  process.exit(1);
}
const results = guests.map((g) => ({ key: g.key, ...measure(g.name, load(g.file), rounds) }));

const of = (key: string, t: Technique) => results.find((r) => r.key === key)!.techniques.find((x) => x.technique === t)!;
const hwBench = of("bench", "hardware-assisted");
const teTables = of("pagetables", "trap-and-emulate");
const hwTables = of("pagetables", "hardware-assisted");
const exitRatio = hwTables.exits === 0 ? Infinity : teTables.exits / hwTables.exits;
// The paravirtual lesson's kernel against its twin, the same workload as an ordinary kernel (exit
// counts are deterministic: one run each).
const spec = (t: Technique) => techniqueEntry(t).runs as TechniqueSpec;
const pvKernel = virtualized(load(join(ROOT, "sample-guests/paravirtual/pv_kernel.S")), spec("paravirtual"));
const twinTe = virtualized(load(join(ROOT, "sample-guests/paravirtual/twin_kernel.S")), spec("trap-and-emulate"), "supervisor");

// Binary translation (issue #14). The bench guest again, now started in guest S-mode (boot:
// "supervisor"), where binary translation runs it from its translation cache, against native, in
// rounds of alternating order; and once more with the hot-page policy off (see the header).
const bench = load(guests[0].file);
function supervisorRounds(spec: TechniqueSpec, n: number): { slowdown: number; run: Run } {
  const ratios: number[] = [];
  let first: Run | undefined;
  for (let i = 0; i < n; i++) {
    const bt = i % 2 === 0 ? undefined : virtualized(bench, spec, "supervisor");
    const base = native(bench);
    const run = bt ?? virtualized(bench, spec, "supervisor");
    first ??= run;
    ratios.push(run.seconds / base.seconds);
  }
  return { slowdown: median(ratios), run: first! };
}
const btSupervisor = supervisorRounds(spec("binary-translation"), rounds);
const btTranslatedOnly = supervisorRounds(binaryTranslation(TC_BYTES, Infinity), 1);
// Exit counts only (deterministic: one run each): a kernel dense with CSR accesses, and a system-call loop.
const exitsOf = (file: string, techniques: Technique[]) =>
  Object.fromEntries(techniques.map((t) => [t, virtualized(load(join(ROOT, file)), spec(t))])) as Record<Technique, Run>;
const csrKernel = exitsOf("bench/guest-csr-kernel.S", ["trap-and-emulate", "binary-translation", "hardware-assisted"]);
const syscalls = exitsOf("bench/guest-syscalls.S", ["trap-and-emulate", "binary-translation", "hardware-assisted"]);
const SYSCALLS = 2001;
const csrRatio = csrKernel["trap-and-emulate"].exits / csrKernel["binary-translation"].exits;
const syscallRatio = syscalls["trap-and-emulate"].exits / syscalls["binary-translation"].exits;
const perCall = (t: Technique) => (syscalls[t].exits / SYSCALLS).toFixed(2);

const checks = [
  {
    check: `bench guest: hardware-assisted within ${MAX_SLOWDOWN}x of native`,
    value: hwBench.slowdown, pass: hwBench.slowdown <= MAX_SLOWDOWN,
    text: `${hwBench.slowdown.toFixed(2)}x native wall time, median of the per-round ratios ` +
      `(median MIPS ${hwBench.mips.toFixed(1)} against ${of("bench", "native").mips.toFixed(1)})`,
  },
  {
    // The exit-heavy guest is where the VMM's cost per exit decides the slowdown, and has enough exits
    // for V8 to compile the exit path; the bench guest's ~114 a run never are (see the header).
    check: `page-table-heavy guest: trap-and-emulate VMM time per exit, median < ${MAX_EXIT_MICROSECONDS} µs`,
    value: teTables.vmmMedianMicrosecondsPerExit!, pass: teTables.vmmMedianMicrosecondsPerExit! < MAX_EXIT_MICROSECONDS,
    text: `${teTables.vmmMedianMicrosecondsPerExit!.toFixed(2)} µs over ${teTables.exits} exits a run, ${rounds} runs ` +
      `(the second half of each run's exits: ${teTables.vmmSecondHalfMedianMicrosecondsPerExit!.toFixed(2)} µs)`,
  },
  {
    check: `page-table-heavy guest: trap-and-emulate exits / hardware-assisted exits >= ${MIN_EXIT_RATIO}`,
    value: exitRatio, pass: exitRatio >= MIN_EXIT_RATIO,
    text: `${teTables.exits} / ${hwTables.exits} = ${exitRatio.toFixed(1)}`,
  },
  {
    check: "PV workload: paravirtual exits < trap-and-emulate exits on its twin",
    value: pvKernel.exits, pass: pvKernel.exits < twinTe.exits,
    text: `${pvKernel.exits} exits (${pvKernel.instructions} instructions) against ${twinTe.exits} (${twinTe.instructions})`,
  },
  {
    check: `CSR-dense kernel: trap-and-emulate exits / binary-translation exits >= ${MIN_EXIT_RATIO}`,
    value: csrRatio, pass: csrRatio >= MIN_EXIT_RATIO,
    text: `${csrKernel["trap-and-emulate"].exits} / ${csrKernel["binary-translation"].exits} = ${csrRatio.toFixed(1)} ` +
      `(its CSR accesses run inline in the TC; hardware-assisted ${csrKernel["hardware-assisted"].exits})`,
  },
  {
    // Not a bound of the issue, which asks for the ratio and why: the check is that BT takes fewer.
    check: "system-call loop: binary-translation exits < trap-and-emulate exits",
    value: syscallRatio, pass: syscallRatio > 1,
    text: `${syscalls["trap-and-emulate"].exits} / ${syscalls["binary-translation"].exits} = ${syscallRatio.toFixed(1)}; per call ` +
      `${perCall("trap-and-emulate")} against ${perCall("binary-translation")}: the user process runs directly under both, so its ecall ` +
      "traps into the VMM under both (which reflects it to the guest kernel), and the kernel's sret is a callout under BT; " +
      "only the handler's 5 CSR accesses, traps under trap-and-emulate, run inline. Hardware assistance delegates the ecall " +
      `and runs the handler in VS-mode: ${syscalls["hardware-assisted"].exits} exits in all`,
  },
  {
    check: `bench guest in guest S-mode: binary-translation within ${MAX_BT_SLOWDOWN}x of native`,
    value: btSupervisor.slowdown, pass: btSupervisor.slowdown <= MAX_BT_SLOWDOWN,
    text: `${btSupervisor.slowdown.toFixed(2)}x native wall time, median of ${rounds} rounds; ` +
      `${btSupervisor.run.byReason.map((r) => `${r.reason} ${r.count}`).join(", ")}`,
  },
];

if (process.argv.includes("--json")) {
  const bt = { benchSupervisor: btSupervisor, benchSupervisorHotPagePolicyOff: btTranslatedOnly, csrKernel, syscalls };
  console.log(JSON.stringify({ results, paravirtual: { pvKernel, twinTrapAndEmulate: twinTe }, binaryTranslation: bt, checks }, null, 2));
} else {
  for (const r of results) {
    console.log(`${r.guest}: ${r.instructions} instructions; medians of ${r.rounds} runs`);
    for (const t of r.techniques) {
      const vmm = t.vmmMedianMicrosecondsPerExit === undefined ? "" : `; VMM time per exit, median ${t.vmmMedianMicrosecondsPerExit.toFixed(2)} µs`;
      console.log(`  ${t.technique.padEnd(17)} ${t.mips.toFixed(1).padStart(6)} MIPS, ${t.slowdown.toFixed(2)}x native wall time; ` +
        `${t.exits} exits = ${t.exitsPerMillion.toFixed(1)} per million instructions${vmm}`);
      if (t.byReason.length > 0) console.log("    " + t.byReason.map((s) => `${s.reason} ${s.count}`).join(", "));
    }
  }
  console.log("binary translation's translation cache at the end of each run:");
  const tcLine = (name: string, r: { tc?: TcStats }) => r.tc && console.log(`  ${name}: ${tcStatsText(r.tc)}`);
  for (const r of results) tcLine(r.guest, r.techniques.find((t) => t.technique === "binary-translation")!);
  tcLine("bench in guest S-mode", btSupervisor.run);
  tcLine("CSR-dense kernel", csrKernel["binary-translation"]);
  tcLine("system-call loop", syscalls["binary-translation"]);
  console.log(`  bench in guest S-mode with the hot-page policy off (its code page, also its matrix's, stays translated): ` +
    `${btTranslatedOnly.slowdown.toFixed(2)}x native wall time, one round; ` +
    `${btTranslatedOnly.run.byReason.map((r) => `${r.reason} ${r.count}`).join(", ")}; ${tcStatsText(btTranslatedOnly.run.tc!)}`);
  for (const c of checks) console.log(`${c.pass ? "PASS" : "FAIL"} ${c.check}: ${c.text}`);
}

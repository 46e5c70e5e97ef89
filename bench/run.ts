/**
 * `npm run bench`: runs the benchmark guests (GUESTS: the CPU-bound bench/guest/ and the mixed
 * compiled-C bench/mixed/) on Hyperstep's machine and on qemu-system-riscv64, checks both print the
 * same checksum, and reports guest MIPS for both, a row per guest.
 *
 *  - Ours: createVirtBoard, run in slices of SLICE instructions (re-entering the run loop, as the
 *    debugger does), timed wall-clock around the runs only; the median of RUNS runs, each right
 *    after one of QEMU's. Instructions = our board's instret.
 *  - QEMU: TCG without -icount, wall-clock of the whole process minus the median of an empty guest's
 *    runs (its start-up cost); the median of RUNS runs. QEMU runs the benchmark about 1,500 MIPS, so
 *    the unscaled guest would take ~70 ms, no more than the noise in its start-up. Its copy of the
 *    guest is patched to repeat the workload QEMU_SCALE times. Each repetition retires the same
 *    instructions, so QEMU's count is exactly I(0) + QEMU_SCALE * (I(1) - I(0)), from two runs of
 *    ours at scale 0 and 1 (plus QEMU's 6-instruction reset ROM, which is noise at this size).
 *    Ours runs a guest at its `oursScale`: the mixed guest's one repetition is 21 M instructions, and
 *    at that size a run measures mostly how soon V8 has compiled its code, so ours repeats it too.
 *
 *  - Peak RSS: each side runs the guest once more alone in a process of its own (ours: this script
 *    with `--once`), measured as the kernel's maximum resident set size (peak_rss.ts). Also for
 *    bench/guest-touch-ram.S, which writes every page of its 128 MiB of RAM (target < 400 MB).
 *
 *  - Then the editor and start-up targets (editor_targets.ts): `hyperstep run`'s start-up, F5 to the
 *    entry stop, a step, the Page Tables panel, each printed against its target.
 *
 * Run it bundled (`esbuild bench/run.ts --bundle --platform=node --outfile=build/bench.js`, then
 * `node build/bench.js`), which is how the extension ships; under tsx the machine's code is the same but
 * loaded through a transpiling loader. `--json` prints machine-readable figures instead of the table; `--readme` also writes the table into
 * README.md (readme_table.ts).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { ElfError, findSymbol, parseElf, type ElfImage } from "../src/asm/elf";
import { createVirtBoard } from "../src/machine/virt";
import { qemuArgs, QEMU, runQemu } from "../test/oracle/qemu";
import { formatTargets, measureEditorTargets, targetTableRows } from "./editor_targets";
import { peakRssBytes } from "./peak_rss";
import { replaceMarkedBlock } from "./readme_table";

/** bench/ under tsx, build/ when bundled: the repository root is one up either way. */
const ROOT = resolve(__dirname, "..");
const GUEST = join(ROOT, "build/guests/bench.elf");

interface Guest {
  elf: string;
  /** Its row in the tables. */
  label: string;
  /** The repetitions (bench_scale) our machine runs. */
  oursScale: number;
}

const GUESTS: Guest[] = [
  { elf: GUEST, label: "CRC32 + matrix multiply guest", oursScale: 1 },
  { elf: join(ROOT, "build/guests/bench-mixed.elf"), label: "mixed compiled-C guest (Hyperstep runs it 4 times)", oursScale: 4 },
];
const EMPTY = join(ROOT, "build/guests/bench-empty.elf");
const TOUCH_RAM = join(ROOT, "build/guests/bench-touch-ram.elf");
const README = join(ROOT, "README.md");
const SLICE = 1_000_000;
const MAX_INSTRUCTIONS = 2_000_000_000;
const RUNS = 5;
const QEMU_SCALE = 16;

interface Figures {
  guest: string;
  instructions: number;
  checksum: string;
  ours: { seconds: number; mips: number; loader: "bundle" | "tsx"; peakRss?: number };
  qemu: { instructions: number; seconds: number; startupSeconds: number; mips: number; peakRss?: number };
  /** Ours over QEMU's MIPS: the issue's targets are written as this fraction. */
  fractionOfQemu: number;
}

function die(message: string): never {
  console.error(`bench: ${message}`);
  process.exit(1);
}

const checksumOf = (uart: string) => /^checksum ([0-9a-f]{8})$/m.exec(uart)?.[1];
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function loadGuest(path: string): ElfImage {
  const image = parseElf(readFileSync(path));
  if (image instanceof ElfError) die(`${path}: ${image.message}`);
  return image;
}

/** A copy of the guest's bytes with `bench_scale` set to `scale`. */
function withScale(bytes: Uint8Array, image: ElfImage, scale: number): Uint8Array {
  const sym = findSymbol(image, "bench_scale");
  const sec = sym && image.sections[sym.section];
  if (!sym || !sec) die(`a guest has no bench_scale variable`);
  const copy = new Uint8Array(bytes); // a copy: a Buffer's slice() shares its bytes
  new DataView(copy.buffer).setUint32(sec.offset + Number(sym.value - sec.addr), scale, true);
  return copy;
}

function runOurs(image: ElfImage): { seconds: number; instructions: number; uart: string } {
  let uart = "";
  const board = createVirtBoard({ uartOut: { write: (b) => (uart += String.fromCharCode(b)) } });
  board.load(image);
  const start = performance.now();
  for (;;) {
    const r = board.run(SLICE);
    if (r.kind === "halt") {
      if (r.code !== 0) die(`the guest exited with ${r.code} on our machine`);
      break;
    }
    if (r.kind !== "budget") die(`our machine stopped: ${r.kind}`);
    if (board.instret > BigInt(MAX_INSTRUCTIONS)) die(`no exit within ${MAX_INSTRUCTIONS} instructions`);
  }
  return { seconds: (performance.now() - start) / 1000, instructions: Number(board.instret), uart };
}

async function runQemuTimed(elf: string): Promise<{ seconds: number; uart: string }> {
  const r = await runQemu(elf, { icount: false, timeoutMs: 120_000 });
  if (r.timedOut || r.exitCode !== 0) die(`${elf} failed on QEMU (exit ${r.exitCode}): ${r.stderr}`);
  return { seconds: r.wallMs / 1000, uart: r.uart };
}

/** Peak RSS of a process of ours that runs `elf` once: this script again, with `--once`. */
function oursPeakRss(elf: string): number | undefined {
  return peakRssBytes(process.execPath, [...process.execArgv, __filename, "--once", elf]);
}

const qemuPeakRss = (elf: string) => peakRssBytes(QEMU, qemuArgs(elf, { icount: false }));

/** Both sides on one guest, alternating run by run. */
async function benchGuest(guest: Guest): Promise<Figures> {
  const bytes = readFileSync(guest.elf);
  const image = loadGuest(guest.elf);
  const oursImage = guest.oursScale === 1 ? image : parseElf(withScale(bytes, image, guest.oursScale)) as ElfImage;
  const tmp = mkdtempSync(join(tmpdir(), "hyperstep-bench-"));
  const scaled = join(tmp, "bench-scaled.elf");
  writeFileSync(scaled, withScale(bytes, image, QEMU_SCALE));

  const startups: number[] = [];
  const qemuTimes: number[] = [];
  const runs: ReturnType<typeof runOurs>[] = [];
  let qemuUart = "";
  try {
    // Alternating, so that a machine whose load changes during the run weighs on both sides alike.
    for (let i = 0; i < RUNS; i++) {
      startups.push((await runQemuTimed(EMPTY)).seconds);
      const r = await runQemuTimed(scaled);
      qemuTimes.push(r.seconds);
      qemuUart = r.uart;
      runs.push(runOurs(oursImage));
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  const ours = { ...runs[0]!, seconds: median(runs.map((r) => r.seconds)) };
  const fixedCost = runOurs(parseElf(withScale(bytes, image, 0)) as ElfImage).instructions;
  const oneRepetition = (ours.instructions - fixedCost) / guest.oursScale;
  const qemuInstructions = fixedCost + QEMU_SCALE * oneRepetition;

  const checksum = checksumOf(ours.uart);
  const qemuChecksum = checksumOf(qemuUart);
  if (!checksum || checksum !== qemuChecksum) {
    die(`${guest.elf}: checksums differ: ours ${JSON.stringify(ours.uart)}, QEMU ${JSON.stringify(qemuUart)}`);
  }
  const startup = median(startups);
  const qemuSeconds = Math.max(median(qemuTimes) - startup, 1e-6);
  const oursMips = ours.instructions / ours.seconds / 1e6;
  const qemuMips = qemuInstructions / qemuSeconds / 1e6;
  return {
    guest: guest.label,
    instructions: ours.instructions,
    checksum,
    ours: { seconds: ours.seconds, mips: oursMips, loader: __filename.endsWith(".ts") ? "tsx" : "bundle", peakRss: oursPeakRss(guest.elf) },
    qemu: { instructions: qemuInstructions, seconds: qemuSeconds, startupSeconds: startup, mips: qemuMips, peakRss: qemuPeakRss(guest.elf) },
    fractionOfQemu: oursMips / qemuMips,
  };
}

async function main(): Promise<void> {
  const once = process.argv.indexOf("--once");
  if (once >= 0) {
    runOurs(loadGuest(process.argv[once + 1]!));
    return;
  }
  const build = spawnSync(process.execPath, [join(ROOT, "scripts/build-guests.mjs")], { encoding: "utf8" });
  if (build.status !== 0) die(`building the guests failed:\n${build.stdout}${build.stderr}`);

  const guests: Figures[] = [];
  for (const guest of GUESTS) guests.push(await benchGuest(guest));
  const touchRam = { ours: oursPeakRss(TOUCH_RAM), qemu: qemuPeakRss(TOUCH_RAM) };
  const targets = measureEditorTargets(ROOT, touchRam.ours);

  if (process.argv.includes("--json")) {
    console.log(JSON.stringify({ guests, touchRamPeakRss: touchRam, targets }, null, 2));
    return;
  }
  const f = (x: number, d = 1) => x.toFixed(d).padStart(10);
  const n = (x: number) => x.toLocaleString("en").padStart(16);
  const mb = (bytes: number | undefined) => (bytes === undefined ? "?" : `${Math.round(bytes / 2 ** 20)} MB`);
  for (const g of guests) {
    console.log(`${g.guest}: checksum ${g.checksum} (both agree); medians of ${RUNS} runs`);
    console.log(`${"".padEnd(32)}${"instructions".padStart(16)}${"seconds".padStart(10)}${"MIPS".padStart(10)}${"peak RSS".padStart(10)}`);
    console.log(`${`Hyperstep (${g.ours.loader})`.padEnd(32)}${n(g.instructions)}${f(g.ours.seconds, 3)}${f(g.ours.mips)}${mb(g.ours.peakRss).padStart(10)}`);
    console.log(`${`QEMU TCG (x${QEMU_SCALE}, minus start-up)`.padEnd(32)}${n(g.qemu.instructions)}${f(g.qemu.seconds, 3)}${f(g.qemu.mips)}${mb(g.qemu.peakRss).padStart(10)}`);
    console.log(`QEMU start-up ${(g.qemu.startupSeconds * 1000).toFixed(0)} ms; Hyperstep runs at ${g.fractionOfQemu.toFixed(2)}x QEMU's speed\n`);
  }
  console.log(`a guest that writes all 128 MiB of its RAM: peak RSS ${mb(touchRam.ours)} (Hyperstep), ${mb(touchRam.qemu)} (QEMU)\n`);
  console.log(`issue #20's targets for the editor, start-up and memory (wall-clock, on this machine as loaded now):`);
  console.log(formatTargets(targets));
  if (process.argv.includes("--readme")) {
    const table = [
      `| measured by \`npm run bench\` (${new Date().toISOString().slice(0, 10)}, Node ${process.versions.node}, ${cpus().length} CPUs) | Hyperstep | QEMU 7.2 TCG | Hyperstep ÷ QEMU |`,
      "|---|---|---|---|",
      ...guests.flatMap((g) => [
        `| ${g.guest}, MIPS (median of ${RUNS}) | ${Math.round(g.ours.mips).toLocaleString("en")} | ${Math.round(g.qemu.mips).toLocaleString("en")} | ${g.fractionOfQemu.toFixed(2)}× |`,
        `| … peak resident memory of the whole process | ${mb(g.ours.peakRss)} | ${mb(g.qemu.peakRss)} | |`,
      ]),
      `| a guest that writes all 128 MiB of its RAM: peak resident memory | ${mb(touchRam.ours)} | ${mb(touchRam.qemu)} | |`,
      "",
      "| issue #20's editor, start-up and memory targets (same run, wall-clock) | Hyperstep | target | |",
      "|---|---|---|---|",
      ...targetTableRows(targets),
    ].join("\n");
    writeFileSync(README, replaceMarkedBlock(readFileSync(README, "utf8"), table));
    console.log(`README.md: benchmark table rewritten`);
  }
}

void main();

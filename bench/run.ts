/**
 * `npm run bench`: runs the CPU-bound benchmark guest (bench/guest/) on Hyperstep's machine and on
 * qemu-system-riscv64, checks both print the same checksum, and reports guest MIPS for both.
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
 *
 *  - Peak RSS: each side runs the guest once more alone in a process of its own (ours: this script
 *    with `--once`), measured as the kernel's maximum resident set size (peak_rss.ts). Also for
 *    bench/guest-touch-ram.S, which writes every page of its 128 MiB of RAM.
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
import { peakRssBytes } from "./peak_rss";
import { replaceMarkedBlock } from "./readme_table";

/** bench/ under tsx, build/ when bundled: the repository root is one up either way. */
const ROOT = resolve(__dirname, "..");
const GUEST = join(ROOT, "build/guests/bench.elf");
const EMPTY = join(ROOT, "build/guests/bench-empty.elf");
const TOUCH_RAM = join(ROOT, "build/guests/bench-touch-ram.elf");
const README = join(ROOT, "README.md");
const SLICE = 1_000_000;
const MAX_INSTRUCTIONS = 2_000_000_000;
const RUNS = 5;
const QEMU_SCALE = 16;

interface Figures {
  instructions: number;
  checksum: string;
  ours: { seconds: number; mips: number; loader: "bundle" | "tsx"; peakRss?: number; touchRamPeakRss?: number };
  qemu: { instructions: number; seconds: number; startupSeconds: number; mips: number; peakRss?: number; touchRamPeakRss?: number };
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
  if (!sym || !sec) die(`${GUEST} has no bench_scale variable`);
  const copy = bytes.slice();
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

async function main(): Promise<void> {
  const once = process.argv.indexOf("--once");
  if (once >= 0) {
    runOurs(loadGuest(process.argv[once + 1]!));
    return;
  }
  const build = spawnSync(process.execPath, [join(ROOT, "scripts/build-guests.mjs")], { encoding: "utf8" });
  if (build.status !== 0) die(`building the guests failed:\n${build.stdout}${build.stderr}`);

  const bytes = readFileSync(GUEST);
  const image = loadGuest(GUEST);
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
      runs.push(runOurs(image));
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  const ours = { ...runs[0]!, seconds: median(runs.map((r) => r.seconds)) };
  const fixedCost = runOurs(parseElf(withScale(bytes, image, 0)) as ElfImage).instructions;
  const qemuInstructions = fixedCost + QEMU_SCALE * (ours.instructions - fixedCost);

  const checksum = checksumOf(ours.uart);
  const qemuChecksum = checksumOf(qemuUart);
  if (!checksum || checksum !== qemuChecksum) {
    die(`checksums differ: ours ${JSON.stringify(ours.uart)}, QEMU ${JSON.stringify(qemuUart)}`);
  }
  const startup = median(startups);
  const qemuSeconds = Math.max(median(qemuTimes) - startup, 1e-6);
  const figures: Figures = {
    instructions: ours.instructions,
    checksum,
    ours: {
      seconds: ours.seconds,
      mips: ours.instructions / ours.seconds / 1e6,
      loader: __filename.endsWith(".ts") ? "tsx" : "bundle",
      peakRss: oursPeakRss(GUEST),
      touchRamPeakRss: oursPeakRss(TOUCH_RAM),
    },
    qemu: {
      instructions: qemuInstructions,
      seconds: qemuSeconds,
      startupSeconds: startup,
      mips: qemuInstructions / qemuSeconds / 1e6,
      peakRss: qemuPeakRss(GUEST),
      touchRamPeakRss: qemuPeakRss(TOUCH_RAM),
    },
    fractionOfQemu: 0,
  };
  figures.fractionOfQemu = figures.ours.mips / figures.qemu.mips;

  if (process.argv.includes("--json")) {
    console.log(JSON.stringify(figures, null, 2));
    return;
  }
  const f = (x: number, d = 1) => x.toFixed(d).padStart(10);
  const n = (x: number) => x.toLocaleString("en").padStart(16);
  const mb = (bytes: number | undefined) => (bytes === undefined ? "?" : `${Math.round(bytes / 2 ** 20)} MB`);
  console.log(`benchmark guest: CRC32 + integer matrix multiply, checksum ${checksum} (both agree); medians of ${RUNS} runs`);
  console.log(`${"".padEnd(32)}${"instructions".padStart(16)}${"seconds".padStart(10)}${"MIPS".padStart(10)}${"peak RSS".padStart(10)}`);
  console.log(`${`Hyperstep (${figures.ours.loader})`.padEnd(32)}${n(ours.instructions)}${f(ours.seconds, 3)}${f(figures.ours.mips)}${mb(figures.ours.peakRss).padStart(10)}`);
  console.log(`${`QEMU TCG (x${QEMU_SCALE}, minus start-up)`.padEnd(32)}${n(qemuInstructions)}${f(qemuSeconds, 3)}${f(figures.qemu.mips)}${mb(figures.qemu.peakRss).padStart(10)}`);
  console.log(`QEMU start-up ${(startup * 1000).toFixed(0)} ms; Hyperstep runs at ${figures.fractionOfQemu.toFixed(2)}x QEMU's speed`);
  console.log(`a guest that writes all 128 MiB of its RAM: peak RSS ${mb(figures.ours.touchRamPeakRss)} (Hyperstep), ${mb(figures.qemu.touchRamPeakRss)} (QEMU)`);
  if (process.argv.includes("--readme")) {
    const table = [
      `| measured by \`npm run bench\` (${new Date().toISOString().slice(0, 10)}, Node ${process.versions.node}, ${cpus().length} CPUs) | Hyperstep | QEMU 7.2 TCG | Hyperstep ÷ QEMU |`,
      "|---|---|---|---|",
      `| CRC32 + matrix multiply guest, MIPS (median of ${RUNS}) | ${Math.round(figures.ours.mips).toLocaleString("en")} | ${Math.round(figures.qemu.mips).toLocaleString("en")} | ${figures.fractionOfQemu.toFixed(2)}× |`,
      `| … peak resident memory of the whole process | ${mb(figures.ours.peakRss)} | ${mb(figures.qemu.peakRss)} | |`,
      `| a guest that writes all 128 MiB of its RAM: peak resident memory | ${mb(figures.ours.touchRamPeakRss)} | ${mb(figures.qemu.touchRamPeakRss)} | |`,
    ].join("\n");
    writeFileSync(README, replaceMarkedBlock(readFileSync(README, "utf8"), table));
    console.log(`README.md: benchmark table rewritten`);
  }
}

void main();

// Builds the differential-test corpus (test/fixtures/guests/*.S, each linked with crt.S), the H-extension
// corpus (test/fixtures/guests-h/*.S, each linked with crt_h.S, into build/guests-h/) and the
// benchmark guests (bench/guest/, bench/mixed/, bench/guest-empty.S, bench/guest-touch-ram.S) into build/guests/*.elf with Debian's riscv64-unknown-elf-gcc.
// Only outputs older than one of their inputs are rebuilt.
//
//   node scripts/build-guests.mjs                 build everything that changed
//   node scripts/build-guests.mjs --one SRC OUT   build one corpus-style guest (SRC + crt.S) into OUT
//
// Exits non-zero with a clear message when the compiler is missing or a guest fails to build.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const GCC = "riscv64-unknown-elf-gcc";
const GUESTS = join(ROOT, "test/fixtures/guests");
const H_GUESTS = join(ROOT, "test/fixtures/guests-h");
/** The C guests (*.c, each linked with crt_c.S) into build/guests/c_*.elf, with gcc's defaults (rv64gc). */
const C_GUESTS = join(ROOT, "test/fixtures/guests-c");
const BENCH = join(ROOT, "bench/guest");
const OUT = join(ROOT, "build/guests");
const H_OUT = join(ROOT, "build/guests-h");
const LINK = join(GUESTS, "link.ld");
const FLAGS = ["-march=rv64imac_zicsr_zifencei", "-mabi=lp64", "-nostdlib", "-nostartfiles", "-g", "-mcmodel=medany", "-Wl,--no-warn-rwx-segments"];

function fail(message) {
  console.error(`build-guests: ${message}`);
  process.exit(1);
}

function checkCompiler() {
  const r = spawnSync(GCC, ["--version"], { encoding: "utf8" });
  if (r.error) {
    fail(`${GCC} not found (${r.error.code}). Install it with: ` +
      "apt-get install gcc-riscv64-unknown-elf binutils-riscv64-unknown-elf");
  }
}

const mtime = (f) => (existsSync(f) ? statSync(f).mtimeMs : -1);

/** The corpus guest `src` linked with the shared start-up; every shared file is an input. */
function corpusJob(src, out) {
  const shared = [join(GUESTS, "crt.S"), join(GUESTS, "include/guest.h"), LINK];
  return {
    out,
    inputs: [src, ...shared],
    args: [...FLAGS, "-I", join(GUESTS, "include"), "-T", LINK, join(GUESTS, "crt.S"), src, "-o", out],
  };
}

/** An H-corpus guest linked with its start-up; gcc's -march has no `h`, so only the assembler gets it. */
function hJob(src, out) {
  const shared = [join(H_GUESTS, "crt_h.S"), join(H_GUESTS, "h.h"), join(GUESTS, "include/guest.h"), LINK];
  return {
    out,
    inputs: [src, ...shared],
    args: [...FLAGS, "-Wa,-march=rv64imac_zicsr_zifencei_h", "-I", H_GUESTS, "-I", join(GUESTS, "include"), "-T", LINK,
      join(H_GUESTS, "crt_h.S"), src, "-o", out],
  };
}

function jobs() {
  const list = readdirSync(GUESTS)
    .filter((f) => f.endsWith(".S") && f !== "crt.S")
    .map((f) => corpusJob(join(GUESTS, f), join(OUT, basename(f, ".S") + ".elf")));
  for (const f of readdirSync(H_GUESTS).filter((f) => f.endsWith(".S") && f !== "crt_h.S")) {
    list.push(hJob(join(H_GUESTS, f), join(H_OUT, basename(f, ".S") + ".elf")));
  }
  // C guests with gcc's own defaults (rv64gc, lp64d): floating point in registers, as students' C uses it.
  for (const f of readdirSync(C_GUESTS).filter((f) => f.endsWith(".c"))) {
    const src = join(C_GUESTS, f);
    const crt = join(C_GUESTS, "crt_c.S");
    const out = join(OUT, `c_${basename(f, ".c")}.elf`);
    list.push({
      out, inputs: [src, crt, LINK],
      args: ["-march=rv64gc", "-mabi=lp64d", "-O2", "-ffreestanding", "-nostdlib", "-nostartfiles", "-g", "-mcmodel=medany",
        "-Wl,--no-warn-rwx-segments", "-T", LINK, crt, src, "-o", out],
    });
  }
  const benchSources = readdirSync(BENCH).filter((f) => f.endsWith(".c") || f.endsWith(".S")).map((f) => join(BENCH, f));
  list.push({
    out: join(OUT, "bench.elf"),
    inputs: [...benchSources, ...readdirSync(BENCH).filter((f) => f.endsWith(".h")).map((f) => join(BENCH, f)), LINK],
    args: [...FLAGS, "-O2", "-ffreestanding", "-fno-builtin", "-T", LINK, ...benchSources, "-o", join(OUT, "bench.elf")],
  });
  // The mixed compiled-C guest shares the CPU-bound guest's start-up.
  const mixed = join(ROOT, "bench/mixed/mixed.c");
  list.push({
    out: join(OUT, "bench-mixed.elf"),
    inputs: [mixed, join(BENCH, "start.S"), join(BENCH, "console.h"), LINK],
    args: [...FLAGS, "-O2", "-ffreestanding", "-fno-builtin", "-T", LINK, join(BENCH, "start.S"), mixed, "-o", join(OUT, "bench-mixed.elf")],
  });
  for (const name of ["empty", "touch-ram"]) {
    const src = join(ROOT, `bench/guest-${name}.S`);
    const out = join(OUT, `bench-${name}.elf`);
    list.push({ out, inputs: [src, LINK], args: [...FLAGS, "-T", LINK, src, "-o", out] });
  }
  return list;
}

function run(job) {
  return new Promise((done) => {
    const child = spawn(GCC, job.args, { stdio: ["ignore", "inherit", "pipe"] });
    let err = "";
    child.stderr.on("data", (d) => (err += d));
    child.on("close", (code) => done({ job, code, err }));
  });
}

async function build(list) {
  checkCompiler();
  for (const j of list) mkdirSync(dirname(j.out), { recursive: true });
  const self = fileURLToPath(import.meta.url);
  const stale = list.filter((j) => Math.max(...j.inputs.map(mtime), mtime(self)) > mtime(j.out));
  const failures = [];
  for (let i = 0; i < stale.length; i += 4) {
    for (const r of await Promise.all(stale.slice(i, i + 4).map(run))) {
      if (r.code !== 0) failures.push(`${basename(r.job.out)}:\n${r.err}`);
      else if (r.err) process.stderr.write(r.err);
    }
  }
  if (failures.length) fail(`failed to build ${failures.length} guest(s):\n${failures.join("\n")}`);
  console.log(`build-guests: ${stale.length} built, ${list.length - stale.length} up to date (${OUT}, ${H_OUT})`);
}

const argv = process.argv.slice(2);
if (argv[0] === "--one") {
  if (argv.length !== 3) fail("usage: build-guests.mjs --one SRC.S OUT.elf");
  const out = resolve(argv[2]);
  mkdirSync(dirname(out), { recursive: true });
  await build([corpusJob(resolve(argv[1]), out)]);
} else {
  await build(jobs());
}

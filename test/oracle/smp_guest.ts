import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./guests";
import { OracleMissingError } from "./qemu";
import { ElfError, parseElf } from "../../src/asm/elf";
import { createTarget } from "../../src/target/create_target";
import type { Target } from "../../src/target/target";
import type { Technique } from "../../src/target/techniques";

const SOURCES = join(ROOT, "test/fixtures/guests-smp");
const GCC = "riscv64-unknown-elf-gcc";

/**
 * Compiles test/fixtures/guests-smp/<name>.c with its start.S for `harts` harts into
 * build/test-guests/smp-<name>-<harts>.elf; returns the ELF's path.
 */
export function buildSmpGuest(name: string, harts: number): string {
  const elf = join(ROOT, `build/test-guests/smp-${name}-${harts}.elf`);
  mkdirSync(join(ROOT, "build/test-guests"), { recursive: true });
  const r = spawnSync(GCC, [
    "-march=rv64imac_zicsr_zifencei", "-mabi=lp64", "-mcmodel=medany", "-nostdlib", "-nostartfiles", "-ffreestanding", "-O1", "-g", "-Wall", "-Werror",
    `-DHARTS=${harts}`, "-Wl,-Ttext=0x80000000,-n,--no-warn-rwx-segments", "-o", elf, join(SOURCES, "start.S"), join(SOURCES, `${name}.c`),
  ], { encoding: "utf8" });
  if ((r.error as NodeJS.ErrnoException | undefined)?.code === "ENOENT") throw new OracleMissingError(GCC, "gcc-riscv64-unknown-elf");
  if (r.status !== 0) throw new Error(`${GCC} failed:\n${r.stderr}`);
  return elf;
}

/**
 * Runs the ELF under `technique` with `smp` harts (vCPUs under a VMM) to its finisher, in runs of
 * `slices` steps, and asserts that it passed; returns its UART output and the target.
 */
export function runSmpGuest(elf: string, technique: Technique, smp: number, slices: readonly number[] = [50_000_000]): { uart: string; target: Target } {
  const image = parseElf(readFileSync(elf));
  if (image instanceof ElfError) throw image;
  let uart = "";
  const created = createTarget({ ...image, symbols: [] }, { technique, memoryBytes: 128 << 20, smp, historyBytes: 0, uartOut: { write: (b) => (uart += String.fromCharCode(b)) } });
  if (!created.ok) assert.fail(created.error);
  let stop;
  for (const n of slices) {
    stop = created.target.run(n);
    if (stop.kind !== "budget") break;
  }
  assert.deepEqual(stop, { kind: "halt", code: 0, how: "finisher" }, uart);
  return { uart, target: created.target };
}

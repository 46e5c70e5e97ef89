import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./guests";
import { OracleMissingError } from "./qemu";

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

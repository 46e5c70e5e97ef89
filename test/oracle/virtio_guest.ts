import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ElfError, parseElf } from "../../src/asm/elf";
import type { GuestProgram } from "../../src/target/create_target";
import { ROOT } from "./guests";
import { OracleMissingError, QEMU, QEMU_CPU } from "./qemu";

const SOURCES = join(ROOT, "test/fixtures/guests-virtio");
const GCC = "riscv64-unknown-elf-gcc";

/** Compiles test/fixtures/guests-virtio/<name>.c with its start.S into build/test-guests/<name>.elf; returns the ELF's path. */
export function buildVirtioGuest(name: string): string {
  const elf = join(ROOT, `build/test-guests/${name.replace(/_/g, "-")}.elf`);
  mkdirSync(join(ROOT, "build/test-guests"), { recursive: true });
  const r = spawnSync(GCC, [
    "-march=rv64imac_zicsr_zifencei", "-mabi=lp64", "-mcmodel=medany", "-nostdlib", "-nostartfiles", "-ffreestanding", "-O1", "-g", "-Wall", "-Werror",
    "-Wl,-Ttext=0x80000000,-n,--no-warn-rwx-segments", "-o", elf, join(SOURCES, "start.S"), join(SOURCES, `${name}.c`),
  ], { encoding: "utf8" });
  if ((r.error as NodeJS.ErrnoException | undefined)?.code === "ENOENT") throw new OracleMissingError(GCC, "gcc-riscv64-unknown-elf");
  if (r.status !== 0) throw new Error(`${GCC} failed:\n${r.stderr}`);
  return elf;
}

/** The ELF as createTarget takes it. */
export function loadVirtioGuest(elf: string): GuestProgram {
  const parsed = parseElf(readFileSync(elf));
  if (parsed instanceof ElfError) throw parsed;
  return { ...parsed, symbols: [] };
}

/**
 * Runs `elf` on QEMU's virt board with the version 2 virtio-mmio transport and `devices` (QEMU's
 * -drive/-device arguments) until the guest halts with exit code 0; returns its UART output. The UART
 * goes to a file in `dir`: a pipe that fills under load makes QEMU's serial drop bytes after a few retries.
 */
export function runOnQemu(elf: string, dir: string, devices: readonly string[]): string {
  const uartFile = join(dir, "qemu-uart.txt");
  const r = spawnSync(QEMU, [
    "-machine", "virt", "-cpu", QEMU_CPU, "-display", "none", "-monitor", "none", "-serial", `file:${uartFile}`,
    "-bios", "none", "-kernel", elf, "-icount", "shift=0,sleep=off",
    "-global", "virtio-mmio.force-legacy=false", ...devices,
  ], { encoding: "latin1", timeout: 60_000, stdio: ["ignore", "pipe", "pipe"] });
  if ((r.error as NodeJS.ErrnoException | undefined)?.code === "ENOENT") throw new OracleMissingError(QEMU, "qemu-system-misc");
  assert.equal(r.error, undefined, `QEMU did not finish: ${String(r.error)}`);
  const uart = readFileSync(uartFile, "latin1");
  assert.equal(r.status, 0, `the guest failed on QEMU:\n${uart}\n${r.stderr}`);
  return uart;
}

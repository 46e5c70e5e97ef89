import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import type { AsmDiagnostic } from "../asm/diagnostics";

/** The compiler a `.c` program is built with: Debian's `gcc-riscv64-unknown-elf`. */
export const C_COMPILER = "riscv64-unknown-elf-gcc";

/**
 * How a `.c` program is built: one freestanding file at `-g -O0` for RV64GC, linked at the
 * board's RAM (0x8000_0000) with `_start` as its entry, which the file defines (in a top-level
 * `__asm__`, say). What the lesson c-guest and the README describe.
 */
export const C_FLAGS = [
  "-g", "-O0", "-march=rv64gc", "-mabi=lp64d", "-mcmodel=medany", "-ffreestanding", "-nostdlib", "-nostartfiles",
  "-Wl,--no-warn-rwx-segments",
] as const;

const LINK_SCRIPT = `ENTRY(_start)
SECTIONS {
  . = 0x80000000;
  .text : { *(.text.start) *(.text*) }
  .rodata : { *(.rodata*) *(.srodata*) }
  .data : { *(.data*) *(.sdata*) }
  .bss : { *(.sbss*) *(.bss*) *(COMMON) }
}
`;

export type CBuild = { ok: true; elf: string } | { ok: false; error: string; diagnostics: AsmDiagnostic[] };

/**
 * Builds `file` (an absolute path) with the reference gcc into a folder of the system's temporary
 * directory kept per source file. The compiler's errors come back located, for the Problems panel.
 */
export async function buildC(file: string): Promise<CBuild> {
  const dir = path.join(tmpdir(), "hyperstep-c", createHash("sha256").update(file).digest("hex").slice(0, 16));
  mkdirSync(dir, { recursive: true });
  const ld = path.join(dir, "link.ld");
  writeFileSync(ld, LINK_SCRIPT);
  const elf = path.join(dir, `${path.basename(file, ".c")}.elf`);
  const result = await new Promise<{ code: number | string | null; stderr: string }>((resolve) => {
    execFile(C_COMPILER, [...C_FLAGS, "-T", ld, "-o", elf, file], { cwd: path.dirname(file), timeout: 60_000 }, (error, _stdout, stderr) => {
      resolve({ code: error ? ((error as NodeJS.ErrnoException).code ?? 1) : 0, stderr });
    });
  });
  if (result.code === "ENOENT") {
    return { ok: false, error: `is a C file, and building it needs ${C_COMPILER}, which is not installed (Debian and Ubuntu: apt-get install gcc-riscv64-unknown-elf)`, diagnostics: [] };
  }
  if (result.code !== 0) {
    const diagnostics = compilerErrors(result.stderr);
    return { ok: false, error: diagnostics.length ? `does not compile: ${diagnostics.length} error${diagnostics.length === 1 ? "" : "s"}` : `does not build: ${result.stderr.trim()}`, diagnostics };
  }
  return { ok: true, elf };
}

/** gcc's `file:line:col: error: message` lines (fatal errors too), as diagnostics. */
export function compilerErrors(stderr: string): AsmDiagnostic[] {
  const out: AsmDiagnostic[] = [];
  for (const m of stderr.matchAll(/^(.+?):(\d+):(\d+): (?:fatal )?error: (.*)$/gm)) {
    out.push({ file: m[1], line: Number(m[2]), column: Number(m[3]), message: m[4] });
  }
  return out;
}

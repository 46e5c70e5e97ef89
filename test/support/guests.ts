import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";

export const ROOT = path.resolve(import.meta.dirname, "../..");

const LINK_SCRIPT = `ENTRY(_start)
SECTIONS { . = 0x80000000; .text : { *(.text*) } .rodata : { *(.rodata*) } .data : { *(.data*) } .bss : { *(.bss*) } }
`;

/**
 * Builds a guest source with Debian's riscv64-unknown-elf-gcc, the reference toolchain, into
 * build/test-guests/. Throws (failing the test) when the toolchain is missing: oracles never skip.
 */
export function buildWithGcc(source: string, name = path.basename(source).replace(/\.[^.]+$/, ""), flags: readonly string[] = []): string {
  const dir = path.join(ROOT, "build/test-guests");
  mkdirSync(dir, { recursive: true });
  const ld = path.join(dir, "link.ld");
  writeFileSync(ld, LINK_SCRIPT);
  const out = path.join(dir, `${name}.elf`);
  execFileSync("riscv64-unknown-elf-gcc", [
    "-march=rv64imac_zicsr_zifencei", "-mabi=lp64", "-nostdlib", "-nostartfiles", "-g",
    "-Wl,--no-warn-rwx-segments", "-T", ld, ...flags, "-o", out, source,
  ], { stdio: "pipe" });
  return out;
}

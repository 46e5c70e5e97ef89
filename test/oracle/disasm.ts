/** objdump's reading of one instruction, for divergence reports only. */
import { spawnSync } from "node:child_process";

export function disassembleAt(elfPath: string, pc: bigint): string {
  const r = spawnSync("riscv64-unknown-elf-objdump", [
    "-d", "-M", "no-aliases", `--start-address=0x${pc.toString(16)}`, `--stop-address=0x${(pc + 4n).toString(16)}`, elfPath,
  ], { encoding: "utf8" });
  if (r.error || r.status !== 0) return "(objdump unavailable)";
  const line = r.stdout.split("\n").find((l) => l.trim().startsWith(pc.toString(16) + ":"));
  return line ? line.split("\t").slice(2).join(" ").trim() : "(not in the ELF's code)";
}

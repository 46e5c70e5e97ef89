/**
 * Assembler benchmark: a generated 100,000-line program (a mix of instructions, pseudo-instructions,
 * labels, branches, calls and data) assembled and linked in memory. Prints lines per second.
 * Run: node --import tsx bench/asm_bench.ts
 */
import { assemble } from "../src/asm/assemble";

export function generateProgram(lines: number): string {
  const out = ["  .text", "  .globl _start", "_start:", "1:"];
  const body = [
    "addi a0, a0, 1", "add a1, a2, a3", "lw a4, 8(sp)", "sd s0, 16(sp)", "li t0, 0x12345678", "beqz a0, 1f",
    "mv s1, a0", "slli a5, a5, 3", "call func", "la a6, data", "bne a0, a1, 1b", "csrr t1, mstatus",
    "1:", "amoadd.w a0, a1, (a2)", "j 1b", "sext.w a0, a0",
  ];
  let n = 0;
  let k = 0;
  while (out.length < lines - 6) {
    const l = body[k++ % body.length]!;
    out.push(l === "1:" ? "1:" : "  " + l);
    if (k % 500 === 0) out.push(`l${n++}:`);
  }
  out.push("func:", "  ret", "  .data", "data: .dword 1, 2, 3");
  return out.join("\n") + "\n";
}

if (process.argv[1]?.endsWith("asm_bench.ts")) run();

function run(): void {
  const src = generateProgram(100_000);
  const lineCount = src.split("\n").length - 1;
  const runs: number[] = [];
  assemble("bench.s", () => src); // warm-up: the first run also pays for compiling the assembler
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    const r = assemble("bench.s", () => src);
    const ms = performance.now() - t0;
    if (r.errors.length) throw new Error(`benchmark source has errors: ${r.errors[0]!.message}`);
    runs.push(ms);
  }
  runs.sort((a, b) => a - b);
  const median = runs[2]!;
  console.log(`${lineCount} lines: median ${median.toFixed(0)} ms over 5 runs (range ${runs[0]!.toFixed(0)}..${runs[4]!.toFixed(0)} ms), ${Math.round((lineCount / median) * 1000).toLocaleString("en-US")} lines/s`);
}

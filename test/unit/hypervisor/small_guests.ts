import type { GuestProgram } from "../../../src/asm/guest_image";
import { asmGuest } from "./equivalence";

/** Small assembly guests for the VMM's tests: their shared start and end. */

/** Halts through the SiFive test finisher with "pass". */
export const HALT = `
  li t0, 0x100000
  li t1, 0x5555
  sw t1, 0(t0)
1: j 1b
`;

/**
 * A kernel that starts in S-mode on Sv39: PMP open, satp at `root` (a table of gigapage leaves,
 * `entries` giving its dwords from index 0, the rest zero), MPP = S, mret to `body`, which may end with HALT.
 */
export function sv39Kernel(name: string, body: string, entries: number[]): GuestProgram {
  return asmGuest(`
  .option norelax
  .text
  .globl _start
_start:
  li t0, -1
  csrw pmpaddr0, t0
  li t0, 0x1f
  csrw pmpcfg0, t0
  la t0, root
  srli t0, t0, 12
  li t1, 8 << 60
  or t0, t0, t1
  csrw satp, t0
  li t0, 1 << 11
  csrs mstatus, t0
  la t0, kernel
  csrw mepc, t0
  mret
kernel:
${body}
  .data
  .align 12
root:
${entries.map((e) => `  .dword 0x${e.toString(16)}`).join("\n")}
  .zero 8 * ${512 - entries.length}
`, name);
}

/**
 * `bump` (addi a0, a0, 1; ret) and `new_insn`, the bits of addi a0, a0, 100, for guests that rewrite
 * bump's instruction.
 */
export const BUMP = `
bump:
  .word 0x00150513
  ret
  .align 2
new_insn:
  .word 0x06450513
`;

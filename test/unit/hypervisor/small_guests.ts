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

/**
 * A hostile guest: it probes guest-physical addresses just past its RAM (where the host has more
 * memory), a page table whose root and leaves point outside its RAM, . Every probe
 * must end in the fault the guest would get natively, and the VMM's shadow pool must stay intact.
 */
export const HOSTILE = `
        .option norelax
        .text
        .globl _start
_start: la   t0, handler
        csrw mtvec, t0
        li   s1, 0                  # faults seen
        li   t1, 0x80100000         # just past 1 MiB of guest RAM: host RAM continues there
        ld   a0, 0(t1)
        sd   t1, 0(t1)
        li   t1, 0x7ffff000         # just below guest RAM: the VMM's pool lies below guest RAM in the host
        ld   a0, 0(t1)
        sd   t1, 0(t1)
        li   t0, -1                 # PMP for S-mode
        csrw pmpaddr0, t0
        li   t0, 0x1f
        csrw pmpcfg0, t0
        la   t0, root               # a table whose leaf maps VA 0 to GPA 0x8010_0000 (outside RAM)
        li   t1, 0x200400cf
        sd   t1, 0(t0)
        li   t1, 0x200000cf
        sd   t1, 16(t0)
        srli t0, t0, 12
        li   t1, 8 << 60
        or   t0, t0, t1
        csrw satp, t0
        li   t0, 1 << 11
        csrs mstatus, t0
        la   t0, smode
        csrw mepc, t0
        mret
smode:  li   t1, 0x1000
        ld   a0, 0(t1)              # through the guest's own table to outside its RAM
        sd   t1, 0(t1)
        ecall
handler:
        csrr t2, mcause
        li   t3, 9                  # ecall from S: done
        beq  t2, t3, done
        addi s1, s1, 1
        slli s2, s2, 4
        or   s2, s2, t2
        csrr t2, mepc
        addi t2, t2, 4
        csrw mepc, t2
        mret
done:   li   t0, 0x100000
        li   t1, 0x5555
        sw   t1, 0(t0)
1:      j    1b
        .bss
        .balign 4096
root:   .space 4096
`;

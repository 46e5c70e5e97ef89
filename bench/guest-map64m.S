# map64m.S: the Page Tables panel's benchmark guest. It maps 64 MiB through 4 KiB pages, the
# heaviest table a panel refresh meets in practice: VA 0x4000_0000 + i·4 KiB → PA 0x8000_0000 + i·4 KiB
# for i < 16384, i.e. 32 full level-0 tables (16384 leaves) under one level-1 table. M-mode builds the
# table, turns Sv39 on (M-mode itself does not translate) and then loops for ever, flipping one PTE's
# D bit, for the benchmark to step through: one step in three changes the table.
#define PAGES  16384
#define TABLES (PAGES / 512)
        .section .text
        .globl  _start
_start:
        la      t0, m_trap
        csrw    mtvec, t0
        la      s0, pt_root
        la      s1, pt_l1
        la      s2, pt_l0
        srli    t0, s1, 12                # root[1] → pt_l1
        slli    t0, t0, 10
        ori     t0, t0, 1
        sd      t0, 8(s0)
        li      t1, 0                     # pt_l1[i] → pt_l0 + i·4 KiB
        li      t2, TABLES
1:      slli    t3, t1, 12
        add     t3, t3, s2
        srli    t3, t3, 12
        slli    t3, t3, 10
        ori     t3, t3, 1
        slli    t4, t1, 3
        add     t4, t4, s1
        sd      t3, 0(t4)
        addi    t1, t1, 1
        blt     t1, t2, 1b
        li      t1, 0                     # leaf i: PA 0x8000_0000 + i·4 KiB, V R W A D
        li      t2, PAGES
        li      t5, 0x80000
2:      add     t3, t5, t1
        slli    t3, t3, 10
        ori     t3, t3, 0xc7
        slli    t4, t1, 3
        add     t4, t4, s2
        sd      t3, 0(t4)
        addi    t1, t1, 1
        blt     t1, t2, 2b
        srli    t0, s0, 12                # satp: Sv39, ASID 0, pt_root
        li      t1, 8 << 60
        or      t0, t0, t1
        csrw    satp, t0
        sfence.vma
        .globl  ready
        ld      t6, 0(s2)                 # leaf 0, which the loop below keeps changing
ready:
        xori    t6, t6, 0x80              # the benchmark steps here, round and round: every third
        sd      t6, 0(s2)                 # step flips leaf 0's D bit, so the table changes then
        j       ready

        .align  2
m_trap:
        li      t0, 0x100000              # SiFive test finisher: pass
        li      t1, 0x5555
        sw      t1, 0(t0)
3:      j       3b

        .section .bss
        .balign 4096
pt_root: .space 4096
pt_l1:   .space 4096
pt_l0:   .space 4096 * TABLES

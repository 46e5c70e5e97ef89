# guest-pagetables.S: a page-table-heavy guest for bench/vmm_bench.ts.
# S-mode touches 64 pages mapped at VA 0x4000_0000, and in every round remaps one of them (a PTE
# store and an sfence.vma for its address): hidden faults, page-table writes and fences galore.
        .option norelax
        .section .text
        .globl  _start
_start:
        la      sp, stack_top
        la      t0, m_trap
        csrw    mtvec, t0
        li      t0, -1
        csrw    pmpaddr0, t0
        li      t0, 0x1f
        csrw    pmpcfg0, t0
        la      s0, root
        la      s1, l1
        la      s2, l0
        li      t0, 0x80000000          # root[2]: RAM gigapage, RWX, A, D
        srli    t1, t0, 12
        slli    t1, t1, 10
        ori     t1, t1, 0xcf
        sd      t1, 16(s0)
        li      t1, 0xc7                # root[0]: devices gigapage, RW, A, D
        sd      t1, 0(s0)
        srli    t1, s1, 12
        slli    t1, t1, 10
        ori     t1, t1, 1
        sd      t1, 8(s0)               # root[1] -> l1
        srli    t1, s2, 12
        slli    t1, t1, 10
        ori     t1, t1, 1
        sd      t1, 0(s1)               # l1[0] -> l0
        la      s3, pages
        li      t2, 0
1:      slli    t3, t2, 12
        add     t3, t3, s3
        srli    t1, t3, 12
        slli    t1, t1, 10
        ori     t1, t1, 0xc7            # RW, A, D
        slli    t4, t2, 3
        add     t4, t4, s2
        sd      t1, 0(t4)
        addi    t2, t2, 1
        li      t3, 64
        blt     t2, t3, 1b
        srli    t0, s0, 12
        li      t1, 8 << 60
        or      t0, t0, t1
        csrw    satp, t0
        li      t0, 1 << 11
        csrs    mstatus, t0
        la      t0, s_main
        csrw    mepc, t0
        mret
s_main:
        li      s4, 3000                # rounds
        li      s5, 0x40000000
2:      li      t2, 0
3:      slli    t3, t2, 12
        add     t3, t3, s5
        ld      t4, 0(t3)
        addi    t4, t4, 1
        sd      t4, 0(t3)
        addi    t2, t2, 1
        li      t3, 64
        blt     t2, t3, 3b
        andi    t2, s4, 63              # remap page (round % 64) onto itself: PTE store + fence
        slli    t4, t2, 3
        add     t4, t4, s2
        ld      t1, 0(t4)
        sd      t1, 0(t4)
        slli    t3, t2, 12
        add     t3, t3, s5
        sfence.vma t3, zero
        addi    s4, s4, -1
        bnez    s4, 2b
        ecall
        .align  2
m_trap:
        li      t0, 0x100000
        li      t1, 0x5555
        sw      t1, 0(t0)
1:      j       1b
        .section .bss
        .balign 4096
root:   .space 4096
l1:     .space 4096
l0:     .space 4096
pages:  .space 64 * 4096
stack:  .space 1024
stack_top:

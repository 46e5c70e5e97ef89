# shadow_paging.S: two address spaces, and a page-table edit with and without sfence.vma.
#
# M-mode builds two Sv39 address spaces, A (ASID 1) and B (ASID 2). Both map RAM and the devices
# one to one with global gigapages, and each maps the page at VA 0x4000_0000 to a page of its own:
# A to page_a (holding 'A'), B to page_b ('B'). S-mode then reads VA 0x4000_0000 in A, in B, in A
# again, edits A's PTE to point at page_c ('C') *without* sfence.vma, reads, fences, and reads.
#
# Under trap-and-emulate the hart never walks these tables: it walks the VMM's shadow tables.
# Watch the exit log: hidden page faults fill the shadows lazily, the satp writes switch between
# cached shadow roots, the PTE store is a `guest-pt-write` exit (the table pages are write-
# protected), and the shadow entry it made stale goes at the sfence.vma, as a TLB entry would.

#define UART_BASE     0x10000000
#define UART_LSR      5
#define LSR_THRE      0x20
#define FINISHER      0x100000
#define FINISHER_PASS 0x5555
#define MPP_S         (1 << 11)
#define PTE_V (1 << 0)
#define PTE_R (1 << 1)
#define PTE_W (1 << 2)
#define PTE_X (1 << 3)
#define PTE_G (1 << 5)
#define PTE_A (1 << 6)
#define PTE_D (1 << 7)
#define GIGA_RWX (PTE_V | PTE_R | PTE_W | PTE_X | PTE_G | PTE_A | PTE_D)
#define GIGA_RW  (PTE_V | PTE_R | PTE_W | PTE_G | PTE_A | PTE_D)
#define PAGE_RW  (PTE_V | PTE_R | PTE_W | PTE_A | PTE_D)
#define TEST_VA  0x40000000

# \dst <- PTE for physical address \pa with \flags
.macro MKPTE dst, pa, flags
        srli    \dst, \pa, 12
        slli    \dst, \dst, 10
        ori     \dst, \dst, \flags
.endm

# Builds an address space: root[0] and root[2] identity gigapages, root[1] -> l1 -> l0 -> page.
.macro SPACE root, l1, l0, page
        la      t0, \root
        li      t1, GIGA_RW
        sd      t1, 0(t0)                 # VA 0 .. 1 GiB: devices (UART, finisher)
        li      t2, 0x80000000
        MKPTE   t1, t2, GIGA_RWX
        sd      t1, 16(t0)                # VA 2 .. 3 GiB: RAM
        la      t2, \l1
        MKPTE   t1, t2, PTE_V
        sd      t1, 8(t0)                 # VA 1 GiB: a table
        la      t0, \l0
        MKPTE   t1, t0, PTE_V
        sd      t1, 0(t2)
        la      t2, \page
        MKPTE   t1, t2, PAGE_RW
        sd      t1, 0(t0)                 # VA 0x4000_0000 -> \page
.endm

        # No linker relaxation: nothing here sets up gp, so `la` must not become gp-relative.
        .option norelax
        .section .text
        .globl  _start
_start:
        la      sp, stack_top
        la      t0, m_trap
        csrw    mtvec, t0
        li      t0, -1                    # PMP: let S-mode reach everything
        csrw    pmpaddr0, t0
        li      t0, 0x1f
        csrw    pmpcfg0, t0
        SPACE   root_a, l1_a, l0_a, page_a
        SPACE   root_b, l1_b, l0_b, page_b
        la      t0, page_a
        li      t1, 'A'
        sb      t1, 0(t0)
        la      t0, page_b
        li      t1, 'B'
        sb      t1, 0(t0)
        la      t0, page_c
        li      t1, 'C'
        sb      t1, 0(t0)
        # satp values: mode Sv39 (8 << 60), ASID << 44, root PPN
        la      t0, root_a
        srli    t0, t0, 12
        li      t1, (8 << 60) | (1 << 44)
        or      s2, t0, t1                # s2 = satp of A
        la      t0, root_b
        srli    t0, t0, 12
        li      t1, (8 << 60) | (2 << 44)
        or      s3, t0, t1                # s3 = satp of B
        csrw    satp, s2
        li      t0, MPP_S
        csrs    mstatus, t0
        la      t0, s_main
        csrw    mepc, t0
        mret

s_main:
        li      s1, TEST_VA
        la      a0, msg_a
        call    show                      # A: 'A'
        csrw    satp, s3                  # switch to B (its own ASID: no fence needed)
        la      a0, msg_b
        call    show                      # B: 'B'
        csrw    satp, s2                  # back to A: the VMM reuses A's cached shadow
        la      a0, msg_a2
        call    show                      # A: 'A'
        la      t0, l0_a                  # edit A's PTE for TEST_VA: now page_c
        la      t2, page_c
        MKPTE   t1, t2, PAGE_RW
        sd      t1, 0(t0)                 # a guest-pt-write exit under the VMM
        la      a0, msg_nofence
        call    show                      # still 'A': the old translation is cached
        sfence.vma s1, zero               # drop translations of TEST_VA
        la      a0, msg_fence
        call    show                      # 'C'
        ecall                             # ask M-mode to end the run

# show(a0 = label): prints the label, the byte at TEST_VA and a newline.
show:
        mv      s4, ra
        call    puts
        lbu     a0, 0(s1)
        call    putc
        li      a0, '\n'
        call    putc
        mv      ra, s4
        ret

puts:
        mv      s5, ra
        mv      s6, a0
1:      lbu     a0, 0(s6)
        beqz    a0, 2f
        call    putc
        addi    s6, s6, 1
        j       1b
2:      mv      ra, s5
        ret

putc:
        li      t0, UART_BASE
1:      lbu     t1, UART_LSR(t0)
        andi    t1, t1, LSR_THRE
        beqz    t1, 1b
        sb      a0, 0(t0)
        ret

        .align  2
m_trap:
        li      t0, FINISHER
        li      t1, FINISHER_PASS
        sw      t1, 0(t0)
1:      j       1b

        .section .rodata
msg_a:       .asciz "address space A reads "
msg_b:       .asciz "address space B reads "
msg_a2:      .asciz "back in A, it reads "
msg_nofence: .asciz "PTE edited, no sfence.vma yet: "
msg_fence:   .asciz "after sfence.vma: "

        .section .bss
        .balign 4096
root_a: .space 4096
l1_a:   .space 4096
l0_a:   .space 4096
root_b: .space 4096
l1_b:   .space 4096
l0_b:   .space 4096
page_a: .space 4096
page_b: .space 4096
page_c: .space 4096
stack:  .space 1024
stack_top:

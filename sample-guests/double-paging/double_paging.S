# double_paging.S: a kernel that pages its memory out to its own disk, under a VMM that pages the
# same memory out to the host's: the double-paging problem (Goldberg and Hassinger, 1974; Waldspurger,
# "Memory Resource Management in VMware ESX Server", OSDI 2002, section 3.1).
#
# The kernel runs in S-mode with paging off, in 1 MiB of RAM. It fills 8 pages of its own (page i,
# word j holds i << 16 | j), in order. Then it needs a free page, and its pageout picks the coldest:
# page 0, filled first and not touched since. It writes page 0 to its disk (a RAM area here, the
# guest's swap), word by word, and reuses the page for new data. Last it checks that the disk holds
# page 0's old contents and the page its new ones.
#
# Under a VMM with hostMemory for only 6 of its pages and hostSwap, the VMM ran out of host frames
# while the kernel filled its pages, and swapped out the pages that got theirs longest ago: page 0
# first. So the kernel's pageout reads a page that is on the host's disk (a host-swap-in exit) only
# to write it to its own disk and overwrite it: two disk transfers, and a third frame taken from
# another page, for a page neither of them wanted. Ask the Debug Console `swap` at `pageout` and at
# `paged_out`, and break on the host-swap-in exit (Breakpoints view, exception filters).

#define UART_BASE     0x10000000
#define UART_THR      0
#define UART_LSR      5
#define LSR_THRE      0x20
#define FINISHER      0x100000
#define FINISHER_PASS 0x5555
#define FINISHER_FAIL 0x13333
#define PAGE          4096
#define WORDS         (PAGE / 8)
#define PAGES         8
#define NEW           (0xff << 16)

        .section .text
        .globl  _start
_start:
        la      t0, m_trap
        csrw    mtvec, t0
        li      t0, -1                  # PMP: let S-mode reach all memory
        csrw    pmpaddr0, t0
        li      t0, 0x1f
        csrw    pmpcfg0, t0
        li      t0, 0x1800              # MPP = S
        csrc    mstatus, t0
        li      t0, 0x800
        csrs    mstatus, t0
        la      t0, kernel
        csrw    mepc, t0
        mret

kernel:
        # Fill pages 0-7 in order: page i, word j = i << 16 | j.
        la      s0, pages
        mv      t0, s0
        li      t1, 0                   # page
1:      li      t2, 0                   # word
2:      slli    t3, t1, 16
        or      t3, t3, t2
        sd      t3, 0(t0)
        addi    t0, t0, 8
        addi    t2, t2, 1
        li      t4, WORDS
        blt     t2, t4, 2b
        addi    t1, t1, 1
        li      t4, PAGES
        blt     t1, t4, 1b
        la      a0, filled
        call    puts

        # The kernel needs a free page: its pageout writes the coldest, page 0, to its disk.
        .globl  pageout
pageout:
        mv      t0, s0                  # page 0
        la      t1, disk
        li      t2, WORDS
3:      ld      t3, 0(t0)
        sd      t3, 0(t1)
        addi    t0, t0, 8
        addi    t1, t1, 8
        addi    t2, t2, -1
        bnez    t2, 3b
        .globl  paged_out
paged_out:
        la      a0, wrote
        call    puts

        # Page 0 is free now: new data goes into it.
        mv      t0, s0
        li      t2, 0
4:      li      t3, NEW
        or      t3, t3, t2
        sd      t3, 0(t0)
        addi    t0, t0, 8
        addi    t2, t2, 1
        li      t4, WORDS
        blt     t2, t4, 4b
        la      a0, reused
        call    puts

        # The disk holds page 0's old contents (word j = j), the page its new ones.
        mv      t0, s0
        la      t1, disk
        li      t2, 0
5:      ld      t3, 0(t1)
        bne     t3, t2, fail
        ld      t3, 0(t0)
        li      t4, NEW
        or      t4, t4, t2
        bne     t3, t4, fail
        addi    t0, t0, 8
        addi    t1, t1, 8
        addi    t2, t2, 1
        li      t4, WORDS
        blt     t2, t4, 5b
        la      a0, checked
        call    puts
        li      a0, 0
        ecall                           # back to M-mode, which ends the run
fail:
        la      a0, wrong
        call    puts
        li      a0, 1
        ecall

# puts(a0 = NUL-terminated string)
puts:
        li      t0, UART_BASE
1:      lbu     t1, 0(a0)
        beqz    t1, 3f
2:      lbu     t2, UART_LSR(t0)
        andi    t2, t2, LSR_THRE
        beqz    t2, 2b
        sb      t1, UART_THR(t0)
        addi    a0, a0, 1
        j       1b
3:      ret

# The S-mode ecall: the run ends through the test finisher, passing when a0 is 0.
        .align  2
m_trap:
        li      t0, FINISHER
        li      t1, FINISHER_PASS
        beqz    a0, 1f
        li      t1, FINISHER_FAIL
1:      sw      t1, 0(t0)
2:      j       2b

        .section .rodata
filled:
        .asciz  "filled 8 pages\n"
wrote:
        .asciz  "paged out page 0 to the disk\n"
reused:
        .asciz  "reused page 0 for new data\n"
checked:
        .asciz  "disk and page 0 checked\n"
wrong:
        .asciz  "disk or page 0 is wrong\n"

        .section .bss
        .balign PAGE
pages:
        .space  PAGES * PAGE
disk:                                   # the kernel's swap area: one page
        .space  PAGE

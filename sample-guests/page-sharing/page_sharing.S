# page_sharing.S: pages with the same contents, which a VMM can keep once (VMware ESX's
# content-based page sharing), and the copy-on-write break when the guest writes one.
#
# The kernel runs in S-mode with paging off. It fills 8 pages with one pattern and 8 with zeros,
# then waits (a countdown of 200,000 instructions) while a VMM with `pageSharing` hashes its pages.
# Then it stores one different word into each of the 16 pages, and prints a checksum of all of
# them. Nothing it prints depends on the sharing: the same text comes out natively and on QEMU.
# Under the VMM, ask the Debug Console `sharing` at `shared_now` and again at `done`, and break on
# the `cow-break` exit (VM Exits view, or the Breakpoints view's exception filters).

#define UART_BASE     0x10000000
#define UART_THR      0
#define UART_LSR      5
#define LSR_THRE      0x20
#define FINISHER      0x100000
#define FINISHER_PASS 0x5555
#define PAGE          4096
#define PAGES         16
#define WAIT          200000

        .section .text
        .globl  _start
_start:
        la      sp, stack_top
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
        # Pages 0-7: word i is 3*i. Pages 8-15: zeros (written, so that they are the guest's own).
        la      s0, pages
        mv      t0, s0
        li      s1, PAGES
1:      li      t2, 0
2:      slli    t3, t2, 3
        add     t4, t0, t3
        li      t6, 0
        li      t5, PAGES / 2
        ble     s1, t5, 3f
        li      t5, 3
        mul     t6, t2, t5
3:      sd      t6, 0(t4)
        addi    t2, t2, 1
        li      t5, PAGE / 8
        blt     t2, t5, 2b
        li      t5, PAGE
        add     t0, t0, t5
        addi    s1, s1, -1
        bnez    s1, 1b
        la      a0, filled
        call    puts

        li      t0, WAIT                # the VMM scans pages while the guest runs
4:      addi    t0, t0, -1
        bnez    t0, 4b
        .globl  shared_now
shared_now:
        la      a0, waited
        call    puts

        # One store into each page: where the VMM shares a page, this is a copy-on-write break.
        mv      t0, s0
        li      s1, PAGES
5:      sd      s1, 8(t0)
        li      t5, PAGE
        add     t0, t0, t5
        addi    s1, s1, -1
        bnez    s1, 5b
        .globl  done
done:
        la      a0, wrote
        call    puts

        # checksum = rotate-left-1 and xor over every word of the 16 pages
        li      s2, 0
        mv      t0, s0
        li      t1, PAGES * PAGE / 8
6:      ld      t2, 0(t0)
        slli    t3, s2, 1
        srli    s2, s2, 63
        or      s2, s2, t3
        xor     s2, s2, t2
        addi    t0, t0, 8
        addi    t1, t1, -1
        bnez    t1, 6b
        la      a0, sum
        call    puts
        mv      a0, s2
        call    puthex
        la      a0, newline
        call    puts
        mv      a0, s2
        ecall                           # back to M-mode, which ends the run

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

# puthex(a0): 0x and 16 hex digits
puthex:
        li      t0, UART_BASE
        li      t3, 0x7830              # "0x", low byte first
        li      t4, 2
1:      lbu     t2, UART_LSR(t0)
        andi    t2, t2, LSR_THRE
        beqz    t2, 1b
        sb      t3, UART_THR(t0)
        srli    t3, t3, 8
        addi    t4, t4, -1
        bnez    t4, 1b
        li      t4, 60
2:      srl     t1, a0, t4
        andi    t1, t1, 15
        addi    t1, t1, '0'
        li      t5, '9'
        ble     t1, t5, 3f
        addi    t1, t1, 'a' - '0' - 10
3:      lbu     t2, UART_LSR(t0)
        andi    t2, t2, LSR_THRE
        beqz    t2, 3b
        sb      t1, UART_THR(t0)
        addi    t4, t4, -4
        bgez    t4, 2b
        ret

# The S-mode ecall: the run ends through the test finisher.
        .align  2
m_trap:
        li      t0, FINISHER
        li      t1, FINISHER_PASS
        sw      t1, 0(t0)
1:      j       1b

        .section .rodata
filled:
        .asciz  "filled 8 pages with one pattern and 8 with zeros\n"
waited:
        .asciz  "waited 200000 instructions\n"
wrote:
        .asciz  "wrote one word into each of the 16 pages\n"
sum:
        .asciz  "checksum of the 16 pages: "
newline:
        .asciz  "\n"

        .section .bss
        .balign PAGE
pages:
        .space  PAGES * PAGE
        .balign 16
        .space  4096
stack_top:

# two_vms.S: one guest that the `two-vms` configurations run twice on one host, as two VMs.
#
# The kernel runs in S-mode with paging off. It "boots": it lays out a kernel image of 24 pages
# (word i of page p is p << 32 | 7*i, the same in every VM that boots it) and clears 8 pages of
# .bss. Then it works for four rounds of 100,000 instructions each, printing a line after each:
# the VMM gives each VM a time slice of 100,000 guest steps, so two VMs' rounds alternate. After
# the rounds, it writes its own state into 2 pages of the image and prints a checksum of all 32.
# Nothing it prints depends on the other VM, the schedule or the sharing: alone, natively and on
# QEMU it prints the same.

#define UART_BASE     0x10000000
#define UART_THR      0
#define UART_LSR      5
#define LSR_THRE      0x20
#define FINISHER      0x100000
#define FINISHER_PASS 0x5555
#define PAGE          4096
#define IMAGE_PAGES   24
#define BSS_PAGES     8
#define ROUNDS        4
#define WORK          33333

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
        la      a0, booting
        call    puts
        # The image: word i of page p is p << 32 | 7*i.
        la      s0, image
        li      s1, 0                   # page
1:      slli    t0, s1, 12
        add     t0, t0, s0
        slli    t1, s1, 32
        li      t2, 0                   # word
2:      li      t3, 7
        mul     t3, t3, t2
        or      t3, t3, t1
        slli    t4, t2, 3
        add     t4, t4, t0
        sd      t3, 0(t4)
        addi    t2, t2, 1
        li      t3, PAGE / 8
        blt     t2, t3, 2b
        addi    s1, s1, 1
        li      t3, IMAGE_PAGES
        blt     s1, t3, 1b
        # .bss: zeros, stored, so that the pages are the VM's own.
        la      t0, bss
        li      t1, BSS_PAGES * PAGE / 8
3:      sd      zero, 0(t0)
        addi    t0, t0, 8
        addi    t1, t1, -1
        bnez    t1, 3b
        .globl  booted
booted:
        la      a0, up                  # @booted
        call    puts

        li      s1, 1                   # the rounds of work
4:      li      t0, WORK                # 3 instructions a turn: 100,000 a round
5:      addi    t0, t0, -1
        nop
        bnez    t0, 5b
        la      a0, round
        call    puts
        addi    a0, s1, '0'
        call    putc
        la      a0, newline
        call    puts
        addi    s1, s1, 1
        li      t0, ROUNDS
        ble     s1, t0, 4b
        .globl  worked
worked:
        # The VM's own state in 2 pages of its image: where they were shared, copy-on-write breaks.
        li      t0, 0x5eed              # @worked
        sd      t0, 8(s0)
        li      t1, PAGE
        add     t1, t1, s0
        sd      t0, 8(t1)
        .globl  done
done:
        # checksum = rotate-left-1 and xor over every word of the image and .bss
        li      s2, 0
        mv      t0, s0
        li      t1, (IMAGE_PAGES + BSS_PAGES) * PAGE / 8
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
        ecall                           # back to M-mode, which ends the run

# putc(a0 = a byte)
putc:
        li      t0, UART_BASE
1:      lbu     t2, UART_LSR(t0)
        andi    t2, t2, LSR_THRE
        beqz    t2, 1b
        sb      a0, UART_THR(t0)
        ret

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
booting:
        .asciz  "booting: laying out the kernel image\n"
up:
        .asciz  "booted: 24 pages of image, 8 of .bss\n"
round:
        .asciz  "round "
sum:
        .asciz  "checksum of the 32 pages: "
newline:
        .asciz  "\n"

        .section .bss
        .balign PAGE
image:
        .space  IMAGE_PAGES * PAGE
bss:
        .space  BSS_PAGES * PAGE
        .balign 16
        .space  4096
stack_top:

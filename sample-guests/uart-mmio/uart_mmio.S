# uart_mmio.S: driving an NS16550A UART register by register.
#
# Natively the stores and loads below reach the board's UART. Under trap-and-emulate, guest
# physical 0x1000_0000 has no host memory behind it: every access faults into the VMM, which
# decodes the load or store, runs its software model of the UART, writes the result into the
# guest's register and steps over the instruction. One exit per register access: count them.

#define UART_BASE 0x10000000
#define RBR_THR   0        /* receive buffer (read) / transmit holding (write) */
#define IER       1        /* interrupt enable */
#define FCR       2        /* FIFO control (write) */
#define LCR       3        /* line control */
#define LSR       5        /* line status */
#define SCR       7        /* scratch: a register that only remembers */
#define LCR_DLAB  0x80
#define LCR_8N1   0x03
#define LSR_THRE  0x20
#define FINISHER  0x100000
#define FINISHER_PASS 0x5555

        # No linker relaxation: nothing here sets up gp, so `la` must not become gp-relative.
        .option norelax
        .section .text
        .globl  _start
_start:
        la      sp, stack_top
        li      s0, UART_BASE
        # Line setup, as a driver would: divisor latch, 8N1, FIFOs on, no interrupts.
        li      t0, LCR_DLAB
        sb      t0, LCR(s0)               # mmio-write LCR
        li      t0, 3
        sb      t0, RBR_THR(s0)           # mmio-write: divisor low byte (DLAB is set)
        sb      zero, IER(s0)             # mmio-write: divisor high byte
        li      t0, LCR_8N1
        sb      t0, LCR(s0)               # mmio-write LCR: DLAB off
        li      t0, 0x07
        sb      t0, FCR(s0)               # mmio-write FCR: enable and reset the FIFOs
        sb      zero, IER(s0)             # mmio-write IER

        # The scratch register: write it, read it back through the VMM's model.
        li      t0, 0x5a
        sb      t0, SCR(s0)               # mmio-write SCR
        lbu     s1, SCR(s0)               # mmio-read SCR: 0x5a again

        la      a0, msg
        call    puts
        li      a0, 'Z'
        li      t0, 0x5a
        beq     s1, t0, 1f
        li      a0, '?'
1:      call    putc
        li      a0, '\n'
        call    putc

        li      t0, FINISHER
        li      t1, FINISHER_PASS
        sw      t1, 0(t0)
2:      j       2b

# putc(a0): wait until THR is empty (an LSR read per try), then write THR.
putc:
1:      lbu     t1, LSR(s0)               # mmio-read LSR
        andi    t1, t1, LSR_THRE
        beqz    t1, 1b
        sb      a0, RBR_THR(s0)           # mmio-write THR: the byte appears on the console
        ret

puts:
        mv      t2, ra
        mv      t3, a0
1:      lbu     a0, 0(t3)
        beqz    a0, 2f
        call    putc
        addi    t3, t3, 1
        j       1b
2:      mv      ra, t2
        ret

        .section .rodata
msg:    .asciz  "UART set up for 8N1; the scratch register holds 0x5a, which is "

        .section .bss
        .align  4
stack:  .space  256
stack_top:

# hello.S: the smallest complete guest for QEMU's `virt` board.
#
# It prints a greeting on the NS16550A UART, takes one trap into its own M-mode handler
# (an `ecall`), and ends the run through the SiFive test finisher. Step it with F5 and watch
# `mcause`, `mepc` and `mtvec` as the ecall is taken and returned from.

#define UART_BASE     0x10000000
#define UART_THR      0            /* transmit holding register */
#define UART_LSR      5            /* line status register */
#define LSR_THRE      0x20         /* transmitter holding register empty */
#define FINISHER      0x100000
#define FINISHER_PASS 0x5555

        .section .text
        .globl  _start
_start:
        la      sp, stack_top
        la      t0, trap_handler
        csrw    mtvec, t0

        la      a0, greeting
        call    puts

        ecall                           # trap into trap_handler; it returns past the ecall

        la      a0, farewell
        call    puts

        li      t0, FINISHER
        li      t1, FINISHER_PASS
        sw      t1, 0(t0)               # the run ends here
1:      j       1b

# puts(a0 = NUL-terminated string): write each byte once the UART can take it.
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

# The trap handler: skip the 4-byte ecall and return to the guest.
        .align  2
trap_handler:
        csrr    t0, mepc
        addi    t0, t0, 4
        csrw    mepc, t0
        mret

        .section .rodata
greeting:
        .asciz  "Hello from a RISC-V guest!\n"
farewell:
        .asciz  "Back from the trap handler. Goodbye.\n"

        .section .bss
        .align  4
stack:
        .space  4096
stack_top:

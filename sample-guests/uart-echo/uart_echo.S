# uart_echo.S: the UART's receive path, byte by byte.
#
# A serial console sends each key as one byte, and Enter as a carriage return ('\r', 13). The guest
# learns that a byte has arrived from the line status register (LSR, offset 5): its Data Ready bit
# (bit 0) is set until the byte is read from the receive buffer (RBR, offset 0). Nothing appears on
# the terminal unless the guest sends it back: echo is the guest's job, so Enter is echoed as "\r\n"
# to move to a new line. Ctrl-D (4) ends the run.

#define UART_BASE     0x10000000
#define UART_RBR      0            /* receive buffer (read) */
#define UART_THR      0            /* transmit holding register (write) */
#define UART_LSR      5            /* line status register */
#define LSR_DR        0x01         /* data ready: RBR holds a byte */
#define LSR_THRE      0x20         /* transmitter holding register empty */
#define CR            13
#define LF            10
#define CTRL_D        4
#define FINISHER      0x100000
#define FINISHER_PASS 0x5555

        .section .text
        .globl  _start
_start:
        la      sp, stack_top
        la      a0, banner
        call    puts

echo:
        call    getc                    # a0 = the next byte typed
        li      t0, CTRL_D
        beq     a0, t0, finish
        li      t0, CR
        bne     a0, t0, 1f
        call    putc                    # Enter: the carriage return, then a line feed
        li      a0, LF
1:      call    putc
        j       echo

finish:
        la      a0, goodbye
        call    puts
        li      t0, FINISHER
        li      t1, FINISHER_PASS
        sw      t1, 0(t0)               # the run ends here
1:      j       1b

# getc() -> a0: wait until the UART holds a received byte, then take it from RBR.
getc:
        li      t0, UART_BASE
1:      lbu     t1, UART_LSR(t0)
        andi    t1, t1, LSR_DR
        beqz    t1, 1b                  # nothing typed yet: poll again
        lbu     a0, UART_RBR(t0)        # reading RBR clears Data Ready
        ret

# putc(a0): wait until the transmitter can take a byte, then write it to THR.
putc:
        li      t0, UART_BASE
1:      lbu     t1, UART_LSR(t0)
        andi    t1, t1, LSR_THRE
        beqz    t1, 1b
        sb      a0, UART_THR(t0)
        ret

# puts(a0 = NUL-terminated string)
puts:
        addi    sp, sp, -16
        sd      ra, 8(sp)
        sd      s0, 0(sp)
        mv      s0, a0
1:      lbu     a0, 0(s0)
        beqz    a0, 2f
        call    putc
        addi    s0, s0, 1
        j       1b
2:      ld      s0, 0(sp)
        ld      ra, 8(sp)
        addi    sp, sp, 16
        ret

        .section .rodata
banner:
        .asciz  "uart-echo: type, and the guest echoes each byte back. Ctrl-D ends.\n"
goodbye:
        .asciz  "\nuart-echo: goodbye.\n"

        .section .bss
        .align  4
stack:
        .space  4096
stack_top:

# echo.S: echoes UART input back (polling LSR.DR) until it reads 'q', then exits.
#define UART_BASE 0x10000000
        .section .text
        .globl  _start
_start:
        li      t0, UART_BASE
wait:
        lbu     t1, 5(t0)                       # @poll
        andi    t1, t1, 1
        beqz    t1, wait
        lbu     t2, 0(t0)
        li      t3, 113
        beq     t2, t3, done
        sb      t2, 0(t0)
        j       wait
done:
        li      t0, 0x100000
        li      t1, 0x5555
        sw      t1, 0(t0)
1:      j       1b

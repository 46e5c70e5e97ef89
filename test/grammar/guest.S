/* A guest in the style of QEMU's bare-metal examples.
   It covers every kind of token the grammar knows. */
#include "inc/platform.h"
#include <stddef.h>
#define UART_BASE 0x10000000        /* the NS16550A */
#define REG(n) ((n) * 8)            // scaled register offset
#ifdef DEBUG
#  define TRACE 1
#elif defined(QUIET) && QUIET > 1
#else
#endif

        .section .text.init, "ax"
        .globl  _start
        .equ    STACK_SIZE, 4096
        COUNT = 3
_start:
        la      sp, stack_top
        csrr    t0, mhartid
        csrw    mtvec, t0
        csrrwi  zero, mstatus, 8
        li      a0, -0x7fff0000 >> 4
        li      a1, 0b1010 + 017 * 'A'
        lui     a2, %hi(message)
        addi    a2, a2, %lo(message)
1:      lbu     t1, 0(a2)           # load the next byte
        beqz    t1, 2f
        sb      t1, REG(0)(x10)     // store
        addi    a2, a2, 1
        j       1b
2:      fence.i
        amoadd.w.aqrl s11, t6, (fp)
        hlv.d   x31, (a0)
        sfence.vma zero, zero
loop:   wfi
        c.j     loop
        my_macro a0, 1

        .macro  push reg
        addi    sp, sp, -8
        sd      \reg, 0(sp)
        .endm
        .rept   2
        nop
        .endr
        .option push
        .option norvc
        .option pop

        .section .rodata
message:
        .asciz  "Hello\n\t\"quoted\"\x41"
        .byte   1, 2, 'x', '\n'
        .dword  message + 8, .
        .align  3
        .space  STACK_SIZE
stack_top:
        .ascii  "not # a comment // either"
        .word   1 /* inline */ + 2, end - stack_top
        .type   stack_top, @object
        .size   stack_top, . - stack_top

# bad.S: does not assemble (for the launch-error tests).
        .section .text
        .globl  _start
_start:
        addi    t0, t0
        frobnicate a0, a1
        li      t1, 5

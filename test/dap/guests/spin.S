# spin.S: a tight loop that never ends, for pause, progress and instruction-limit tests.
        .section .text
        .globl  _start
_start:
        li      t0, 0
spin:
        addi    t0, t0, 1                       # @spin
        j       spin

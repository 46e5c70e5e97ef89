# trap_loop.S: what a C program built for rv64gc does on this rv64imac machine when it has no trap
# vector: its first floating-point instruction is illegal, the hart traps to mtvec = 0, where the
# fetch faults, and so on forever.
        .section .text
        .globl  _start
_start:
        li      a0, 3
        .word   0x00b57553              # fadd.d fa0, fa0, fa1: illegal without the D extension
        li      a0, 4

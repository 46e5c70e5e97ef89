# wfi.S: waits for an interrupt that nothing can raise.
        .section .text
        .globl  _start
_start:
        wfi                                     # @wfi
        j       _start

# slows_down.S: fast code long enough for the adapter's slices to grow, then (after printing "slow")
# a loop whose every turn reads a CSR: natively it leaves the hart's fast path, under a VMM it is a VM
# exit. For the test that pause stays prompt when a guest slows down.
        .section .text
        .globl  _start
_start:
        li      t1, 20000000
fast:
        addi    t1, t1, -1
        bnez    t1, fast
        li      t0, 0x10000000                  # the UART
        la      t1, message
print:
        lbu     t2, 0(t1)
        beqz    t2, slow
        sb      t2, 0(t0)
        addi    t1, t1, 1
        j       print
slow:
        csrr    t2, mscratch                    # @slow
        j       slow                            # @slow-back
        .section .rodata
message:
        .asciz  "slow\n"

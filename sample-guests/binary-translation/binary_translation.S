# binary_translation.S: a kernel whose code is dense with CSR accesses, for binary translation.
#
# The kernel keeps a running sum in sscratch, as a kernel keeps per-CPU state in a CSR: each of its
# 100 rounds reads sscratch, calls a helper that adds the round number, and writes sscratch back.
# Natively the CSR accesses are ordinary S-mode instructions. Under trap-and-emulate each one traps
# into the VMM (csr-read, csr-write exits). Under binary translation the kernel never runs as it
# is: the VMM copies it into its translation cache, where each of these CSR accesses runs inline on
# the vCPU's virtual CSR file (no trap, no exit), and chains the loop, the call and the return to
# their translations. Compare the two in `stats`, and look at the translation with `tc kernel` and
# `tc add_round` in the Debug Console.
#
# Then the kernel runs a user process that makes the same 100 additions as system calls: each
# `ecall` from U-mode enters the kernel's handler, which reads and writes its CSRs and returns with
# `sret`. The user process is never translated, under binary translation as under trap-and-emulate
# it runs directly, and its ecall exits under both; the handler's CSR accesses are traps against
# inline accesses, its `sret` a trap against a callout.

#define UART_BASE     0x10000000
#define UART_LSR      5
#define LSR_THRE      0x20
#define FINISHER      0x100000
#define FINISHER_PASS 0x5555
#define MPP_S         (1 << 11)
#define SPP           (1 << 8)
#define ECALL_FROM_U  (1 << 8)
#define ROUNDS        100
#define SYS_EXIT      0
#define SYS_ADD       1

        # No linker relaxation: nothing here sets up gp, so `la` must not become gp-relative.
        .option norelax
        .section .text
        .globl  _start
_start:
        la      sp, stack_top
        la      t0, m_trap
        csrw    mtvec, t0
        li      t0, -1
        csrw    pmpaddr0, t0
        li      t0, 0x1f
        csrw    pmpcfg0, t0
        li      t0, ECALL_FROM_U          # the user process's system calls go to the kernel
        csrw    medeleg, t0
        li      t0, MPP_S
        csrs    mstatus, t0
        la      t0, kernel
        csrw    mepc, t0
        mret

kernel:
        csrw    sscratch, zero            # the running sum lives in a CSR
        li      s0, 1                     # round number
        li      s1, ROUNDS
round:
        csrr    a0, sscratch              # sensitive: traps under trap-and-emulate, inline under BT
        mv      a1, s0
        call    add_round                 # a call and a return: chained / looked up under BT
        csrw    sscratch, a0              # sensitive again: a write with no side effect, inline too
        addi    s0, s0, 1
        ble     s0, s1, round             # the loop's back edge: chained to its own translation
        csrr    a0, sscratch
        call    print_decimal             # prints 5050
        # Start the user process: system calls trap to s_trap, and sret drops to U-mode at `user`.
        csrw    sscratch, zero
        la      t0, s_trap
        csrw    stvec, t0
        la      t0, user
        csrw    sepc, t0
        li      t0, SPP
        csrc    sstatus, t0
        sret

# The user process: ROUNDS system calls, each asking the kernel to add the round number to its sum.
user:
        li      s0, 1
1:      mv      a0, s0
        li      a7, SYS_ADD
        ecall                             # U → S: an exit under both techniques (the VMM reflects it)
        addi    s0, s0, 1
        ble     s0, s1, 1b
        li      a7, SYS_EXIT
        ecall

# The kernel's system-call handler: CSR accesses (traps, or inline under BT) and sret (a trap, or a callout).
        .align  2
s_trap:
        csrr    t1, sepc
        addi    t1, t1, 4                 # return past the ecall
        csrw    sepc, t1
        beqz    a7, s_exit
        csrr    t2, sscratch
        add     t2, t2, a0
        csrw    sscratch, t2
        sret
s_exit:
        csrr    a0, sscratch
        call    print_decimal             # prints 5050 again
        ecall                             # to M-mode, which ends the run

# a0 + a1, the way a kernel helper would compute it: a few ordinary instructions, copied as they are.
add_round:
        add     a0, a0, a1
        ret

# Prints a0 (below 10000) in decimal and a newline.
print_decimal:
        mv      s2, ra
        li      t3, 1000
        li      t4, 10
1:      divu    t5, a0, t3
        remu    a0, a0, t3
        addi    t5, t5, '0'
        mv      t6, a0
        mv      a0, t5
        call    putc
        mv      a0, t6
        divu    t3, t3, t4
        bnez    t3, 1b
        li      a0, '\n'
        call    putc
        mv      ra, s2
        ret

putc:
        li      t0, UART_BASE
1:      lbu     t1, UART_LSR(t0)
        andi    t1, t1, LSR_THRE
        beqz    t1, 1b
        sb      a0, 0(t0)
        ret

        .align  2
m_trap:
        li      t0, FINISHER
        li      t1, FINISHER_PASS
        sw      t1, 0(t0)
1:      j       1b

        .section .bss
        .align  4
stack:  .space  512
stack_top:

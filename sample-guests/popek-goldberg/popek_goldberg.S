# popek_goldberg.S: a kernel that asks the hardware whether its interrupts are enabled.
#
# S-mode sets sstatus.SIE, then reads sstatus back and prints what it sees. Natively, and under
# trap-and-emulate, both instructions trap into the VMM (they are sensitive *and* privileged), the
# VMM keeps SIE in the virtual CPU, and the kernel reads back SIE = 1.
#
# Launch it with `"nonTrappingSensitive": ["sstatus-read"]` and the read no longer traps: like
# x86's pushf, it executes in U-mode and returns the *real* sstatus of the hart, where SIE is 0
# because the VMM, not the guest, owns the hardware. The kernel silently sees the wrong answer:
# sensitive ⊄ privileged, and Popek and Goldberg's equivalence is gone. No exit, no error.

#define UART_BASE     0x10000000
#define UART_LSR      5
#define LSR_THRE      0x20
#define FINISHER      0x100000
#define FINISHER_PASS 0x5555
#define MPP_S         (1 << 11)
#define SSTATUS_SIE   (1 << 1)

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
        li      t0, MPP_S
        csrs    mstatus, t0
        la      t0, kernel
        csrw    mepc, t0
        mret

kernel:
        csrsi   sstatus, SSTATUS_SIE      # enable interrupts (control-sensitive: always traps)
        csrr    s0, sstatus               # are they enabled? (behaviour-sensitive)
        andi    s0, s0, SSTATUS_SIE
        la      a0, msg_on
        bnez    s0, 1f
        la      a0, msg_off
1:      call    puts
        ecall                             # to M-mode, which ends the run

puts:
        li      t0, UART_BASE
1:      lbu     t1, 0(a0)
        beqz    t1, 3f
2:      lbu     t2, UART_LSR(t0)
        andi    t2, t2, LSR_THRE
        beqz    t2, 2b
        sb      t1, 0(t0)
        addi    a0, a0, 1
        j       1b
3:      ret

        .align  2
m_trap:
        li      t0, FINISHER
        li      t1, FINISHER_PASS
        sw      t1, 0(t0)
1:      j       1b

        .section .rodata
msg_on:  .asciz "kernel: sstatus.SIE reads 1, interrupts are enabled as I asked\n"
msg_off: .asciz "kernel: sstatus.SIE reads 0?! I just enabled interrupts\n"

        .section .bss
        .align  4
stack:  .space  512
stack_top:

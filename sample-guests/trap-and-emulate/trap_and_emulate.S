# trap_and_emulate.S: a tiny "kernel" whose privileged instructions the VMM must emulate.
#
# Natively every instruction here runs on the hart. Under `technique: "trap-and-emulate"` the
# whole guest runs in host U-mode: each CSR access, the mret and the ecall traps into the VMM,
# which emulates it on the virtual CPU and resumes the guest. Step over them and watch the exits.

#define UART_BASE     0x10000000
#define UART_LSR      5
#define LSR_THRE      0x20
#define FINISHER      0x100000
#define FINISHER_PASS 0x5555
#define MSTATUS_MPP   (3 << 11)
#define MPP_S         (1 << 11)

        # No linker relaxation: nothing here sets up gp, so `la` must not become gp-relative.
        .option norelax
        .section .text
        .globl  _start
_start:
        la      sp, stack_top
        la      t0, m_trap                # csr-write exit: the VMM sets the *virtual* mtvec
        csrw    mtvec, t0
        csrr    t1, mhartid               # csr-read exit: the VMM answers 0 for its vCPU 0
        csrr    t2, mstatus               # csr-read exit
        la      a0, msg_m
        call    puts

        # PMP entry 0 over everything, so that S-mode may reach memory (what firmware does).
        li      t0, -1
        csrw    pmpaddr0, t0
        li      t0, 0x1f
        csrw    pmpcfg0, t0

        # Drop to S-mode at s_main: three CSR writes and an mret, all emulated.
        li      t0, MSTATUS_MPP
        csrc    mstatus, t0
        li      t0, MPP_S
        csrs    mstatus, t0
        la      t0, s_main
        csrw    mepc, t0
        mret                              # xret exit: virtual M -> S

s_main:
        csrr    t0, sstatus               # csr-read exit: a view of the virtual mstatus
        la      a0, msg_s
        call    puts
        ecall                             # ecall exit: reflected to the guest's own M handler
        la      a0, msg_back
        call    puts
        li      t0, FINISHER
        li      t1, FINISHER_PASS
        sw      t1, 0(t0)                 # mmio-write exit: the virtual finisher ends the run
1:      j       1b

# puts(a0): every LSR read and THR write is an MMIO exit to the VMM's UART model.
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

# The M-mode handler: mcause says which ecall arrived (9 = from S); skip the ecall and return.
        .align  2
m_trap:
        csrr    t0, mcause                # 9: ecall from S-mode
        addi    t0, t0, '0'
        la      t1, cause_digit
        sb      t0, 0(t1)
        la      a0, msg_trap
        call    puts
        csrr    t0, mepc
        addi    t0, t0, 4
        csrw    mepc, t0
        mret

        .section .rodata
msg_m:    .asciz "M-mode: mtvec set, dropping to S-mode\n"
msg_s:    .asciz "S-mode: making an ecall\n"
msg_back: .asciz "S-mode: back from the M-mode handler\n"

        .section .data
msg_trap: .ascii "M-mode handler: mcause = "
cause_digit: .ascii "?"
          .asciz "\n"

        .section .bss
        .align  4
stack:  .space  1024
stack_top:

# uart_console.S: a console in the shape of xv6's, reading typed keys through interrupts.
#
# M-mode hands every trap and interrupt to S-mode and mrets into the S-mode kernel, as xv6's start()
# does. The kernel turns on the UART's received-data interrupt (IER bit 0) and PLIC source 10 for
# hart 0's S-mode context (context 1), enables supervisor external interrupts, prints a prompt and
# sleeps in WFI. Each key interrupts it: the handler claims the source, reads every waiting byte,
# echoes it (Enter as "\r\n" followed by a new prompt), completes the claim and srets. 'q' ends the
# run through the test finisher; any trap other than the external interrupt ends it with code 3.
#define UART            0x10000000
#define UART_IER        1
#define UART_FCR        2
#define UART_LSR        5
#define LSR_DR          0x01
#define PLIC            0x0c000000
#define PLIC_PRIORITY10 (PLIC + 4 * 10)
#define PLIC_SENABLE    (PLIC + 0x2080)         /* context 1: hart 0, S-mode */
#define PLIC_STHRESHOLD (PLIC + 0x201000)
#define PLIC_SCLAIM     (PLIC + 0x201004)
#define UART_IRQ        10
#define SEIE            (1 << 9)
#define SIE             (1 << 1)
#define FINISHER        0x100000
#define FINISHER_PASS   0x5555
#define FINISHER_FAIL   0x3333

        .section .text
        .globl  _start
_start:
        li      t0, 0xffff
        csrw    medeleg, t0
        csrw    mideleg, t0
        li      t0, -1
        csrw    pmpaddr0, t0
        li      t0, 0x1f                        # NAPOT, RWX: S-mode may reach all memory
        csrw    pmpcfg0, t0
        li      t0, 3 << 11
        csrc    mstatus, t0
        li      t0, 1 << 11                     # MPP = S
        csrs    mstatus, t0
        la      t0, kernel
        csrw    mepc, t0
        mret

kernel:
        la      t0, strap
        csrw    stvec, t0
        li      s0, UART
        li      t0, 0x07
        sb      t0, UART_FCR(s0)                # FIFOs on and cleared
        li      t0, 0x01
        sb      t0, UART_IER(s0)                # received-data interrupt
        li      t0, PLIC_PRIORITY10
        li      t1, 1
        sw      t1, 0(t0)
        li      t0, PLIC_SENABLE
        li      t1, 1 << UART_IRQ
        sw      t1, 0(t0)
        li      t0, PLIC_STHRESHOLD
        sw      zero, 0(t0)
        li      t0, SEIE
        csrs    sie, t0
        call    prompt
        csrsi   sstatus, SIE
idle:
        wfi
        j       idle                            # @asleep (a hart waiting in WFI is past it, as on QEMU)

# The S-mode trap handler: only the UART's interrupt is expected.
strap:
        csrr    t0, scause
        li      t1, (1 << 63) | 9               # supervisor external interrupt
        bne     t0, t1, fail
        li      s1, PLIC_SCLAIM
        lw      s2, 0(s1)                       # @claim
        li      t1, UART_IRQ
        bne     s2, t1, fail
drain:
        lbu     t0, UART_LSR(s0)
        andi    t0, t0, LSR_DR
        beqz    t0, done
        lbu     a0, 0(s0)
        li      t0, 'q'
        beq     a0, t0, finish
        li      t0, '\r'
        beq     a0, t0, enter
        sb      a0, 0(s0)
        j       drain
enter:
        li      t0, '\r'
        sb      t0, 0(s0)
        li      t0, '\n'
        sb      t0, 0(s0)
        call    prompt
        j       drain
done:
        sw      s2, 0(s1)                       # complete the claim
        sret

prompt:
        li      t0, '$'
        sb      t0, 0(s0)
        li      t0, ' '
        sb      t0, 0(s0)
        ret

finish:
        li      t0, FINISHER
        li      t1, FINISHER_PASS
        sw      t1, 0(t0)
fail:
        li      t0, FINISHER
        li      t1, FINISHER_FAIL | (3 << 16)
        sw      t1, 0(t0)
1:      j       1b

# timer_interrupts.S: three timer interrupts, waited for with wfi.
#
# The guest programs the CLINT's mtimecmp, enables the machine timer interrupt and sleeps in wfi.
# Under trap-and-emulate the CLINT is the VMM's model and time is virtual (guest instructions
# retired): the wfi exit lets the VMM warp virtual time to mtimecmp, the deadline raises the
# guest's MTIP (a `timer` exit), and the VMM injects the interrupt into the guest's own handler
# (a `virtual-interrupt` exit) with mcause = 0x8000000000000007.

#define UART_BASE      0x10000000
#define UART_LSR       5
#define LSR_THRE       0x20
#define CLINT_MTIMECMP 0x2004000
#define CLINT_MTIME    0x200bff8
#define FINISHER       0x100000
#define FINISHER_PASS  0x5555
#define MIE_MTIE       (1 << 7)
#define MSTATUS_MIE    (1 << 3)
#define INTERVAL       1000       /* timer ticks between interrupts */
#define TICKS          3

        # No linker relaxation: nothing here sets up gp, so `la` must not become gp-relative.
        .option norelax
        .section .text
        .globl  _start
_start:
        la      sp, stack_top
        la      t0, timer_handler
        csrw    mtvec, t0
        li      s0, 0                     # interrupts taken so far
        call    arm_timer
        li      t0, MIE_MTIE
        csrw    mie, t0                   # enable the timer interrupt...
        csrsi   mstatus, MSTATUS_MIE      # ...and interrupts in M-mode
wait:
        wfi                               # sleep until the timer fires
        li      t0, TICKS
        blt     s0, t0, wait
        csrci   mstatus, MSTATUS_MIE
        la      a0, msg_done
        call    puts
        li      t0, FINISHER
        li      t1, FINISHER_PASS
        sw      t1, 0(t0)
1:      j       1b

# mtimecmp <- mtime + INTERVAL (an mmio-read and an mmio-write under the VMM)
arm_timer:
        li      t0, CLINT_MTIME
        ld      t1, 0(t0)
        li      t2, INTERVAL
        add     t1, t1, t2
        li      t0, CLINT_MTIMECMP
        sd      t1, 0(t0)
        ret

        .align  2
timer_handler:
        addi    sp, sp, -16
        sd      ra, 0(sp)
        addi    s0, s0, 1
        addi    t0, s0, '0'
        la      t1, tick_digit
        sb      t0, 0(t1)
        la      a0, msg_tick
        call    puts
        li      t0, TICKS
        bge     s0, t0, 1f
        call    arm_timer                 # next tick
        j       2f
1:      li      t0, CLINT_MTIMECMP        # last one: quiet the timer
        li      t1, -1
        sd      t1, 0(t0)
2:      ld      ra, 0(sp)
        addi    sp, sp, 16
        mret

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

        .section .rodata
msg_done: .asciz "three timer interrupts taken; done\n"

        .section .data
msg_tick:   .ascii "tick "
tick_digit: .ascii "?"
            .asciz "\n"

        .section .bss
        .align  4
stack:  .space  512
stack_top:

# pv_echo.S: console input as events, in a paravirtual kernel (Hyperstep PV ABI v1, README.md).
# It never touches the UART (it could not map its registers): typed input reaches it as an event
# on the console's port, and it reads it with console_io(read), as a Xen guest reads its console
# with CONSOLEIO_read when VIRQ_CONSOLE fires.
#
#  1. set_trap_table: events go to event_callback.
#  2. event_channel_op(bind_virq, VIRQ_CONSOLE): input raises an event on a port.
#  3. It blocks (sched_op block) until an event comes.
#  4. The upcall clears the pending bit, reads what has arrived (console_io read), echoes it in one
#     console_io write (a carriage return as a newline), and goes back to sleep with iret. At the
#     end of a line it says so and shuts down.

#define PV_EID              0x0A505600
#define HC_SET_TRAP_TABLE   0
#define HC_CONSOLE_IO       18
#define HC_IRET             23
#define HC_SCHED_OP         29
#define HC_EVENT_CHANNEL_OP 32
#define CONSOLEIO_WRITE     0
#define CONSOLEIO_READ      1
#define SCHED_BLOCK         1
#define SCHED_SHUTDOWN      2
#define EVTCHN_BIND_VIRQ    0
#define VIRQ_CONSOLE        2
#define SI_SHARED           24     /* start info: virtual address of the shared-info page */
#define BUF_SIZE            64

.macro HYPERCALL nr
        li      a7, PV_EID
        li      a6, \nr
        ecall
.endm

        .option norvc
        .option norelax
        .section .text
        .globl  _start
_start:
        ld      s0, SI_SHARED(a0)         # shared info: the pending word is at 0
        la      sp, kstack_top
        la      a0, trap_entry
        la      a1, event_callback
        HYPERCALL HC_SET_TRAP_TABLE
        li      a0, EVTCHN_BIND_VIRQ
        li      a1, VIRQ_CONSOLE
        HYPERCALL HC_EVENT_CHANNEL_OP
        bnez    a0, fail
        la      a0, msg_prompt
        call    puts
idle:
        li      a0, SCHED_BLOCK
        HYPERCALL HC_SCHED_OP             # sleeps until an event; the upcall irets back here
        j       idle

# The console's event (sstatus.SIE was cleared on the way in).
event_callback:
        sd      zero, 0(s0)               # pending: only the console's port is bound
read:
        li      a0, CONSOLEIO_READ
        li      a1, BUF_SIZE
        la      a2, buf
        HYPERCALL HC_CONSOLE_IO
        bnez    a0, fail
        beqz    a1, done                  # nothing more has arrived: sleep again
        mv      s1, a1                    # bytes read
        la      t0, buf
        li      s2, 0                     # a line ended
        li      t3, 13
        li      t4, 10
        mv      t1, zero
1:      add     t2, t0, t1
        lbu     t5, 0(t2)
        bne     t5, t3, 2f
        sb      t4, 0(t2)                 # CR -> LF
        li      t5, 10
2:      bne     t5, t4, 3f
        addi    s1, t1, 1                 # echo up to the end of the line, no further
        li      s2, 1
        j       4f
3:      addi    t1, t1, 1
        blt     t1, s1, 1b
4:      li      a0, CONSOLEIO_WRITE
        mv      a1, s1
        la      a2, buf
        HYPERCALL HC_CONSOLE_IO
        beqz    s2, read
        la      a0, msg_done
        call    puts
        li      a0, SCHED_SHUTDOWN
        li      a1, 0
        HYPERCALL HC_SCHED_OP
done:
        HYPERCALL HC_IRET

trap_entry:
fail:
        la      a0, msg_fail
        call    puts
        li      a0, SCHED_SHUTDOWN
        li      a1, 1
        HYPERCALL HC_SCHED_OP

# console_io(write) of the NUL-terminated string at a0
puts:
        mv      t0, a0
        mv      t1, a0
1:      lbu     t2, 0(t1)
        beqz    t2, 2f
        addi    t1, t1, 1
        j       1b
2:      sub     a1, t1, t0
        mv      a2, t0
        li      a0, CONSOLEIO_WRITE
        HYPERCALL HC_CONSOLE_IO
        ret

        .section .data
msg_prompt: .asciz "pv-echo: type a line; each event's input comes back\n"
msg_done:   .asciz "pv-echo: end of the line; shutting down\n"
msg_fail:   .asciz "pv-echo: FAILED\n"
buf:        .space BUF_SIZE
        .balign 16
kstack:     .space 512
kstack_top:

# Says "written for the Hyperstep PV ABI, version 1": only technique "paravirtual" runs this guest.
        .globl  hyperstep_pv_abi
        .balign 8
hyperstep_pv_abi: .dword 1

# pv_kernel.S: a paravirtual kernel, written for the VMM (Xen's technique) against the Hyperstep PV
# ABI v1 (README.md). It runs only under technique "paravirtual": it never touches satp, sret, wfi
# or a device, and asks the VMM for each of them by hypercall.
#
# The VMM starts it in S-mode, already paged: its boot tables map pseudo-physical frame p at virtual
# address 0x8000_0000 + p*4096 (where this file is linked), kernel-only, and a0 holds the virtual
# address of the start-info page, which says which machine frames it was given.
#
#  1. set_trap_table: its traps and its process's system calls go to trap_entry, events to
#     event_callback. It prints through console_io.
#  2. It executes `csrw satp` once, which a PV kernel must not: a pv-violation, and an
#     illegal-instruction trap at its own trap_entry.
#  3. It binds the timer's virtual IRQ to an event port (event_channel_op).
#  4. It pins three spare page-table frames (one mmuext_op) and fills them with ONE batched
#     mmu_update of five entries: a second address space that shares the kernel's mappings and adds
#     a user process at 0x4000_0000.
#  5. It tries two updates the VMM must refuse: a page table mapped writable, and a frame that is
#     not its own. Both come back EPERM.
#  6. It switches to the new address space (mmuext_op new_baseptr + flush), arms the timer
#     (set_timer_op) and enters the process with the iret hypercall.
#  7. The process writes through a system call (to trap_entry directly: no exit), reads kernel
#     memory (a page fault, at trap_entry: the U bit keeps it out), and loops while timer events
#     arrive as upcalls. Then it exits; the kernel switches back and shuts down (sched_op).

#define PV_EID              0x0A505600
#define HC_SET_TRAP_TABLE   0
#define HC_MMU_UPDATE       1
#define HC_SET_TIMER_OP     15
#define HC_CONSOLE_IO       18
#define HC_IRET             23
#define HC_MMUEXT_OP        26
#define HC_SCHED_OP         29
#define HC_EVENT_CHANNEL_OP 32
#define MMUEXT_PIN_L0       0x000
#define MMUEXT_PIN_L1       0x100
#define MMUEXT_PIN_L2       0x200
#define MMUEXT_NEW_BASEPTR  5
#define MMUEXT_TLB_FLUSH    6
#define SCHED_SHUTDOWN      2
#define EVTCHN_BIND_VIRQ    0
#define VIRQ_TIMER          0
#define EPERM               -1

#define SI_FIRST_MFN  16       /* start info: machine frame of pseudo-physical frame 0 */
#define SI_SHARED     24       /*             virtual address of the shared-info page */
#define SI_PT_BASE    32       /*             machine address of the boot root */
#define SI_POOL_MFN   40       /*             first spare page-table frame */
#define SI_VIRT_BASE  56       /*             virtual address of pseudo-physical frame 0 */

#define PTE_V 1
#define PTE_R 2
#define PTE_W 4
#define PTE_X 8
#define PTE_U 16
#define PTE_A 64
#define PTE_D 128
#define USER_CODE  (PTE_V | PTE_R | PTE_X | PTE_U | PTE_A)
#define USER_DATA  (PTE_V | PTE_R | PTE_W | PTE_U | PTE_A | PTE_D)
#define WRITABLE   (PTE_V | PTE_R | PTE_W | PTE_A | PTE_D)
#define SSTATUS_SPP  (1 << 8)
#define SSTATUS_SPIE (1 << 5)
#define SSTATUS_SUM  (1 << 18)
#define USER_VA    0x40000000
#define INTERVAL   20          /* time units (100 instructions each) between timer events */
#define TICKS      2
#define LOOPS      5000
#define SYS_WRITE  1
#define SYS_EXIT   2

.macro HYPERCALL nr
        li      a7, PV_EID
        li      a6, \nr
        ecall
.endm

# \dst <- machine frame of the kernel virtual address in \va (clobbers t6)
.macro MFN dst, va
        la      t6, si_ptr
        ld      t6, 0(t6)
        ld      \dst, SI_VIRT_BASE(t6)
        sub     \dst, \va, \dst
        srli    \dst, \dst, 12
        ld      t6, SI_FIRST_MFN(t6)
        add     \dst, \dst, t6
.endm

# request \i of the batch at \base: { \ptr, \val }
.macro REQ base, i, ptr, val
        sd      \ptr, (\i * 16)(\base)
        sd      \val, (\i * 16 + 8)(\base)
.endm

        .option norvc
        .option norelax
        .section .text
        .globl  _start
_start:
        la      t0, si_ptr
        sd      a0, 0(t0)
        la      sp, kstack_top
        la      a0, trap_entry
        la      a1, event_callback
        HYPERCALL HC_SET_TRAP_TABLE
        la      a0, msg_banner
        call    puts

        csrw    satp, zero                # a pv-violation: trap_entry skips it

        li      a0, EVTCHN_BIND_VIRQ
        li      a1, VIRQ_TIMER
        HYPERCALL HC_EVENT_CHANNEL_OP
        bnez    a0, fail

        # The user address space: root P0, P1, P2 from the spare frames, pinned bottom up.
        la      t0, si_ptr
        ld      t0, 0(t0)
        ld      s1, SI_POOL_MFN(t0)       # P0; P1 = s1 + 1, P2 = s1 + 2
        la      s2, batch
        li      t1, MMUEXT_PIN_L0
        addi    t2, s1, 2
        REQ     s2, 0, t1, t2
        li      t1, MMUEXT_PIN_L1
        addi    t2, s1, 1
        REQ     s2, 1, t1, t2
        li      t1, MMUEXT_PIN_L2
        REQ     s2, 2, t1, s1
        mv      a0, s2
        li      a1, 3
        HYPERCALL HC_MMUEXT_OP
        bnez    a0, fail

        slli    s3, s1, 12                # P0's machine address
        li      t0, 4096
        add     s4, s3, t0                # P1's
        add     s5, s4, t0                # P2's
        la      t0, si_ptr
        ld      t0, 0(t0)
        ld      t1, SI_PT_BASE(t0)        # the boot root, read through its read-only mapping
        ld      t2, SI_FIRST_MFN(t0)
        slli    t2, t2, 12
        sub     t1, t1, t2
        ld      t2, SI_VIRT_BASE(t0)
        add     t1, t1, t2
        ld      t2, 16(t1)                # its entry 2: the kernel's level-1 table
        addi    t1, s3, 16
        REQ     s2, 0, t1, t2             # P0[2]: the kernel, shared with the boot address space
        addi    t2, s1, 1
        slli    t2, t2, 10
        ori     t2, t2, PTE_V
        addi    t1, s3, 8
        REQ     s2, 1, t1, t2             # P0[1] -> P1 (VA 1 GiB)
        addi    t2, s1, 2
        slli    t2, t2, 10
        ori     t2, t2, PTE_V
        REQ     s2, 2, s4, t2             # P1[0] -> P2
        la      t0, user_code
        MFN     t2, t0
        slli    t2, t2, 10
        ori     t2, t2, USER_CODE
        REQ     s2, 3, s5, t2             # P2[0]: the process's code
        la      t0, user_data
        MFN     t2, t0
        slli    t2, t2, 10
        ori     t2, t2, USER_DATA
        addi    t1, s5, 8
        REQ     s2, 4, t1, t2             # P2[1]: its data
        mv      a0, s2
        li      a1, 5
        HYPERCALL HC_MMU_UPDATE           # five validated writes, one exit
        bnez    a0, fail
        la      a0, msg_built
        call    puts

        # Validation protects the VMM: both of these are refused.
        slli    t2, s1, 10
        ori     t2, t2, WRITABLE          # P0 itself, writable
        addi    t1, s5, 16
        REQ     s2, 0, t1, t2
        mv      a0, s2
        li      a1, 1
        HYPERCALL HC_MMU_UPDATE
        li      t0, EPERM
        bne     a0, t0, fail
        la      a0, msg_refused_pt
        call    puts
        la      t0, si_ptr
        ld      t0, 0(t0)
        ld      t2, SI_FIRST_MFN(t0)
        addi    t2, t2, -1                # the frame below our RAM: the VMM's
        slli    t2, t2, 10
        ori     t2, t2, WRITABLE
        addi    t1, s5, 24
        REQ     s2, 0, t1, t2
        mv      a0, s2
        li      a1, 1
        HYPERCALL HC_MMU_UPDATE
        li      t0, EPERM
        bne     a0, t0, fail
        la      a0, msg_refused_frame
        call    puts

        # Switch address spaces (ASID 1) and flush, in one mmuext_op.
        li      t1, MMUEXT_NEW_BASEPTR
        li      t2, 1
        slli    t2, t2, 44
        or      t2, t2, s1
        REQ     s2, 0, t1, t2
        li      t1, MMUEXT_TLB_FLUSH
        REQ     s2, 1, t1, zero
        mv      a0, s2
        li      a1, 2
        HYPERCALL HC_MMUEXT_OP
        bnez    a0, fail
        la      a0, msg_switched
        call    puts

        call    arm_timer
        li      t0, USER_VA
        csrw    sepc, t0
        li      t0, SSTATUS_SPP
        csrc    sstatus, t0               # return to U-mode
        li      t0, SSTATUS_SUM | SSTATUS_SPIE
        csrs    sstatus, t0               # the kernel reads its process's buffers
        HYPERCALL HC_IRET

fail:
        la      a0, msg_fail
        call    puts
        li      a0, SCHED_SHUTDOWN
        li      a1, 1
        HYPERCALL HC_SCHED_OP

# Traps and system calls, straight from the hart (no exit): scause says which.
trap_entry:
        csrr    t0, scause
        li      t1, 8
        beq     t0, t1, syscall
        li      t1, 13
        beq     t0, t1, user_fault
        li      t1, 2
        beq     t0, t1, violation
        j       fail
violation:
        la      a0, msg_violation
        call    puts
        j       skip
user_fault:
        la      a0, msg_user_fault
        call    puts
        j       skip
syscall:
        li      t1, SYS_EXIT
        beq     a7, t1, sys_exit
        call    puts                      # SYS_WRITE: a0 is the process's string
skip:
        csrr    t0, sepc
        addi    t0, t0, 4
        csrw    sepc, t0
        HYPERCALL HC_IRET

sys_exit:
        la      t0, si_ptr
        ld      t0, 0(t0)
        ld      t2, SI_PT_BASE(t0)
        srli    t2, t2, 12                # back to the boot root, ASID 0
        li      t1, MMUEXT_NEW_BASEPTR
        la      s2, batch
        REQ     s2, 0, t1, t2
        li      t1, MMUEXT_TLB_FLUSH
        REQ     s2, 1, t1, zero
        mv      a0, s2
        li      a1, 2
        HYPERCALL HC_MMUEXT_OP
        bnez    a0, fail
        la      a0, msg_exit
        call    puts
        li      a0, SCHED_SHUTDOWN
        li      a1, 0
        HYPERCALL HC_SCHED_OP

# An event upcall (sstatus.SIE was cleared on the way in): save what it uses, clear the pending
# bit in shared info, count the tick, re-arm the timer, and iret.
event_callback:
        la      t6, saved
        sd      ra, 0(t6)
        sd      a0, 8(t6)
        sd      a1, 16(t6)
        sd      a2, 24(t6)
        sd      a6, 32(t6)
        sd      a7, 40(t6)
        sd      t0, 48(t6)
        sd      t1, 56(t6)
        sd      t2, 64(t6)
        la      t0, si_ptr
        ld      t0, 0(t0)
        ld      t0, SI_SHARED(t0)
        sd      zero, 0(t0)               # pending: only the timer's port is bound
        la      a0, msg_tick
        call    puts
        la      t0, ticks
        ld      t1, 0(t0)
        addi    t1, t1, 1
        sd      t1, 0(t0)
        li      t2, TICKS
        bge     t1, t2, 1f
        call    arm_timer
1:      la      t6, saved
        ld      ra, 0(t6)
        ld      a0, 8(t6)
        ld      a1, 16(t6)
        ld      a2, 24(t6)
        ld      a6, 32(t6)
        ld      a7, 40(t6)
        ld      t0, 48(t6)
        ld      t1, 56(t6)
        ld      t2, 64(t6)
        HYPERCALL HC_IRET

arm_timer:
        rdtime  a0                        # emulated by the VMM: virtual time
        addi    a0, a0, INTERVAL
        HYPERCALL HC_SET_TIMER_OP
        ret

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
        li      a0, 0
        HYPERCALL HC_CONSOLE_IO
        ret

# The process: one page of code at USER_VA, one of data after it. Position-independent.
        .balign 4096
user_code:
        li      a0, USER_VA + 4096        # its message, in its data page
        li      a7, SYS_WRITE
        ecall
        li      t0, 0x80000000
        ld      t1, 0(t0)                 # kernel memory: not U, so a page fault
        li      t0, LOOPS
1:      addi    t0, t0, -1
        bnez    t0, 1b                    # timer events arrive meanwhile
        li      a7, SYS_EXIT
        ecall
        .balign 4096
user_data:
        .asciz  "user: hello from the process, through a system call\n"
        .balign 4096

        .section .data
msg_banner:        .asciz "pv-kernel: booted under the Hyperstep PV ABI v1; printing through console_io\n"
msg_violation:     .asciz "pv-kernel: csrw satp trapped (pv-violation): only mmuext_op switches address spaces\n"
msg_built:         .asciz "pv-kernel: user address space built: 5 PTEs in one batched mmu_update\n"
msg_refused_pt:    .asciz "pv-kernel: refused (EPERM): mapping a page-table page writable\n"
msg_refused_frame: .asciz "pv-kernel: refused (EPERM): mapping a frame that is not ours\n"
msg_switched:      .asciz "pv-kernel: switched address space (mmuext_op new_baseptr); entering the process\n"
msg_user_fault:    .asciz "pv-kernel: the process read kernel memory: page fault (the U bit keeps it out)\n"
msg_tick:          .asciz "pv-kernel: timer event (upcall)\n"
msg_exit:          .asciz "pv-kernel: the process exited; back on the boot tables; shutting down\n"
msg_fail:          .asciz "pv-kernel: FAILED\n"
        .balign 8
si_ptr:  .dword 0
ticks:   .dword 0
saved:   .space 72
batch:   .space 16 * 8
        .balign 16
kstack:  .space 1024
kstack_top:

# Says "written for the Hyperstep PV ABI, version 1": only technique "paravirtual" runs this guest.
        .globl  hyperstep_pv_abi
hyperstep_pv_abi: .dword 1

# twin_kernel.S: pv_kernel.S's workload, written as an ordinary kernel (boot "supervisor": S-mode
# behind the VMM's SBI), so that `hyperstep compare twin_kernel.S --boot supervisor` shows what the
# same work costs under trap-and-emulate and hardware assistance, beside the PV kernel's run
# (README.md). It builds the same user address space with stores, switches to it with satp,
# enters the same process with sret, and takes its timer ticks as interrupts.

#define SBI_TIME        0x54494d45
#define SBI_SRST        0x53525354
#define SBI_DBCN        0x4442434e
#define PTE_V 1
#define PTE_R 2
#define PTE_W 4
#define PTE_X 8
#define PTE_U 16
#define PTE_A 64
#define PTE_D 128
#define KERNEL     (PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D)
#define USER_CODE  (PTE_V | PTE_R | PTE_X | PTE_U | PTE_A)
#define USER_DATA  (PTE_V | PTE_R | PTE_W | PTE_U | PTE_A | PTE_D)
#define SATP_SV39  (8 << 60)
#define SSTATUS_SPP  (1 << 8)
#define SSTATUS_SPIE (1 << 5)
#define SSTATUS_SUM  (1 << 18)
#define SIE_STIE   (1 << 5)
#define USER_VA    0x40000000
#define INTERVAL   20
#define TICKS      2
#define LOOPS      5000
#define SYS_EXIT   2

.macro SBI eid, fid
        li      a7, \eid
        li      a6, \fid
        ecall
.endm

        .option norvc
        .option norelax
        .section .text
        .globl  _start
_start:
        la      sp, kstack_top
        la      t0, trap_entry
        csrw    stvec, t0
        la      a0, msg_banner
        call    puts

        la      s3, root                  # root, l1, l0: three page-aligned frames
        li      t0, 4096
        add     s4, s3, t0
        add     s5, s4, t0
        li      t2, 0x80000000
        srli    t2, t2, 2
        ori     t2, t2, KERNEL
        sd      t2, 16(s3)                # root[2]: the kernel, a gigapage
        srli    t2, s4, 2
        ori     t2, t2, PTE_V
        sd      t2, 8(s3)                 # root[1] -> l1
        srli    t2, s5, 2
        ori     t2, t2, PTE_V
        sd      t2, 0(s4)                 # l1[0] -> l0
        la      t0, user_code
        srli    t2, t0, 2
        ori     t2, t2, USER_CODE
        sd      t2, 0(s5)                 # l0[0]: the process's code
        la      t0, user_data
        srli    t2, t0, 2
        ori     t2, t2, USER_DATA
        sd      t2, 8(s5)                 # l0[1]: its data
        la      a0, msg_built
        call    puts

        srli    t0, s3, 12
        li      t1, 1
        slli    t1, t1, 44                # ASID 1
        or      t0, t0, t1
        li      t1, SATP_SV39
        or      t0, t0, t1
        csrw    satp, t0
        sfence.vma
        la      a0, msg_switched
        call    puts

        call    arm_timer
        li      t0, SIE_STIE
        csrs    sie, t0
        li      t0, USER_VA
        csrw    sepc, t0
        li      t0, SSTATUS_SPP
        csrc    sstatus, t0
        li      t0, SSTATUS_SUM | SSTATUS_SPIE
        csrs    sstatus, t0
        sret

trap_entry:
        csrw    sscratch, t0              # the interrupted t0, for tick
        csrr    t0, scause
        bltz    t0, tick
        li      t1, 8
        beq     t0, t1, syscall
        li      t1, 13
        beq     t0, t1, user_fault
        j       fail
user_fault:
        la      a0, msg_user_fault
        call    puts
        j       skip
syscall:
        li      t1, SYS_EXIT
        beq     a7, t1, sys_exit
        call    puts
skip:
        csrr    t0, sepc
        addi    t0, t0, 4
        csrw    sepc, t0
        sret

tick:
        la      t6, saved
        sd      ra, 0(t6)
        sd      a0, 8(t6)
        sd      a1, 16(t6)
        sd      a2, 24(t6)
        sd      a6, 32(t6)
        sd      a7, 40(t6)
        sd      t1, 56(t6)
        sd      t2, 64(t6)
        la      a0, msg_tick
        call    puts
        la      t0, ticks
        ld      t1, 0(t0)
        addi    t1, t1, 1
        sd      t1, 0(t0)
        li      t2, TICKS
        blt     t1, t2, 1f
        li      a0, -1                    # no more ticks
        SBI     SBI_TIME, 0
        j       2f
1:      call    arm_timer
2:      la      t6, saved
        ld      ra, 0(t6)
        ld      a0, 8(t6)
        ld      a1, 16(t6)
        ld      a2, 24(t6)
        ld      a6, 32(t6)
        ld      a7, 40(t6)
        ld      t1, 56(t6)
        ld      t2, 64(t6)
        csrr    t0, sscratch
        sret

sys_exit:
        csrw    satp, zero                # back to no translation
        sfence.vma
        la      a0, msg_exit
        call    puts
        li      a0, 0
        li      a1, 0
        SBI     SBI_SRST, 0
fail:
        la      a0, msg_fail
        call    puts
        li      a0, 0
        li      a1, 1
        SBI     SBI_SRST, 0

arm_timer:
        rdtime  a0
        addi    a0, a0, INTERVAL
        SBI     SBI_TIME, 0
        ret

# DBCN console_write of the NUL-terminated string at a0 (a physical address: the kernel is
# identity-mapped; a process's buffer is translated first, as a kernel's copy_from_user would)
puts:
        mv      t0, a0
        li      t1, USER_VA + 4096
        bne     a0, t1, 1f
        la      t0, user_data
1:      mv      t1, t0
2:      lbu     t2, 0(t1)
        beqz    t2, 3f
        addi    t1, t1, 1
        j       2b
3:      sub     a0, t1, t0
        mv      a1, t0
        li      a2, 0
        SBI     SBI_DBCN, 0
        ret

        .balign 4096
user_code:
        li      a0, USER_VA + 4096
        li      a7, 1
        ecall
        li      t0, 0x80000000
        ld      t1, 0(t0)
        li      t0, LOOPS
1:      addi    t0, t0, -1
        bnez    t0, 1b
        li      a7, SYS_EXIT
        ecall
        .balign 4096
user_data:
        .asciz  "user: hello from the process, through a system call\n"
        .balign 4096

        .section .data
msg_banner:     .asciz "twin-kernel: booted behind the SBI; printing through DBCN\n"
msg_built:      .asciz "twin-kernel: user address space built: 5 PTEs stored\n"
msg_switched:   .asciz "twin-kernel: switched address space (satp); entering the process\n"
msg_user_fault: .asciz "twin-kernel: the process read kernel memory: page fault (the U bit keeps it out)\n"
msg_tick:       .asciz "twin-kernel: timer interrupt\n"
msg_exit:       .asciz "twin-kernel: the process exited; shutting down\n"
msg_fail:       .asciz "twin-kernel: FAILED\n"
        .balign 8
ticks:  .dword 0
saved:  .space 72
        .balign 4096
root:   .space 4096
l1:     .space 4096
l0:     .space 4096
        .balign 16
kstack: .space 1024
kstack_top:

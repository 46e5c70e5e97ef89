# lazy_fpu.S: a kernel that switches floating-point state lazily, as Linux did, under a VMM that
# may do the same.
#
# An M-mode kernel runs two U-mode tasks round robin, each in its own Sv39 address space (so every
# switch writes satp: a world switch for the VMM). The FP task adds 0.5 to a sum in f0 and divides
# (fflags gets NX) every round; the integer task adds 3 to s1, and touches the FPU once, half way.
# Each round ends in `ecall` (yield); the kernel then switches tasks and sets mstatus.FS = Off.
# A task's first F/D instruction after that traps (illegal instruction) into the kernel, which
# saves the registers of the task whose state is on the FPU, if it is another one, loads the
# current task's, sets FS = Clean and retries the instruction: lazy FPU switching.
#
# At every yield the kernel reads mstatus and folds FS and SD into a checksum, so the guest's FS
# reads, SD and its own FS=Off traps are in its final registers: a VMM that let its own FP
# switching show would change them. Under a VMM, `fpuSwitch` (launch.json) or `--fpu-switch` says
# how the VMM switches the FP state at world switches: "lazy" (the hart's FS goes Off: fpu-trap
# exits) or "eager" (save + restore at every world switch). `hyperstep compare` with each shows
# what each costs; the guest cannot tell them apart.

#define UART_BASE     0x10000000
#define UART_LSR      5
#define LSR_THRE      0x20
#define FINISHER      0x100000
#define FINISHER_PASS 0x5555
#define FINISHER_FAIL 0x3333
#define FS_MASK       (3 << 13)
#define FS_CLEAN      (2 << 13)
#define FS_DIRTY_BIT  (1 << 13)
#define MPP_MASK      (3 << 11)
#define ROUNDS        8
#define CTX_BYTES     256
#define FP_BYTES      264
#define PTE_URWX_AD   0xdf

# Every general register but x0 and t6 (x31), which the trap entry swaps with mscratch.
#define GPRS 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30
#define FPRS 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31

        .option norelax
        .option arch, +d                  # F and D, also when built for rv64imac
        .section .text
        .globl  _start
_start:
        la      t0, m_trap
        csrw    mtvec, t0
        li      t0, -1                    # PMP: let U-mode reach everything
        csrw    pmpaddr0, t0
        li      t0, 0x1f
        csrw    pmpcfg0, t0
        # Two address spaces: each root maps RAM (VA 2..3 GiB) with one user gigapage.
        li      t1, (0x80000000 >> 12) << 10 | PTE_URWX_AD
        la      t0, root_fp
        sd      t1, 16(t0)
        la      t0, root_int
        sd      t1, 16(t0)
        la      t0, root_fp
        srli    t0, t0, 12
        li      t1, (8 << 60) | (1 << 44)
        or      t0, t0, t1
        la      t2, task_satp
        sd      t0, 0(t2)                 # task 0 (FP): ASID 1
        la      t0, root_int
        srli    t0, t0, 12
        li      t1, (8 << 60) | (2 << 44)
        or      t0, t0, t1
        sd      t0, 8(t2)                 # task 1 (integer): ASID 2
        la      t0, ctx
        la      t1, fp_task
        sd      t1, 0(t0)                 # each context's pc
        la      t1, int_task
        sd      t1, CTX_BYTES(t0)
        la      t0, fp_owner
        li      t1, -1
        sd      t1, 0(t0)                 # no task's FP state is on the FPU yet
        li      t0, MPP_MASK
        csrc    mstatus, t0               # mret goes to U-mode
        li      t2, 0
        j       switch_to

# ---- the tasks (U-mode) ----

fp_task:
        la      t0, fp_consts
        fld     f1, 0(t0)                 # 0.5: the first FP instruction traps (FS = Off)
        fld     f4, 8(t0)                 # 3.0
        fmv.d.x f0, zero
        li      s0, ROUNDS
1:      fadd.d  f0, f0, f1
        fdiv.d  f3, f1, f4                # inexact: fflags.NX
        li      a7, 0
        ecall                             # yield
        addi    s0, s0, -1
        bnez    s0, 1b
        fadd.d  f0, f0, f3                # the sum and the last quotient: state kept across switches
        fcvt.l.d a0, f0, rtz
        frflags a1
        la      t0, fp_result
        sd      a0, 0(t0)
        sd      a1, 8(t0)
        fsd     f0, 16(t0)
        li      a7, 1
        ecall                             # exit

int_task:
        li      s0, ROUNDS
        li      s1, 0
1:      addi    s1, s1, 3
        li      t0, ROUNDS / 2
        bne     s0, t0, 2f
        fcvt.d.l f0, s1                   # once: the kernel must save the FP task's f0 first
        fadd.d  f0, f0, f0
        fcvt.l.d s2, f0
2:      li      a7, 0
        ecall                             # yield
        addi    s0, s0, -1
        bnez    s0, 1b
        la      t0, int_result
        sd      s1, 0(t0)
        sd      s2, 8(t0)
        li      a7, 1
        ecall                             # exit

# ---- the kernel (M-mode) ----

        .align  2
m_trap:
        csrrw   t6, mscratch, t6          # t6: the current task's context
        .irp    n, GPRS
        sd      x\n, (\n * 8)(t6)
        .endr
        csrr    t0, mscratch
        sd      t0, (31 * 8)(t6)
        csrw    mscratch, t6
        csrr    t0, mepc
        sd      t0, 0(t6)
        la      sp, kstack_top
        csrr    t0, mcause
        li      t1, 8
        beq     t0, t1, on_ecall
        li      t1, 2
        beq     t0, t1, on_illegal
        j       fail

# A yield (a7 = 0) or an exit (a7 = 1): note FS and SD as the task left them, then switch.
on_ecall:
        ld      t0, 0(t6)
        addi    t0, t0, 4
        sd      t0, 0(t6)
        csrr    t0, mstatus
        srli    t1, t0, 13
        andi    t1, t1, 3                 # FS
        srli    t2, t0, 63                # SD
        slli    t2, t2, 2
        or      t1, t1, t2
        la      t3, fs_log
        ld      t2, 0(t3)
        li      t4, 5
        mul     t2, t2, t4
        add     t2, t2, t1                # fs_log = fs_log * 5 + (SD << 2 | FS)
        sd      t2, 0(t3)
        la      t0, cur
        ld      t1, 0(t0)                 # t1: the current task
        ld      t3, (17 * 8)(t6)          # its a7
        beqz    t3, 1f
        la      t4, done
        slli    t5, t1, 3
        add     t4, t4, t5
        li      t3, 1
        sd      t3, 0(t4)
1:      xori    t2, t1, 1                 # the other task, unless it is done
        la      t4, done
        slli    t5, t2, 3
        add     t5, t4, t5
        ld      t3, 0(t5)
        beqz    t3, switch_to
        mv      t2, t1                    # then this one, unless it is done too
        slli    t5, t2, 3
        add     t5, t4, t5
        ld      t3, 0(t5)
        beqz    t3, switch_to
        j       finish

# Runs task t2: its address space, FS = Off (its FP state may not be on the FPU), its registers.
switch_to:
        la      t0, cur
        sd      t2, 0(t0)
        la      t3, task_satp
        slli    t4, t2, 3
        add     t3, t3, t4
        ld      t3, 0(t3)
        csrw    satp, t3
        li      t3, FS_MASK
        csrc    mstatus, t3
        la      t3, ctx
        slli    t4, t2, 8
        add     t3, t3, t4
        csrw    mscratch, t3
resume:
        csrr    t6, mscratch
        ld      t0, 0(t6)
        csrw    mepc, t0
        .irp    n, GPRS
        ld      x\n, (\n * 8)(t6)
        .endr
        ld      t6, (31 * 8)(t6)
        mret

# An illegal instruction with FS = Off: the task touched the FPU. Put its state there and retry.
on_illegal:
        csrr    t0, mstatus
        li      t1, FS_MASK
        and     t0, t0, t1
        bnez    t0, fail                  # the FPU was on: a true illegal instruction
        la      t0, fp_traps
        ld      t1, 0(t0)
        addi    t1, t1, 1
        sd      t1, 0(t0)
        li      t1, FS_CLEAN
        csrs    mstatus, t1               # the kernel may use the FPU now
        la      t0, cur
        ld      s1, 0(t0)                 # s1: the current task
        la      s2, fp_owner
        ld      s3, 0(s2)                 # s3: whose state the FPU holds
        beq     s1, s3, 2f                # its own: nothing to move
        bltz    s3, 1f
        li      t0, FP_BYTES
        mul     t0, s3, t0
        la      a0, fp_area
        add     a0, a0, t0
        call    fp_save
1:      li      t0, FP_BYTES
        mul     t0, s1, t0
        la      a0, fp_area
        add     a0, a0, t0
        call    fp_restore
        sd      s1, 0(s2)
2:      li      t1, FS_DIRTY_BIT
        csrc    mstatus, t1               # FS = Clean: the registers match the saved copy
        j       resume

# fp_save(a0) / fp_restore(a0): f0-f31 and fcsr at a0.
fp_save:
        .irp    n, FPRS
        fsd     f\n, (\n * 8)(a0)
        .endr
        frcsr   t0
        sd      t0, 256(a0)
        ret

fp_restore:
        ld      t0, 256(a0)
        fscsr   t0
        .irp    n, FPRS
        fld     f\n, (\n * 8)(a0)
        .endr
        ret

finish:
        la      a0, msg_fp
        la      t0, fp_result
        ld      a1, 0(t0)
        call    report
        la      a0, msg_flags
        la      t0, fp_result
        ld      a1, 8(t0)
        call    report
        la      a0, msg_int
        la      t0, int_result
        ld      a1, 0(t0)
        call    report
        la      a0, msg_fs
        la      t0, fs_log
        ld      a1, 0(t0)
        call    report
        la      a0, msg_traps
        la      t0, fp_traps
        ld      a1, 0(t0)
        call    report
        # The results in registers too, for the equivalence check.
        la      t0, fp_result
        ld      a0, 0(t0)
        ld      a1, 8(t0)
        ld      a2, 16(t0)
        la      t0, int_result
        ld      a3, 0(t0)
        ld      a4, 8(t0)
        la      t0, fs_log
        ld      a5, 0(t0)
        la      t0, fp_traps
        ld      a6, 0(t0)
        li      t0, FINISHER
        li      t1, FINISHER_PASS
        sw      t1, 0(t0)
1:      j       1b

fail:
        li      t0, FINISHER
        li      t1, FINISHER_FAIL
        sw      t1, 0(t0)
1:      j       1b

# report(a0 = label, a1 = value): prints the label, the value in hex and a newline.
report:
        mv      s4, ra
        mv      s5, a1
        mv      s6, a0
1:      lbu     a0, 0(s6)
        beqz    a0, 2f
        call    putc
        addi    s6, s6, 1
        j       1b
2:      li      s6, 60
3:      srl     a0, s5, s6
        andi    a0, a0, 15
        addi    a0, a0, '0'
        li      t0, '9'
        ble     a0, t0, 4f
        addi    a0, a0, 'a' - '9' - 1
4:      call    putc
        addi    s6, s6, -4
        bgez    s6, 3b
        li      a0, '\n'
        call    putc
        mv      ra, s4
        ret

putc:
        li      t0, UART_BASE
1:      lbu     t1, UART_LSR(t0)
        andi    t1, t1, LSR_THRE
        beqz    t1, 1b
        sb      a0, 0(t0)
        ret

        .section .rodata
msg_fp:    .asciz "FP task's sum (integer):  0x"
msg_flags: .asciz "FP task's fflags:         0x"
msg_int:   .asciz "integer task's sum:       0x"
msg_fs:    .asciz "FS/SD seen at each yield: 0x"
msg_traps: .asciz "the kernel's FP traps:    0x"

        .section .data
        .balign 8
fp_consts:  .dword 0x3fe0000000000000, 0x4008000000000000   # 0.5 and 3.0
fp_owner:   .dword -1
cur:        .dword 0
fs_log:     .dword 0
fp_traps:   .dword 0
done:       .dword 0, 0
task_satp:  .dword 0, 0
fp_result:  .dword 0, 0, 0
int_result: .dword 0, 0

        .section .bss
        .balign 4096
root_fp:    .space 4096
root_int:   .space 4096
ctx:        .space 2 * CTX_BYTES
fp_area:    .space 2 * FP_BYTES
kstack:     .space 1024
kstack_top:

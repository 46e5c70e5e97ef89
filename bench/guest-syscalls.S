# guest-syscalls.S: a system-call loop for bench/vmm_bench.ts. A U-mode process makes 2,000 system
# calls (ecall); the S-mode kernel's handler reads scause and sepc, steps sepc past the ecall, adds
# the argument to a sum it keeps in sscratch, and returns with sret: per call an ecall, 5 CSR
# accesses and an sret, all of which trap under trap-and-emulate.
        .option norelax
        .section .text
        .globl  _start
_start:
        li      t0, -1
        csrw    pmpaddr0, t0
        li      t0, 0x1f
        csrw    pmpcfg0, t0
        li      t0, 1 << 8              # ecall from U goes to the kernel
        csrw    medeleg, t0
        li      t0, 1 << 11             # MPP = S
        csrs    mstatus, t0
        la      t0, kernel
        csrw    mepc, t0
        mret

kernel:
        csrw    sscratch, zero
        la      t0, s_trap
        csrw    stvec, t0
        la      t0, user
        csrw    sepc, t0
        li      t0, 1 << 8              # SPP = U
        csrc    sstatus, t0
        sret

user:
        li      s0, 1
        li      s1, 2000
1:      mv      a0, s0
        li      a7, 1
        ecall
        addi    s0, s0, 1
        ble     s0, s1, 1b
        li      a7, 0
        ecall

s_trap:
        csrr    t0, scause              # 8: ecall from U
        csrr    t1, sepc
        addi    t1, t1, 4
        csrw    sepc, t1
        beqz    a7, 2f
        csrr    t2, sscratch
        add     t2, t2, a0
        csrw    sscratch, t2
        sret
2:      csrr    a0, sscratch
        li      t0, 2001000             # 1 + 2 + … + 2000
        li      t1, 0x5555
        beq     a0, t0, 3f
        li      t1, 0x13333
3:      li      t0, 0x100000
        sw      t1, 0(t0)
4:      j       4b

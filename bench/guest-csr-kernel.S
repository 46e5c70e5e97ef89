# guest-csr-kernel.S: an S-mode kernel dense with CSR accesses that never trap natively, for the
# binary-translation check of bench/vmm_bench.ts. Each of its 5,000 rounds reads and writes the
# trap CSRs a kernel keeps per-CPU state and trap records in (sscratch, sepc, scause, stval) and
# reads sstatus: 9 CSR accesses among 14 instructions. Under trap-and-emulate each is a trap into
# the VMM; under binary translation each runs inline in the translation cache.
        .option norelax
        .section .text
        .globl  _start
_start:
        li      t0, -1
        csrw    pmpaddr0, t0
        li      t0, 0x1f
        csrw    pmpcfg0, t0
        li      t0, 1 << 11             # MPP = S
        csrs    mstatus, t0
        la      t0, kernel
        csrw    mepc, t0
        mret

kernel:
        csrw    sscratch, zero
        li      s0, 0
        li      s1, 5000
1:      csrr    a0, sscratch            # the running sum, kept in a CSR
        add     a0, a0, s0
        csrw    sscratch, a0
        csrr    a1, sepc                # a trap record, rewritten as a handler would
        addi    a1, a1, 4
        csrw    sepc, a1
        csrr    a2, scause
        csrw    stval, a2
        csrr    a3, stval
        csrr    a4, sstatus
        csrw    scause, s0
        addi    s0, s0, 1
        blt     s0, s1, 1b
        csrr    a0, sscratch
        li      t0, 12497500            # 0 + 1 + … + 4999
        li      t1, 0x5555              # pass
        beq     a0, t0, 2f
        li      t1, 0x13333             # fail, code 1
2:      li      t0, 0x100000
        sw      t1, 0(t0)
3:      j       3b

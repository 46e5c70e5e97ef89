# paging.S: turns on Sv39 and runs in S-mode. Gigapages map va 0 → pa 0 (devices) and
# va 0x80000000 → pa 0x80000000 (RWX); a megapage maps va 0x40000000 → pa 0x80200000.
        .section .text
        .globl  _start
_start:
        la      t0, m_trap
        csrw    mtvec, t0
        li      t0, -1                          # PMP entry 0: all of memory, RWX, for S-mode
        csrw    pmpaddr0, t0
        li      t0, 0x1f
        csrw    pmpcfg0, t0
        la      s2, pt_root
        la      s3, pt_l1
        li      t0, 0xc7                        # V R W A D: va 0 → pa 0
        sd      t0, 0(s2)
        li      t0, (0x80000 << 10) | 0xcf      # V R W X A D: va 0x80000000 → pa 0x80000000
        sd      t0, 16(s2)
        srli    t0, s3, 12                      # root[1] → pt_l1
        slli    t0, t0, 10
        ori     t0, t0, 1
        sd      t0, 8(s2)
        li      t0, (0x80200 << 10) | 0xc7      # pt_l1[0]: va 0x40000000 → pa 0x80200000
        sd      t0, 0(s3)
        srli    t0, s2, 12
        li      t1, 0x8000000000000000          # MODE = Sv39
        or      t0, t0, t1
        csrw    satp, t0
        sfence.vma
        li      t0, 0x1800
        csrc    mstatus, t0
        li      t0, 0x800                       # MPP = S
        csrs    mstatus, t0
        la      t0, s_entry
        csrw    mepc, t0
        mret
s_entry:
        li      t0, 0x40000000
        li      t1, 0x1234
        sd      t1, 0(t0)                       # @s-store
        ld      t2, 0(t0)
s_done:
        li      t0, 0x100000                    # @s-done
        li      t1, 0x5555
        sw      t1, 0(t0)
1:      j       1b
        .align  2
m_trap:
        li      t0, 0x100000
        li      t1, 0x13333
        sw      t1, 0(t0)
2:      j       2b

        .section .bss
        .align  12
pt_root:
        .space  4096
pt_l1:
        .space  4096

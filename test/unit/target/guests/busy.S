# busy.S: a guest that touches every kind of state history must keep. M-mode sets up Sv39 and a
# timer, then S-mode loops forever: stores spread over 64 pages, an ecall every 256 rounds, a UART
# byte out every 1,024, and any UART input copied to a buffer. M-mode takes the ecalls and the
# timer interrupts (t5, t6 and s10, s11 are its own).
#define UART 0x10000000
#define MTIMECMP 0x2004000
#define MTIME 0x200bff8
        .section .text
        .globl  _start
_start:
        la      t0, m_trap
        csrw    mtvec, t0
        li      t0, -1
        csrw    pmpaddr0, t0
        li      t0, 0x1f
        csrw    pmpcfg0, t0
        la      s2, pt_root
        li      t0, 0xc7                        # va 0 → pa 0 (devices), V R W A D
        sd      t0, 0(s2)
        li      t0, (0x80000 << 10) | 0xcf      # va 0x80000000 → pa 0x80000000, RWX
        sd      t0, 16(s2)
        srli    t0, s2, 12
        li      t1, 0x8000000000000000
        or      t0, t0, t1
        csrw    satp, t0
        sfence.vma
        li      s10, MTIMECMP
        li      s11, MTIME
        ld      t0, 0(s11)
        addi    t0, t0, 700
        sd      t0, 0(s10)
        li      t0, 0x80                        # mie.MTIE
        csrw    mie, t0
        li      t0, 0x1800
        csrc    mstatus, t0
        li      t0, 0x800                       # MPP = S
        csrs    mstatus, t0
        la      t0, s_entry
        csrw    mepc, t0
        mret
s_entry:
        li      s1, 0
        la      s3, pages
        la      s4, inbuf
        li      s5, UART
loop:
        andi    t0, s1, 63                      # page = round % 64, word = (round / 64) % 512
        slli    t0, t0, 12
        srli    t1, s1, 6
        andi    t1, t1, 511
        slli    t1, t1, 3
        add     t0, t0, t1
        add     t0, t0, s3
        sd      s1, 0(t0)
        andi    t0, s1, 255
        bnez    t0, 1f
        ecall
1:      andi    t0, s1, 1023
        bnez    t0, 2f
        andi    t1, s1, 0x1f
        addi    t1, t1, 64
        sb      t1, 0(s5)
2:      lbu     t0, 5(s5)
        andi    t0, t0, 1
        beqz    t0, 3f
        lbu     t0, 0(s5)
        andi    t1, s6, 255
        add     t1, t1, s4
        sb      t0, 0(t1)
        addi    s6, s6, 1
3:      addi    s1, s1, 1
        j       loop
        .align  2
m_trap:
        csrr    t6, mcause
        bltz    t6, timer
        csrr    t6, mepc
        addi    t6, t6, 4
        csrw    mepc, t6
        csrr    t6, mscratch
        addi    t6, t6, 1
        csrw    mscratch, t6
        mret
timer:
        ld      t5, 0(s11)
        addi    t5, t5, 900
        sd      t5, 0(s10)
        mret

        .section .bss
        .align  12
pt_root:
        .space  4096
inbuf:
        .space  4096
pages:
        .space  64 * 4096

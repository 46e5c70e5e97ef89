# ballooning.S: a guest with a balloon driver (virtio-balloon, virtio 1.2 §5.5). The host asks for
# memory back by setting the balloon's target; the driver takes that many pages off its free list
# and hands them to the device (inflate), and takes them back when the target falls (deflate).
#
# The kernel runs in S-mode with paging off, in 2 MiB of RAM. It touches a pool of 256 free pages
# (1 MiB), brings the balloon up in virtio-mmio slot 6 (0x1000_7000, PLIC source 7), and waits in
# `wfi` at `waiting`. Each configuration-change interrupt (the host set a new num_pages) wakes it,
# and a target set before the driver was ready is met at once: it reads num_pages, inflates or
# deflates to it (at most the 256 pages of its pool), writes `actual`, and says what it did. Pages it gets back on deflate are checked: how many read as zero (a VMM that
# took their frames gives zeroed ones; natively they keep what they held), and that every one is
# usable. Once the balloon is empty again after a deflate, it ends through the test finisher.
#
# The free list is the pool's low pages: the balloon grows from the pool's top page down, and
# `pfns` holds the frame number of each page in it, in the order it took them.

#define UART_BASE     0x10000000
#define UART_THR      0
#define UART_LSR      5
#define LSR_THRE      0x20
#define FINISHER      0x100000
#define FINISHER_PASS 0x5555
#define FINISHER_FAIL 0x13333
#define PAGE          4096
#define POOL_PAGES    256

#define BALLOON       0x10007000        /* virtio-mmio slot 6 */
#define MAGIC         0x74726976        /* "virt" */
#define REG_DEVICE_ID 0x008
#define REG_DRV_FEAT  0x020
#define REG_DRV_SEL   0x024
#define REG_QSEL      0x030
#define REG_QNUM      0x038
#define REG_QREADY    0x044
#define REG_NOTIFY    0x050
#define REG_ISR       0x060
#define REG_ACK       0x064
#define REG_STATUS    0x070
#define REG_DESC      0x080
#define REG_DRIVER    0x090
#define REG_DEVICE    0x0a0
#define CFG_NUM_PAGES 0x100
#define CFG_ACTUAL    0x104
#define QSIZE         8

#define PLIC          0x0c000000
#define IRQ           7                 /* slot 6 is PLIC source 7 */
#define PLIC_S_ENABLE 0x0c002080        /* hart 0, S-mode context (1) */
#define PLIC_S_THRESH 0x0c201000
#define PLIC_S_CLAIM  0x0c201004

        .section .text
        .globl  _start
_start:
        la      sp, stack_top
        la      t0, m_trap
        csrw    mtvec, t0
        li      t0, -1                  # PMP: let S-mode reach all memory
        csrw    pmpaddr0, t0
        li      t0, 0x1f
        csrw    pmpcfg0, t0
        li      t0, 0x200               # supervisor external interrupts: S-mode's, enabled for wfi
        csrs    mideleg, t0
        csrs    mie, t0
        li      t0, 0x1800              # MPP = S
        csrc    mstatus, t0
        li      t0, 0x800
        csrs    mstatus, t0
        la      t0, kernel
        csrw    mepc, t0
        mret

kernel:
        # Touch the pool: every word of page i holds its own address, so nothing in it is zero.
        la      s2, pool
        mv      t0, s2
        li      t1, POOL_PAGES * PAGE / 8
1:      sd      t0, 0(t0)
        addi    t0, t0, 8
        addi    t1, t1, -1
        bnez    t1, 1b
        la      a0, touched
        call    puts

        # The device: slot 6 must hold a virtio-balloon (device id 5) of the modern transport.
        li      s0, BALLOON
        lw      t0, 0(s0)
        li      t1, MAGIC
        bne     t0, t1, no_balloon
        lw      t0, REG_DEVICE_ID(s0)
        li      t1, 5
        bne     t0, t1, no_balloon
        sw      zero, REG_STATUS(s0)    # reset
        li      t0, 1                   # ACKNOWLEDGE
        sw      t0, REG_STATUS(s0)
        li      t0, 3                   # | DRIVER
        sw      t0, REG_STATUS(s0)
        li      t0, 1                   # features: VERSION_1 (bit 32) and nothing else
        sw      t0, REG_DRV_SEL(s0)
        sw      t0, REG_DRV_FEAT(s0)
        sw      zero, REG_DRV_SEL(s0)
        sw      zero, REG_DRV_FEAT(s0)
        li      t0, 11                  # | FEATURES_OK
        sw      t0, REG_STATUS(s0)
        lw      t0, REG_STATUS(s0)
        andi    t0, t0, 8
        beqz    t0, no_balloon
        li      a0, 0                   # inflateq
        call    queue_setup
        li      a0, 1                   # deflateq
        call    queue_setup
        li      t0, 15                  # | DRIVER_OK
        sw      t0, REG_STATUS(s0)

        # The PLIC: source 7 at priority 1, enabled for S-mode, threshold 0.
        li      t0, PLIC + 4 * IRQ
        li      t1, 1
        sw      t1, 0(t0)
        li      t0, PLIC_S_ENABLE
        li      t1, 1 << IRQ
        sw      t1, 0(t0)
        li      t0, PLIC_S_THRESH
        sw      zero, 0(t0)
        li      s1, 0                   # pages in the balloon
        la      a0, ready
        call    puts
        lw      t0, CFG_NUM_PAGES(s0)   # a target the host set before the driver was ready
        bnez    t0, changed

        # Wait for the host. sstatus.SIE is 0, so the interrupt wakes wfi without a trap; the PLIC
        # says whose it is.
        .globl  waiting
waiting:
        wfi
        li      t0, PLIC_S_CLAIM
        lw      s3, 0(t0)
        beqz    s3, waiting
        lw      t1, REG_ISR(s0)
        sw      t1, REG_ACK(s0)
        sw      s3, 0(t0)               # complete
        andi    t1, t1, 2               # a configuration change?
        beqz    t1, waiting

changed:
        lw      s4, CFG_NUM_PAGES(s0)   # the host's target
        mv      s5, s4
        li      t0, POOL_PAGES
        bleu    s5, t0, 1f
        mv      s5, t0                  # no more than the pool
1:      la      a0, target
        call    puts
        mv      a0, s4
        call    putdec
        la      a0, pages_colon
        call    puts
        li      s9, 0                   # 1 after a deflate
        bltu    s5, s1, deflate
        sub     s6, s5, s1              # pages to give (maybe none)

        # Inflate: the next pages down from the pool's top go to the balloon.
        la      t2, pfns
        slli    t3, s1, 2
        add     t2, t2, t3              # where their frame numbers go
        mv      t4, s1
        j       2f
1:      li      t0, POOL_PAGES - 1
        sub     t0, t0, t4
        slli    t0, t0, 12
        add     t0, t0, s2              # pool page POOL_PAGES - 1 - t4
        srli    t0, t0, 12
        sw      t0, 0(t2)
        addi    t2, t2, 4
        addi    t4, t4, 1
2:      bltu    t4, s5, 1b
        beqz    s6, 3f
        li      a0, 0
        la      a1, pfns
        slli    t3, s1, 2
        add     a1, a1, t3
        slli    a2, s6, 2
        call    send
3:      mv      s1, s5
        sw      s1, CFG_ACTUAL(s0)
        .globl  inflated
inflated:
        la      a0, inflating
        j       report

        # Deflate: the pages the balloon took last come back first.
deflate:
        sub     s6, s1, s5              # pages to take back
        li      a0, 1
        la      a1, pfns
        slli    t3, s5, 2
        add     a1, a1, t3
        slli    a2, s6, 2
        call    send
        mv      s1, s5
        sw      s1, CFG_ACTUAL(s0)
        .globl  deflated
deflated:
        li      s9, 1
        # Check the pages back, lowest address first (the last frame number given first): s7 counts
        # those that read as zero, s8 those that hold what is written.
        li      s7, 0
        li      s8, 0
        la      t2, pfns
        add     t3, s1, s6
        slli    t3, t3, 2
        add     t2, t2, t3
        addi    t2, t2, -4              # the last of their frame numbers
        mv      t4, s6
1:      lwu     t0, 0(t2)
        slli    t6, t0, 12              # the page
        li      t1, PAGE / 8
        li      t5, 0                   # the OR of its words
2:      ld      a0, 0(t6)
        or      t5, t5, a0
        not     a0, t6                  # then a new value, read back at once
        sd      a0, 0(t6)
        ld      a1, 0(t6)
        bne     a0, a1, 3f
        addi    t6, t6, 8
        addi    t1, t1, -1
        bnez    t1, 2b
        addi    s8, s8, 1               # every word held what was written
3:      seqz    t5, t5
        add     s7, s7, t5
        addi    t2, t2, -4
        addi    t4, t4, -1
        bnez    t4, 1b
        la      a0, deflating

        # "inflated K" or "deflated K", then what the balloon holds.
report:
        call    puts
        mv      a0, s6
        call    putdec
        la      a0, holds
        call    puts
        mv      a0, s1
        call    putdec
        la      a0, pages_text
        call    puts
        bgeu    s1, s4, 1f
        la      a0, short
        call    puts
1:      la      a0, newline
        call    puts
        beqz    s9, waiting
        mv      a0, s6                  # "K pages back: Z read as zero, U usable"
        call    putdec
        la      a0, back_zero
        call    puts
        mv      a0, s7
        call    putdec
        la      a0, back_usable
        call    puts
        mv      a0, s8
        call    putdec
        la      a0, back_end
        call    puts
        bnez    s1, waiting
        .globl  done
done:
        la      a0, empty
        call    puts
        li      a0, 0
        ecall                           # back to M-mode, which ends the run

no_balloon:
        la      a0, missing
        call    puts
        li      a0, 1
        ecall

# queue_setup(a0 = queue): QSIZE entries in its page of `queues` (descriptors at +0, available ring
# at +0x100, used ring at +0x200), with used-buffer interrupts off (the driver polls).
queue_setup:
        la      t0, queues
        slli    t1, a0, 12
        add     t0, t0, t1
        li      t1, 1                   # VIRTQ_AVAIL_F_NO_INTERRUPT
        sh      t1, 0x100(t0)
        sw      a0, REG_QSEL(s0)
        li      t1, QSIZE
        sw      t1, REG_QNUM(s0)
        sw      t0, REG_DESC(s0)
        sw      zero, REG_DESC + 4(s0)
        addi    t1, t0, 0x100
        sw      t1, REG_DRIVER(s0)
        sw      zero, REG_DRIVER + 4(s0)
        addi    t1, t0, 0x200
        sw      t1, REG_DEVICE(s0)
        sw      zero, REG_DEVICE + 4(s0)
        li      t1, 1
        sw      t1, REG_QREADY(s0)
        ret

# send(a0 = queue, a1 = buffer, a2 = its length): one device-readable buffer as descriptor 0, made
# available and notified; returns once the device has used it.
send:
        la      t0, queues
        slli    t1, a0, 12
        add     t0, t0, t1
        sd      a1, 0(t0)               # descriptor 0: addr, len, flags 0, next 0
        sw      a2, 8(t0)
        sw      zero, 12(t0)
        lhu     t2, 0x102(t0)           # avail idx
        andi    t3, t2, QSIZE - 1
        slli    t3, t3, 1
        add     t3, t3, t0
        sh      zero, 0x104(t3)         # ring[idx % QSIZE] = head 0
        addi    t2, t2, 1
        fence   w, w                    # the entry before the index
        sh      t2, 0x102(t0)
        fence   w, o                    # the index before the notification
        sw      a0, REG_NOTIFY(s0)
        slli    t2, t2, 48
        srli    t2, t2, 48
1:      lhu     t3, 0x202(t0)           # used idx
        bne     t3, t2, 1b
        fence   r, r
        ret

# puts(a0 = NUL-terminated string)
puts:
        li      t0, UART_BASE
1:      lbu     t1, 0(a0)
        beqz    t1, 3f
2:      lbu     t2, UART_LSR(t0)
        andi    t2, t2, LSR_THRE
        beqz    t2, 2b
        sb      t1, UART_THR(t0)
        addi    a0, a0, 1
        j       1b
3:      ret

# putdec(a0): unsigned decimal
putdec:
        addi    sp, sp, -32
        mv      t1, sp                  # digits, last first
        li      t3, 10
1:      remu    t2, a0, t3
        addi    t2, t2, '0'
        sb      t2, 0(t1)
        addi    t1, t1, 1
        divu    a0, a0, t3
        bnez    a0, 1b
        li      t0, UART_BASE
2:      addi    t1, t1, -1
        lbu     t2, 0(t1)
3:      lbu     t4, UART_LSR(t0)
        andi    t4, t4, LSR_THRE
        beqz    t4, 3b
        sb      t2, UART_THR(t0)
        bne     t1, sp, 2b
        addi    sp, sp, 32
        ret

# The S-mode ecall ends the run through the test finisher: a0 = 0 passes, anything else fails.
        .align  2
m_trap:
        li      t0, FINISHER
        li      t1, FINISHER_PASS
        beqz    a0, 1f
        li      t1, FINISHER_FAIL
1:      sw      t1, 0(t0)
2:      j       2b

        .section .rodata
touched:
        .asciz  "touched 256 free pages (1024 KiB)\n"
ready:
        .asciz  "balloon driver ready (virtio-mmio slot 6): waiting for the host\n"
target:
        .asciz  "target "
pages_colon:
        .asciz  " pages: "
inflating:
        .asciz  "inflated "
deflating:
        .asciz  "deflated "
holds:
        .asciz  ", the balloon holds "
pages_text:
        .asciz  " pages"
short:
        .asciz  " (all the free pages there are)"
back_zero:
        .asciz  " pages back: "
back_usable:
        .asciz  " read as zero, "
back_end:
        .asciz  " usable\n"
empty:
        .asciz  "the balloon is empty: done\n"
missing:
        .asciz  "no virtio-balloon in virtio-mmio slot 6 (launch attribute balloon: true)\n"
newline:
        .asciz  "\n"

        .section .bss
        .balign PAGE
queues:
        .space  2 * PAGE
pfns:
        .space  4 * POOL_PAGES
        .balign PAGE
        .space  PAGE
stack_top:
pool:
        .space  POOL_PAGES * PAGE

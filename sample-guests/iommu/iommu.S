# iommu.S: a guest that owns its disk, and a DMA the IOMMU refuses.
#
# The guest drives the virtio-blk device in virtio-mmio slot 0 itself (virtio 1.2, modern MMIO
# transport), from S-mode, with interrupts. It reads sector 0 into its own RAM and prints what it
# read. Then it turns rogue: it asks the device to read sector 0 into 0x8800_0000, just past the
# end of its 128 MiB of RAM. It cannot see what lives there on the host; a device that took guest
# addresses as host ones would write there all the same.
#
# With `deviceModel: "passthrough"` the device is a host device: its registers are mapped into the
# guest (no exits), and its DMA goes through the IOMMU, which translates the guest's addresses with
# the VMM's second-stage table. The first read lands in the guest's RAM (GPA 0x8000_5000 is another
# host address); the rogue one has no translation: the IOMMU refuses it, records a fault (an
# `iommu-fault` exit), and the device, whose access failed, sets DEVICE_NEEDS_RESET and raises a
# configuration-change interrupt. The guest sees exactly that, and reports it.

#define UART        0x10000000
#define FINISHER    0x100000
#define PASS        0x5555
#define FAIL        0x3333
#define VIRTIO      0x10001000
#define PLIC        0x0c000000
#define PLIC_PRIO1  (PLIC + 4)
#define PLIC_SENABLE (PLIC + 0x2080)
#define PLIC_STHRESH (PLIC + 0x201000)
#define PLIC_SCLAIM  (PLIC + 0x201004)

/* virtio-mmio registers (virtio 1.2 §4.2.2) */
#define MAGIC       0x000
#define VERSION     0x004
#define DEVICE_ID   0x008
#define DRV_FEAT    0x020
#define DRV_FEAT_SEL 0x024
#define QUEUE_SEL   0x030
#define QUEUE_NUM   0x038
#define QUEUE_READY 0x044
#define QUEUE_NOTIFY 0x050
#define INT_STATUS  0x060
#define INT_ACK     0x064
#define STATUS      0x070
#define DESC_LO     0x080
#define DESC_HI     0x084
#define AVAIL_LO    0x090
#define AVAIL_HI    0x094
#define USED_LO     0x0a0
#define USED_HI     0x0a4

#define S_ACK       1
#define S_DRIVER    2
#define S_DRIVER_OK 4
#define S_FEATURES_OK 8
#define S_NEEDS_RESET 0x40
#define QSIZE       8
#define ROGUE       0x88000000

        .option norelax
        .section .text
        .globl  _start
_start:
        # M-mode: what firmware does. S-mode may reach all memory; supervisor external interrupts
        # go to S-mode; enter the driver in S-mode with paging off.
        la      t0, m_trap
        csrw    mtvec, t0
        li      t0, -1
        csrw    pmpaddr0, t0
        li      t0, 0x1f
        csrw    pmpcfg0, t0
        li      t0, 1 << 9
        csrw    mideleg, t0
        li      t0, 1 << 11               # MPP = S
        csrw    mstatus, t0
        la      t0, driver
        csrw    mepc, t0
        mret

m_trap:                                   # nothing should reach M-mode
        li      a0, FAIL
        j       finish

driver:
        la      sp, stack_top
        la      t0, s_trap
        csrw    stvec, t0
        li      t0, 1 << 9
        csrs    sie, t0                   # SEIE
        # The virtual PLIC (emulated: these are exits): source 1, slot 0's line, to S-mode.
        li      t0, PLIC_PRIO1
        li      t1, 1
        sw      t1, 0(t0)
        li      t0, PLIC_SENABLE
        li      t1, 1 << 1
        sw      t1, 0(t0)
        li      t0, PLIC_STHRESH
        sw      zero, 0(t0)

        # Device initialisation (virtio 1.2 §3.1.1): no exits when the device is passed through.
        li      s0, VIRTIO
        lw      t0, MAGIC(s0)
        li      t1, 0x74726976            # "virt"
        bne     t0, t1, fail
        lw      t0, DEVICE_ID(s0)
        li      t1, 2                     # a block device
        bne     t0, t1, fail
        sw      zero, STATUS(s0)
        li      t0, S_ACK
        sw      t0, STATUS(s0)
        li      t0, S_ACK | S_DRIVER
        sw      t0, STATUS(s0)
        li      t0, 1
        sw      t0, DRV_FEAT_SEL(s0)
        sw      t0, DRV_FEAT(s0)          # VIRTIO_F_VERSION_1 (bit 32)
        sw      zero, DRV_FEAT_SEL(s0)
        sw      zero, DRV_FEAT(s0)
        li      t0, S_ACK | S_DRIVER | S_FEATURES_OK
        sw      t0, STATUS(s0)
        lw      t1, STATUS(s0)
        andi    t1, t1, S_FEATURES_OK
        beqz    t1, fail
        sw      zero, QUEUE_SEL(s0)
        li      t0, QSIZE
        sw      t0, QUEUE_NUM(s0)
        la      t0, desc
        sw      t0, DESC_LO(s0)
        sw      zero, DESC_HI(s0)
        la      t0, avail
        sw      t0, AVAIL_LO(s0)
        sw      zero, AVAIL_HI(s0)
        la      t0, used
        sw      t0, USED_LO(s0)
        sw      zero, USED_HI(s0)
        li      t0, 1
        sw      t0, QUEUE_READY(s0)
        li      t0, S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK
        sw      t0, STATUS(s0)

        # Request 1: read sector 0 into our own buffer.
        la      a0, buffer
        call    read_sector0
        la      t0, req_status
        lbu     t0, 0(t0)
        bnez    t0, fail                  # VIRTIO_BLK_S_OK is 0
        la      a0, msg_read
        call    puts
        la      a0, buffer
        call    puts                      # the sector's text, up to its NUL

        # Request 2, the rogue one: the data buffer is outside our RAM.
        li      a0, ROGUE
        call    read_sector0
        lw      t0, STATUS(s0)
        andi    t0, t0, S_NEEDS_RESET
        beqz    t0, fail                  # the device must have refused
        la      t0, used
        lhu     t0, 2(t0)
        li      t1, 1
        bne     t0, t1, fail              # and the request never completed
        la      a0, msg_refused
        call    puts
        li      a0, PASS

finish:
        li      t0, FINISHER
        sw      a0, 0(t0)
1:      j       1b

fail:
        la      a0, msg_fail
        call    puts
        li      a0, FAIL
        j       finish

# read_sector0(a0 = data buffer): one VIRTIO_BLK_T_IN request for sector 0, 512 bytes, as a chain
# of three descriptors (header, data, status); returns when the device interrupted.
read_sector0:
        la      t0, desc
        la      t1, req_header            # descriptor 0: the 16-byte header, device-readable
        sd      t1, 0(t0)
        li      t1, 16
        sw      t1, 8(t0)
        li      t1, 1                     # NEXT
        sh      t1, 12(t0)
        li      t1, 1
        sh      t1, 14(t0)
        sd      a0, 16(t0)                # descriptor 1: the data, device-writable
        li      t1, 512
        sw      t1, 24(t0)
        li      t1, 3                     # NEXT | WRITE
        sh      t1, 28(t0)
        li      t1, 2
        sh      t1, 30(t0)
        la      t1, req_status            # descriptor 2: the status byte, device-writable
        sd      t1, 32(t0)
        li      t1, 1
        sw      t1, 40(t0)
        li      t1, 2                     # WRITE
        sh      t1, 44(t0)
        sh      zero, 46(t0)
        la      t0, req_status
        li      t1, 0xff
        sb      t1, 0(t0)
        la      t0, avail                 # avail.ring[idx % QSIZE] = 0, then idx += 1
        lhu     t1, 2(t0)
        andi    t2, t1, QSIZE - 1
        slli    t2, t2, 1
        add     t2, t2, t0
        sh      zero, 4(t2)
        addi    t1, t1, 1
        fence   w, w
        sh      t1, 2(t0)
        la      t0, irq_seen
        sw      zero, 0(t0)
        fence   w, o
notify: sw      zero, QUEUE_NOTIFY(s0)    # queue 0: the device works now
        # Wait for the interrupt without losing it: SIE off while looking at the flag.
2:      csrci   sstatus, 2
        la      t0, irq_seen
        lw      t0, 0(t0)
        bnez    t0, 3f
        wfi
        csrsi   sstatus, 2
        j       2b
3:      csrsi   sstatus, 2
        ret

# The supervisor external interrupt: claim it from the virtual PLIC, acknowledge the device
# (directly: its registers are ours), complete the claim, note it.
        .align 2
s_trap:
        addi    sp, sp, -16
        sd      t0, 0(sp)
        sd      t1, 8(sp)
        li      t0, PLIC_SCLAIM
        lw      t1, 0(t0)
        lw      t0, INT_STATUS(s0)
        sw      t0, INT_ACK(s0)
        li      t0, PLIC_SCLAIM
        sw      t1, 0(t0)
        la      t0, irq_seen
        li      t1, 1
        sw      t1, 0(t0)
        ld      t0, 0(sp)
        ld      t1, 8(sp)
        addi    sp, sp, 16
        sret

# puts(a0): the string up to its NUL, on the UART (emulated).
puts:
        li      t0, UART
1:      lbu     t1, 0(a0)
        beqz    t1, 2f
        sb      t1, 0(t0)
        addi    a0, a0, 1
        j       1b
2:      ret

        .section .rodata
msg_read:    .asciz "sector 0, read by the device into our RAM: "
msg_refused: .asciz "rogue DMA to 0x88000000 refused: the device needs a reset\n"
msg_fail:    .asciz "FAIL\n"

        .section .data
        .align 4
req_header:  .word 0, 0               # type VIRTIO_BLK_T_IN, reserved
             .dword 0                 # sector 0
req_status:  .byte 0xff
        .align 2
irq_seen:    .word 0
        .align 12
desc:        .zero 16 * QSIZE
avail:       .zero 6 + 2 * QSIZE
        .align 12
used:        .zero 6 + 8 * QSIZE
        .align 12
buffer:      .zero 513
        .align 4
             .zero 1024
stack_top:

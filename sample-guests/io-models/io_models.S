# io_models.S: a small virtio-blk and virtio-console driver, for the device-model lesson.
#
# It writes four sectors of the disk in one batch (four chains, twelve descriptors, one
# notification), reads them back in a second batch and checks every byte, then prints the
# same text twice: through the UART's registers, and through the virtio-console's transmit ring.
#
# Natively the devices are the board's. Under a VMM, with deviceModel "emulated", every register
# access below is an exit (mmio-read/mmio-write); with "split", register reads hit a read-only
# register image and do not exit, the set-up writes and InterruptACK still do, and each
# QueueNotify is one virtio-notify exit after which the VMM's backend processes the whole batch.
# Count them: `hyperstep compare io_models.S --disk disk.img,snapshot --virtio-console --device-model emulated,split`.

#define UART          0x10000000
#define LSR           5
#define LSR_THRE      0x20
#define BLK           0x10001000   /* virtio-mmio slot 0: virtio-blk */
#define CONSOLE       0x10002000   /* virtio-mmio slot 1: virtio-console */
#define FINISHER      0x100000
#define PASS          0x5555
#define FAIL          0x3333

/* virtio-mmio registers (virtio 1.2 §4.2.2) */
#define DEVICE_ID     0x008
#define DRIVER_FEATURES     0x020
#define DRIVER_FEATURES_SEL 0x024
#define QUEUE_SEL     0x030
#define QUEUE_NUM_MAX 0x034
#define QUEUE_NUM     0x038
#define QUEUE_READY   0x044
#define QUEUE_NOTIFY  0x050
#define INTERRUPT_STATUS 0x060
#define INTERRUPT_ACK 0x064
#define STATUS        0x070
#define QUEUE_DESC_LOW    0x080
#define QUEUE_DESC_HIGH   0x084
#define QUEUE_DRIVER_LOW  0x090
#define QUEUE_DRIVER_HIGH 0x094
#define QUEUE_DEVICE_LOW  0x0a0
#define QUEUE_DEVICE_HIGH 0x0a4

/* One queue's rings in 512 bytes: 16 descriptors at +0, the available ring at +256, the used ring at +320. */
#define NUM           16
#define AVAIL         256
#define USED          320
#define RING_BYTES    512
#define D_NEXT        1
#define D_WRITE       2

#define SECTORS       4
#define SECTOR        512
#define T_IN          0
#define T_OUT         1

        .option norelax
        .section .text
        .globl  _start
_start:
        la      sp, stack_top
        li      s0, BLK
        li      s1, CONSOLE
        lw      t0, DEVICE_ID(s0)
        li      t1, 2
        bne     t0, t1, fail              # no virtio-blk in slot 0: launch with a disk
        lw      t0, DEVICE_ID(s1)
        li      t1, 3
        bne     t0, t1, fail              # no virtio-console in slot 1: launch with virtioConsole

        mv      a0, s0
        li      a1, 1                     # virtio-blk: requestq
        la      a2, blk_rings
        call    virtio_init
        mv      a0, s1
        li      a1, 2                     # virtio-console: receiveq, transmitq
        la      a2, con_rings
        call    virtio_init

        # The pattern: byte j of sector s is s*7 + j (mod 256).
        la      t0, wbuf
        li      t1, 0
1:      srli    t2, t1, 9
        li      t3, 7
        mul     t2, t2, t3
        add     t2, t2, t1
        sb      t2, 0(t0)
        addi    t0, t0, 1
        addi    t1, t1, 1
        li      t3, SECTORS * SECTOR
        blt     t1, t3, 1b

        li      a0, T_OUT                 # one batch: four writes, one notification
        la      a1, wbuf
        li      a2, SECTORS
        call    blk_batch
        li      a0, T_IN                  # one batch: four reads
        la      a1, rbuf
        li      a2, SECTORS * 2
        call    blk_batch

        la      t0, wbuf
        la      t1, rbuf
        li      t2, SECTORS * SECTOR
2:      lbu     t3, 0(t0)
        lbu     t4, 0(t1)
        bne     t3, t4, fail
        addi    t0, t0, 1
        addi    t1, t1, 1
        addi    t2, t2, -1
        bnez    t2, 2b

        la      a0, msg                   # the same text through the UART's registers...
        call    uart_puts
        la      a0, msg                   # ...and through the console's transmit ring
        call    console_puts

        li      t0, FINISHER
        li      t1, PASS
        sw      t1, 0(t0)
3:      j       3b

fail:   li      t0, FINISHER
        li      t1, FAIL | (1 << 16)
        sw      t1, 0(t0)
4:      j       4b

# virtio_init(a0 = slot base, a1 = queues, a2 = their rings): the driver's initialization (§3.1.1).
virtio_init:
        sw      zero, STATUS(a0)          # reset
        li      t0, 1
        sw      t0, STATUS(a0)            # ACKNOWLEDGE
        li      t0, 3
        sw      t0, STATUS(a0)            # DRIVER
        li      t0, 1
        sw      t0, DRIVER_FEATURES_SEL(a0)
        sw      t0, DRIVER_FEATURES(a0)   # VERSION_1 (feature bit 32), nothing else
        sw      zero, DRIVER_FEATURES_SEL(a0)
        sw      zero, DRIVER_FEATURES(a0)
        li      t0, 11
        sw      t0, STATUS(a0)            # FEATURES_OK
        lw      t1, STATUS(a0)
        andi    t1, t1, 8
        beqz    t1, fail
        li      t2, 0
1:      bge     t2, a1, 2f
        sw      t2, QUEUE_SEL(a0)
        lw      t1, QUEUE_NUM_MAX(a0)
        li      t0, NUM
        blt     t1, t0, fail
        sw      t0, QUEUE_NUM(a0)
        slli    t3, t2, 9
        add     t3, t3, a2
        sw      t3, QUEUE_DESC_LOW(a0)
        srli    t4, t3, 32
        sw      t4, QUEUE_DESC_HIGH(a0)
        addi    t5, t3, AVAIL
        sw      t5, QUEUE_DRIVER_LOW(a0)
        srli    t4, t5, 32
        sw      t4, QUEUE_DRIVER_HIGH(a0)
        addi    t5, t3, USED
        sw      t5, QUEUE_DEVICE_LOW(a0)
        srli    t4, t5, 32
        sw      t4, QUEUE_DEVICE_HIGH(a0)
        li      t0, 1
        sw      t0, QUEUE_READY(a0)
        addi    t2, t2, 1
        j       1b
2:      li      t0, 15
        sw      t0, STATUS(a0)            # DRIVER_OK
        ret

# set_desc(a0 = ring, a1 = index, a2 = addr, a3 = len, a4 = flags, a5 = next)
set_desc:
        slli    t0, a1, 4
        add     t0, t0, a0
        sd      a2, 0(t0)
        sw      a3, 8(t0)
        sh      a4, 12(t0)
        sh      a5, 14(t0)
        ret

# post(a0 = ring, a1 = head): makes the chain at head available (the driver's side of the ring).
post:
        lhu     t0, AVAIL+2(a0)
        andi    t1, t0, NUM - 1
        slli    t1, t1, 1
        add     t1, t1, a0
        sh      a1, AVAIL+4(t1)
        fence   w, w                      # the entry before the index that publishes it
        addi    t0, t0, 1
        sh      t0, AVAIL+2(a0)
        ret

# kick(a0 = slot base, a1 = queue, a2 = ring, a3 = used index to wait for): notify, wait, acknowledge.
kick:
        fence   w, w                      # the ring before the notification
        sw      a1, QUEUE_NOTIFY(a0)      # the one register write of the I/O path
1:      lhu     t0, USED+2(a2)            # the used index, in guest RAM: never an exit
        bne     t0, a3, 1b
        lw      t0, INTERRUPT_STATUS(a0)  # an exit when emulated, the register image when split
        sw      t0, INTERRUPT_ACK(a0)
        ret

# blk_batch(a0 = type, a1 = buffer, a2 = used index after it): SECTORS requests of one sector, one notification.
blk_batch:
        addi    sp, sp, -48
        sd      ra, 0(sp)
        sd      s2, 8(sp)
        sd      s3, 16(sp)
        sd      s4, 24(sp)
        sd      s5, 32(sp)
        sd      s6, 40(sp)
        mv      s2, a0
        mv      s3, a1
        mv      s6, a2
        li      s4, 0                     # request (and sector) number
1:      la      t0, headers               # header: type, reserved, sector
        slli    t1, s4, 4
        add     t0, t0, t1
        sw      s2, 0(t0)
        sw      zero, 4(t0)
        sd      s4, 8(t0)
        li      t1, 3
        mul     s5, s4, t1                # descriptors 3i, 3i+1, 3i+2
        la      a0, blk_rings
        mv      a1, s5
        mv      a2, t0
        li      a3, 16
        li      a4, D_NEXT
        addi    a5, s5, 1
        call    set_desc
        la      a0, blk_rings
        addi    a1, s5, 1
        slli    a2, s4, 9
        add     a2, a2, s3
        li      a3, SECTOR
        li      a4, D_NEXT | D_WRITE      # the device writes the data of a read...
        beqz    s2, 2f
        li      a4, D_NEXT                # ...and reads the data of a write
2:      addi    a5, s5, 2
        call    set_desc
        la      a0, blk_rings
        addi    a1, s5, 2
        la      a2, statuses
        add     a2, a2, s4
        li      a3, 1
        li      a4, D_WRITE
        li      a5, 0
        call    set_desc
        la      a0, blk_rings
        mv      a1, s5
        call    post
        addi    s4, s4, 1
        li      t0, SECTORS
        blt     s4, t0, 1b
        mv      a0, s0
        li      a1, 0
        la      a2, blk_rings
        mv      a3, s6
        call    kick
        la      t0, statuses              # every request: VIRTIO_BLK_S_OK
        li      t1, SECTORS
3:      lbu     t2, 0(t0)
        bnez    t2, fail
        addi    t0, t0, 1
        addi    t1, t1, -1
        bnez    t1, 3b
        ld      ra, 0(sp)
        ld      s2, 8(sp)
        ld      s3, 16(sp)
        ld      s4, 24(sp)
        ld      s5, 32(sp)
        ld      s6, 40(sp)
        addi    sp, sp, 48
        ret

# console_puts(a0 = string): one chain on the transmit queue (queue 1), one notification.
console_puts:
        addi    sp, sp, -16
        sd      ra, 0(sp)
        mv      a2, a0
        li      a3, 0
1:      add     t0, a2, a3
        lbu     t0, 0(t0)
        beqz    t0, 2f
        addi    a3, a3, 1
        j       1b
2:      la      a0, con_rings + RING_BYTES
        li      a1, 0
        li      a4, 0                     # device-readable
        li      a5, 0
        call    set_desc
        la      a0, con_rings + RING_BYTES
        li      a1, 0
        call    post
        la      a2, con_rings + RING_BYTES
        lhu     a3, AVAIL+2(a2)           # wait until the device has used all we made available
        mv      a0, s1
        li      a1, 1
        call    kick
        ld      ra, 0(sp)
        addi    sp, sp, 16
        ret

# uart_puts(a0 = string): a register at a time, an LSR read before each byte.
uart_puts:
        li      t2, UART
1:      lbu     t0, 0(a0)
        beqz    t0, 3f
2:      lbu     t1, LSR(t2)
        andi    t1, t1, LSR_THRE
        beqz    t1, 2b
        sb      t0, 0(t2)
        addi    a0, a0, 1
        j       1b
3:      ret

        .section .rodata
msg:    .asciz  "io-models: 4 sectors written and read back, all equal\n"

        .section .bss
        .align  12
blk_rings:  .space  RING_BYTES
con_rings:  .space  2 * RING_BYTES
wbuf:       .space  SECTORS * SECTOR
rbuf:       .space  SECTORS * SECTOR
headers:    .space  16 * SECTORS
statuses:   .space  SECTORS
        .align  4
stack:      .space  512
stack_top:

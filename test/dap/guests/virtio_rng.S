# virtio_rng.S: the shortest driver of the virtio-rng device in virtio-mmio slot 7 (launch with
# "rng": true): negotiate VERSION_1, set up queue 0 with 8 entries, offer one 16-byte device-writable
# buffer, notify, and stop at `got_bytes` once the device has used it.
        .equ    RNG, 0x10008000
        .option norelax                         # no gp: every la is pc-relative
        .section .text
        .globl  _start
_start:
        li      s0, RNG
        sw      zero, 0x70(s0)                  # Status: reset
        li      t0, 3
        sw      t0, 0x70(s0)                    # ACKNOWLEDGE | DRIVER
        li      t0, 1
        sw      t0, 0x24(s0)                    # DriverFeaturesSel 1
        sw      t0, 0x20(s0)                    # VERSION_1 (bit 32)
        li      t0, 0xb
        sw      t0, 0x70(s0)                    # FEATURES_OK
        sw      zero, 0x30(s0)                  # QueueSel 0
        li      t0, 8
        sw      t0, 0x38(s0)                    # QueueNum
        la      t0, desc
        sw      t0, 0x80(s0)
        la      t0, avail
        sw      t0, 0x90(s0)
        la      t0, used
        sw      t0, 0xa0(s0)
        li      t0, 1
        sw      t0, 0x44(s0)                    # QueueReady
        li      t0, 0xf
        sw      t0, 0x70(s0)                    # DRIVER_OK
        la      t1, desc                        # desc[0] = { buf, 16, WRITE }
        la      t0, buf
        sd      t0, 0(t1)
        li      t0, 16
        sw      t0, 8(t1)
        li      t0, 2
        sh      t0, 12(t1)
        la      t1, avail                       # ring[0] = 0, idx = 1
        sh      zero, 4(t1)
        fence   rw, rw
        li      t0, 1
        sh      t0, 2(t1)
        fence   rw, rw
        sw      zero, 0x50(s0)                  # QueueNotify 0
got_bytes:
        j       got_bytes

        .section .data
        .balign 16
desc:   .space  16 * 8
avail:  .space  4 + 2 * 8 + 2
        .balign 4
used:   .space  4 + 8 * 8 + 2
        .balign 16
buf:    .fill   16, 1, 0xee

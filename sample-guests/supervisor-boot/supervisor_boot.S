# supervisor_boot.S: a guest that boots in S-mode, with firmware below it, and talks to it through the SBI.
#
# A Linux-style kernel entry: the firmware (OpenSBI on a real board, the VMM under hardware-assisted
# with boot "supervisor") starts it in S-mode with a0 = hart id and a1 = the device tree's address,
# which this guest ignores. It never touches a device: every service is an SBI call, an ecall with
# the extension id in a7, the function id in a6 and arguments in a0-a5, answered with an error code
# in a0 and a value in a1.
#
#  1. It asks BASE whether the firmware has DBCN, prints its banner through DBCN console_write (a
#     buffer, by physical address) if so and through the legacy putchar if not, then the rest
#     through the legacy putchar.
#  2. It asks BASE whether the firmware implements TIME and SRST, the other extensions it needs.
#  3. It turns on Sv39 paging of its own and reads a message through a page mapped at 0x4000_0000.
#  4. It programs the timer with TIME set_timer and sleeps in wfi until the supervisor timer
#     interrupt has arrived TICKS times, at its own stvec.
#  5. It shuts the machine down with SRST system_reset.
#
# All addressing is pc-relative, so the same code runs wherever it is loaded: at 0x8020_0000 behind
# OpenSBI, or at 0x8000_0000 where Hyperstep's assembler links it.

#define SBI_LEGACY_PUTCHAR 0x01
#define SBI_BASE           0x10
#define SBI_BASE_PROBE     3
#define SBI_TIME           0x54494d45   /* "TIME" */
#define SBI_SRST           0x53525354   /* "SRST" */
#define SBI_DBCN           0x4442434e   /* "DBCN" */
#define SBI_DBCN_WRITE     0
#define SRST_SHUTDOWN      0
#define SRST_NO_REASON     0
#define SRST_FAILURE       1
#define SIE_STIE           (1 << 5)
#define SSTATUS_SIE        (1 << 1)
#define SCAUSE_STI         ((1 << 63) | 5)
#define SATP_SV39          (8 << 60)
#define PTE_V (1 << 0)
#define PTE_R (1 << 1)
#define PTE_W (1 << 2)
#define PTE_X (1 << 3)
#define PTE_A (1 << 6)
#define PTE_D (1 << 7)
#define GIGA_RWX (PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D)
#define PAGE_R   (PTE_V | PTE_R | PTE_A)
#define NOTE_VA  0x40000000
#define INTERVAL 1000        /* timer ticks (time CSR units) between interrupts */
#define TICKS    2

# The SBI call \eid/\fid: the arguments are already in a0-a5.
.macro SBI eid, fid
        li      a7, \eid
        li      a6, \fid
        ecall
.endm

# \dst <- PTE for physical address \pa with \flags
.macro MKPTE dst, pa, flags
        srli    \dst, \pa, 12
        slli    \dst, \dst, 10
        ori     \dst, \dst, \flags
.endm

        # No linker relaxation: nothing here sets up gp, so `la` must not become gp-relative.
        .option norelax
        .section .text
        .globl  _start
_start:
        mv      s1, a0                    # the hart id; a1 (the device tree) is not needed
        la      sp, stack_top
        la      t0, trap_entry
        csrw    stvec, t0

        # 1. The console. DBCN (SBI 2.0) writes a whole buffer in one call; older firmware has only
        #    the legacy putchar, one call per byte. Probe, and use what is there.
        li      a0, SBI_DBCN
        SBI     SBI_BASE, SBI_BASE_PROBE
        bnez    a0, fail
        la      a0, banner
        beqz    a1, 1f
        # DBCN takes the buffer by *physical* address (low half in a1, high in a2); paging is still
        # off, so the address `la` gives is physical.
        la      a1, banner
        la      a0, banner_end
        sub     a0, a0, a1                # its length
        li      a2, 0
        SBI     SBI_DBCN, SBI_DBCN_WRITE
        beqz    a0, 2f
        j       fail
1:      call    puts
2:      la      a0, msg_hart
        call    puts
        addi    a0, s1, '0'
        call    putc
        li      a0, '\n'
        call    putc

        # 2. Which extensions does the firmware implement?
        li      a0, SBI_TIME
        la      a1, name_time
        call    probe
        li      a0, SBI_SRST
        la      a1, name_srst
        call    probe

        # 3. Paging of its own: RAM mapped one to one with a gigapage, and one page at NOTE_VA.
        la      t0, root
        li      t2, 0x80000000
        MKPTE   t1, t2, GIGA_RWX
        sd      t1, 16(t0)                # VA 2 .. 3 GiB -> PA 2 .. 3 GiB
        la      t2, l1
        MKPTE   t1, t2, PTE_V
        sd      t1, 8(t0)                 # VA 1 GiB: a table
        la      t0, l0
        MKPTE   t1, t0, PTE_V
        sd      t1, 0(t2)
        la      t2, note
        MKPTE   t1, t2, PAGE_R
        sd      t1, 0(t0)                 # VA NOTE_VA -> note
        la      t0, root
        srli    t0, t0, 12
        li      t1, SATP_SV39
        or      t0, t0, t1
        csrw    satp, t0
        sfence.vma
        la      a0, msg_paging
        call    puts
        li      a0, NOTE_VA               # the same bytes, now through the new mapping
        call    puts

        # 4. The timer: an interrupt INTERVAL ticks from now, taken at stvec.
        li      s0, 0                     # interrupts taken so far
        call    arm_timer
        li      t0, SIE_STIE
        csrs    sie, t0
        csrsi   sstatus, SSTATUS_SIE
wait:
        wfi
        li      t0, TICKS
        blt     s0, t0, wait
        csrci   sstatus, SSTATUS_SIE

        # 5. Done: ask the firmware to power off.
        la      a0, msg_bye
        call    puts
        li      a0, SRST_SHUTDOWN
        li      a1, SRST_NO_REASON
        SBI     SBI_SRST, 0
fail:
        la      a0, msg_fail
        call    puts
        li      a0, SRST_SHUTDOWN
        li      a1, SRST_FAILURE
        SBI     SBI_SRST, 0
1:      j       1b

# probe(a0 = extension id, a1 = its name): prints "NAME: yes" or "NAME: no".
probe:
        addi    sp, sp, -16
        sd      ra, 0(sp)
        sd      a1, 8(sp)
        SBI     SBI_BASE, SBI_BASE_PROBE  # a1 <- nonzero when implemented
        bnez    a0, fail
        mv      s2, a1
        ld      a0, 8(sp)
        call    puts
        la      a0, msg_yes
        bnez    s2, 1f
        la      a0, msg_no
1:      call    puts
        ld      ra, 0(sp)
        addi    sp, sp, 16
        ret

# set_timer(time + INTERVAL); it also clears a pending supervisor timer interrupt.
arm_timer:
        rdtime  a0
        li      t0, INTERVAL
        add     a0, a0, t0
        SBI     SBI_TIME, 0
        ret

# puts(a0 = NUL-terminated string), one legacy putchar per byte.
puts:
        mv      t2, a0
1:      lbu     a0, 0(t2)
        beqz    a0, 2f
        li      a7, SBI_LEGACY_PUTCHAR    # legacy calls take no function id
        ecall
        addi    t2, t2, 1
        j       1b
2:      ret

# putc(a0 = byte)
putc:
        li      a7, SBI_LEGACY_PUTCHAR
        ecall
        ret

        .align  2
trap_entry:
        addi    sp, sp, -64
        sd      ra, 0(sp)
        sd      t0, 8(sp)
        sd      t1, 16(sp)
        sd      t2, 24(sp)
        sd      a0, 32(sp)
        sd      a1, 40(sp)
        sd      a6, 48(sp)
        sd      a7, 56(sp)
        csrr    t0, scause
        li      t1, SCAUSE_STI
        bne     t0, t1, fail              # nothing else is expected here
        addi    s0, s0, 1
        la      a0, msg_tick
        call    puts
        addi    a0, s0, '0'
        call    putc
        li      a0, '\n'
        call    putc
        li      t0, TICKS
        bge     s0, t0, 1f
        call    arm_timer                 # the next tick
        j       2f
1:      li      a0, -1                    # the last one: no next event, and STIP clears
        SBI     SBI_TIME, 0
2:      ld      ra, 0(sp)
        ld      t0, 8(sp)
        ld      t1, 16(sp)
        ld      t2, 24(sp)
        ld      a0, 32(sp)
        ld      a1, 40(sp)
        ld      a6, 48(sp)
        ld      a7, 56(sp)
        addi    sp, sp, 64
        sret

        .section .rodata
banner:      .ascii "supervisor-boot: hello from S-mode\n"
banner_end:  .byte 0
msg_hart:    .asciz "legacy putchar: booted on hart "
name_time:   .asciz "probe TIME: "
name_srst:   .asciz "probe SRST: "
msg_yes:     .asciz "yes\n"
msg_no:      .asciz "no\n"
msg_paging:  .asciz "Sv39 on; at VA 0x40000000: "
msg_tick:    .asciz "supervisor timer interrupt "
msg_bye:     .asciz "shutting down through SRST\n"
msg_fail:    .asciz "FAIL: unexpected SBI error or trap\n"

        .section .data
        .balign 4096
note:   .asciz "a note in a page of its own\n"

        .section .bss
        .balign 4096
root:   .space 4096
l1:     .space 4096
l0:     .space 4096
stack:  .space 1024
stack_top:

# tiny_hypervisor.S: a bare-metal hypervisor, and the guest it runs in VS-mode.
#
# Run it natively on a hart with the H extension (launch attribute `cpu: "rv64,h=true"`, or
# `hyperstep run … --cpu rv64,h=true`; on QEMU, `-cpu rv64,h=true`). No VMM of Hyperstep's runs
# here: this file *is* the hypervisor, and the hart does the rest.
#
#   1. M-mode (firmware): open PMP, delegate the guest's traps to HS-mode, mret into HS-mode.
#   2. HS-mode (the hypervisor): load the guest's code into memory of its own, build the G-stage
#      table (Sv39x4, guest-physical -> host-physical), point hgatp at it, delegate the guest's
#      breakpoints straight to the guest (hedeleg), set hstatus.SPV and sret into VS-mode.
#   3. VS-mode (the guest): print through a UART that the G stage does not map (every store is a
#      guest-page fault the hypervisor emulates), take its own breakpoint without an exit, and make
#      two hypercalls (ecall from VS-mode): print a line from its RAM, then shut down.
#   4. HS-mode again, at each exit: hs_trap saves the guest's registers, handles the exit, and srets
#      back into the guest; the shutdown hypercall ends the run through the SiFive test finisher.
#
# The guest's code keeps its guest-physical addresses (its link addresses, so the debugger's source
# lines match the guest's pc) but lives at other host-physical ones, and so does its RAM: GPA != HPA.
# Nothing else is mapped: the guest cannot reach the hypervisor's code, tables or stack, nor a device.

        .option arch, +h            # hgatp, hstatus, hlv.*, hfence.gvma: the H extension
        .option norelax             # no gp here: `la` must stay pc-relative

#define UART_BASE      0x10000000
#define UART_THR       0            /* transmit holding register */
#define UART_LSR       5            /* line status register */
#define LSR_THRE       0x20         /* transmitter holding register empty */
#define FINISHER       0x100000
#define FINISHER_PASS  0x5555
#define FINISHER_FAIL  0x3333       /* (code << 16) | 0x3333: exit with `code` */

#define MPP_MASK       (3 << 11)
#define MPP_S          (1 << 11)
#define SSTATUS_SPP    (1 << 8)     /* sret returns to S (with SPV: to VS) */
#define HSTATUS_SPV    (1 << 7)     /* sret returns to a guest (V = 1) */

#define CAUSE_BREAKPOINT       3
#define CAUSE_ECALL_VS         10
#define CAUSE_LOAD_GUEST_PAGE  21
#define CAUSE_STORE_GUEST_PAGE 23
#define CAUSE_FETCH_GUEST_PAGE 20
#define CAUSE_VIRTUAL_INSN     22

#define PTE_V (1 << 0)
#define PTE_R (1 << 1)
#define PTE_W (1 << 2)
#define PTE_X (1 << 3)
#define PTE_U (1 << 4)              /* every G-stage leaf is a U page: the G stage checks as U-mode */
#define PTE_A (1 << 6)
#define PTE_D (1 << 7)
#define G_CODE (PTE_V | PTE_R | PTE_X | PTE_U | PTE_A)                   /* the guest may not write its code */
#define G_DATA (PTE_V | PTE_R | PTE_W | PTE_U | PTE_A | PTE_D)

/* The hypervisor's own memory, outside its image. A test places it above 128 MiB. */
#ifndef HV_MEMORY
#define HV_MEMORY      0x80200000
#endif
#define G_ROOT         (HV_MEMORY)           /* Sv39x4 root: 2048 entries, 16 KiB, 16 KiB-aligned */
#define G_L1           (HV_MEMORY + 0x4000)
#define G_L0           (HV_MEMORY + 0x5000)
#define GUEST_RAM_HPA  (HV_MEMORY + 0x6000)  /* the host page behind the guest's RAM */
#define HV_COUNTS      (HV_MEMORY + 0x7000)  /* UART stores emulated, hypercalls */
#define HV_STACK_TOP   (HV_MEMORY + 0x8000)  /* hs_trap's frame sits below it */
#define GUEST_CODE_HPA (HV_MEMORY + 0x8000)  /* where the hypervisor loads the guest's code */
#define GUEST_RAM_GPA  0x80100000
#define HGATP_SV39X4   (8 << 60)
#define VMID           1

#define HC_PUTS        1            /* a7 = 1: print the string at guest address a0 */
#define HC_SHUTDOWN    2            /* a7 = 2: end the run with exit code a0 */

#define FRAME          (32 * 8)     /* the guest's x0..x31, indexed by register number */

# \dst <- PTE for physical address \pa with \flags
.macro MKPTE dst, pa, flags
        srli    \dst, \pa, 12
        slli    \dst, \dst, 10
        ori     \dst, \dst, \flags
.endm

        .section .text
        .globl  _start
# ---- 1. M-mode: the firmware's part ---------------------------------------------------------
_start:
        la      t0, m_trap
        csrw    mtvec, t0
        li      t0, -1
        csrw    pmpaddr0, t0
        li      t0, 0x1f                  # PMP entry 0: NAPOT over everything, RWX
        csrw    pmpcfg0, t0
        # The guest's exits go to the hypervisor in HS-mode, not here. The breakpoint must reach
        # HS-level too, so that hedeleg can pass it on to the guest.
        li      t0, (1 << CAUSE_BREAKPOINT) | (1 << CAUSE_ECALL_VS) | (1 << CAUSE_FETCH_GUEST_PAGE) | (1 << CAUSE_LOAD_GUEST_PAGE) | (1 << CAUSE_VIRTUAL_INSN) | (1 << CAUSE_STORE_GUEST_PAGE)
        csrw    medeleg, t0
        li      t0, MPP_MASK
        csrc    mstatus, t0
        li      t0, MPP_S
        csrs    mstatus, t0               # mret goes to S-mode with V = 0 (MPV = 0): HS-mode
        la      t0, hs_main
        csrw    mepc, t0
        mret

# Nothing traps into M-mode once HS-mode runs: anything that does is a bug.
        .balign 4
m_trap:
        li      a0, 3
        j       finish

# ---- 2. HS-mode: the hypervisor builds its guest ----------------------------------------------
hs_main:
        la      t0, hs_trap
        csrw    stvec, t0
        # A hypervisor cannot trust RAM to be zero: clear its tables, the guest's RAM and the counts.
        li      t0, HV_MEMORY
        li      t1, HV_STACK_TOP
1:      sd      zero, 0(t0)
        addi    t0, t0, 8
        bltu    t0, t1, 1b
        # Load the guest: its code and constants, from this image into the hypervisor's memory.
        la      t0, guest_start
        la      t1, guest_end
        li      t2, GUEST_CODE_HPA
2:      ld      t3, 0(t0)
        sd      t3, 0(t2)
        addi    t0, t0, 8
        addi    t2, t2, 8
        bltu    t0, t1, 2b
        fence.i                           # the copy is code: the guest's fetches must see it

        # The G stage. GPA 0x8000_0000..0x801f_ffff: root[2] -> G_L1, G_L1[0] -> G_L0, whose
        # entries are 4 KiB pages. The root is indexed by GPA[40:30]: 2048 entries, 4 times Sv39's.
        li      s0, G_ROOT
        li      s1, G_L1
        li      s2, G_L0
        MKPTE   t1, s1, PTE_V
        sd      t1, 2 * 8(s0)
        MKPTE   t1, s2, PTE_V
        sd      t1, 0(s1)
        # The guest's code, page by page: GPA guest_start.. -> HPA GUEST_CODE_HPA..
        la      t0, guest_start
        la      t2, guest_end
        li      t4, GUEST_CODE_HPA
3:      MKPTE   t1, t4, G_CODE
        srli    t3, t0, 12
        andi    t3, t3, 511
        slli    t3, t3, 3
        add     t3, t3, s2
        sd      t1, 0(t3)                 # G_L0[GPA[20:12]]
        li      t3, 4096
        add     t0, t0, t3
        add     t4, t4, t3
        bltu    t0, t2, 3b
        # The guest's RAM page: GPA 0x8010_0000 -> HPA GUEST_RAM_HPA. GPA != HPA.
        li      t0, GUEST_RAM_HPA
        MKPTE   t1, t0, G_DATA
        li      t3, ((GUEST_RAM_GPA >> 12) & 511) * 8
        add     t3, t3, s2
        sd      t1, 0(t3)                 # G_L0[GPA[20:12]]
        # hgatp: Sv39x4, VMID, the root's page number. Then drop any stale G-stage translation.
        srli    t0, s0, 12
        li      t1, HGATP_SV39X4 | (VMID << 44)
        or      t0, t0, t1
        csrw    hgatp, t0
        hfence.gvma zero, zero

        la      a1, msg_gstage
        call    puts
        mv      a2, s0
        call    put_hex
        la      a1, msg_code
        call    puts
        la      a2, guest_start
        call    put_hex
        la      a1, msg_is_host
        call    puts
        li      a2, GUEST_CODE_HPA
        call    put_hex
        la      a1, msg_ram
        call    puts
        li      a2, GUEST_RAM_GPA
        call    put_hex
        la      a1, msg_is_host
        call    puts
        li      a2, GUEST_RAM_HPA
        call    put_hex
        la      a1, msg_unmapped
        call    puts

        # The guest handles its own breakpoints: delegated by medeleg to HS, by hedeleg on to VS.
        li      t0, 1 << CAUSE_BREAKPOINT
        csrw    hedeleg, t0
        # Enter the guest: sret with hstatus.SPV = 1 and sstatus.SPP = 1 goes to VS-mode.
        li      t0, HSTATUS_SPV
        csrs    hstatus, t0
        li      t0, SSTATUS_SPP
        csrs    sstatus, t0
        csrw    vsatp, zero               # the guest starts with paging off (its own satp)
        li      t0, HV_STACK_TOP
        csrw    sscratch, t0              # where hs_trap will find its stack
        la      t0, guest_start
        csrw    sepc, t0
        la      a1, msg_enter
        call    puts
        mv      a2, t0
        call    put_hex
        li      a0, '\n'
        call    putc
        sret                              # V = 1 from here: the guest runs

# ---- 4. HS-mode: every exit from the guest lands here ------------------------------------------
        .balign 4
hs_trap:
        csrrw   sp, sscratch, sp          # sp = the hypervisor's stack, sscratch = the guest's sp
        addi    sp, sp, -FRAME
        sd      zero, 0(sp)
        .irp    r, 1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
        sd      x\r, \r * 8(sp)
        .endr
        csrr    t0, sscratch
        sd      t0, 2 * 8(sp)             # the guest's sp
        csrr    t0, scause
        li      t1, CAUSE_STORE_GUEST_PAGE
        beq     t0, t1, emulate_store
        li      t1, CAUSE_ECALL_VS
        beq     t0, t1, hypercall
        j       unexpected

# Back into the guest where sepc says, with the registers it had (and any the exit changed).
resume:
        addi    t0, sp, FRAME
        csrw    sscratch, t0
        .irp    r, 1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
        ld      x\r, \r * 8(sp)
        .endr
        ld      sp, 2 * 8(sp)
        sret

# A store to a guest-physical address the G stage does not map. htval holds GPA >> 2, stval the
# guest's own (virtual) address. Only the UART's transmit register is emulated here.
emulate_store:
        csrr    t0, htval
        slli    t0, t0, 2
        csrr    t1, stval
        andi    t1, t1, 3
        or      t0, t0, t1                # the GPA
        li      t1, UART_BASE + UART_THR
        bne     t0, t1, unexpected
        # Which register holds the byte? htinst may give the instruction, transformed (its offset
        # zeroed); 0 is always allowed, and then the hypervisor reads the guest's instruction at
        # sepc itself, with hlvx.hu: a load as the guest would fetch, through both stages.
        csrr    t0, htinst
        bnez    t0, 3f
        csrr    t1, sepc
        hlvx.hu t0, (t1)
        andi    t2, t0, 3
        li      t3, 3
        bne     t2, t3, unexpected        # a compressed store: not emulated here
        addi    t1, t1, 2                 # hlv and hlvx take no offset
        hlvx.hu t2, (t1)
        slli    t2, t2, 16
        or      t0, t0, t2
3:      andi    t1, t0, 0x7f
        li      t2, 0x23
        bne     t1, t2, unexpected        # not a 32-bit store (sb, sh, sw, sd)
        srli    t1, t0, 20
        andi    t1, t1, 31                # rs2: the register being stored
        slli    t1, t1, 3
        add     t1, t1, sp
        ld      a0, 0(t1)
        call    putc                      # the device model: a byte on the real UART
        li      t0, HV_COUNTS
        ld      t1, 0(t0)
        addi    t1, t1, 1
        sd      t1, 0(t0)
        j       next_instruction

# ecall from VS-mode: a7 says which hypercall, a0 is its argument.
hypercall:
        ld      t0, 17 * 8(sp)            # the guest's a7
        li      t1, HC_PUTS
        beq     t0, t1, hc_puts
        li      t1, HC_SHUTDOWN
        beq     t0, t1, hc_shutdown
        j       unexpected

# The string is at a guest address: hlv.bu reads it as the guest would, through the guest's own
# translation and the G stage, one exit for the whole line.
hc_puts:
        la      a1, msg_hc_puts
        call    puts
        ld      a2, 10 * 8(sp)
        call    put_hex
        la      a1, msg_colon
        call    puts
        ld      t1, 10 * 8(sp)
4:      hlv.bu  a0, (t1)
        beqz    a0, 5f
        call    putc
        addi    t1, t1, 1
        j       4b
5:      sd      zero, 10 * 8(sp)          # the hypercall returns 0 in the guest's a0
        li      t0, HV_COUNTS
        ld      t1, 8(t0)
        addi    t1, t1, 1
        sd      t1, 8(t0)
next_instruction:
        csrr    t0, sepc
        addi    t0, t0, 4                 # past the 4-byte store or ecall
        csrw    sepc, t0
        j       resume

hc_shutdown:
        la      a1, msg_shutdown
        call    puts
        ld      a2, 10 * 8(sp)
        call    put_dec
        la      a1, msg_after
        call    puts
        li      t0, HV_COUNTS
        ld      a2, 0(t0)
        call    put_dec
        la      a1, msg_stores
        call    puts
        li      t0, HV_COUNTS
        ld      a2, 8(t0)
        addi    a2, a2, 1                 # and this one
        call    put_dec
        la      a1, msg_hypercalls
        call    puts
        ld      a0, 10 * 8(sp)
        j       finish

unexpected:
        la      a1, msg_unexpected
        call    puts
        csrr    a2, scause
        call    put_hex
        la      a1, msg_stval
        call    puts
        csrr    a2, stval
        call    put_hex
        la      a1, msg_sepc
        call    puts
        csrr    a2, sepc
        call    put_hex
        li      a0, '\n'
        call    putc
        li      a0, 1

# finish(a0 = exit code) through the SiFive test finisher.
finish:
        li      t0, FINISHER
        li      t1, FINISHER_PASS
        beqz    a0, 6f
        slli    t1, a0, 16
        li      t2, FINISHER_FAIL
        or      t1, t1, t2
6:      sw      t1, 0(t0)
7:      j       7b

# ---- the hypervisor's console: the real UART, physical addresses (V = 0) ----------------------
# putc(a0): one byte, once the UART can take it. Clobbers t5, t6.
putc:
        li      t6, UART_BASE
1:      lbu     t5, UART_LSR(t6)
        andi    t5, t5, LSR_THRE
        beqz    t5, 1b
        sb      a0, UART_THR(t6)
        ret

# puts(a1 = NUL-terminated string). Clobbers a0, a1, t4-t6.
puts:
        mv      t4, ra
1:      lbu     a0, 0(a1)
        beqz    a0, 2f
        call    putc
        addi    a1, a1, 1
        j       1b
2:      jr      t4

# put_hex(a2): 0x and 16 hex digits. Clobbers a0, a2, a3, t3-t6.
put_hex:
        mv      t3, ra
        li      a0, '0'
        call    putc
        li      a0, 'x'
        call    putc
        li      a3, 16
1:      srli    a0, a2, 60
        li      t4, 10
        bltu    a0, t4, 2f
        addi    a0, a0, 'a' - '0' - 10
2:      addi    a0, a0, '0'
        call    putc
        slli    a2, a2, 4
        addi    a3, a3, -1
        bnez    a3, 1b
        jr      t3

# put_dec(a2): unsigned decimal. Clobbers a0, a2, a3, t3-t6.
put_dec:
        mv      t3, ra
        li      a3, 1
        li      t4, 10
1:      divu    t5, a2, a3                # a3 = the largest power of ten <= a2 (1 for 0)
        bltu    t5, t4, 2f
        mul     a3, a3, t4
        j       1b
2:      divu    a0, a2, a3
        remu    a2, a2, a3
        addi    a0, a0, '0'
        call    putc
        li      t4, 10
        divu    a3, a3, t4
        bnez    a3, 2b
        jr      t3

msg_gstage:     .asciz "tiny-hypervisor: HS-mode. G stage (Sv39x4) root at "
msg_code:       .asciz "\ntiny-hypervisor: guest code at GPA "
msg_is_host:    .asciz " is at host "
msg_ram:        .asciz ", guest RAM at GPA "
msg_unmapped:   .asciz "; the UART is not mapped\n"
msg_enter:      .asciz "tiny-hypervisor: sret into VS-mode at "
msg_hc_puts:    .asciz "tiny-hypervisor: hypercall puts, string at guest address "
msg_colon:      .asciz ": "
msg_shutdown:   .asciz "tiny-hypervisor: the guest shut down with code "
msg_after:      .asciz " after "
msg_stores:     .asciz " emulated UART stores and "
msg_hypercalls: .asciz " hypercalls\n"
msg_unexpected: .asciz "tiny-hypervisor: unexpected trap: scause "
msg_stval:      .asciz ", stval "
msg_sepc:       .asciz ", sepc "

# ---- 3. VS-mode: the guest --------------------------------------------------------------------
# The hypervisor runs a copy of these pages, at GUEST_CODE_HPA, which the G stage maps at the
# addresses below. In VS-mode the s* CSRs the guest names are the hart's vs* CSRs: stvec is vstvec,
# sepc is vsepc, and `satp` would be vsatp.
        .balign 4096
guest_start:
        la      t0, guest_trap
        csrw    stvec, t0
        la      a0, guest_hello
        call    guest_puts
        # A breakpoint, delegated to the guest by hedeleg: its own handler takes it, no exit.
        li      s1, 0
        .option push
        .option norvc
        ebreak                            # 4 bytes, so that the handler can skip it by 4
        .option pop
        li      t0, CAUSE_BREAKPOINT
        bne     s1, t0, guest_failed
        la      a0, guest_own_trap
        call    guest_puts
        # A line in the guest's RAM (GPA 0x8010_0000, elsewhere in the host), printed with one
        # hypercall instead of one exit per byte.
        li      a0, GUEST_RAM_GPA
        la      a1, guest_line
1:      lbu     t0, 0(a1)
        sb      t0, 0(a0)
        addi    a0, a0, 1
        addi    a1, a1, 1
        bnez    t0, 1b
        li      a0, GUEST_RAM_GPA
        li      a7, HC_PUTS
        ecall
        li      a0, 0
        li      a7, HC_SHUTDOWN
        ecall                             # does not return
guest_failed:
        li      a0, 2
        li      a7, HC_SHUTDOWN
        ecall

# guest_puts(a0 = string): a store per byte to the UART's transmit register. The G stage does not
# map the UART, so each store is a guest-page fault that the hypervisor emulates. (A real driver
# would poll the line status register first: one more exit per byte, a load this time.)
guest_puts:
        li      t0, UART_BASE
1:      lbu     t1, 0(a0)
        beqz    t1, 2f
        sb      t1, UART_THR(t0)
        addi    a0, a0, 1
        j       1b
2:      ret

# The guest's own trap handler (vstvec). It only takes breakpoints: notes the cause, skips the ebreak.
        .balign 4
guest_trap:
        csrr    s1, scause
        csrr    t0, sepc
        addi    t0, t0, 4
        csrw    sepc, t0
        sret                              # in VS-mode: back to the guest, no exit

guest_hello:    .asciz "Hello from VS-mode! Each byte of this line is a guest-page fault the hypervisor emulates.\n"
guest_own_trap: .asciz "guest: my own handler took my ebreak (hedeleg sent it to me): no exit\n"
guest_line:     .asciz "a line from guest RAM, printed with one hypercall\n"
        .balign 8
guest_end:

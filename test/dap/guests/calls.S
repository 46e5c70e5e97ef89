# calls.S: the adapter tests' main guest. Markers `# @name` name lines the tests look up.
#
# _start loops three times calling outer(), which keeps a frame-pointer frame and calls the leaf
# inner(), which stores its argument to `counter`. Then it prints a message, takes an illegal
# instruction and an ecall into its own handler (which skips them), and exits through the finisher.

#define UART_BASE 0x10000000
#define FINISHER  0x100000

        .section .text
        .globl  _start
_start:
        la      sp, stack_top                   # @entry
        li      s0, 0
        la      t0, trap_handler
        csrw    mtvec, t0
        li      s1, 0

        # a comment, and no code                # @nocode
loop:
        mv      a0, s1                          # @loop
        call    outer                           # @call-outer
        addi    s1, s1, 1                       # @after-call
        li      t0, 3
        blt     s1, t0, loop
        la      a0, message                     # @print
        call    puts                            # @call-puts
        .word   0                               # @illegal
        ecall                                   # @ecall
        li      t0, FINISHER                    # @finish
        li      t1, 0x5555
        sw      t1, 0(t0)
1:      j       1b

# outer(a0): calls inner(a0 + 1) from a frame: ra at s0-8, the caller's s0 at s0-16.
outer:
        addi    sp, sp, -16                     # @outer
        sd      ra, 8(sp)
        sd      s0, 0(sp)
        addi    s0, sp, 16
        addi    a0, a0, 1                       # @outer-body
        call    inner                           # @call-inner
        ld      ra, 8(sp)                       # @after-inner
        ld      s0, 0(sp)
        addi    sp, sp, 16
        ret                                     # @outer-ret

# inner(a0): counter = a0 (a leaf: no frame).
inner:
        la      t0, counter                     # @inner
        sd      a0, 0(t0)                       # @store
        ret                                     # @inner-ret

# puts(a0 = NUL-terminated string)
puts:
        li      t0, UART_BASE
1:      lbu     t1, 0(a0)
        beqz    t1, 3f
2:      lbu     t2, 5(t0)
        andi    t2, t2, 0x20
        beqz    t2, 2b
        sb      t1, 0(t0)
        addi    a0, a0, 1
        j       1b
3:      ret

# Skips the trapping instruction (4 bytes) and returns.
        .align  2
trap_handler:
        csrr    t0, mepc                        # @handler
        addi    t0, t0, 4
        csrw    mepc, t0
        mret                                    # @mret

        .section .data
        .align  3
counter:
        .dword  0
message:
        .asciz  "calls done\n"                  # @data-line

        .section .bss
        .align  4
stack:
        .space  4096
stack_top:

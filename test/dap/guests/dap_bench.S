# dap_bench.S: the DAP benchmark's guest (bench/dap_bench.ts). A counted loop of about 20 million
# instructions, then an exit; `dead` below is never called: the benchmark sets its 100 source
# breakpoints there, and data breakpoints on `watched`, which nothing touches.
        .section .text
        .globl  _start
_start:
        li      t0, 4000000
        li      t1, 0
loop:
        addi    t1, t1, 3
        xori    t1, t1, 0x55
        addi    t0, t0, -1
        bnez    t0, loop
        li      t0, 0x100000
        li      t1, 0x5555
        sw      t1, 0(t0)
1:      j       1b

dead:                                           # @dead
        addi    a0, a1, 0
        addi    a1, a2, 1
        addi    a2, a3, 2
        addi    a3, a4, 3
        addi    a4, a5, 4
        addi    a5, a6, 5
        addi    a6, a7, 6
        addi    a7, a0, 7
        addi    a0, a1, 8
        addi    a1, a2, 9
        addi    a2, a3, 10
        addi    a3, a4, 11
        addi    a4, a5, 12
        addi    a5, a6, 13
        addi    a6, a7, 14
        addi    a7, a0, 15
        addi    a0, a1, 16
        addi    a1, a2, 17
        addi    a2, a3, 18
        addi    a3, a4, 19
        addi    a4, a5, 20
        addi    a5, a6, 21
        addi    a6, a7, 22
        addi    a7, a0, 23
        addi    a0, a1, 24
        addi    a1, a2, 25
        addi    a2, a3, 26
        addi    a3, a4, 27
        addi    a4, a5, 28
        addi    a5, a6, 29
        addi    a6, a7, 30
        addi    a7, a0, 31
        addi    a0, a1, 32
        addi    a1, a2, 33
        addi    a2, a3, 34
        addi    a3, a4, 35
        addi    a4, a5, 36
        addi    a5, a6, 37
        addi    a6, a7, 38
        addi    a7, a0, 39
        addi    a0, a1, 40
        addi    a1, a2, 41
        addi    a2, a3, 42
        addi    a3, a4, 43
        addi    a4, a5, 44
        addi    a5, a6, 45
        addi    a6, a7, 46
        addi    a7, a0, 47
        addi    a0, a1, 48
        addi    a1, a2, 49
        addi    a2, a3, 50
        addi    a3, a4, 51
        addi    a4, a5, 52
        addi    a5, a6, 53
        addi    a6, a7, 54
        addi    a7, a0, 55
        addi    a0, a1, 56
        addi    a1, a2, 57
        addi    a2, a3, 58
        addi    a3, a4, 59
        addi    a4, a5, 60
        addi    a5, a6, 61
        addi    a6, a7, 62
        addi    a7, a0, 63
        addi    a0, a1, 64
        addi    a1, a2, 65
        addi    a2, a3, 66
        addi    a3, a4, 67
        addi    a4, a5, 68
        addi    a5, a6, 69
        addi    a6, a7, 70
        addi    a7, a0, 71
        addi    a0, a1, 72
        addi    a1, a2, 73
        addi    a2, a3, 74
        addi    a3, a4, 75
        addi    a4, a5, 76
        addi    a5, a6, 77
        addi    a6, a7, 78
        addi    a7, a0, 79
        addi    a0, a1, 80
        addi    a1, a2, 81
        addi    a2, a3, 82
        addi    a3, a4, 83
        addi    a4, a5, 84
        addi    a5, a6, 85
        addi    a6, a7, 86
        addi    a7, a0, 87
        addi    a0, a1, 88
        addi    a1, a2, 89
        addi    a2, a3, 90
        addi    a3, a4, 91
        addi    a4, a5, 92
        addi    a5, a6, 93
        addi    a6, a7, 94
        addi    a7, a0, 95
        addi    a0, a1, 96
        addi    a1, a2, 97
        addi    a2, a3, 98
        addi    a3, a4, 99
        addi    a4, a5, 100
        addi    a5, a6, 101
        addi    a6, a7, 102
        addi    a7, a0, 103
        addi    a0, a1, 104
        addi    a1, a2, 105
        addi    a2, a3, 106
        addi    a3, a4, 107
        addi    a4, a5, 108
        addi    a5, a6, 109
        addi    a6, a7, 110
        addi    a7, a0, 111
        addi    a0, a1, 112
        addi    a1, a2, 113
        addi    a2, a3, 114
        addi    a3, a4, 115
        addi    a4, a5, 116
        addi    a5, a6, 117
        addi    a6, a7, 118
        addi    a7, a0, 119
        ret

        .section .data
        .align  12
watched:
        .space  64

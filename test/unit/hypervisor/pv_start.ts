/** The start of the test kernels: the hypercall macro, and the start-info address kept in s0. */
export const PV_START = `
#define PV_EID 0x0A505600
.macro HYPERCALL nr
        li      a7, PV_EID
        li      a6, \\nr
        ecall
.endm
        .option norvc
        .option norelax
        .section .text
        .globl _start
_start:
        mv      s0, a0
`;

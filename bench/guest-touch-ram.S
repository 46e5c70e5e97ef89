/* Writes one doubleword in every 4 KiB page of the 128 MiB of RAM above its own image, then exits:
   the benchmark's resident-memory figure for a guest that touches all its RAM. */
  .section .text.start, "ax"
  .globl _start
_start:
  la t0, __end
  li t1, 0x88000000
  li t2, 4096
1: sd t0, 0(t0)
  add t0, t0, t2
  bltu t0, t1, 1b
  li t0, 0x100000
  li t1, 0x5555
  sw t1, 0(t0)
2: j 2b

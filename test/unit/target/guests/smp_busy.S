# Every hart (launch with smp > 1) adds 1 + its hart id to a shared counter with LR/SC, forever,
# counting its successful SCs in s2 and its failed ones in s3.
  .text
  .globl _start
_start:
  la s1, shared
  addi s4, a0, 1
retry:
  lr.d t0, (s1)
  add t0, t0, s4
  sc.d t1, t0, (s1)
  bnez t1, failed
  addi s2, s2, 1
  j retry
failed:
  addi s3, s3, 1
  j retry

  .data
  .balign 8
shared:
  .dword 0

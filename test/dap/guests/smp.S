# Two harts (launch with smp: 2): each starts here with a0 = its mhartid. Hart 0 counts in t1,
# hart 1 in t2.
  .text
  .globl _start
_start:
  mv s0, a0           # @entry
  bnez a0, other
hart0:
  addi t1, t1, 1      # @hart0
  j hart0
other:
  addi t2, t2, 1      # @other
  j other

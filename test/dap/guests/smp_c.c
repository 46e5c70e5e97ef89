/* Two harts in C, for C expressions on a thread other than the first. Built at launch (gcc -g -O0).
   Each hart starts at _start with a0 = mhartid, takes its own stack and counts into its own slot. */
struct slot { long hart; long count; };
struct slot slots[2];
unsigned char stacks[2][4096];

void count(struct slot *s, long hart) {
  s->hart = hart;
  for (int i = 0; i < 10; i++) s->count++;
  s->count += 100; /* # @counted */
}

void run(long hart) {
  count(&slots[hart], hart);
  for (;;) {
  }
}

__attribute__((naked)) void _start(void) {
  __asm__ volatile(
    "csrr a0, mhartid\n"
    "la sp, stacks\n"
    "addi t0, a0, 1\n"
    "slli t0, t0, 12\n"
    "add sp, sp, t0\n"
    "j run\n");
}

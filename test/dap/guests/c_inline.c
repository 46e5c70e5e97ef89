/* A C guest for inlined calls, built by the tests with gcc -g -O2 as xv6 is built: the static
   functions below are inlined into their callers (DW_TAG_inlined_subroutine), as xv6's riscv.h
   helpers are. Each "stop:" comment marks a line the tests break at. */
volatile int sink;
static char stack[4096] __attribute__((aligned(16), used));

static inline unsigned long r_mscratch(void) {
  unsigned long x;
  asm volatile("csrr %0, mscratch" : "=r"(x));
  return x;
}

static inline void w_mscratch(unsigned long x) {
  asm volatile("csrw mscratch, %0" : : "r"(x));
}

static inline int scale(int v, int k) {
  int s = v * k;
  sink = s; /* stop: scale */
  return s + 1;
}

static inline int twice(int v) {
  int a = scale(v, 2);
  int b = scale(v, 3);
  return a + b;
}

__attribute__((noinline)) int work(int n) {
  w_mscratch(n);
  int t = twice(n);
  if ((r_mscratch() & 1) != 0)
    t += 7;
  sink = t; /* stop: work */
  return t;
}

void boot(void) {
  sink = work(5);
  for (;;) ;
}

__asm__(".globl _start\n_start:\n  la sp, stack + 4096\n  call boot\n");

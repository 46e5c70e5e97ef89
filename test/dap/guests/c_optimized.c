/* A C guest for checking optimized code against gdb: built by the tests with gcc -g -O0 and -Og,
   for Debian's default rv64gc (doubles in f registers).
   At -Og arguments and locals live in registers, move between them, and die: their locations are
   location lists, some values survive only as the caller passed them (DW_OP_entry_value). Each
   "stop:" comment marks a line the tests break at. */
typedef unsigned long size_t;
struct point { int x; long y; };
struct pair { int lo; int hi; };

volatile int sink;
static char stack[4096] __attribute__((aligned(16), used));

__attribute__((noinline)) int leaf(int a, int b) {
  int d = a * b;
  sink = d; /* stop: leaf */
  return d + a;
}

__attribute__((noinline)) int split(long v) {
  struct pair r = { (int)(v & 0xffff), (int)(v >> 16) };
  sink = r.hi; /* stop: split */
  return r.lo - r.hi;
}

__attribute__((noinline)) long mid(struct point *p, int n) {
  long total = 0;
  for (int i = 0; i < n; i++) {
    int v = leaf(i, p->x);
    total += v; /* stop: mid loop */
  }
  p->y = total;
  return total;
}

__attribute__((noinline)) int top(int k, const char *label) {
  struct point pt = { k, 0 };
  long t = mid(&pt, k);
  int diff = split(t * 70000 + k);
  double scale = (double)t / k;
  float third = 1.0f / k;
  int small = (int)t + diff + label[0] + (int)(scale * third);
  sink = small; /* stop: top */
  return small;
}

void boot(void) {
  sink = top(3, "go");
  for (;;) ;
}

/* mstatus.FS = Initial: the F and D instructions may run. */
__asm__(".globl _start\n_start:\n  la sp, stack + 4096\n  li t0, 0x2000\n  csrs mstatus, t0\n  call boot\n");

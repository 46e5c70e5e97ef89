/* A C guest for the Variables view: a struct, a pointer, an array, an enum, globals and locals in a
   non-leaf function. Built by the tests with gcc -g -O0. */
typedef unsigned long size_t;
enum color { RED, GREEN = 5, BLUE };
struct point { int x; long y; unsigned char tag; };
struct node { struct point pos; struct node *next; const char *name; short scores[3]; enum color c; };

volatile int ticks = 7;
struct node head = { { 1, 2, 'h' }, 0, "head", { 10, 20, 30 }, BLUE };

int add(int a, int b) {
  return a + b; /* in add */
}

int twice(int v) {
  int r = add(v, v);
  return r; /* in twice */
}

int walk(struct node *n, int limit) {
  struct node local;
  int sum = 0;
  char letter = 'Q';
  size_t count = 3;
  local.pos.x = 42;
  local.pos.y = -9;
  local.pos.tag = 200;
  local.next = n;
  local.name = "local";
  local.scores[0] = -1;
  local.scores[1] = 2;
  local.scores[2] = 300;
  local.c = GREEN;
  for (size_t i = 0; i < count; i++) sum += n->scores[i];
  sum += twice(limit) + letter;
  ticks = sum; /* stop here */
  return sum + local.pos.x;
}

static char stack[4096] __attribute__((aligned(16)));

void boot(void) {
  walk(&head, 4);
  for (;;) ;
}

__asm__(".globl _start\n_start:\n  la sp, stack + 4096\n  call boot\n");

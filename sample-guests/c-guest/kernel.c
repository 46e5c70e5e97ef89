/*
 * c-guest: a tiny kernel in C, to debug at the level of C. It keeps a process table as xv6 does
 * (struct proc, with a trapframe address kept as an integer), links the runnable processes into a
 * run queue, and "runs" each in turn. Hyperstep builds it with riscv64-unknown-elf-gcc -g -O0
 * (see README.md) and shows its variables, and C expressions on them, while you step it.
 */
typedef unsigned long uint64;

enum procstate { UNUSED, RUNNABLE, RUNNING, ZOMBIE };

/* The registers a process had when it last stopped running (a small part of xv6's). */
struct trapframe {
  uint64 epc;
  uint64 sp;
  uint64 a0;
};

struct proc {
  int pid;
  enum procstate state;
  char name[16];
  uint64 trapframe;  /* the address of its struct trapframe, as xv6 keeps it */
  struct proc *next; /* the next process in the run queue */
  unsigned int ticks;
};

/* One 64-bit word, seen whole or byte by byte. */
union word {
  uint64 value;
  unsigned char bytes[8];
};

#define NPROC 4

struct proc proc[NPROC];
struct trapframe trapframes[NPROC];
struct proc *runq;
int nextpid = 1;
unsigned int total_ticks;
double load;
union word magic = { 0x1122334455667788 };

static void uart_puts(const char *s) {
  volatile unsigned char *thr = (unsigned char *)0x10000000;
  while (*s) *thr = *s++;
}

static void copy_name(char *to, const char *from) {
  int i = 0;
  while (from[i] && i < 15) {
    to[i] = from[i];
    i++;
  }
  to[i] = 0;
}

/* Takes an unused slot of the process table, as xv6's allocproc does. */
struct proc *allocproc(const char *name) {
  for (struct proc *p = proc; p < &proc[NPROC]; p++) {
    if (p->state == UNUSED) {
      struct trapframe *tf = &trapframes[p - proc];
      p->pid = nextpid++;
      p->state = RUNNABLE;
      copy_name(p->name, name);
      tf->epc = 0x1000 * p->pid;
      tf->sp = 0x80020000 - 0x1000 * p->pid;
      tf->a0 = 0;
      p->trapframe = (uint64)tf;
      return p;
    }
  }
  return 0;
}

/* Appends p at the tail of the run queue. */
void enqueue(struct proc *p) {
  p->next = 0;
  if (runq == 0) {
    runq = p;
    return;
  }
  struct proc *q = runq;
  while (q->next) q = q->next;
  q->next = p;
}

/* Takes the process at the head of the run queue. */
struct proc *dequeue(void) {
  struct proc *p = runq;
  if (p) runq = p->next;
  return p;
}

/* Charges a process for the time it ran. */
void charge(struct proc *p, unsigned int ticks) {
  p->ticks += ticks;
  total_ticks += ticks;
}

/* "Runs" a process for one time slice: it is charged for it, and its a0 counts its turns. */
void run(struct proc *p, int slice) {
  struct trapframe *tf = (struct trapframe *)p->trapframe;
  p->state = RUNNING;
  charge(p, slice * p->pid);
  tf->a0 += 1; /* @run */
  p->state = RUNNABLE;
}

void kmain(void) {
  allocproc("init");
  allocproc("sh");
  allocproc("cat");
  for (int i = 0; i < NPROC; i++)
    if (proc[i].state == RUNNABLE) enqueue(&proc[i]);
  for (int round = 0; round < 4; round++) {
    struct proc *p = dequeue();
    run(p, 10);
    enqueue(p);
  }
  proc[2].state = ZOMBIE;
  load = total_ticks / 3.0;
  uart_puts("c-guest: done\n"); /* @done */
  *(volatile unsigned int *)0x100000 = 0x5555; /* the test finisher: power off */
}

static char stack[4096] __attribute__((aligned(16)));

/* The entry: a stack, the FPU on (mstatus.FS = Initial, for `load`), then C. */
__asm__(".section .text.start\n"
        ".globl _start\n"
        "_start:\n"
        "  la sp, stack + 4096\n"
        "  li t0, 1 << 13\n"
        "  csrs mstatus, t0\n"
        "  call kmain\n"
        "1: j 1b\n");

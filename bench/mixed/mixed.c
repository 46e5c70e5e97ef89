/*
 * Mixed compiled-C benchmark guest: the kinds of code a compiled program spends its time in, rather
 * than one hot loop. Five kernels, each over data it builds itself:
 *   - string and memory functions (copy, fill, length, compare, search),
 *   - a hash table with open addressing (insert, look up, delete),
 *   - sorting (quicksort falling back to insertion sort, then a binary search),
 *   - a small bytecode interpreter (a switch-dispatched stack machine),
 *   - integer math (division and remainder, gcd, modular exponentiation, a sieve).
 * Freestanding, built with gcc -O2 and compressed instructions (scripts/build-guests.mjs). Prints
 * "checksum XXXXXXXX" and exits 0 through the finisher, as bench/guest/bench.c does.
 *
 * `bench_scale` repeats the workload; each repetition starts from the same state, so every
 * repetition retires exactly the same instructions (bench/run.ts relies on it to count QEMU's).
 */
#include <stddef.h>
#include <stdint.h>
#include "../guest/console.h"

volatile uint32_t bench_scale = 1;

static uint32_t mix(uint32_t h, uint32_t v) {
  return (h ^ v) * 16777619u;
}

static uint64_t rng;

static uint32_t next(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return (uint32_t)(rng >> 11);
}

/* ---- string and memory functions (-fno-builtin keeps gcc from calling libc's) ---- */

static void *mem_copy(void *dst, const void *src, size_t n) {
  uint8_t *d = dst;
  const uint8_t *s = src;
  while (n >= 8) {
    uint64_t w;
    __builtin_memcpy(&w, s, 8);
    __builtin_memcpy(d, &w, 8);
    d += 8, s += 8, n -= 8;
  }
  while (n--) *d++ = *s++;
  return dst;
}

static void mem_fill(void *dst, uint8_t v, size_t n) {
  uint8_t *d = dst;
  while (n--) *d++ = v;
}

static size_t str_len(const char *s) {
  const char *p = s;
  while (*p) p++;
  return (size_t)(p - s);
}

static int str_cmp(const char *a, const char *b) {
  while (*a && *a == *b) a++, b++;
  return (uint8_t)*a - (uint8_t)*b;
}

static const char *str_str(const char *hay, const char *needle) {
  size_t n = str_len(needle);
  for (; *hay; hay++) {
    size_t i = 0;
    while (i < n && hay[i] == needle[i]) i++;
    if (i == n) return hay;
  }
  return 0;
}

#define TEXT_BYTES 8192
static char text[TEXT_BYTES + 1];
static char copy[TEXT_BYTES + 1];

static uint32_t strings(void) {
  static const char *const words[] = {"guest", "vmm", "trap", "shadow", "page", "table", "exit", "hart", "tlb", "ring"};
  size_t at = 0;
  while (at + 8 < TEXT_BYTES) {
    const char *w = words[next() % 10];
    size_t n = str_len(w);
    mem_copy(text + at, w, n);
    at += n;
    text[at++] = ' ';
  }
  text[at] = 0;
  uint32_t h = 0;
  for (int round = 0; round < 6; round++) {
    mem_copy(copy, text, at + 1);
    h = mix(h, (uint32_t)str_cmp(copy, text));
    copy[at / 2 + (size_t)round] ^= 1;
    h = mix(h, (uint32_t)str_cmp(copy, text));
    const char *p = text;
    uint32_t hits = 0;
    while ((p = str_str(p, words[round])) != 0) hits++, p++;
    h = mix(h, hits);
    mem_fill(copy, (uint8_t)round, TEXT_BYTES);
    h = mix(h, copy[TEXT_BYTES - 1]);
  }
  return h;
}

/* ---- a hash table with open addressing and tombstones ---- */

#define SLOTS 8192
#define KEYS 5000
enum { EMPTY, FULL, GONE };
static struct {
  uint32_t key;
  uint32_t value;
  uint8_t state;
} table[SLOTS];

static uint32_t hash32(uint32_t x) {
  x ^= x >> 16;
  x *= 0x7feb352du;
  x ^= x >> 15;
  x *= 0x846ca68bu;
  return x ^ (x >> 16);
}

static void put(uint32_t key, uint32_t value) {
  uint32_t i = hash32(key) & (SLOTS - 1);
  while (table[i].state == FULL && table[i].key != key) i = (i + 1) & (SLOTS - 1);
  table[i].key = key;
  table[i].value = value;
  table[i].state = FULL;
}

static int get(uint32_t key, uint32_t *value) {
  uint32_t i = hash32(key) & (SLOTS - 1);
  while (table[i].state != EMPTY) {
    if (table[i].state == FULL && table[i].key == key) {
      *value = table[i].value;
      return 1;
    }
    i = (i + 1) & (SLOTS - 1);
  }
  return 0;
}

static void del(uint32_t key) {
  uint32_t i = hash32(key) & (SLOTS - 1);
  while (table[i].state != EMPTY) {
    if (table[i].state == FULL && table[i].key == key) {
      table[i].state = GONE;
      return;
    }
    i = (i + 1) & (SLOTS - 1);
  }
}

static uint32_t hashing(void) {
  mem_fill(table, 0, sizeof table);
  uint32_t h = 0;
  for (uint32_t k = 0; k < KEYS; k++) put(k * 2654435761u, k);
  for (uint32_t k = 0; k < KEYS; k += 3) del(k * 2654435761u);
  for (uint32_t k = 0; k < 2 * KEYS; k++) {
    uint32_t v;
    h = mix(h, get(k * 2654435761u, &v) ? v : 0xffffffffu);
  }
  return h;
}

/* ---- sorting ---- */

#define ELEMS 12000
static int32_t data[ELEMS];

static void insertion(int32_t *a, int n) {
  for (int i = 1; i < n; i++) {
    int32_t v = a[i];
    int j = i - 1;
    while (j >= 0 && a[j] > v) a[j + 1] = a[j], j--;
    a[j + 1] = v;
  }
}

static void quicksort(int32_t *a, int n) {
  while (n > 16) {
    int32_t pivot = a[n / 2];
    int i = 0, j = n - 1;
    for (;;) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i >= j) break;
      int32_t t = a[i];
      a[i++] = a[j];
      a[j--] = t;
    }
    quicksort(a, j + 1);
    a += j + 1;
    n -= j + 1;
  }
  insertion(a, n);
}

static int search(const int32_t *a, int n, int32_t v) {
  int lo = 0, hi = n;
  while (lo < hi) {
    int mid = (lo + hi) / 2;
    if (a[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

static uint32_t sorting(void) {
  for (int i = 0; i < ELEMS; i++) data[i] = (int32_t)(next() % 100000) - 50000;
  quicksort(data, ELEMS);
  uint32_t h = 0;
  for (int i = 1; i < ELEMS; i++) h += data[i - 1] <= data[i];
  for (int i = 0; i < 2000; i++) h = mix(h, (uint32_t)search(data, ELEMS, (int32_t)(i * 50) - 50000));
  return h;
}

/* ---- a bytecode interpreter: a stack machine with a switch ---- */

enum op { PUSH, LOAD, STORE, ADD, SUB, MUL, LT, JZ, JMP, DUP, DROP, HALT };

/* locals: 0 = i, 1 = a, 2 = b, 3 = acc; sums Fibonacci numbers mod 2^32 for i < n. */
static const int32_t program[] = {
  PUSH, 0, STORE, 0, PUSH, 0, STORE, 1, PUSH, 1, STORE, 2, PUSH, 0, STORE, 3,
  /* 16: loop */
  LOAD, 0, LOAD, 4, LT, JZ, 55,
  LOAD, 1, LOAD, 2, ADD, DUP, LOAD, 3, ADD, STORE, 3,
  LOAD, 2, STORE, 1, STORE, 2,
  LOAD, 0, PUSH, 1, ADD, STORE, 0,
  LOAD, 3, PUSH, 3, MUL, DROP, JMP, 16,
  /* 55: */
  LOAD, 3, HALT,
};

static uint32_t interpret(const int32_t *code, int32_t n) {
  uint32_t stack[16];
  uint32_t locals[5] = {0, 0, 0, 0, (uint32_t)n};
  int sp = 0, pc = 0;
  for (;;) {
    switch ((enum op)code[pc++]) {
      case PUSH: stack[sp++] = (uint32_t)code[pc++]; break;
      case LOAD: stack[sp++] = locals[code[pc++]]; break;
      case STORE: locals[code[pc++]] = stack[--sp]; break;
      case ADD: sp--, stack[sp - 1] += stack[sp]; break;
      case SUB: sp--, stack[sp - 1] -= stack[sp]; break;
      case MUL: sp--, stack[sp - 1] *= stack[sp]; break;
      case LT: sp--, stack[sp - 1] = (int32_t)stack[sp - 1] < (int32_t)stack[sp]; break;
      case JZ: pc = stack[--sp] ? pc + 1 : code[pc]; break;
      case JMP: pc = code[pc]; break;
      case DUP: stack[sp] = stack[sp - 1], sp++; break;
      case DROP: sp--; break;
      case HALT: return stack[sp - 1];
    }
  }
}

static uint32_t interpreter(void) {
  uint32_t h = 0;
  for (int32_t n = 0; n < 600; n += 7) h = mix(h, interpret(program, n));
  return h;
}

/* ---- integer math ---- */

static uint64_t gcd(uint64_t a, uint64_t b) {
  while (b) {
    uint64_t t = a % b;
    a = b;
    b = t;
  }
  return a;
}

static uint64_t powmod(uint64_t b, uint64_t e, uint64_t m) {
  uint64_t r = 1;
  b %= m;
  while (e) {
    if (e & 1) r = r * b % m;
    b = b * b % m;
    e >>= 1;
  }
  return r;
}

#define SIEVE 60000
static uint8_t composite[SIEVE];

static uint32_t math(void) {
  uint32_t h = 0;
  for (int i = 0; i < 3000; i++) h = mix(h, (uint32_t)gcd(next() | 1u, next() | 1u));
  for (int i = 0; i < 800; i++) h = mix(h, (uint32_t)powmod(next(), next(), 1000000007u));
  mem_fill(composite, 0, SIEVE);
  uint32_t primes = 0;
  for (uint32_t i = 2; i < SIEVE; i++) {
    if (composite[i]) continue;
    primes++;
    for (uint32_t j = i * 2; j < SIEVE; j += i) composite[j] = 1;
  }
  int64_t s = 0;
  for (int32_t i = -5000; i < 5000; i++) s += (int64_t)i * 7919 / 13 - i % 11;
  return mix(mix(h, primes), (uint32_t)s);
}

static uint32_t workload(void) {
  rng = 0x9e3779b97f4a7c15ull;
  uint32_t h = strings();
  h = mix(h, hashing());
  h = mix(h, sorting());
  h = mix(h, interpreter());
  return mix(h, math());
}

int main(void) {
  uint32_t sum = 0;
  for (uint32_t s = 0; s < bench_scale; s++) sum = workload();
  puts_("checksum ");
  puthex(sum, 8);
  puts_("\n");
  return 0;
}

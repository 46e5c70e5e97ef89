/* The benchmark guests' output: polled writes to the virt board's NS16550A UART. */
#ifndef BENCH_CONSOLE_H
#define BENCH_CONSOLE_H
#include <stdint.h>

static volatile uint8_t *const uart = (volatile uint8_t *)0x10000000;

static void putc_(char ch) {
  while ((uart[5] & 0x20) == 0) {}  /* LSR.THRE */
  uart[0] = (uint8_t)ch;
}

static void puts_(const char *s) {
  while (*s) putc_(*s++);
}

static void puthex(uint64_t v, int digits) {
  for (int i = digits - 1; i >= 0; i--) putc_("0123456789abcdef"[(v >> (4 * i)) & 15]);
}

#endif

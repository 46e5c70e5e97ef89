/*
 * CPU-bound benchmark guest: a bitwise CRC32 over a pseudo-random buffer and an integer matrix
 * multiply, freestanding. Prints "checksum XXXXXXXX" on the UART and exits 0 through the finisher.
 *
 * `bench_scale` repeats the whole workload. Every repetition retires exactly the same instructions
 * (no branch depends on data) and computes the same checksum, so the runner can patch a larger scale
 * into QEMU's copy, to time QEMU over seconds rather than milliseconds, and still know exactly how
 * many instructions it ran.
 */
#include <stdint.h>
#include "console.h"

#define BUF_BYTES (192 * 1024)
#define CRC_PASSES 4
#define N 96
#define MM_REPS 8

static uint8_t buf[BUF_BYTES];
static int32_t a[N][N], b[N][N], c[N][N];

volatile uint32_t bench_scale = 1;

static uint32_t crc32(const uint8_t *p, uint32_t n, uint32_t crc) {
  crc = ~crc;
  for (uint32_t i = 0; i < n; i++) {
    crc ^= p[i];
    for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1)));
  }
  return ~crc;
}

static uint32_t matmul(uint32_t seed) {
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++) {
      seed = seed * 1103515245u + 12345u;
      a[i][j] = (int32_t)(seed >> 16) - 32768;
      b[j][i] = (int32_t)(seed & 0xffff) - 32768;
    }
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++) {
      int32_t s = 0;
      for (int k = 0; k < N; k++) s += a[i][k] * b[k][j];
      c[i][j] = s;
    }
  uint32_t h = 0;
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++) h = (h ^ (uint32_t)c[i][j]) * 16777619u;
  return h;
}

static uint32_t workload(void) {
  uint64_t x = 0x9e3779b97f4a7c15ull;
  for (uint32_t i = 0; i < BUF_BYTES; i++) {
    x ^= x << 13; x ^= x >> 7; x ^= x << 17;
    buf[i] = (uint8_t)x;
  }
  uint32_t crc = 0;
  for (int pass = 0; pass < CRC_PASSES; pass++) crc = crc32(buf, BUF_BYTES, crc);
  uint32_t mm = 0;
  for (int r = 0; r < MM_REPS; r++) mm ^= matmul(mm + (uint32_t)r);
  return crc ^ mm;
}

int main(void) {
  uint32_t sum = 0;
  for (uint32_t s = 0; s < bench_scale; s++) sum = workload();
  puts_("checksum ");
  puthex(sum, 8);
  puts_("\n");
  return 0;
}

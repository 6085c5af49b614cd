/*
 * Integer workloads whose results are computed twice: by the build host
 * (checksums_host.c prints them into expected.h) and by the guest. Only
 * fixed-width types and operations with defined results are used, and no
 * 64-bit division (i386 has no libgcc here), so -m32, -m64 and the host
 * agree.
 */
#include <stddef.h>
#include "checksums.h"

static uint8_t buf[2048];
static uint32_t words[512];

static void fill(uint32_t seed) {
  uint32_t x = seed;
  for (size_t i = 0; i < sizeof buf; i++) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    buf[i] = (uint8_t)x;
  }
  for (size_t i = 0; i < 512; i++) {
    x = x * 1664525u + 1013904223u;
    words[i] = x;
  }
}

static uint64_t cs_crc32(void) {
  fill(1);
  uint32_t crc = 0xffffffffu;
  for (size_t i = 0; i < sizeof buf; i++) {
    crc ^= buf[i];
    for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1)));
  }
  return ~crc;
}

static uint64_t cs_mul_mix(void) {
  uint64_t h = 0x9e3779b97f4a7c15ull;
  uint32_t a = 12345;
  for (int i = 0; i < 3000; i++) {
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ull;
    h = (h << 17) | (h >> 47);
    a = a * 2654435761u + (uint32_t)(h >> 32);
    int32_t s = (int32_t)a;
    h += (uint64_t)(int64_t)(s >> 7);
    h ^= (uint64_t)((int64_t)s * (int64_t)(int32_t)(a ^ 0x5a5a5a5a));
  }
  return h;
}

static uint64_t cs_div(void) {
  uint64_t acc = 0;
  for (int32_t i = -700; i < 700; i += 3) {
    for (int32_t d = -13; d <= 13; d += 5) {
      if (d == 0) continue;
      int32_t q = (i * 7919) / d, r = (i * 7919) % d;
      acc = acc * 31 + (uint32_t)q;
      acc ^= (uint32_t)r << 7;
      uint32_t u = (uint32_t)i * 2246822519u;
      acc += u / (uint32_t)(d & 0xff) + u % 97u;
      int16_t w = (int16_t)(i * 77);
      int8_t b = (int8_t)i;
      acc += (uint16_t)(w / (int16_t)d) + (uint8_t)(b % (int8_t)d);
    }
  }
  return acc;
}

static unsigned popcount64(uint64_t v) {
  unsigned n = 0;
  for (; v; v &= v - 1) n++;
  return n;
}

static unsigned ctz64(uint64_t v) {
  unsigned n = 0;
  while (!(v & 1)) v >>= 1, n++;
  return n;
}

static uint64_t cs_bits(void) {
  fill(7);
  uint64_t acc = 0;
  for (int i = 0; i < 512; i++) {
    uint32_t v = words[i] | 1;
    uint64_t v64 = ((uint64_t)words[i] << 32) | words[(i + 1) & 511] | 1;
    acc += (uint64_t)popcount64(v) + (uint64_t)__builtin_ctz(v) * 3 + (uint64_t)__builtin_clz(v) * 5;
    acc += (uint64_t)popcount64(v64) * 7 + (uint64_t)__builtin_clzll(v64) * 11 +
           (uint64_t)ctz64((v64 & ~1ull) | (1ull << 63)) * 13;
    acc ^= __builtin_bswap64(v64) + __builtin_bswap32(v);
    acc += (uint64_t)__builtin_parity(v);
    acc = (acc << 3) | (acc >> 61);
    uint32_t r = (v >> (i & 31)) | (v << ((32 - (i & 31)) & 31));
    acc += r;
    acc += (v & (1u << (i & 31))) ? 17 : 19;
  }
  return acc;
}

static uint64_t cs_sort(void) {
  fill(99);
  uint32_t a[200];
  for (int i = 0; i < 200; i++) a[i] = words[i] % 100000u;
  for (int i = 1; i < 200; i++) {
    uint32_t k = a[i];
    int j = i - 1;
    while (j >= 0 && a[j] > k) {
      a[j + 1] = a[j];
      j--;
    }
    a[j + 1] = k;
  }
  int32_t b[150];
  for (int i = 0; i < 150; i++) b[i] = (int32_t)words[200 + i] >> 8;
  /* shell sort, descending, signed */
  for (int gap = 75; gap > 0; gap /= 2)
    for (int i = gap; i < 150; i++)
      for (int j = i; j >= gap && b[j - gap] < b[j]; j -= gap) {
        int32_t t = b[j];
        b[j] = b[j - gap];
        b[j - gap] = t;
      }
  uint64_t acc = 0;
  for (int i = 0; i < 200; i++) acc = acc * 1000003u + a[i];
  for (int i = 0; i < 150; i++) acc = acc * 1000003u + (uint32_t)b[i];
  return acc;
}

static uint32_t step(uint32_t state, uint8_t c) {
  switch ((state * 7 + c) % 13) {
  case 0: return state * 3 + 1;
  case 1: return state ^ 0x55;
  case 2: return state + c;
  case 3: return state >> 1;
  case 4: return state << 2;
  case 5: return ~state;
  case 6: return state - c * 9u;
  case 7: return state * 2654435761u;
  case 8: return (state << 7) | (state >> 25);
  case 9: return state & 0xffff00ffu;
  case 10: return state | 0x10101;
  case 11: return state + 0x7777;
  default: return state ^ (state >> 3);
  }
}

static uint64_t cs_switch(void) {
  fill(3);
  uint32_t s = 1;
  uint64_t acc = 0;
  for (size_t i = 0; i < sizeof buf; i++) {
    s = step(s, buf[i]);
    acc += s;
  }
  return acc ^ ((uint64_t)s << 32);
}

static uint32_t fib(uint32_t n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
static uint32_t ack(uint32_t m, uint32_t n) {
  if (m == 0) return n + 1;
  if (n == 0) return ack(m - 1, 1);
  return ack(m - 1, ack(m, n - 1));
}
static uint32_t (*volatile fnptr)(uint32_t) = fib;

static uint64_t cs_recursion(void) { return ((uint64_t)fnptr(21) << 20) ^ ack(2, 7) ^ ((uint64_t)ack(3, 3) << 40); }

static uint64_t cs_string(void) {
  fill(11);
  uint8_t tmp[600];
  uint64_t acc = 0;
  for (int round = 0; round < 8; round++) {
    for (int i = 0; i < 600; i++) tmp[i] = buf[(i * 3 + round) % 2048];
    for (int i = 0; i < 500; i++) tmp[i + 50] ^= tmp[i];
    for (int i = 599; i >= 1; i--) tmp[i] = (uint8_t)(tmp[i] + tmp[i - 1]);
    uint32_t len = 0;
    while (len < 600 && tmp[len] != 0) len++;
    acc = acc * 131 + len;
    for (int i = 0; i < 600; i += 4) acc += (uint32_t)tmp[i] | ((uint32_t)tmp[i + 1] << 8) |
                                       ((uint32_t)tmp[i + 2] << 16) | ((uint32_t)tmp[i + 3] << 24);
  }
  return acc;
}

static uint64_t cs_bytes(void) {
  fill(5);
  int32_t acc = 0;
  uint64_t u = 0;
  for (int i = 0; i < 2048; i++) {
    int8_t sb = (int8_t)buf[i];
    int16_t sw = (int16_t)(buf[i] | (buf[(i + 1) & 2047] << 8));
    acc += sb * 3 - sw / 7;
    acc ^= (int32_t)(sw >> 3);
    u += (uint16_t)sw > 30000 ? (uint64_t)(uint8_t)sb : (uint64_t)(uint16_t)(sw * 5);
    u += (sb < 0) + (sw > 0) * 2 + (sb == sw) * 4;
  }
  return ((uint64_t)(uint32_t)acc << 32) ^ u;
}

static uint64_t cs_sieve(void) {
  static uint8_t composite[20000];
  for (int i = 0; i < 20000; i++) composite[i] = 0;
  uint64_t count = 0, sum = 0;
  for (uint32_t i = 2; i < 20000; i++) {
    if (composite[i]) continue;
    count++;
    sum += i;
    for (uint32_t j = i * i; j < 20000; j += i) composite[j] = 1;
  }
  return (count << 32) | (sum & 0xffffffffu);
}

#ifdef __x86_64__
/* Instruction-semantics workloads in isa64.S (run natively by the host too). */
uint64_t isa_strings(void);
uint64_t isa_atomics(void);
uint64_t isa_muldiv(void);
uint64_t isa_flags(void);
#endif

const struct checksum checksums[] = {
    {"crc32", cs_crc32},   {"mul_mix", cs_mul_mix},     {"div", cs_div},
    {"bits", cs_bits},     {"sort", cs_sort},           {"switch", cs_switch},
    {"recursion", cs_recursion}, {"string", cs_string}, {"bytes", cs_bytes},
    {"sieve", cs_sieve},
#ifdef __x86_64__
    /* 64-bit only: keep these last so the 32-bit list is a prefix. */
    {"isa_strings", isa_strings}, {"isa_atomics", isa_atomics},
    {"isa_muldiv", isa_muldiv},   {"isa_flags", isa_flags},
#endif
};
const int checksum_count = sizeof checksums / sizeof checksums[0];

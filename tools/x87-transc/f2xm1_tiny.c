/*
 * F2XM1 tiny-argument probe (tools/x87-transc/README.md, section F2XM1).
 * Runs F2XM1 on x = m * 2^(e-63) (default e = -90, where 2^x - 1 = x ln2 to
 * 2^-28 of a unit) in round-down, round-up and round-to-nearest, and prints
 * where the hardware result lies against the exact x ln2:
 *   m(hex) g(hex) f dRD dRU dRN
 * g = the representable significand just below x ln2, f = (x ln2 - g) in
 * units of the result's last place, dXX = hardware significand - g.
 * Modes:
 *   f2xm1_tiny rand SEED N LO HI [E]   N random m in [LO, HI) * 2^63
 *   f2xm1_tiny list [E]                m (hex) one per line on stdin
 *   f2xm1_tiny wave M0 T N [E]         m = M0 + k T, k < N; prints per line
 *                                      k f dRD dRU only
 *   f2xm1_tiny raw SEED N LO HI E SIGN  random x = +-m 2^(E-63); prints
 *                                      sexp(hex) m(hex), then sexp sig for
 *                                      RD, RU, RN (any x, no reference)
 *   f2xm1_tiny rawlist                 the same for the x given as
 *                                      "sexp(hex) m(hex)" lines on stdin
 * Build: gcc -O2 -mno-red-zone -o /tmp/f2xm1_tiny tools/x87-transc/f2xm1_tiny.c
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef unsigned __int128 u128;
static const uint64_t LN2_HI = 0xb17217f7d1cf79abull, LN2_LO = 0xc9e3b39803f2f6afull;

static uint64_t runx(uint64_t m, uint16_t sexp, uint16_t fcw, uint16_t *se) {
  uint8_t in[10], out[10];
  memcpy(in, &m, 8);
  memcpy(in + 8, &sexp, 2);
  __asm__ volatile("fninit\n\tfldcw %2\n\tfldt %1\n\t.byte 0xd9,0xf0\n\tfstpt %0\n\t"
                   : "=m"(out)
                   : "m"(in), "m"(fcw));
  uint64_t r;
  memcpy(&r, out, 8);
  memcpy(se, out + 8, 2);
  return r;
}

static uint64_t run(uint64_t m, int e, uint16_t fcw, uint16_t *se) {
  return runx(m, (uint16_t)(16383 + e), fcw, se);
}

/* x ln2 as (g, f): g significand just below, f fraction of a unit in [0, 1). */
static void exact(uint64_t m, uint64_t *g, double *f, int *hiBinade) {
  u128 p = (u128)m * LN2_LO, q = (u128)m * LN2_HI;
  u128 mid = (p >> 64) + (uint64_t)q;
  uint64_t hi = (uint64_t)(q >> 64) + (uint64_t)(mid >> 64);
  uint64_t fr = (uint64_t)mid;
  if (hi >> 63) {
    *g = hi;
    *hiBinade = 1;
  } else {
    *g = (hi << 1) | (fr >> 63);
    fr <<= 1;
    *hiBinade = 0;
  }
  *f = (double)fr / 18446744073709551616.0;
}

static uint64_t rng = 88172645463325252ull;
static uint64_t next(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

static void one(uint64_t m, int e, int full, long k) {
  uint64_t g;
  double f;
  int hb;
  uint16_t se;
  exact(m, &g, &f, &hb);
  long d[3];
  static const uint16_t cw[3] = {0x077f, 0x0b7f, 0x037f};
  for (int i = 0; i < 3; i++) {
    uint64_t r = run(m, e, cw[i], &se);
    d[i] = (long)(r - g);
    /* binade change of the result (g = 2^64-1 rounding up to 2^63 next binade) */
    if (r >> 63 == 0) d[i] = 99;
  }
  if (full)
    printf("%016llx %016llx %.6f %ld %ld %ld\n", (unsigned long long)m, (unsigned long long)g, f,
           d[0], d[1], d[2]);
  else
    printf("%ld %.6f %ld %ld\n", k, f, d[0], d[1]);
}

/* One `raw` line: sexp m of x, then sexp sig of F2XM1 x in RD, RU, RN. */
static void rawone(uint16_t sin, uint64_t m) {
  static const uint16_t cw[3] = {0x077f, 0x0b7f, 0x037f};
  printf("%04x %016llx", sin, (unsigned long long)m);
  for (int j = 0; j < 3; j++) {
    uint16_t se;
    uint64_t r = runx(m, sin, cw[j], &se);
    printf(" %04x %016llx", se, (unsigned long long)r);
  }
  printf("\n");
}

int main(int argc, char **argv) {
  if (argc < 2) return 1;
  if (!strcmp(argv[1], "rand") && argc >= 6) {
    rng ^= strtoull(argv[2], 0, 0);
    long n = atol(argv[3]);
    double lo = atof(argv[4]), hi = atof(argv[5]);
    int e = argc > 6 ? atoi(argv[6]) : -90;
    for (int i = 0; i < 10; i++) next();
    for (long i = 0; i < n; i++) {
      double u = lo + (hi - lo) * ((next() >> 11) * (1.0 / 9007199254740992.0));
      uint64_t m = (uint64_t)(u * 9223372036854775808.0);
      m = (m & ~0x7ffull) | (next() & 0x7ff);
      if (!(m >> 63)) continue;
      one(m, e, 1, 0);
    }
  } else if (!strcmp(argv[1], "list")) {
    int e = argc > 2 ? atoi(argv[2]) : -90;
    char line[128];
    while (fgets(line, sizeof line, stdin)) one(strtoull(line, 0, 16), e, 1, 0);
  } else if (!strcmp(argv[1], "rawlist")) {
    char line[128];
    unsigned sx;
    unsigned long long mm;
    while (fgets(line, sizeof line, stdin))
      if (sscanf(line, "%x %llx", &sx, &mm) == 2) rawone((uint16_t)sx, mm);
  } else if (!strcmp(argv[1], "raw") && argc >= 8) {
    rng ^= strtoull(argv[2], 0, 0);
    long n = atol(argv[3]);
    double lo = atof(argv[4]), hi = atof(argv[5]);
    int e = atoi(argv[6]), neg = atoi(argv[7]);
    for (int i = 0; i < 10; i++) next();
    for (long i = 0; i < n; i++) {
      double u = lo + (hi - lo) * ((next() >> 11) * (1.0 / 9007199254740992.0));
      uint64_t m = (uint64_t)(u * 9223372036854775808.0);
      m = (m & ~0x7ffull) | (next() & 0x7ff);
      if (!(m >> 63)) continue;
      rawone((uint16_t)((16383 + e) | (neg ? 0x8000 : 0)), m);
    }
  } else if (!strcmp(argv[1], "wave") && argc >= 5) {
    uint64_t m0 = strtoull(argv[2], 0, 16), t = strtoull(argv[3], 0, 0);
    long n = atol(argv[4]);
    int e = argc > 5 ? atoi(argv[5]) : -90;
    for (long k = 0; k < n; k++) one(m0 + (uint64_t)k * t, e, 0, k);
  }
  return 0;
}

/*
 * long double (x87, 80-bit) workloads for the x87 guest: series sums,
 * Newton iterations, factorials and BCD stores, decimal formatting of long
 * doubles written here in C, rounding and precision control, special
 * values, and the transcendental instructions through inline asm. The same
 * file is compiled for the host (x87_host.c); the guest's serial output must
 * equal the host's byte for byte (tests/x87_guest_test.ts).
 *
 * Arithmetic results are printed in full (hex of all 80 bits and 18
 * significant decimal digits). Transcendental results are printed to 15
 * significant digits: the recording CPU's microcode is not correctly
 * rounded in the last bit for every argument, the engine is (see
 * tests/x87_vectors_test.ts), and 15 digits is what a program prints.
 */
#include <stdint.h>
#include "x87work.h"

typedef long double ld;

static char *put_str(char *p, const char *s) {
  while (*s) *p++ = *s++;
  return p;
}

static char *put_u64(char *p, uint64_t v) {
  char t[24];
  int n = 0;
  do {
    t[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  while (n) *p++ = t[--n];
  return p;
}

static char *put_hex(char *p, uint64_t v, int digits) {
  for (int i = digits - 1; i >= 0; i--) *p++ = "0123456789abcdef"[(v >> (4 * i)) & 15];
  return p;
}

/* All 80 bits: sign/exponent then significand. */
static char *put_bits(char *p, ld x) {
  union {
    ld v;
    struct {
      uint64_t m;
      uint16_t se;
    } b;
  } u;
  u.v = x;
  p = put_hex(p, u.b.se, 4);
  *p++ = ':';
  return put_hex(p, u.b.m, 16);
}

static uint16_t fnstsw(void) {
  uint16_t sw;
  __asm__ volatile("fnstsw %0" : "=m"(sw));
  return sw;
}

static void fldcw(uint16_t cw) { __asm__ volatile("fldcw %0" : : "m"(cw)); }
static void fnclex(void) { __asm__ volatile("fnclex"); }

/* Round to an integer with FRNDINT and store with FISTP (current rounding mode). */
static int64_t to_int(ld x) {
  int64_t r;
  __asm__ volatile("fistpll %0" : "=m"(r) : "t"(x) : "st");
  return r;
}

/*
 * Decimal: `digits` significant digits of x, computed with long double
 * arithmetic (scale into [10^(d-1), 10^d), round to an integer).
 */
static char *put_ld(char *p, ld x, int digits) {
  if (x != x) return put_str(p, "nan");
  if (x < 0) {
    *p++ = '-';
    x = -x;
  }
  if (x == 0) return put_str(p, "0");
  if (x > 1e4000L) return put_str(p, "inf");
  int e = 0;
  ld lo = 1, hi = 1;
  for (int i = 0; i < digits - 1; i++) lo *= 10;
  hi = lo * 10;
  while (x >= hi) {
    x /= 10;
    e++;
  }
  while (x < lo) {
    x *= 10;
    e--;
  }
  uint64_t m = (uint64_t)to_int(x);
  if ((ld)m >= hi) {
    m /= 10;
    e++;
  }
  char t[24];
  int n = 0;
  for (int i = 0; i < digits; i++) {
    t[n++] = (char)('0' + m % 10);
    m /= 10;
  }
  *p++ = t[--n];
  *p++ = '.';
  while (n) *p++ = t[--n];
  *p++ = 'e';
  int ex = e + digits - 1;
  if (ex < 0) {
    *p++ = '-';
    ex = -ex;
  }
  return put_u64(p, (uint64_t)ex);
}

static void line(Out out, const char *name, ld x, int digits) {
  char b[160], *p = b;
  p = put_str(p, name);
  *p++ = ' ';
  p = put_ld(p, x, digits);
  if (digits > 15) {
    *p++ = ' ';
    p = put_bits(p, x);
  }
  *p = 0;
  out(b);
}

/* ------------------------------------------------------------ x87 instructions */

static ld x_sin(ld x) {
  ld r;
  __asm__("fsin" : "=t"(r) : "0"(x));
  return r;
}
static ld x_cos(ld x) {
  ld r;
  __asm__("fcos" : "=t"(r) : "0"(x));
  return r;
}
static ld x_tan(ld x) {
  ld r, one;
  __asm__("fptan" : "=t"(one), "=u"(r) : "0"(x));
  return r / one;
}
static ld x_atan2(ld y, ld x) {
  ld r;
  __asm__("fpatan" : "=t"(r) : "0"(x), "u"(y) : "st(1)");
  return r;
}
static ld x_log2(ld x) {
  ld r;
  __asm__("fld1; fxch; fyl2x" : "=t"(r) : "0"(x));
  return r;
}
static ld x_log2p1(ld x) {
  ld r;
  __asm__("fld1; fxch; fyl2xp1" : "=t"(r) : "0"(x));
  return r;
}
/* 2^x = 2^frac * 2^int with F2XM1 and FSCALE. */
static ld x_exp2(ld x) {
  ld i, f, r;
  __asm__("frndint" : "=t"(i) : "0"(x));
  f = x - i;
  __asm__("f2xm1" : "=t"(r) : "0"(f));
  r += 1;
  __asm__("fscale" : "=t"(r) : "0"(r), "u"(i));
  return r;
}
static ld x_sqrt(ld x) {
  ld r;
  __asm__("fsqrt" : "=t"(r) : "0"(x));
  return r;
}
static ld x_prem(ld x, ld y) {
  ld r;
  uint16_t sw;
  do {
    __asm__("fprem; fnstsw %1" : "=t"(r), "=m"(sw) : "0"(x), "u"(y));
    x = r;
  } while (sw & 0x400);
  return r;
}

/* ------------------------------------------------------------ workloads */

static void series(Out out) {
  ld s = 0;
  for (int k = 1; k <= 20000; k++) s += 1.0L / ((ld)k * k);
  line(out, "basel", s, 18);
  ld h = 0;
  for (int k = 1; k <= 100000; k++) h += 1.0L / k;
  line(out, "harmonic", h, 18);
  /* Machin: pi = 16 atan(1/5) - 4 atan(1/239), atan by its series */
  ld a5 = 0, a239 = 0, t;
  t = 1.0L / 5;
  for (int k = 0; k < 40; k++, t /= 25) a5 += (k & 1 ? -t : t) / (2 * k + 1);
  t = 1.0L / 239;
  for (int k = 0; k < 12; k++, t /= 239.0L * 239) a239 += (k & 1 ? -t : t) / (2 * k + 1);
  line(out, "machin", 16 * a5 - 4 * a239, 18);
  ld e = 1, f = 1;
  for (int k = 1; k < 30; k++) {
    f /= k;
    e += f;
  }
  line(out, "e", e, 18);
}

static void newton(Out out) {
  for (int n = 2; n <= 7; n++) {
    ld x = n;
    for (int i = 0; i < 8; i++) x = (x + n / x) / 2;
    char name[16] = "sqrt-newton ";
    name[12] = (char)('0' + n);
    name[13] = 0;
    line(out, name, x, 18);
    line(out, "fsqrt", x_sqrt(n), 18);
  }
  ld c = 3; /* cube root of 3 */
  for (int i = 0; i < 10; i++) c = c - (c * c * c - 3) / (3 * c * c);
  line(out, "cbrt3", c, 18);
}

static void integers(Out out) {
  char b[160], *p;
  ld f = 1;
  for (int k = 1; k <= 19; k++) f *= k;
  uint8_t bcd[10];
  __asm__ volatile("fbstp %0" : "=m"(bcd) : "t"(f) : "st");
  p = put_str(b, "19! bcd ");
  for (int i = 9; i >= 0; i--) p = put_hex(p, bcd[i], 2);
  *p = 0;
  out(b);
  line(out, "20!", f * 20, 18);
  line(out, "2^64", (ld)18446744073709551615ull + 1, 18);
  int64_t big = 9007199254740993ll; /* 2^53 + 1: exact in long double */
  ld bl = (ld)big;
  p = put_str(b, "2^53+1 ");
  p = put_u64(p, (uint64_t)to_int(bl));
  *p = 0;
  out(b);
}

static void control(Out out) {
  static const char *rc[] = {"nearest", "down", "up", "zero"};
  char name[32];
  volatile ld one = 1, three = 3;
  for (int m = 0; m < 4; m++) {
    fldcw((uint16_t)(0x37f | (m << 10)));
    ld third = one / three, mthird = -one / three;
    char *p = put_str(name, "third-");
    p = put_str(p, rc[m]);
    *p = 0;
    line(out, name, third, 18);
    line(out, name, mthird, 18);
    volatile ld h = 2.5L;
    p = put_str(name, "rint2.5-");
    p = put_str(p, rc[m]);
    *p = 0;
    char b[64];
    char *q = put_str(b, name);
    *q++ = ' ';
    q = put_u64(q, (uint64_t)to_int(h));
    *q = 0;
    out(b);
  }
  static const uint16_t pc[] = {0x07f, 0x27f, 0x37f};
  static const char *pcn[] = {"pc24", "pc53", "pc64"};
  for (int k = 0; k < 3; k++) {
    fldcw(pc[k]);
    ld v = one / three;
    line(out, pcn[k], v, 18);
  }
  fldcw(0x37f);
}

static void specials(Out out) {
  char b[160], *p;
  volatile ld zero = 0, one = 1, big = 1e4000L, tiny = 1e-4930L;
  fnclex();
  ld inf = one / zero;
  p = put_str(b, "1/0 ");
  p = put_bits(p, inf);
  p = put_str(p, " sw ");
  p = put_hex(p, fnstsw() & 0x7f, 2);
  *p = 0;
  out(b);
  fnclex();
  ld nan = zero / zero;
  p = put_str(b, "0/0 ");
  p = put_bits(p, nan);
  p = put_str(p, " sw ");
  p = put_hex(p, fnstsw() & 0x7f, 2);
  *p = 0;
  out(b);
  fnclex();
  ld ov = big * big;
  p = put_str(b, "overflow ");
  p = put_bits(p, ov);
  p = put_str(p, " sw ");
  p = put_hex(p, fnstsw() & 0x7f, 2);
  *p = 0;
  out(b);
  fnclex();
  ld un = tiny * 1e-20L;
  p = put_str(b, "underflow ");
  p = put_bits(p, un);
  p = put_str(p, " sw ");
  p = put_hex(p, fnstsw() & 0x7f, 2);
  *p = 0;
  out(b);
  fnclex();
  p = put_str(b, "nan-compare ");
  *p++ = (char)('0' + (nan == nan));
  *p++ = (char)('0' + (nan < one));
  *p++ = (char)('0' + (nan != nan));
  *p = 0;
  out(b);
  fnclex();
}

static void transcendental(Out out) {
  static const ld args[] = {0.5L, 1, 2, 3, 10, 100, 1e6L, -0.75L, 1e-10L};
  for (unsigned i = 0; i < sizeof(args) / sizeof(args[0]); i++) {
    ld x = args[i];
    line(out, "sin", x_sin(x), 15);
    line(out, "cos", x_cos(x), 15);
    line(out, "tan", x_tan(x), 15);
    line(out, "atan2", x_atan2(x, 1.5L), 15);
    if (x > 0) line(out, "log2", x_log2(x), 15);
    line(out, "exp2", x_exp2(x > 100 ? 100 : x), 15);
  }
  line(out, "log2p1", x_log2p1(0.125L), 15);
  line(out, "log2p1-tiny", x_log2p1(1e-12L), 15);
  line(out, "prem", x_prem(1e20L, 3.0L), 18);
  line(out, "prem-pi", x_prem(1000.0L, 3.14159265358979323846L), 18);
  /* a small table: sum of sin^2 + cos^2 over many angles */
  ld acc = 0;
  for (int k = 0; k < 2000; k++) {
    ld a = k * 0.001L;
    ld s = x_sin(a), c = x_cos(a);
    acc += s * s + c * c;
  }
  line(out, "sum-sin2cos2", acc, 15);
}

void x87_main(Out out) {
  __asm__ volatile("fninit");
  series(out);
  newton(out);
  integers(out);
  control(out);
  specials(out);
  transcendental(out);
  out("x87 done");
}

/*
 * FPTAN inputs whose exact tangent lies close to a rounding boundary of the
 * 64-bit result (a representable value, or a midpoint between two), so that
 * the host's result tells the sign of its internal error there
 * (tools/x87-transc/README.md, "FPTAN above 2^-8").
 *
 * Build: gcc -O2 -o /tmp/tan_near tools/x87-transc/tan_near.c -lquadmath
 * Run:   /tmp/tan_near N SEED LO HI [W] > in.txt
 *   N cases with x uniform in significand and exponent, |x| in [2^LO, 2^HI)
 *   (capped below pi/4, so no reduction: t = x), both signs, where
 *   tan x lies within W ulps (default 1/256) of a boundary: a representable
 *   value (then rounding down, FCW 77f) or a midpoint (nearest, FCW 37f).
 *   tanq has about 2^-112 relative error, far below W.
 */
#include <quadmath.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static uint64_t st;
static uint64_t rnd(void) {
  st ^= st >> 12;
  st ^= st << 25;
  st ^= st >> 27;
  return st * 0x2545f4914f6cdd1dULL;
}

int main(int argc, char **argv) {
  if (argc < 5) return 1;
  long n = atol(argv[1]);
  st = strtoull(argv[2], 0, 0) | 1;
  int lo = atoi(argv[3]), hi = atoi(argv[4]);
  double w = argc > 5 ? atof(argv[5]) : 1.0 / 256;
  __float128 pi4 = M_PIq / 4;
  long got = 0;
  while (got < n) {
    int e = lo + (int)(rnd() % (uint64_t)(hi - lo));
    uint64_t m = rnd() | (1ULL << 63);
    __float128 x = ldexpq((__float128)m, e - 63);
    if (x >= pi4) continue;
    __float128 t = tanq(x);
    int te;
    frexpq(t, &te); /* t = f 2^te, f in [1/2, 1) */
    __float128 u = ldexpq(t, 64 - te); /* significand in [2^63, 2^64) units */
    __float128 fl = floorq(u);
    double fr = (double)(u - fl);
    int fcw;
    if (fr < w || fr > 1 - w) fcw = 0x77f;
    else if (fr > 0.5 - w && fr < 0.5 + w) fcw = 0x37f;
    else continue;
    int s = (int)(rnd() & 1);
    printf("fptan %x %04x%016llx\n", fcw, (unsigned)((e + 16383) | (s << 15)), (unsigned long long)m);
    got++;
  }
  return 0;
}

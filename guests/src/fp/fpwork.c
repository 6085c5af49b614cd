/*
 * Double-precision workloads for the fp64 guest: n-body simulation, matrix
 * multiply, string-to-double and double-to-string written here in C (no
 * libc), float math, integer/float conversions, NaN compares, MXCSR rounding
 * modes, and gcc -O2 vectorised integer loops. The same file is compiled for
 * the host (fp_host.c); the guest's serial output must equal the host's
 * output byte for byte (tests/fp_guest_test.ts).
 */
#include <stdint.h>
#include "fpwork.h"

typedef void (*Out)(const char *);

/* ------------------------------------------------------------ formatting */

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

static char *put_i64(char *p, int64_t v) {
  if (v < 0) {
    *p++ = '-';
    return put_u64(p, (uint64_t)0 - (uint64_t)v);
  }
  return put_u64(p, (uint64_t)v);
}

static char *put_hex(char *p, uint64_t v, int digits) {
  for (int k = digits - 1; k >= 0; k--) *p++ = "0123456789abcdef"[(v >> (4 * k)) & 15];
  return p;
}

static uint64_t bits(double x) {
  union { double d; uint64_t u; } u = {x};
  return u.u;
}

static uint32_t fbits(float x) {
  union { float f; uint32_t u; } u = {x};
  return u.u;
}

/*
 * Decimal digits of |x| (finite, nonzero): `nd` significant digits rounded
 * half-up, decimal exponent in *dexp (x ~ 0.d1d2... * 10^dexp). Double
 * arithmetic only (scaling by powers of ten): deterministic IEEE work, not a
 * correctly rounded conversion.
 */
static void digits(double x, int nd, char *d, int *dexp) {
  int e = 0;
  while (x >= 1e16) x /= 1e16, e += 16;
  while (x >= 10.0) x /= 10.0, e++;
  while (x < 1e-16) x *= 1e16, e -= 16;
  while (x < 1.0) x *= 10.0, e--;
  /* x in [1, 10): take digits, then round the last one. */
  int buf[40];
  for (int k = 0; k <= nd && k < 39; k++) {
    int q = (int)x;
    if (q > 9) q = 9;
    buf[k] = q;
    x = (x - q) * 10.0;
  }
  if (buf[nd] >= 5) {
    int k = nd - 1;
    while (k >= 0 && buf[k] == 9) buf[k--] = 0;
    if (k >= 0) buf[k]++;
    else {
      for (int j = nd - 1; j > 0; j--) buf[j] = buf[j - 1];
      buf[0] = 1;
      e++;
    }
  }
  for (int k = 0; k < nd; k++) d[k] = (char)('0' + buf[k]);
  *dexp = e + 1;
}

/* %.<prec>e-like rendering: d.ddddde+XX. */
static char *put_e(char *p, double x, int prec) {
  if (x != x) return put_str(p, "nan");
  if (x < 0 || (x == 0 && (bits(x) >> 63))) *p++ = '-', x = -x;
  if (x == 1.0 / 0.0) return put_str(p, "inf");
  char d[40];
  int e = 0;
  if (x == 0) {
    for (int k = 0; k <= prec; k++) d[k] = '0';
    e = 1;
  } else digits(x, prec + 1, d, &e);
  *p++ = d[0];
  *p++ = '.';
  for (int k = 1; k <= prec; k++) *p++ = d[k];
  *p++ = 'e';
  int ee = e - 1;
  *p++ = ee < 0 ? '-' : '+';
  if (ee < 0) ee = -ee;
  if (ee < 10) *p++ = '0';
  return put_u64(p, (uint64_t)ee);
}

/* %.<prec>f-like rendering for |x| < 1e18. */
static char *put_f(char *p, double x, int prec) {
  if (x != x) return put_str(p, "nan");
  if (x < 0) *p++ = '-', x = -x;
  double scale = 1;
  for (int k = 0; k < prec; k++) scale *= 10;
  double r = x * scale + 0.5;
  uint64_t v = (uint64_t)r;
  uint64_t ip = v, fp = 0;
  uint64_t div = 1;
  for (int k = 0; k < prec; k++) div *= 10;
  ip = v / div;
  fp = v % div;
  p = put_u64(p, ip);
  if (prec) {
    *p++ = '.';
    char t[24];
    for (int k = prec - 1; k >= 0; k--) t[k] = (char)('0' + fp % 10), fp /= 10;
    for (int k = 0; k < prec; k++) *p++ = t[k];
  }
  return p;
}

/* ------------------------------------------------------------ string to double */

/* Parses [-+]digits[.digits][e[-+]digits]; returns the value. */
static double parse_double(const char *s) {
  int neg = 0;
  if (*s == '-' || *s == '+') neg = *s++ == '-';
  uint64_t m = 0;
  int e10 = 0, nd = 0;
  while (*s >= '0' && *s <= '9') {
    if (nd < 19) m = m * 10 + (uint64_t)(*s - '0'), nd++;
    else e10++;
    s++;
  }
  if (*s == '.') {
    s++;
    while (*s >= '0' && *s <= '9') {
      if (nd < 19) m = m * 10 + (uint64_t)(*s - '0'), nd++, e10--;
      s++;
    }
  }
  if (*s == 'e' || *s == 'E') {
    s++;
    int en = 0, ev = 0;
    if (*s == '-' || *s == '+') en = *s++ == '-';
    while (*s >= '0' && *s <= '9') ev = ev * 10 + (*s++ - '0');
    e10 += en ? -ev : ev;
  }
  double v = (double)m;
  if (e10 < -300) v /= 1e300, e10 += 300;
  static const double p10[] = {1e1, 1e2, 1e4, 1e8, 1e16, 1e32, 1e64, 1e128, 1e256};
  int ae = e10 < 0 ? -e10 : e10;
  double scale = 1.0;
  for (int k = 0; k < 9 && ae; k++, ae >>= 1)
    if (ae & 1) scale *= p10[k];
  v = e10 < 0 ? v / scale : v * scale;
  return neg ? -v : v;
}

/* ------------------------------------------------------------ n-body */

#define NB 5
typedef struct { double x, y, z, vx, vy, vz, m; } Body;

static void advance(Body *b, double dt) {
  for (int i = 0; i < NB; i++)
    for (int j = i + 1; j < NB; j++) {
      double dx = b[i].x - b[j].x, dy = b[i].y - b[j].y, dz = b[i].z - b[j].z;
      double d2 = dx * dx + dy * dy + dz * dz;
      double mag = dt / (d2 * __builtin_sqrt(d2));
      b[i].vx -= dx * b[j].m * mag;
      b[i].vy -= dy * b[j].m * mag;
      b[i].vz -= dz * b[j].m * mag;
      b[j].vx += dx * b[i].m * mag;
      b[j].vy += dy * b[i].m * mag;
      b[j].vz += dz * b[i].m * mag;
    }
  for (int i = 0; i < NB; i++) {
    b[i].x += dt * b[i].vx;
    b[i].y += dt * b[i].vy;
    b[i].z += dt * b[i].vz;
  }
}

static double energy(const Body *b) {
  double e = 0;
  for (int i = 0; i < NB; i++) {
    e += 0.5 * b[i].m * (b[i].vx * b[i].vx + b[i].vy * b[i].vy + b[i].vz * b[i].vz);
    for (int j = i + 1; j < NB; j++) {
      double dx = b[i].x - b[j].x, dy = b[i].y - b[j].y, dz = b[i].z - b[j].z;
      e -= b[i].m * b[j].m / __builtin_sqrt(dx * dx + dy * dy + dz * dz);
    }
  }
  return e;
}

static void nbody(Out out, int steps) {
  const double PI = 3.141592653589793, SM = 4 * PI * PI, DPY = 365.24;
  Body b[NB] = {
    {0, 0, 0, 0, 0, 0, SM},
    {4.84143144246472090e+00, -1.16032004402742839e+00, -1.03622044471123109e-01,
     1.66007664274403694e-03 * DPY, 7.69901118419740425e-03 * DPY, -6.90460016972063023e-05 * DPY,
     9.54791938424326609e-04 * SM},
    {8.34336671824457987e+00, 4.12479856412430479e+00, -4.03523417114321381e-01,
     -2.76742510726862411e-03 * DPY, 4.99852801234917238e-03 * DPY, 2.30417297573763929e-05 * DPY,
     2.85885980666130812e-04 * SM},
    {1.28943695621391310e+01, -1.51111514016986312e+01, -2.23307578892655734e-01,
     2.96460137564761618e-03 * DPY, 2.37847173959480950e-03 * DPY, -2.96589568540237556e-05 * DPY,
     4.36624404335156298e-05 * SM},
    {1.53796971148509165e+01, -2.59193146099879641e+01, 1.79258772950371181e-01,
     2.68067772490389322e-03 * DPY, 1.62824170038242295e-03 * DPY, -9.51592254519715870e-05 * DPY,
     5.15138902046611451e-05 * SM},
  };
  double px = 0, py = 0, pz = 0;
  for (int i = 0; i < NB; i++) px += b[i].vx * b[i].m, py += b[i].vy * b[i].m, pz += b[i].vz * b[i].m;
  b[0].vx = -px / SM, b[0].vy = -py / SM, b[0].vz = -pz / SM;
  char line[128], *p;
  p = put_str(line, "nbody e0 ");
  p = put_f(p, energy(b), 9);
  *p = 0;
  out(line);
  for (int s = 0; s < steps; s++) advance(b, 0.01);
  p = put_str(line, "nbody e1 ");
  p = put_f(p, energy(b), 9);
  p = put_str(p, " x4 ");
  p = put_e(p, b[4].x, 16);
  p = put_str(p, " bits ");
  p = put_hex(p, bits(b[1].vy), 16);
  *p = 0;
  out(line);
}

/* ------------------------------------------------------------ matrix multiply */

#define MN 48
static double A[MN][MN], B[MN][MN], C[MN][MN];

static void matmul(Out out) {
  uint32_t s = 12345;
  for (int i = 0; i < MN; i++)
    for (int j = 0; j < MN; j++) {
      s = s * 1103515245u + 12345u;
      A[i][j] = (double)(int32_t)(s >> 8) / 65536.0;
      s = s * 1103515245u + 12345u;
      B[i][j] = 1.0 / ((double)((s >> 16) & 1023) + 0.5);
    }
  for (int i = 0; i < MN; i++)
    for (int j = 0; j < MN; j++) {
      double acc = 0;
      for (int k = 0; k < MN; k++) acc += A[i][k] * B[k][j];
      C[i][j] = acc;
    }
  double tr = 0, sum = 0;
  uint64_t x = 0;
  for (int i = 0; i < MN; i++) {
    tr += C[i][i];
    for (int j = 0; j < MN; j++) sum += C[i][j] * (j & 1 ? -1.0 : 1.0), x ^= bits(C[i][j]) * (uint64_t)(i * MN + j + 1);
  }
  char line[128], *p = put_str(line, "matmul trace ");
  p = put_e(p, tr, 16);
  p = put_str(p, " sum ");
  p = put_e(p, sum, 16);
  p = put_str(p, " hash ");
  p = put_hex(p, x, 16);
  *p = 0;
  out(line);
}

/* ------------------------------------------------------------ conversions */

static void conversions(Out out) {
  static const char *in[] = {"3.14159265358979323846", "-2.5e-3", "1e308", "4.9e-324", "123456789012345678901234",
                             "0.1", "2.2250738585072014e-308", "-0", "6.02214076e23", "1.7976931348623157e308"};
  char line[160], *p;
  for (unsigned k = 0; k < sizeof in / sizeof in[0]; k++) {
    double v = parse_double(in[k]);
    p = put_str(line, "strtod ");
    p = put_str(p, in[k]);
    p = put_str(p, " = ");
    p = put_hex(p, bits(v), 16);
    p = put_str(p, " ");
    p = put_e(p, v, 16);
    p = put_str(p, " i64 ");
    p = put_i64(p, (int64_t)v);
    p = put_str(p, " f32 ");
    p = put_hex(p, fbits((float)v), 8);
    *p = 0;
    out(line);
  }
  volatile double big = 1e19, nan = 0.0 / 0.0, neg = -7.75;
  volatile float fneg = -7.5f;
  p = put_str(line, "cvt ");
  p = put_i64(p, (int64_t)big);
  *p++ = ' ';
  p = put_i64(p, (int32_t)neg);
  *p++ = ' ';
  p = put_i64(p, (int64_t)nan);
  *p++ = ' ';
  p = put_i64(p, (int32_t)fneg);
  *p++ = ' ';
  p = put_hex(p, (uint64_t)(nan < 1.0) + 2 * (uint64_t)(nan != nan) + 4 * (uint64_t)(neg <= -7.75), 1);
  *p = 0;
  out(line);
}

/* ------------------------------------------------------------ rounding modes, float math */

static uint32_t get_mxcsr(void) {
  uint32_t v;
  __asm__ volatile("stmxcsr %0" : "=m"(v));
  return v;
}

static void set_mxcsr(uint32_t v) {
  __asm__ volatile("ldmxcsr %0" : : "m"(v));
}

static void rounding(Out out) {
  uint32_t saved = get_mxcsr();
  char line[200], *p;
  for (int rc = 0; rc < 4; rc++) {
    set_mxcsr((saved & ~0x603fu) | ((uint32_t)rc << 13));
    volatile double one = 1.0, three = 3.0, tiny = 1e-300, big = 1e300;
    volatile float fone = 1.0f, fseven = 7.0f;
    double q = one / three, u = tiny * tiny, o = big * big, s = __builtin_sqrt(three);
    float fq = fone / fseven;
    uint32_t flags = get_mxcsr() & 0x3f;
    p = put_str(line, "rc ");
    p = put_u64(p, (uint64_t)rc);
    p = put_str(p, " 1/3 ");
    p = put_hex(p, bits(q), 16);
    p = put_str(p, " tiny2 ");
    p = put_hex(p, bits(u), 16);
    p = put_str(p, " big2 ");
    p = put_hex(p, bits(o), 16);
    p = put_str(p, " sqrt3 ");
    p = put_hex(p, bits(s), 16);
    p = put_str(p, " f1/7 ");
    p = put_hex(p, fbits(fq), 8);
    p = put_str(p, " flags ");
    p = put_hex(p, flags, 2);
    *p = 0;
    out(line);
  }
  set_mxcsr(saved | 0x8040); /* FTZ and DAZ */
  volatile double dn = 4.9e-324, mn = 2.2250738585072014e-308, two = 2.0;
  double a = dn * two, b = mn / 4.0;
  p = put_str(line, "ftz-daz ");
  p = put_hex(p, bits(a), 16);
  *p++ = ' ';
  p = put_hex(p, bits(b), 16);
  *p = 0;
  out(line);
  set_mxcsr(saved);
}

/* ------------------------------------------------------------ vectorised integer loops */

static int32_t va[1024], vb[1024];
static uint8_t bytes_a[4096], bytes_b[4096];

static void vectors(Out out) {
  for (int k = 0; k < 1024; k++) va[k] = k * 7919 - 300000, vb[k] = (k * 104729) ^ 0x5555;
  int64_t acc = 0;
  int32_t mx = -2147483647;
  for (int k = 0; k < 1024; k++) {
    va[k] = va[k] * 3 + vb[k];
    acc += va[k];
    if (va[k] > mx) mx = va[k];
  }
  for (int k = 0; k < 4096; k++) bytes_a[k] = (uint8_t)(k * 31 + 7);
  for (int k = 0; k < 4096; k++) bytes_b[k] = bytes_a[4095 - k] ^ bytes_a[k];
  uint32_t h = 0;
  for (int k = 0; k < 4096; k++) h = h * 33 + bytes_b[k];
  float fs = 0;
  for (int k = 0; k < 1024; k++) fs += (float)va[k] * 0.001f;
  char line[128], *p = put_str(line, "vec sum ");
  p = put_i64(p, acc);
  p = put_str(p, " max ");
  p = put_i64(p, mx);
  p = put_str(p, " hash ");
  p = put_hex(p, h, 8);
  p = put_str(p, " fsum ");
  p = put_hex(p, fbits(fs), 8);
  *p = 0;
  out(line);
}

void fp_main(Out out) {
  nbody(out, 2000);
  matmul(out);
  conversions(out);
  rounding(out);
  vectors(out);
  out("fp done");
}

static void quiet(const char *line) { (void)line; }

void fp_bench(unsigned reps, Out out) {
  nbody(out, 2000 * (int)reps);
  for (unsigned r = 1; r < reps; r++) matmul(quiet);
  if (reps > 0) matmul(out);
  vectors(out);
  out("fp bench done");
}

/*
 * Shared by the x87 research evaluators (tan6_eval.c, sincos7_eval.c): a
 * scaled GMP number S = m * 2^e, its small operations, the aiming helper
 * spos, and the xorshift generator. Each program sets the seed `st`.
 * Include after <gmp.h>, <math.h> and <stdint.h>.
 */
#ifndef X87_SCALED_GMP_H
#define X87_SCALED_GMP_H

/* A scaled integer: value m * 2^e. */
typedef struct { mpz_t m; long e; } S;

/* Scratch integers (initialised by each program's main). */
static mpz_t T1, T2, T3;

static void sinit(S *s) { mpz_init(s->m); s->e = 0; }
static void scopy(S *d, const S *s) { mpz_set(d->m, s->m); d->e = s->e; }
static void smul(S *r, const S *a, const S *b) { mpz_mul(r->m, a->m, b->m); r->e = a->e + b->e; }

/* Where u lies in its 68-bit cell: the cell index in ip, the cell's exponent in *ce, and the
   fraction of a cell above it as the result (0 when u has at most 68 bits). */
static double spos(const S *u, mpz_t ip, long *ce) {
  mpz_abs(T1, u->m);
  long e = u->e + (long)mpz_sizeinbase(T1, 2) - 68;
  *ce = e;
  long sh = e - u->e;
  if (sh <= 0) { mpz_mul_2exp(ip, u->m, -sh); return 0.0; }
  mpz_fdiv_q_2exp(ip, u->m, sh);
  mpz_fdiv_r_2exp(T2, u->m, sh);
  return mpz_get_d(T2) / ldexp(1.0, (int)sh);
}

/* xorshift64* with state st. */
static uint64_t st;
static uint64_t rng(void) {
  st ^= st >> 12;
  st ^= st << 25;
  st ^= st >> 27;
  return st * 0x2545f4914f6cdd1dULL;
}

#endif

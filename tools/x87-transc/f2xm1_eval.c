/*
 * F2XM1 study: fast exact miss count of the N/D model (f2xm1_model.py) for many coefficient sets.
 * Usage: f2xm1_eval RAW-FILES... ; then stdin lines "p1m p1e p2m p2e p3m p3e q1m q1e q2m q2e q3m q3e"
 * (68-bit significands in hex, exponents decimal); prints the miss count per line
 * (and with a leading '!' on the line, lists the missing case indices).
 * VARIANT=n in the environment: the Horner steps fused at 68 bits (0, default), the inner steps
 * unrounded (1), unfused R68(R68(acc g) + c) (2), the inner steps fused at n > 60 bits.
 * Build: gcc -O2 -o f2xm1_eval f2xm1_eval.c -lgmp
 */
#include <gmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct { mpz_t m; long e; } S;
typedef struct { int neg; unsigned long long mx; long ex; unsigned long long res[3]; long rese[3]; int rneg[3]; } Case;
static Case *cs; static long nc, cap;
static mpz_t t1, t2, t3;

static int VAR = 0; /* inner Horner steps: 0 fused at 68 bits, 1 unrounded, 2 unfused, K > 60: fused at K bits */
static void rndb(mpz_t m, long *e, long bits);
static void rnd68(mpz_t m, long *e) { rndb(m, e, 68); }
static void rndb(mpz_t m, long *e, long bits) {
  int neg = mpz_sgn(m) < 0;
  mpz_abs(m, m);
  long bl = (long)mpz_sizeinbase(m, 2);
  long d = bl - bits;
  if (mpz_sgn(m) != 0 && d > 0) {
    mpz_tdiv_q_2exp(t1, m, d);
    mpz_tdiv_r_2exp(t2, m, d);
    mpz_set_ui(t3, 1); mpz_mul_2exp(t3, t3, d - 1);
    int c = mpz_cmp(t2, t3);
    if (c > 0 || (c == 0 && mpz_odd_p(t1))) mpz_add_ui(t1, t1, 1);
    mpz_set(m, t1); *e += d;
  }
  if (neg) mpz_neg(m, m);
}
/* a = a*g + c, rounded (last: the final step, always at 68 bits) */
static void step(mpz_t am, long *ae, mpz_t gm, long ge, S *c, int last) {
  mpz_mul(am, am, gm); *ae += ge;
  if (VAR == 2) rnd68(am, ae);
  if (*ae >= c->e) { mpz_mul_2exp(am, am, *ae - c->e); mpz_add(am, am, c->m); *ae = c->e; }
  else { mpz_mul_2exp(t1, c->m, c->e - *ae); mpz_add(am, am, t1); }
  if (last || VAR == 0 || VAR == 2) rnd68(am, ae);
  else if (VAR > 60) rndb(am, ae, VAR);
}
int main(int argc, char **argv) {
  mpz_inits(t1, t2, t3, NULL);
  if (getenv("VARIANT")) VAR = atoi(getenv("VARIANT"));
  for (int f = 1; f < argc; f++) {
    FILE *fp = fopen(argv[f], "r"); char line[512];
    while (fgets(line, sizeof line, fp)) {
      unsigned se[4]; unsigned long long sg[4];
      if (sscanf(line, "%x %llx %x %llx %x %llx %x %llx", &se[0], &sg[0], &se[1], &sg[1], &se[2], &sg[2], &se[3], &sg[3]) != 8) continue;
      if (nc == cap) { cap = cap ? cap * 2 : 65536; cs = realloc(cs, cap * sizeof(Case)); }
      Case *c = &cs[nc++];
      c->neg = se[0] >> 15; c->mx = sg[0]; c->ex = (long)(se[0] & 0x7fff) - 16383 - 63;
      for (int k = 0; k < 3; k++) { c->rneg[k] = se[k+1] >> 15; c->res[k] = sg[k+1]; c->rese[k] = (long)(se[k+1] & 0x7fff) - 16383 - 63; }
    }
    fclose(fp);
  }
  fprintf(stderr, "%ld cases\n", nc);
  S P[4], Q[4];
  for (int k = 0; k < 4; k++) { mpz_init(P[k].m); mpz_init(Q[k].m); }
  mpz_set_str(P[0].m, "ebed907fcbb85b9d8", 16); P[0].e = -67;
  mpz_set_str(Q[0].m, "aa2fa223ad82d2d2d", 16); Q[0].e = -66;
  char line[1024];
  mpz_t gm, am, bm, nm, dm, q, r, num;
  mpz_inits(gm, am, bm, nm, dm, q, r, num, NULL);
  while (fgets(line, sizeof line, stdin)) {
    int list = line[0] == '!';
    char h[6][40]; long ee[6];
    if (sscanf(line + list, "%39s %ld %39s %ld %39s %ld %39s %ld %39s %ld %39s %ld", h[0], &ee[0], h[1], &ee[1], h[2], &ee[2], h[3], &ee[3], h[4], &ee[4], h[5], &ee[5]) != 12) continue;
    for (int k = 0; k < 3; k++) { mpz_set_str(P[k+1].m, h[k], 16); P[k+1].e = ee[k]; mpz_set_str(Q[k+1].m, h[k+3], 16); Q[k+1].e = ee[k+3]; }
    long miss = 0;
    for (long i = 0; i < nc; i++) {
      Case *c = &cs[i];
      mpz_set_ui(gm, c->mx); mpz_mul(gm, gm, gm); long ge = 2 * c->ex;
      long ae, be;
      mpz_set(am, P[3].m); ae = P[3].e;
      for (int k = 2; k >= 0; k--) step(am, &ae, gm, ge, &P[k], k == 0);
      mpz_set(bm, Q[3].m); be = Q[3].e;
      for (int k = 2; k >= 0; k--) step(bm, &be, gm, ge, &Q[k], k == 0);
      /* N = R68(x P) (magnitude; sign separately) */
      mpz_set_ui(nm, c->mx); mpz_mul(nm, nm, am); long ne = ae + c->ex; rnd68(nm, &ne);
      if (c->neg) mpz_neg(nm, nm);
      /* D = R68(Q - N/2) */
      long ne2 = ne - 1; long de;
      if (be >= ne2) { mpz_mul_2exp(dm, bm, be - ne2); mpz_sub(dm, dm, nm); de = ne2; }
      else { mpz_mul_2exp(t1, nm, ne2 - be); mpz_sub(dm, bm, t1); de = be; }
      rnd68(dm, &de);
      /* quotient |N|/D with 64 bits */
      mpz_abs(num, nm);
      long s = 64 + (long)mpz_sizeinbase(dm, 2) - (long)mpz_sizeinbase(num, 2) + 1;
      mpz_mul_2exp(num, num, s);
      mpz_tdiv_qr(q, r, num, dm);
      long qe = ne - de - s;
      long qb = (long)mpz_sizeinbase(q, 2);
      mpz_set(t2, dm); /* denominator for remainder comparisons */
      while (qb > 64) { /* fold one bit into the remainder */
        if (mpz_odd_p(q)) mpz_add(r, r, t2);
        mpz_tdiv_q_2exp(q, q, 1); mpz_mul_2exp(t2, t2, 1); qe++; qb--;
      }
      int bad = 0;
      for (int mo = 0; mo < 3 && !bad; mo++) {
        mpz_set(t3, q); long e3 = qe;
        if (mpz_sgn(r)) {
          if (mo == 2) { mpz_mul_2exp(t1, r, 1); int cmp = mpz_cmp(t1, t2); if (cmp > 0 || (cmp == 0 && mpz_odd_p(q))) mpz_add_ui(t3, t3, 1); }
          else if ((mo == 1 && !c->neg) || (mo == 0 && c->neg)) mpz_add_ui(t3, t3, 1);
        }
        if (mpz_sizeinbase(t3, 2) > 64) { mpz_tdiv_q_2exp(t3, t3, 1); e3++; }
        /* compare with recorded (normal, 64-bit significand) */
        if (c->rneg[mo] != c->neg || e3 != c->rese[mo] || mpz_get_ui(t3) != c->res[mo]) bad = 1;
      }
      if (bad) { miss++; if (list) printf("%ld ", i); }
    }
    printf("%ld\n", miss); fflush(stdout);
  }
  return 0;
}

/*
 * F2XM1 study: f2xm1_eval.c with switches for the evaluation order (README, "F2XM1: g = R68(x^2)").
 * Usage and input as f2xm1_eval.c; with '!' the listed misses are "index:fP:fQ", fP / fQ the
 * fraction of a 68-bit cell below P's / Q's unrounded last Horner step (0.5000: an exact tie).
 * Environment (defaults in brackets):
 *   VARIANT  0 fused steps, 1 inner steps unrounded, 2 unfused R68(R68(acc g) + c), K > 60 fused at K bits [0]
 *   GR       g = x^2 rounded to GR bits first (0: exact) [0]; GR=68 is the model
 *   PB       unfused: the product acc g rounded to PB bits [68]
 *   PMODE    unfused: that product's rounding: 0 nearest-even, 1 toward zero, 2 away, 3 to odd [0]
 *   TIE      ties of every 68-bit rounding: 0 even, 1 away, 2 toward zero, 3 odd [0]
 *   PTIE / STIE  the same for the products only / the last sums only [as TIE]
 *   LASTP / LASTQ  1: P's / Q's last step not rounded [0];  NR  1: N = x P not rounded [0]
 * Build: gcc -O2 -o f2xm1_eval_var f2xm1_eval_var.c -lgmp -lm
 */
#include <gmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

typedef struct { mpz_t m; long e; } S;
typedef struct { int neg; unsigned long long mx; long ex; unsigned long long res[3]; long rese[3]; int rneg[3]; } Case;
static Case *cs; static long nc, cap;
static mpz_t t1, t2, t3;

static int GR = 0, PMODE = 0, PB = 68, PTIE = -1, STIE = -1, TIE = 0, VAR = 0, LASTP = 0, LASTQ = 0, NR = 0, CUR = 0; /* inner Horner steps: 0 fused at 68 bits, 1 unrounded, 2 unfused, K > 60: fused at K bits */
static void rndb(mpz_t m, long *e, long bits);
static void rndm(mpz_t m, long *e, long bits, int mode);
static void rnd68(mpz_t m, long *e) { rndb(m, e, 68); }
static void rndb(mpz_t m, long *e, long bits) { rndm(m, e, bits, 0); }
static void rndm(mpz_t m, long *e, long bits, int mode) {
  int neg = mpz_sgn(m) < 0;
  mpz_abs(m, m);
  long bl = (long)mpz_sizeinbase(m, 2);
  long d = bl - bits;
  if (mpz_sgn(m) != 0 && d > 0) {
    mpz_tdiv_q_2exp(t1, m, d);
    mpz_tdiv_r_2exp(t2, m, d);
    mpz_set_ui(t3, 1); mpz_mul_2exp(t3, t3, d - 1);
    int c = mpz_cmp(t2, t3);
    if (mode == 1) ; else if (mode == 2) { if (mpz_sgn(t2)) mpz_add_ui(t1, t1, 1); } else if (mode == 3) { if (mpz_sgn(t2)) mpz_setbit(t1, 0); } else if (c > 0 || (c == 0 && (TIE == 0 ? mpz_odd_p(t1) : TIE == 1 ? 1 : TIE == 2 ? 0 : !mpz_odd_p(t1)))) mpz_add_ui(t1, t1, 1);
    mpz_set(m, t1); *e += d;
  }
  if (neg) mpz_neg(m, m);
}
/* a = a*g + c, rounded (last: the final step, always at 68 bits) */
static double LF[3];
static void step(mpz_t am, long *ae, mpz_t gm, long ge, S *c, int last) {
  mpz_mul(am, am, gm); *ae += ge;
  if (VAR == 2) { int sv = TIE; if (PTIE >= 0) TIE = PTIE; rndm(am, ae, PB, PMODE); TIE = sv; }
  if (*ae >= c->e) { mpz_mul_2exp(am, am, *ae - c->e); mpz_add(am, am, c->m); *ae = c->e; }
  else { mpz_mul_2exp(t1, c->m, c->e - *ae); mpz_add(am, am, t1); }
  if (last) { mpz_t aa; mpz_init(aa); mpz_abs(aa, am); long d = (long)mpz_sizeinbase(aa, 2) - 68; if (d > 0) { mpz_tdiv_r_2exp(aa, aa, d); LF[CUR] = ldexp(mpz_get_d(aa), -d); } else LF[CUR] = -1; mpz_clear(aa); }
  int svt = TIE; if (STIE >= 0 && last) TIE = STIE;
  if (last ? !(CUR == 1 ? LASTP : LASTQ) : (VAR == 0 || VAR == 2)) rnd68(am, ae);
  else if (VAR > 60) rndb(am, ae, VAR);
  TIE = svt;
}
int main(int argc, char **argv) {
  mpz_inits(t1, t2, t3, NULL);
  if (getenv("VARIANT")) VAR = atoi(getenv("VARIANT"));
  if (getenv("LASTP")) LASTP = atoi(getenv("LASTP"));
  if (getenv("LASTQ")) LASTQ = atoi(getenv("LASTQ"));
  if (getenv("GR")) GR = atoi(getenv("GR"));
  if (getenv("PMODE")) PMODE = atoi(getenv("PMODE"));
  if (getenv("PB")) PB = atoi(getenv("PB"));
  if (getenv("PTIE")) PTIE = atoi(getenv("PTIE"));
  if (getenv("STIE")) STIE = atoi(getenv("STIE"));
  if (getenv("TIE")) TIE = atoi(getenv("TIE"));
  if (getenv("NR")) NR = atoi(getenv("NR"));
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
      mpz_set_ui(gm, c->mx); mpz_mul(gm, gm, gm); long ge = 2 * c->ex; if (GR) rndb(gm, &ge, GR);
      long ae, be;
      CUR = 1; mpz_set(am, P[3].m); ae = P[3].e;
      for (int k = 2; k >= 0; k--) step(am, &ae, gm, ge, &P[k], k == 0);
      CUR = 2; mpz_set(bm, Q[3].m); be = Q[3].e;
      for (int k = 2; k >= 0; k--) step(bm, &be, gm, ge, &Q[k], k == 0);
      /* N = R68(x P) (magnitude; sign separately) */
      mpz_set_ui(nm, c->mx); mpz_mul(nm, nm, am); long ne = ae + c->ex; if (!NR) rnd68(nm, &ne);
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
      if (bad) { miss++; if (list) printf("%ld:%.4f:%.4f ", i, LF[1], LF[2]); }
    }
    printf("%ld\n", miss); fflush(stdout);
  }
  return 0;
}

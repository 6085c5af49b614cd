/*
 * FPTAN round 6: exact evaluation of the model of cpu/fpu/transc_amd.ts (g = R68(t^2), Horner
 * steps R68(R68(acc g) + c), N = R68(t P), one rounding of N / D) for |t| < pi/4 (no reduction,
 * t = x), with per-step rounding switches, cases AIMED at one Horner step's rounding midpoint,
 * and a per-case dump of every step's position (README "FPTAN: Q's first step (round 6)").
 * GMP, a few microseconds per case.
 *
 * A model file is one line: optional switches "name=value", then the 10 coefficients P0 .. P4,
 * Q0 .. Q4 as "m e" pairs (value m 2^e, m decimal, any number of bits: coefficients wider than
 * 68 bits are allowed). tan6_coef.py turns a tan_coef_*.txt file into this form. Switches:
 *   pp0 .. pp3, qp0 .. qp3   product acc g of P's / Q's step k (k = 0: c3 + g c4 .. k = 3: c0 + g A1)
 *                            rounded to that many bits [68]; 0: exact; negative: truncated to -v bits
 *   ps0 .. ps3, qs0 .. qs3   the step's sum rounded to that many bits [68]; 0 exact
 *   qt0 .. qt3, pt0 .. pt3   ties of the step's sum: 0 even, 1 away from zero, 2 toward zero [0]
 *   gb                       g = t^2 rounded to gb bits [68]; 0 exact
 *   nb                       N = t P rounded to nb bits [68]
 *   fq2                      1: Q's step 2 (A1) fused: R68(g A2 + q1) [0]
 *
 * Modes (probe files: in.txt lines "fptan FCW X", out.txt lines "FSW ST0 ST1" of probe.c):
 *   tan6_eval gen MODEL SEED N LO HI STEP W   N cases, |t| uniform in [LO, HI) (doubles), both
 *       signs, where STEP's unrounded sum (q0..q3 or p0..p3, q2 = Q's A1) lies within W cells of
 *       a rounding midpoint AND taking the other cell there changes the 64-bit result under
 *       round-to-nearest (FCW 37f) or toward zero (FCW f7f); prints probe input lines.
 *   tan6_eval check in.txt out.txt MODEL...   misses per model, in bands of |t| (edges 2^-3, 2^-2,
 *       2^-1, 0.6, 2^-0.5, 0.745, pi/4).
 *   tan6_eval dump MODEL in.txt out.txt       one line per case: t, ok (model matches host), for
 *       each step of Q and P the unrounded sum's offset from its rounded value in cells (+-0.5 =
 *       midpoint) and whether taking the other cell makes the model match the host ("f" fixes,
 *       "-" changes nothing, "x" breaks a match); columns named in a header line.
 *   tan6_eval search MODEL Q2,Q3 STEP ROUNDS in1 out1 [in2 out2 ...]   coordinate search of
 *       fractional moves (in cells of each named 68-bit coefficient, first step STEP, halved when
 *       no move helps) minimizing the misses over all files; prints the model line (switches of
 *       MODEL are not printed: prepend them).
 *   tan6_eval diff A B SEED N LO HI log|lin [MAXTRY]   random |t| in [LO, HI) (exponent or value
 *       uniform) where models A and B give different results (nearest or toward zero): prints
 *       up to N of them as probe lines (the host then says which model is right); stderr: how
 *       many of how many tried.
 *   tan6_eval gena MODEL SEED N LO HI STEP W [MAXPB]   as gen, 50 .. 100 times faster for the
 *       inner steps (round 7): the low 11 bits of t are scanned with a linear prediction of STEP's
 *       and the next step's unrounded sums; at most MAXPB (1) cases per random t.
 *   tan6_eval cells MODEL STEP J in1 out1 [...]   for every case that STEP's cell decides, which
 *       cells (the model's + j, j = -J .. J) reproduce the host (input of tan7_a3fit.py).
 * Build: gcc -O2 -o /tmp/tan6_eval tools/x87-transc/tan6_eval.c -lgmp -lm
 */
#include <gmp.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "scaled_gmp.h"

typedef struct {
  S c[2][5]; /* [0] = P, [1] = Q */
  int prodb[2][4], sumb[2][4], tie[2][4], gb, nb, fq2;
} Model;

static int forcej; /* nonzero: the flipped step takes its rounded value + forcej cells instead */


/* s rounded to `bits` significant bits: nearest (tie 0 even, 1 away, 2 toward zero) or, with
   trunc, toward zero; bits 0 leaves s exact. */
static void rnd(S *s, int bits, int trunc, int tie) {
  if (bits <= 0) return;
  int neg = mpz_sgn(s->m) < 0;
  mpz_abs(s->m, s->m);
  long d = (long)mpz_sizeinbase(s->m, 2) - bits;
  if (mpz_sgn(s->m) != 0 && d > 0) {
    mpz_tdiv_q_2exp(T1, s->m, d);
    mpz_tdiv_r_2exp(T2, s->m, d);
    mpz_set_ui(T3, 1);
    mpz_mul_2exp(T3, T3, d - 1);
    int c = mpz_cmp(T2, T3), up = 0;
    if (!trunc) up = c > 0 || (c == 0 && (tie == 0 ? mpz_odd_p(T1) : tie == 1));
    if (up) mpz_add_ui(T1, T1, 1);
    mpz_set(s->m, T1);
    s->e += d;
  }
  if (neg) mpz_neg(s->m, s->m);
}

static void sadd(S *r, const S *a, const S *b) { /* r may alias a */
  if (a->e >= b->e) {
    mpz_mul_2exp(T1, a->m, a->e - b->e);
    mpz_add(r->m, T1, b->m);
    r->e = b->e;
  } else {
    mpz_mul_2exp(T1, b->m, b->e - a->e);
    mpz_add(r->m, a->m, T1);
    r->e = a->e;
  }
}

/* Offset (cells of the 68-bit result) of unrounded u from its rounding r, signed toward larger
   magnitude: +-0.5 = midpoint. */
static double offs(const S *u, const S *r) {
  S d;
  sinit(&d);
  S nr;
  sinit(&nr);
  scopy(&nr, r);
  mpz_neg(nr.m, nr.m);
  sadd(&d, u, &nr);
  double v = mpz_get_d(d.m) * ldexp(1.0, (int)(d.e - r->e));
  if (mpz_sgn(r->m) < 0) v = -v;
  mpz_clear(d.m);
  mpz_clear(nr.m);
  return v;
}

/* One evaluation. flip = (poly, step): take the other cell at that step's sum rounding (poly -1:
   none). Records unrounded sums and roundings in su / sr. Result magnitude: sig, exponent of
   its unit; rm 0 nearest, 1 toward zero. */
typedef struct { S su[2][4], sr[2][4], n, d, g; } Trace;

static void model_q(const Model *M, uint64_t mx, long ex, int fp, int fs, Trace *tr, S *nq, S *dq) {
  S t, acc, p;
  sinit(&t); sinit(&acc); sinit(&p);
  mpz_set_ui(t.m, mx);
  t.e = ex;
  smul(&tr->g, &t, &t);
  rnd(&tr->g, M->gb, 0, 0);
  for (int poly = 0; poly < 2; poly++) {
    scopy(&acc, &M->c[poly][4]);
    for (int k = 0; k < 4; k++) {
      const S *c = &M->c[poly][3 - k];
      smul(&p, &acc, &tr->g);
      if (!(poly == 1 && k == 2 && M->fq2)) {
        int b = M->prodb[poly][k];
        rnd(&p, b < 0 ? -b : b, b < 0, 0);
      }
      sadd(&acc, &p, c);
      scopy(&tr->su[poly][k], &acc);
      rnd(&acc, M->sumb[poly][k], 0, M->tie[poly][k]);
      if (poly == fp && k == fs && forcej) {
        if (forcej > 0) mpz_add_ui(acc.m, acc.m, (unsigned long)forcej);
        else mpz_sub_ui(acc.m, acc.m, (unsigned long)-forcej);
      } else if (poly == fp && k == fs) { /* the other cell, toward the unrounded value */
        S d;
        sinit(&d);
        S na;
        sinit(&na);
        scopy(&na, &acc);
        mpz_neg(na.m, na.m);
        sadd(&d, &tr->su[poly][k], &na);
        int sg = mpz_sgn(d.m);
        if (sg == 0) sg = (mpz_sgn(acc.m) > 0) ? 1 : -1; /* exact: take the larger magnitude */
        /* one unit at acc's exponent (acc is m 2^e with 68 bits) */
        if (sg > 0) mpz_add_ui(acc.m, acc.m, 1); else mpz_sub_ui(acc.m, acc.m, 1);
        mpz_clear(d.m); mpz_clear(na.m);
      }
      scopy(&tr->sr[poly][k], &acc);
    }
    if (poly == 0) {
      smul(&tr->n, &t, &acc);
      rnd(&tr->n, M->nb, 0, 0);
    } else scopy(&tr->d, &acc);
  }
  scopy(nq, &tr->n);
  scopy(dq, &tr->d);
  mpz_clear(t.m); mpz_clear(acc.m); mpz_clear(p.m);
}

/* |N / D| rounded to 64 bits (rm 0 nearest-even, 1 toward zero): significand, unit exponent. */
static void quot(const S *n, const S *d, int rm, uint64_t *sig, long *e) {
  mpz_t num, q, r, dd, t;
  mpz_inits(num, q, r, dd, t, NULL);
  mpz_abs(num, n->m);
  mpz_abs(dd, d->m);
  long s = 64 + (long)mpz_sizeinbase(dd, 2) - (long)mpz_sizeinbase(num, 2) + 1;
  mpz_mul_2exp(num, num, s);
  mpz_tdiv_qr(q, r, num, dd);
  long qe = n->e - d->e - s;
  while (mpz_sizeinbase(q, 2) > 64) {
    if (mpz_odd_p(q)) mpz_add(r, r, dd);
    mpz_tdiv_q_2exp(q, q, 1);
    mpz_mul_2exp(dd, dd, 1);
    qe++;
  }
  if (rm == 0 && mpz_sgn(r)) {
    mpz_mul_2exp(t, r, 1);
    int c = mpz_cmp(t, dd);
    if (c > 0 || (c == 0 && mpz_odd_p(q))) mpz_add_ui(q, q, 1);
  }
  if (mpz_sizeinbase(q, 2) > 64) { mpz_tdiv_q_2exp(q, q, 1); qe++; }
  *sig = mpz_get_ui(q);
  *e = qe;
  mpz_clears(num, q, r, dd, t, NULL);
}

static Model *load_model(const char *fn) {
  FILE *f = fopen(fn, "r");
  if (!f) { perror(fn); exit(2); }
  Model *M = calloc(1, sizeof *M);
  for (int p = 0; p < 2; p++)
    for (int k = 0; k < 4; k++) M->prodb[p][k] = M->sumb[p][k] = 68;
  M->gb = M->nb = 68;
  char tok[4096];
  int ci = 0;
  while (fscanf(f, "%4095s", tok) == 1) {
    char *eq = strchr(tok, '=');
    if (eq) {
      *eq = 0;
      int v = atoi(eq + 1);
      if (!strcmp(tok, "gb")) M->gb = v;
      else if (!strcmp(tok, "nb")) M->nb = v;
      else if (!strcmp(tok, "fq2")) M->fq2 = v;
      else if (strlen(tok) == 3 && (tok[0] == 'p' || tok[0] == 'q') && tok[2] >= '0' && tok[2] <= '3') {
        int p = tok[0] == 'q', k = tok[2] - '0';
        if (tok[1] == 'p') M->prodb[p][k] = v;
        else if (tok[1] == 's') M->sumb[p][k] = v;
        else if (tok[1] == 't') M->tie[p][k] = v;
        else { fprintf(stderr, "bad switch %s\n", tok); exit(2); }
      } else { fprintf(stderr, "bad switch %s\n", tok); exit(2); }
      continue;
    }
    if (ci >= 10) { fprintf(stderr, "too many coefficients\n"); exit(2); }
    S *c = &M->c[ci / 5][ci % 5];
    sinit(c);
    mpz_set_str(c->m, tok, 10);
    if (fscanf(f, "%ld", &c->e) != 1) { fprintf(stderr, "bad exponent\n"); exit(2); }
    ci++;
  }
  fclose(f);
  if (ci != 10) { fprintf(stderr, "%s: need 10 coefficients\n", fn); exit(2); }
  return M;
}


static void trinit(Trace *tr) {
  for (int p = 0; p < 2; p++)
    for (int k = 0; k < 4; k++) { sinit(&tr->su[p][k]); sinit(&tr->sr[p][k]); }
  sinit(&tr->n); sinit(&tr->d); sinit(&tr->g);
}

/* The selection gen and gena share: t = mx 2^e is kept when step (fp, fs) lies within w cells of a
   midpoint and rounding it the other way changes the RN or RD result; returns the control word of
   that rounding mode (0: not kept). */
static int selected(const Model *M, uint64_t mx, long e, int fp, int fs, double w, Trace *tr,
                    Trace *tr2, S *nq, S *dq, S *nq2, S *dq2) {
  model_q(M, mx, e, -1, -1, tr, nq, dq);
  double o = offs(&tr->su[fp][fs], &tr->sr[fp][fs]);
  if (fabs(fabs(o) - 0.5) > w) return 0;
  model_q(M, mx, e, fp, fs, tr2, nq2, dq2);
  for (int rm = 0; rm < 2; rm++) {
    uint64_t a, b;
    long ea, eb;
    quot(nq, dq, rm, &a, &ea);
    quot(nq2, dq2, rm, &b, &eb);
    if (a != b || ea != eb) return rm ? 0xf7f : 0x37f;
  }
  return 0;
}

static int gen(int argc, char **argv) {
  if (argc < 9) return 2;
  Model *M = load_model(argv[2]);
  st = strtoull(argv[3], 0, 0) | 1;
  long n = atol(argv[4]);
  double lo = atof(argv[5]), hi = atof(argv[6]);
  int fp = argv[7][0] == 'q', fs = argv[7][1] - '0';
  double w = atof(argv[8]);
  Trace tr, tr2;
  trinit(&tr); trinit(&tr2);
  S nq, dq, nq2, dq2;
  sinit(&nq); sinit(&dq); sinit(&nq2); sinit(&dq2);
  long got = 0, tried = 0;
  while (got < n) {
    double u = lo + (hi - lo) * ((rng() >> 11) * 0x1p-53);
    if (u <= 0 || u >= 0.785398163397448) continue;
    int ex;
    frexp(u, &ex); /* u = f 2^ex, f in [1/2, 1) */
    uint64_t mx = ((uint64_t)(u * ldexp(1.0, 64 - ex)) & ~0x7ffULL) | (rng() >> 53) | (1ULL << 63);
    long e = ex - 64;
    tried++;
    int fcw = selected(M, mx, e, fp, fs, w, &tr, &tr2, &nq, &dq, &nq2, &dq2);
    if (!fcw) continue;
    int s = (int)(rng() & 1);
    printf("fptan %x %04x%016llx\n", fcw, (unsigned)((e + 63 + 16383) | (s << 15)), (unsigned long long)mx);
    got++;
  }
  fprintf(stderr, "gen: %ld of %ld tried\n", got, tried);
  return 0;
}

typedef struct { int fcw; uint64_t mx; long ex; int neg; uint64_t rs; long re; } Case;

static Case *load_cases(const char *fin, const char *fout, long *nc) {
  FILE *a = fopen(fin, "r"), *b = fopen(fout, "r");
  if (!a || !b) { perror("open"); exit(2); }
  long cap = 1024, n = 0;
  Case *cs = malloc(cap * sizeof *cs);
  char op[32], x[64], fsw[32], s0[64], s1[64];
  unsigned fcw;
  while (fscanf(a, "%31s %x %63s", op, &fcw, x) == 3) {
    if (fscanf(b, "%31s %63s %63s", fsw, s0, s1) != 3) { fprintf(stderr, "short out\n"); exit(2); }
    if (strcmp(op, "fptan")) continue;
    if (n == cap) cs = realloc(cs, (cap *= 2) * sizeof *cs);
    Case *c = &cs[n++];
    char se[5];
    memcpy(se, x, 4); se[4] = 0;
    unsigned sx = (unsigned)strtoul(se, 0, 16);
    c->fcw = (int)fcw;
    c->neg = sx >> 15;
    c->ex = (long)(sx & 0x7fff) - 16383 - 63;
    c->mx = strtoull(x + 4, 0, 16);
    memcpy(se, s1, 4);
    unsigned sr = (unsigned)strtoul(se, 0, 16);
    c->rs = strtoull(s1 + 4, 0, 16);
    c->re = (long)(sr & 0x7fff) - 16383 - 63;
    if ((sr >> 15) != (unsigned)c->neg) c->rs = 0; /* wrong sign: never matches */
  }
  fclose(a); fclose(b);
  *nc = n;
  return cs;
}

/* magnitude rounding of a case: 0 nearest, 1 toward zero, 2 away */
static int magrc(const Case *c) {
  int rc = (c->fcw >> 10) & 3;
  if (rc == 0) return 0;
  if (rc == 3) return 1;
  if (rc == 1) return c->neg ? 2 : 1; /* down */
  return c->neg ? 1 : 2;              /* up */
}

static int matches(const Case *c, const S *n, const S *d) {
  int m = magrc(c);
  uint64_t sig;
  long e;
  quot(n, d, m == 0 ? 0 : 1, &sig, &e);
  if (m == 2) { /* away: toward zero plus one unless exact */
    uint64_t s0; long e0;
    S nn; sinit(&nn);
    /* exact iff sig 2^e D == N */
    mpz_set_ui(nn.m, sig);
    mpz_mul(nn.m, nn.m, d->m);
    mpz_abs(nn.m, nn.m);
    nn.e = e + d->e;
    S na; sinit(&na); scopy(&na, n); mpz_abs(na.m, na.m); mpz_neg(na.m, na.m);
    sadd(&nn, &nn, &na);
    if (mpz_sgn(nn.m)) {
      sig++;
      if (sig == 0) { sig = 1ULL << 63; e++; }
    }
    mpz_clear(nn.m); mpz_clear(na.m);
    (void)s0; (void)e0;
  }
  return sig == c->rs && e == c->re;
}

static const double EDGES[] = {0.125, 0.25, 0.5, 0.6, 0.70710678118654752, 0.745, 0.7853981634};

static int band(double tv) {
  for (int i = 0; i < 6; i++)
    if (tv >= EDGES[i] && tv < EDGES[i + 1]) return i;
  return tv < EDGES[0] ? -1 : 5;
}

static int check(int argc, char **argv) {
  long nc;
  Case *cs = load_cases(argv[2], argv[3], &nc);
  Trace tr;
  trinit(&tr);
  S nq, dq;
  sinit(&nq); sinit(&dq);
  long cnt[7] = {0};
  for (long i = 0; i < nc; i++) cnt[band(ldexp((double)cs[i].mx, (int)cs[i].ex)) + 1]++;
  printf("%-40s", "cases (<2^-3, bands)");
  for (int b = 0; b < 7; b++) printf(" %7ld", cnt[b]);
  printf("\n");
  for (int a = 4; a < argc; a++) {
    Model *M = load_model(argv[a]);
    long ms[7] = {0}, tot = 0;
    for (long i = 0; i < nc; i++) {
      model_q(M, cs[i].mx, cs[i].ex, -1, -1, &tr, &nq, &dq);
      if (!matches(&cs[i], &nq, &dq)) {
        ms[band(ldexp((double)cs[i].mx, (int)cs[i].ex)) + 1]++;
        tot++;
      }
    }
    const char *nm = strrchr(argv[a], '/');
    printf("%-40.40s", nm ? nm + 1 : argv[a]);
    for (int b = 0; b < 7; b++) printf(" %7ld", ms[b]);
    printf("  total %ld\n", tot);
    fflush(stdout);
  }
  return 0;
}

static int dump(int argc, char **argv) {
  if (argc < 5) return 2;
  Model *M = load_model(argv[2]);
  long nc;
  Case *cs = load_cases(argv[3], argv[4], &nc);
  Trace tr, tr2;
  trinit(&tr); trinit(&tr2);
  S nq, dq, nq2, dq2;
  sinit(&nq); sinit(&dq); sinit(&nq2); sinit(&dq2);
  printf("t ok");
  for (int p = 1; p >= 0; p--)
    for (int k = 0; k < 4; k++) printf(" %c%d %c%df", "pq"[p], k, "pq"[p], k);
  printf(" x fcw\n");
  for (long i = 0; i < nc; i++) {
    Case *c = &cs[i];
    model_q(M, c->mx, c->ex, -1, -1, &tr, &nq, &dq);
    int ok = matches(c, &nq, &dq);
    printf("%.9f %d", ldexp((double)c->mx, (int)c->ex), ok);
    for (int p = 1; p >= 0; p--)
      for (int k = 0; k < 4; k++) {
        double o = offs(&tr.su[p][k], &tr.sr[p][k]);
        model_q(M, c->mx, c->ex, p, k, &tr2, &nq2, &dq2);
        int ok2 = matches(c, &nq2, &dq2);
        printf(" %+.6f %c", o, ok2 == ok ? '-' : ok2 ? 'f' : 'x');
      }
    printf(" %04x%016llx %x\n", (unsigned)((c->ex + 63 + 16383) | (c->neg << 15)), (unsigned long long)c->mx, c->fcw);
  }
  return 0;
}

/* Coordinate search of fractional moves (cells of the 68-bit coefficient, resolution 2^-24 of a
   cell) of the coefficients named in `which` ("Q2,Q3,P2"...) that minimizes the misses over the
   probe files; prints the best model line. */
static long count_misses(const Model *M, Case *cs, long nc) {
  static Trace tr;
  static int init = 0;
  static S nq, dq;
  if (!init) { trinit(&tr); sinit(&nq); sinit(&dq); init = 1; }
  long m = 0;
  for (long i = 0; i < nc; i++) {
    model_q(M, cs[i].mx, cs[i].ex, -1, -1, &tr, &nq, &dq);
    if (!matches(&cs[i], &nq, &dq)) m++;
  }
  return m;
}

static void set_off(Model *M, const S *base, int p, int k, double off) {
  /* base + off cells; cell = 2^(e + bits(m) - 68) of the base coefficient */
  long cb = base->e + (long)mpz_sizeinbase(base->m, 2) - 68;
  long sc = 24;
  mpz_mul_2exp(M->c[p][k].m, base->m, base->e - (cb - sc));
  mpz_t o;
  mpz_init_set_si(o, (long)llround(off * (double)(1L << sc)));
  mpz_add(M->c[p][k].m, M->c[p][k].m, o);
  M->c[p][k].e = cb - sc;
  mpz_clear(o);
}

static int search(int argc, char **argv) {
  /* search MODEL WHICH STEP0 ROUNDS in1 out1 [in2 out2 ...] */
  if (argc < 8) return 2;
  Model *M = load_model(argv[2]);
  int np = 0, pp[8], pk[8];
  for (char *s = argv[3]; *s && np < 8; ) {
    pp[np] = s[0] == 'Q';
    pk[np] = s[1] - '0';
    np++;
    s += 2;
    if (*s == ',') s++;
  }
  double step0 = atof(argv[4]);
  int rounds = atoi(argv[5]);
  long nc = 0;
  Case *all = NULL;
  for (int a = 6; a + 1 < argc; a += 2) {
    long n;
    Case *c = load_cases(argv[a], argv[a + 1], &n);
    all = realloc(all, (nc + n) * sizeof *all);
    memcpy(all + nc, c, n * sizeof *c);
    nc += n;
    free(c);
  }
  S base[8];
  for (int i = 0; i < np; i++) { sinit(&base[i]); scopy(&base[i], &M->c[pp[i]][pk[i]]); }
  double x[8] = {0}, st[8];
  for (int i = 0; i < np; i++) st[i] = step0;
  long best = count_misses(M, all, nc);
  fprintf(stderr, "start %ld of %ld\n", best, nc);
  for (int r = 0; r < rounds; r++) {
    int moved = 0;
    for (int i = 0; i < np; i++) {
      for (int sg = -1; sg <= 1; sg += 2) {
        double y = x[i] + sg * st[i];
        set_off(M, &base[i], pp[i], pk[i], y);
        long c = count_misses(M, all, nc);
        if (c < best) { best = c; x[i] = y; moved = 1; break; }
        set_off(M, &base[i], pp[i], pk[i], x[i]);
      }
    }
    fprintf(stderr, "round %d misses %ld x", r, best);
    for (int i = 0; i < np; i++) fprintf(stderr, " %c%d%+.5f", "PQ"[pp[i]], pk[i], x[i]);
    fprintf(stderr, " step %.5f\n", st[0]);
    if (!moved) {
      for (int i = 0; i < np; i++) st[i] /= 2;
      if (st[0] < 1.0 / 4096) break;
    }
  }
  for (int i = 0; i < np; i++) set_off(M, &base[i], pp[i], pk[i], x[i]);
  for (int p = 0; p < 2; p++)
    for (int k = 0; k < 5; k++) {
      char *s = mpz_get_str(NULL, 10, M->c[p][k].m);
      printf("%s%s %ld", p + k ? " " : "", s, M->c[p][k].e);
      free(s);
    }
  printf("\n");
  return 0;
}

/* Random |t| in [LO, HI) (doubles) where models A and B give different 64-bit results under
   round-to-nearest or toward zero: prints N such cases as probe lines (the host arbitrates). */
static int diffm(int argc, char **argv) {
  if (argc < 9) return 2;
  Model *A = load_model(argv[2]), *B = load_model(argv[3]);
  st = strtoull(argv[4], 0, 0) | 1;
  long n = atol(argv[5]), maxtry = argc > 9 ? atol(argv[9]) : 100000000L;
  double lo = atof(argv[6]), hi = atof(argv[7]);
  int loge = argv[8][0] == 'l'; /* "log": exponent uniform; "lin": t uniform */
  Trace tr, tr2;
  trinit(&tr); trinit(&tr2);
  S na, da, nb, db;
  sinit(&na); sinit(&da); sinit(&nb); sinit(&db);
  long got = 0, tried = 0;
  while (got < n && tried < maxtry) {
    double u;
    if (loge) u = exp2(log2(lo) + (log2(hi) - log2(lo)) * ((rng() >> 11) * 0x1p-53));
    else u = lo + (hi - lo) * ((rng() >> 11) * 0x1p-53);
    if (u <= 0 || u >= 0.785398163397448) continue;
    int ex;
    frexp(u, &ex);
    uint64_t mx = ((uint64_t)(u * ldexp(1.0, 64 - ex)) & ~0x7ffULL) | (rng() >> 53) | (1ULL << 63);
    long e = ex - 64;
    tried++;
    model_q(A, mx, e, -1, -1, &tr, &na, &da);
    model_q(B, mx, e, -1, -1, &tr2, &nb, &db);
    int fcw = 0;
    for (int rm = 0; rm < 2 && !fcw; rm++) {
      uint64_t a, b;
      long ea, eb;
      quot(&na, &da, rm, &a, &ea);
      quot(&nb, &db, rm, &b, &eb);
      if (a != b || ea != eb) fcw = rm ? 0xf7f : 0x37f;
    }
    if (!fcw) continue;
    int s = (int)(rng() & 1);
    printf("fptan %x %04x%016llx\n", fcw, (unsigned)((e + 63 + 16383) | (s << 15)), (unsigned long long)mx);
    got++;
  }
  fprintf(stderr, "diff: %ld of %ld tried\n", got, tried);
  return 0;
}

/* cells MODEL STEP J in out [in out ...]: for every case, which values of STEP's rounded sum
   (the model's cell + j, j = -J .. J, everything after it recomputed) reproduce the host. One line
   per case whose answer is not the same for every j: t, g, u0 = (unrounded - rounded) / cell of
   the model's step (signed value, not magnitude), the mask of j (-J first, '1' = matches), the
   input's X and FCW. */
static int cells(int argc, char **argv) {
  if (argc < 7) return 2;
  Model *M = load_model(argv[2]);
  int fp = argv[3][0] == 'q', fs = argv[3][1] - '0', J = atoi(argv[4]);
  Trace tr, tr2;
  trinit(&tr); trinit(&tr2);
  S nq, dq, nq2, dq2;
  sinit(&nq); sinit(&dq); sinit(&nq2); sinit(&dq2);
  char mask[64];
  for (int a = 5; a + 1 < argc; a += 2) {
    long nc;
    Case *cs = load_cases(argv[a], argv[a + 1], &nc);
    for (long i = 0; i < nc; i++) {
      Case *c = &cs[i];
      model_q(M, c->mx, c->ex, -1, -1, &tr, &nq, &dq);
      int all = 1, any = 0;
      for (int j = -J; j <= J; j++) {
        int ok;
        if (j == 0) ok = matches(c, &nq, &dq);
        else {
          forcej = j;
          model_q(M, c->mx, c->ex, fp, fs, &tr2, &nq2, &dq2);
          forcej = 0;
          ok = matches(c, &nq2, &dq2);
        }
        mask[j + J] = ok ? '1' : '0';
        all &= ok; any |= ok;
      }
      mask[2 * J + 1] = 0;
      if (all) continue;
      double o = offs(&tr.su[fp][fs], &tr.sr[fp][fs]);
      if (mpz_sgn(tr.sr[fp][fs].m) < 0) o = -o;
      printf("%.12f %.17g %+.9f %s %04x%016llx %x\n", ldexp((double)c->mx, (int)c->ex),
             mpz_get_d(tr.g.m) * ldexp(1.0, (int)tr.g.e), o, mask,
             (unsigned)((c->ex + 63 + 16383) | (c->neg << 15)), (unsigned long long)c->mx, c->fcw);
    }
    free(cs);
  }
  return 0;
}

/* Position of unrounded sum u in cells of its 68-bit rounding: integer part (floor) in ip,
   fraction returned; the cell exponent in *ce. */

/* gena MODEL SEED N LO HI STEP W [MAXPB]: as gen (same selection, exactly checked), but fast: for each
   random t with its low 11 bits clear, the model is evaluated exactly at the two ends of the 2048
   values of the low bits; the unrounded sums of STEP and of the next step are linear in the low
   bits to far below a cell, so only the low bits where STEP lies within W (+0.004) cells of a
   midpoint and the next step within its crossing window (how far one cell of STEP moves it, plus
   0.006) are evaluated exactly. About 50 .. 100 times faster than gen for P's A2 (p1). At most
   MAXPB cases (default 1) per random t, so that the cases stay spread over t. */
static int gena(int argc, char **argv) {
  if (argc < 9) return 2;
  Model *M = load_model(argv[2]);
  st = strtoull(argv[3], 0, 0) | 1;
  long n = atol(argv[4]);
  double lo = atof(argv[5]), hi = atof(argv[6]);
  int fp = argv[7][0] == 'q', fs = argv[7][1] - '0';
  double w = atof(argv[8]);
  int maxpb = argc > 9 ? atoi(argv[9]) : 1;
  Trace tr, tr2, tr3;
  trinit(&tr); trinit(&tr2); trinit(&tr3);
  S nq, dq, nq2, dq2;
  sinit(&nq); sinit(&dq); sinit(&nq2); sinit(&dq2);
  mpz_t i0, i1, i2;
  mpz_inits(i0, i1, i2, NULL);
  long got = 0, tried = 0, bases = 0;
  while (got < n) {
    double u = lo + (hi - lo) * ((rng() >> 11) * 0x1p-53);
    if (u <= 0 || u >= 0.785398163397448) continue;
    int ex;
    frexp(u, &ex);
    uint64_t m0 = ((uint64_t)(u * ldexp(1.0, 64 - ex)) & ~0x7ffULL) | (1ULL << 63);
    long e = ex - 64;
    bases++;
    /* step STEP and the next one (or none for the last step), at both ends */
    double f[2][2], sl[2], win[2];
    int nst = fs < 3 ? 2 : 1, bad = 0;
    long ce0, ce1;
    for (int j = 0; j < nst && !bad; j++) {
      model_q(M, m0, e, -1, -1, &tr, &nq, &dq);
      f[j][0] = spos(&tr.su[fp][fs + j], i0, &ce0);
      model_q(M, m0 | 0x7ff, e, -1, -1, &tr2, &nq2, &dq2);
      f[j][1] = spos(&tr2.su[fp][fs + j], i1, &ce1);
      if (ce0 != ce1) { bad = 1; break; }
      mpz_sub(i2, i1, i0);
      sl[j] = (mpz_get_d(i2) + f[j][1] - f[j][0]) / 2047.0;
      if (j == 1) { /* how far one cell of STEP moves the next step's sum */
        forcej = 1;
        model_q(M, m0, e, fp, fs, &tr3, &nq2, &dq2);
        forcej = 0;
        double f3 = spos(&tr3.su[fp][fs + 1], i1, &ce1);
        mpz_sub(i2, i1, i0);
        win[1] = fabs(mpz_get_d(i2) + f3 - f[1][0]) + 0.006;
      }
    }
    if (bad) continue;
    int inbase = 0;
    for (int d = 0; d < 2048 && got < n && inbase < maxpb; d++) {
      double x = f[0][0] + d * sl[0];
      x -= floor(x);
      if (fabs(x - 0.5) > w + 0.004) continue;
      if (nst == 2) {
        double y = f[1][0] + d * sl[1];
        y -= floor(y);
        if (fabs(y - 0.5) > win[1]) continue;
      }
      uint64_t mx = m0 | (uint64_t)d;
      tried++;
      int fcw = selected(M, mx, e, fp, fs, w, &tr, &tr2, &nq, &dq, &nq2, &dq2);
      if (!fcw) continue;
      int s = (int)(rng() & 1);
      printf("fptan %x %04x%016llx\n", fcw, (unsigned)((e + 63 + 16383) | (s << 15)), (unsigned long long)mx);
      got++;
      inbase++;
    }
  }
  fprintf(stderr, "gena: %ld from %ld bases, %ld exact evaluations\n", got, bases, tried);
  return 0;
}

int main(int argc, char **argv) {
  mpz_inits(T1, T2, T3, NULL);
  if (argc > 1 && !strcmp(argv[1], "gen")) return gen(argc, argv);
  if (argc > 4 && !strcmp(argv[1], "check")) return check(argc, argv);
  if (argc > 1 && !strcmp(argv[1], "dump")) return dump(argc, argv);
  if (argc > 1 && !strcmp(argv[1], "search")) return search(argc, argv);
  if (argc > 1 && !strcmp(argv[1], "diff")) return diffm(argc, argv);
  if (argc > 1 && !strcmp(argv[1], "cells")) return cells(argc, argv);
  if (argc > 1 && !strcmp(argv[1], "gena")) return gena(argc, argv);
  fprintf(stderr, "usage: see the header of tan6_eval.c\n");
  return 2;
}

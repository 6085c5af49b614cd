/*
 * FSIN / FCOS round 7: exact evaluation of the model of cpu/fpu/transc_amd_sincos.ts in C (GMP),
 * cases AIMED at one Horner step's rounding midpoint, and per-case bounds on one Horner sum
 * (README "FSIN, FCOS: A2's level (round 7)").
 *
 * The model: x = n pi66/2 + t exactly (pi66 = pi truncated to 66 bits; n = 0 for |x| < pi/4),
 * g = R68(t^2), Horner steps A_k = R68(R68(A_{k+1} g) + c_k) from the top coefficient down to
 * A_0, sin t = t - R68(R68(t g) A_0), cos t = 1 - R68(g A_0), one final rounding with RC.
 * R68 = round to nearest-even at 68 significant bits.
 *
 * A coefficient file (sincos6 format): lines "S m,e m,e ..." and "C m,e ..." (value m 2^e, m
 * decimal or 0x-hex, signed; constant term first); "#" lines are comments. Optional line
 * "V name=value ..." with evaluation switches:
 *   sp<k>=B / cp<k>=B   product of S's / C's step k (A_{k+1} g) rounded to B bits (0 exact,
 *                       -B truncated to B bits; B + 1000: ties away from zero, + 2000: ties
 *                       toward zero, + 3000: ties to odd, round 9) [68]
 *   ss<k>=B / cs<k>=B   sum of step k rounded to B bits (same convention) [68]
 *   gb=B                g = t^2 rounded to B bits (0 exact, -B truncated to B bits) [68]
 *   g1b=B               only the g of step 1's product (A2 g) rounded to B bits from t^2 [68]
 *   gib=B               only the g of the inner products (steps 2 and up) rounded to B bits [68]
 * (write "V" switches after a space: "V gb=70 cs2=0")
 * (k = 0 is the last step, giving A_0.)
 *
 * Probe files: in.txt lines "OP FCW X" (OP fsin, fcos, fsincos), out.txt lines "FSW ST0 ST1" of
 * probe.c (FSINCOS: ST0 = cosine, ST1 = sine, C1 = the sine's rounding). Only 64-bit precision
 * control words (x7f) are used.
 *
 * Modes:
 *   sincos7_eval gen COEF sin|cos SEED N LO HI STEP W [log]
 *       N operands t in [LO, HI) (doubles; value-uniform, or binade-uniform with "log"), where
 *       the unrounded sum of STEP (s0 .. s6 = A_0 .. A_6 before rounding, or "corr") lies within
 *       W cells of a 68-bit rounding midpoint AND the other cell there changes the result under
 *       RN, RD or RU; prints three probe lines (37f, 77f, b7f) per operand, x = +-t (FSIN for
 *       sin, FCOS for cos).
 *   sincos7_eval gena COEF sin|cos SEED N LO HI STEP W [MAXPB] [log]
 *       as gen for STEP s1 .. s6, 100s of times faster for inner steps (round 8): linear
 *       prediction over t's low 11 bits of STEP's and every lower step's unrounded sums; at most
 *       MAXPB (1) cases per random t (see the function's comment). Env GABITS=B (round 10):
       each random t spans 2^B low bits (11 .. 28; 11 = the round-8 search, the same cases for
       the same seed); above 11 the t where every window holds are found as the points of a
       lattice (LLL + enumeration), hundreds to thousands of times faster (B = 28: FCOS aimed at
       A4 about 150 operands a second, FSIN at A4 about 10).
 *   sincos7_eval check in.txt out.txt COEF ...
 *       lines whose result or C1 differ, per polynomial and band of |t|, for each COEF.
 *   sincos7_eval bounds COEF in.txt out.txt sin|cos sK D
 *       one line per operand (its lines grouped): which shifts of the unrounded sum of step K
 *       (before its rounding, everything after recomputed; scanned over whole cells |d| <= D,
 *       ends refined to 2^-16 cell) reproduce all its lines, i.e. bounds on the HOST's unrounded
 *       sum minus the model's: "x t g ok lo hi off" with lo/hi in cells of A_K (inf if open),
 *       off = the model's unrounded sum minus its rounding (cells, value direction). Env WIDE=1:
 *       a run that reaches +-D is followed outward (doubling, then bisection; up to 2^30 cells).
 *   sincos7_eval dump COEF in.txt out.txt sin|cos
 *       one line per operand: x t g ok, then the offset (unrounded minus rounded, in cells of the
 *       rounded value; +-0.5 = midpoint) of g, of every step's product p_k and sum s_k, and corr.
 *   sincos7_eval flips COEF in.txt out.txt sin|cos
 *       for every operand the model misses: which single rounding (product p_k or sum s_k) taken
 *       one cell the other way reproduces all its lines, with that rounding's offset.
 *   sincos7_eval diff COEF_A COEF_B sin|cos SEED N LO HI [MAXTRY]
 *       random t in [LO, HI) where the two sets give different results (RN, RD or RU): probe
 *       lines, three per operand (the host arbitrates).
 * Build: gcc -O2 -o /tmp/sincos7_eval tools/x87-transc/sincos7_eval.c -lgmp -lm
 */
#include <gmp.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "scaled_gmp.h"

#define MAXC 10
typedef struct {
  int n[2];           /* [0] = S (sin), [1] = C (cos) */
  S c[2][MAXC];
  int pb[2][MAXC], sb[2][MAXC];
  int gb; /* g = t^2 rounded to gb bits (0 exact; negative: truncated to -gb bits) */
  int g1b; /* the g of step 1's product (A2 g) rounded to g1b bits instead (0 exact; 68 = g) */
  int gib; /* the g of the inner products (steps k >= 2) rounded to gib bits (0 exact; 68 = g;
              negative: truncated) (round 8) */
} Model;



static void rndt(S *s, int bits);

/* nearest-even at `bits` significant bits; bits 0 leaves s exact; negative: truncated to -bits;
   bits + 1000 k (round 9): nearest with another tie rule, k = 1 ties away from zero, 2 ties
   toward zero, 3 ties to odd */
static void rnd(S *s, int bits) {
  if (bits < 0) { rndt(s, -bits); return; }
  int tie = bits / 1000;
  bits %= 1000;
  if (bits == 0 || mpz_sgn(s->m) == 0) return;
  int neg = mpz_sgn(s->m) < 0;
  mpz_abs(s->m, s->m);
  long d = (long)mpz_sizeinbase(s->m, 2) - bits;
  if (d > 0) {
    mpz_tdiv_q_2exp(T1, s->m, d);
    mpz_tdiv_r_2exp(T2, s->m, d);
    mpz_set_ui(T3, 1);
    mpz_mul_2exp(T3, T3, d - 1);
    int c = mpz_cmp(T2, T3);
    if (c > 0 || (c == 0 && (tie == 1 || (tie == 0 && mpz_odd_p(T1)) || (tie == 3 && mpz_even_p(T1)))))
      mpz_add_ui(T1, T1, 1);
    mpz_swap(s->m, T1);
    s->e += d;
  }
  if (neg) mpz_neg(s->m, s->m);
}

/* toward zero at `bits` significant bits */
static void rndt(S *s, int bits) {
  long d = (long)mpz_sizeinbase(s->m, 2) - bits;
  if (mpz_sgn(s->m) == 0 || d <= 0) return;
  mpz_tdiv_q_2exp(s->m, s->m, d);
  s->e += d;
}

static void sadd(S *r, const S *a, const S *b) { /* r may alias a or b */
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
static void ssub(S *r, const S *a, const S *b) {
  mpz_neg(T2, b->m);
  S nb;
  nb.m[0] = T2[0];
  nb.e = b->e;
  S tmp;
  sinit(&tmp);
  sadd(&tmp, a, &nb);
  scopy(r, &tmp);
  mpz_clear(tmp.m);
}

/* (u - r) in cells of the 68-bit r (value direction); r non-zero with <= 68 bits */
static double offs(const S *u, const S *r) {
  S d;
  sinit(&d);
  ssub(&d, u, r);
  long cell = r->e + (long)mpz_sizeinbase(r->m, 2) - 68;
  double v = mpz_get_d(d.m) * ldexp(1.0, (int)(d.e - cell));
  mpz_clear(d.m);
  return v;
}

/* ---- model ---- */

static Model *load_model(const char *fn) {
  FILE *f = fopen(fn, "r");
  if (!f) { perror(fn); exit(2); }
  Model *M = calloc(1, sizeof *M);
  M->gb = 68;
  M->g1b = 68;
  M->gib = 68;
  for (int p = 0; p < 2; p++)
    for (int k = 0; k < MAXC; k++) { sinit(&M->c[p][k]); M->pb[p][k] = M->sb[p][k] = 68; }
  char line[8192];
  while (fgets(line, sizeof line, f)) {
    if (line[0] == 'V' && strstr(line, " gb=")) M->gb = atoi(strstr(line, " gb=") + 4);
    if (line[0] == 'V' && strstr(line, "g1b=")) M->g1b = atoi(strstr(line, "g1b=") + 4);
    if (line[0] == 'V' && strstr(line, "gib=")) M->gib = atoi(strstr(line, "gib=") + 4);
    if (line[0] == 'V') {
      char *tok = strtok(line + 1, " \t\n");
      for (; tok; tok = strtok(0, " \t\n")) {
        char *eq = strchr(tok, '=');
        if (!strncmp(tok, "gb=", 3) || !strncmp(tok, "g1b=", 4) || !strncmp(tok, "gib=", 4)) continue;
        if (!eq || strlen(tok) < 4) { fprintf(stderr, "bad switch %s\n", tok); exit(2); }
        int p = tok[0] == 'c', k = atoi(tok + 2), v = atoi(eq + 1);
        if (tok[1] == 'p') M->pb[p][k] = v;
        else if (tok[1] == 's') M->sb[p][k] = v;
        else { fprintf(stderr, "bad switch %s\n", tok); exit(2); }
      }
      continue;
    }
    if (line[0] != 'S' && line[0] != 'C') continue;
    int p = line[0] == 'C', k = 0;
    char *tok = strtok(line + 1, " \t\n");
    for (; tok; tok = strtok(0, " \t\n")) {
      char *cm = strchr(tok, ',');
      if (!cm || k >= MAXC) { fprintf(stderr, "bad coefficient %s\n", tok); exit(2); }
      *cm = 0;
      if (mpz_set_str(M->c[p][k].m, tok, 0)) { fprintf(stderr, "bad number %s\n", tok); exit(2); }
      M->c[p][k].e = atol(cm + 1);
      k++;
    }
    M->n[p] = k;
  }
  fclose(f);
  if (!M->n[0] || !M->n[1]) { fprintf(stderr, "%s: need S and C lines\n", fn); exit(2); }
  return M;
}

/* Trace of one evaluation: su[k] unrounded sum of step k (giving A_k), sr[k] = A_k; corr */
typedef struct { S su[MAXC], sr[MAXC], pu[MAXC], pr[MAXC], gu, g, tg, corr, cu, res; } Trace;

static void trinit(Trace *tr) {
  for (int k = 0; k < MAXC; k++) { sinit(&tr->su[k]); sinit(&tr->sr[k]); sinit(&tr->pu[k]); sinit(&tr->pr[k]); }
  sinit(&tr->gu);
  sinit(&tr->g); sinit(&tr->tg); sinit(&tr->corr); sinit(&tr->cu); sinit(&tr->res);
}

/* Shift of the unrounded sum of step sk before its rounding, in units of 2^-16 of its 68-bit
   cell (bounds mode); sk = -1: none. */
static int sk = -1;
static long sd = 0;
static int WIDE = 0; /* bounds: follow a run that reaches the scan's end (env WIDE=1) */

/* Evaluate polynomial p (0 sin, 1 cos) at t. If fk >= 0: A_fk replaced by the model's A_fk + fd
   cells (fk = -2: corr + fd cells). Result exact in tr->res. */
static void eval(const Model *M, int p, const S *t, int fk, long fd, Trace *tr) {
  static S acc, pr;
  static int init = 0;
  if (!init) { sinit(&acc); sinit(&pr); init = 1; }
  smul(&tr->gu, t, t);
  scopy(&tr->g, &tr->gu);
  if (M->gb > 0) rnd(&tr->g, M->gb);
  else if (M->gb < 0) { /* truncate */
    long d = (long)mpz_sizeinbase(tr->g.m, 2) + M->gb;
    if (d > 0) { mpz_tdiv_q_2exp(tr->g.m, tr->g.m, d); tr->g.e += d; }
  }
  int n = M->n[p];
  scopy(&acc, &M->c[p][n - 1]);
  for (int k = n - 2; k >= 0; k--) {
    if (k == 1 && M->g1b != 68) {
      static S g1;
      static int gi = 0;
      if (!gi) { sinit(&g1); gi = 1; }
      scopy(&g1, &tr->gu);
      rnd(&g1, M->g1b);
      smul(&pr, &acc, &g1);
    } else if (k >= 2 && M->gib != 68) {
      static S gi2;
      static int gii = 0;
      if (!gii) { sinit(&gi2); gii = 1; }
      scopy(&gi2, &tr->gu);
      rnd(&gi2, M->gib);
      smul(&pr, &acc, &gi2);
    } else smul(&pr, &acc, &tr->g);
    scopy(&tr->pu[k], &pr);
    rnd(&pr, M->pb[p][k]);
    if (fk == 100 + k && fd) { /* product k moved by fd cells (of its 68-bit value) */
      long cell = pr.e + (long)mpz_sizeinbase(pr.m, 2) - 68;
      if (cell < pr.e) { mpz_mul_2exp(pr.m, pr.m, pr.e - cell); pr.e = cell; }
      else if (cell > pr.e) { mpz_tdiv_q_2exp(pr.m, pr.m, cell - pr.e); pr.e = cell; }
      if (fd > 0) mpz_add_ui(pr.m, pr.m, (unsigned long)fd);
      else mpz_sub_ui(pr.m, pr.m, (unsigned long)-fd);
    }
    scopy(&tr->pr[k], &pr);
    sadd(&acc, &pr, &M->c[p][k]);
    if (k == sk && sd) {
      long cell = acc.e + (long)mpz_sizeinbase(acc.m, 2) - 68 - 16;
      if (cell < acc.e) { mpz_mul_2exp(acc.m, acc.m, acc.e - cell); acc.e = cell; }
      mpz_set_si(T3, sd);
      mpz_mul_2exp(T3, T3, cell - acc.e);
      mpz_add(acc.m, acc.m, T3);
    }
    scopy(&tr->su[k], &acc);
    rnd(&acc, M->sb[p][k]);
    if (k == fk && fd) {
      /* move by fd cells of the 68-bit value; normalize to a 68-bit cell exponent first */
      long cell = acc.e + (long)mpz_sizeinbase(acc.m, 2) - 68;
      if (cell < acc.e) { mpz_mul_2exp(acc.m, acc.m, acc.e - cell); acc.e = cell; }
      else if (cell > acc.e) { mpz_tdiv_q_2exp(acc.m, acc.m, cell - acc.e); acc.e = cell; }
      if (fd > 0) mpz_add_ui(acc.m, acc.m, (unsigned long)fd);
      else mpz_sub_ui(acc.m, acc.m, (unsigned long)-fd);
    }
    scopy(&tr->sr[k], &acc);
  }
  if (p == 0) {
    smul(&tr->tg, t, &tr->g);
    rnd(&tr->tg, 68);
    smul(&tr->cu, &tr->tg, &acc);
  } else {
    smul(&tr->cu, &tr->g, &acc);
  }
  scopy(&tr->corr, &tr->cu);
  rnd(&tr->corr, 68);
  if (fk == -2 && fd) {
    long cell = tr->corr.e + (long)mpz_sizeinbase(tr->corr.m, 2) - 68;
    if (cell < tr->corr.e) { mpz_mul_2exp(tr->corr.m, tr->corr.m, tr->corr.e - cell); tr->corr.e = cell; }
    else if (cell > tr->corr.e) { mpz_tdiv_q_2exp(tr->corr.m, tr->corr.m, cell - tr->corr.e); tr->corr.e = cell; }
    if (fd > 0) mpz_add_ui(tr->corr.m, tr->corr.m, (unsigned long)fd);
    else mpz_sub_ui(tr->corr.m, tr->corr.m, (unsigned long)-fd);
  }
  if (p == 0) ssub(&tr->res, t, &tr->corr);
  else {
    S one;
    sinit(&one);
    mpz_set_ui(one.m, 1);
    ssub(&tr->res, &one, &tr->corr);
    mpz_clear(one.m);
  }
}

/* Round exact v (signed) to the 80-bit format at 64 bits with rc (0 RN, 1 RD, 2 RU, 3 RZ):
   sign/exponent word and significand; *up = magnitude rounded up (C1). */
static void final80(const S *v, int rc, unsigned *se, uint64_t *sig, int *up) {
  static mpz_t a, q, r, h;
  static int init = 0;
  if (!init) { mpz_inits(a, q, r, h, NULL); init = 1; }
  int s = mpz_sgn(v->m) < 0;
  mpz_abs(a, v->m);
  long d = (long)mpz_sizeinbase(a, 2) - 64, ee;
  *up = 0;
  if (d <= 0) {
    mpz_mul_2exp(q, a, -d);
    ee = v->e + d;
  } else {
    mpz_tdiv_q_2exp(q, a, d);
    mpz_tdiv_r_2exp(r, a, d);
    ee = v->e + d;
    int inc = 0;
    if (mpz_sgn(r)) {
      if (rc == 0) {
        mpz_set_ui(h, 1);
        mpz_mul_2exp(h, h, d - 1);
        int c = mpz_cmp(r, h);
        inc = c > 0 || (c == 0 && mpz_odd_p(q));
      } else if (rc == 1) inc = s;
      else if (rc == 2) inc = !s;
    }
    if (inc) {
      mpz_add_ui(q, q, 1);
      if (mpz_sizeinbase(q, 2) > 64) { mpz_tdiv_q_2exp(q, q, 1); ee++; }
      *up = 1;
    }
  }
  *sig = mpz_get_ui(q);
  *se = (unsigned)((ee + 63 + 16383) | (s << 15));
}

/* ---- reduction: x = n pi66/2 + t, as sincos_py/sim.py reduce ---- */
static mpz_t PIM;
static void reduce(int neg, uint64_t mx, long ex, long *n, S *t) {
  if (ex + 63 < -2) {
    *n = 0;
    mpz_set_ui(t->m, mx);
    if (neg) mpz_neg(t->m, t->m);
    t->e = ex;
    return;
  }
  mpz_t xm, nn, h;
  mpz_inits(xm, nn, h, NULL);
  mpz_set_ui(xm, mx);
  mpz_mul_2exp(xm, xm, ex + 65);
  mpz_tdiv_q_2exp(h, PIM, 1);
  mpz_add(nn, xm, h);
  mpz_fdiv_q(nn, nn, PIM);
  mpz_mul(h, nn, PIM);
  mpz_sub(t->m, xm, h);
  t->e = -65;
  long nv = (long)mpz_get_si(nn);
  if (neg) { nv = -nv; mpz_neg(t->m, t->m); }
  *n = nv;
  mpz_clears(xm, nn, h, NULL);
}

/* ---- cases ---- */
typedef struct {
  int op;      /* 0 fsin, 1 fcos (fsincos lines become one of each) */
  int rc;      /* 0 RN 1 RD 2 RU 3 RZ */
  int neg;
  uint64_t mx;
  long ex;
  unsigned wse;
  uint64_t wsig;
  int c1;      /* -1: not checked */
  long grp;    /* operand group (same x, same polynomial) */
} Case;

static int rc_of(unsigned fcw) { return (fcw & 0x300) == 0x300 ? (int)((fcw >> 10) & 3) : -1; }

static void parse80(const char *h, unsigned *se, uint64_t *m) {
  char b[5];
  memcpy(b, h, 4);
  b[4] = 0;
  *se = (unsigned)strtoul(b, 0, 16);
  *m = strtoull(h + 4, 0, 16);
}

static Case *load_cases(const char *fin, const char *fout, long *nc) {
  FILE *a = fopen(fin, "r"), *b = fopen(fout, "r");
  if (!a || !b) { perror("open"); exit(2); }
  long cap = 1024, n = 0, grp = 0;
  Case *cs = malloc(cap * sizeof *cs);
  char la[256], lb[256], op[32], x[64], fsw[32], s0[64], s1[64], lastx[64] = "";
  int lastop = -1;
  unsigned fcw;
  while (fgets(la, sizeof la, a)) {
    if (sscanf(la, "%31s %x %63s", op, &fcw, x) != 3) continue;
    if (!fgets(lb, sizeof lb, b) || sscanf(lb, "%31s %63s %63s", fsw, s0, s1) != 3) {
      fprintf(stderr, "short out\n");
      exit(2);
    }
    int rc = rc_of(fcw);
    int kind = !strcmp(op, "fsin") ? 0 : !strcmp(op, "fcos") ? 1 : !strcmp(op, "fsincos") ? 2 : -1;
    if (rc < 0 || kind < 0) continue;
    unsigned xse;
    uint64_t xm;
    parse80(x, &xse, &xm);
    if ((xse & 0x7fff) == 0x7fff || (xse & 0x7fff) == 0 || !(xm >> 63)) continue;
    if (strcmp(x, lastx) || kind != lastop) { grp++; strcpy(lastx, x); lastop = kind; }
    unsigned sw = (unsigned)strtoul(fsw, 0, 16);
    for (int w = 0; w < 2; w++) {
      int o = kind == 2 ? w : kind;
      if (kind != 2 && w) break;
      if (n == cap) cs = realloc(cs, (cap *= 2) * sizeof *cs);
      Case *c = &cs[n++];
      c->op = o;
      c->rc = rc;
      c->neg = xse >> 15;
      c->ex = (long)(xse & 0x7fff) - 16383 - 63;
      c->mx = xm;
      const char *res = kind == 2 ? (o == 0 ? s1 : s0) : s0;
      parse80(res, &c->wse, &c->wsig);
      c->c1 = (kind == 2 && o == 1) ? -1 : (int)((sw >> 9) & 1);
      c->grp = grp * 2 + o;
    }
  }
  fclose(a);
  fclose(b);
  *nc = n;
  return cs;
}

/* polynomial used by a case, t, and the sign of the result */
static int setup(const Case *c, S *t, int *flip) {
  long n;
  reduce(c->neg, c->mx, c->ex, &n, t);
  long q = ((n % 4) + 4) % 4;
  int p = (c->op == 0) == (q % 2 == 0) ? 0 : 1;
  *flip = (c->op == 0 && q >= 2) || (c->op == 1 && (q == 1 || q == 2));
  return p;
}

static int match(const Case *c, const S *res, int flip) {
  S v;
  sinit(&v);
  scopy(&v, res);
  if (flip) mpz_neg(v.m, v.m);
  unsigned se;
  uint64_t sig;
  int up;
  final80(&v, c->rc, &se, &sig, &up);
  mpz_clear(v.m);
  return se == c->wse && sig == c->wsig && (c->c1 < 0 || up == c->c1);
}

static const double EDGES[] = {0.0, 0.125, 0.25, 0.5, 0.6, 0.70710678118654752, 0.7853981634};
#define NB 6
static int band(double tv) {
  for (int i = NB - 1; i >= 0; i--)
    if (tv >= EDGES[i]) return i;
  return 0;
}
static double tval(const S *t) { return fabs(mpz_get_d(t->m) * ldexp(1.0, (int)t->e)); }


/* random t in [lo, hi): 64-bit significand; value- or binade-uniform */
static void rand_t(double lo, double hi, int loge, uint64_t *mx, long *e) {
  for (;;) {
    double u;
    if (loge) u = exp2(log2(lo) + (log2(hi) - log2(lo)) * ((rng() >> 11) * 0x1p-53));
    else u = lo + (hi - lo) * ((rng() >> 11) * 0x1p-53);
    if (u <= 0 || u >= 0.785398163397448) continue;
    int ex;
    frexp(u, &ex);
    *mx = ((uint64_t)(u * ldexp(1.0, 64 - ex)) & ~0x7ffULL) | (rng() >> 53) | (1ULL << 63);
    *e = ex - 64;
    return;
  }
}

static int step_index(const char *s) {
  if (!strcmp(s, "corr")) return -2;
  if (s[0] == 's') return atoi(s + 1);
  fprintf(stderr, "bad step %s\n", s);
  exit(2);
}

static int differs(const S *a, const S *b) {
  for (int rc = 0; rc < 3; rc++) {
    unsigned sa, sb;
    uint64_t ma, mb;
    int ua, ub;
    final80(a, rc, &sa, &ma, &ua);
    final80(b, rc, &sb, &mb, &ub);
    if (sa != sb || ma != mb || ua != ub) return 1;
  }
  return 0;
}

static void print3(int p, uint64_t mx, long e, int s) {
  for (int k = 0; k < 3; k++)
    printf("%s %s %04x%016llx\n", p ? "fcos" : "fsin", k == 0 ? "37f" : k == 1 ? "77f" : "b7f",
           (unsigned)((e + 63 + 16383) | (s << 15)), (unsigned long long)mx);
}

static int gen(int argc, char **argv) {
  if (argc < 10) return 2;
  Model *M = load_model(argv[2]);
  int p = !strcmp(argv[3], "cos");
  st = strtoull(argv[4], 0, 0) | 1;
  long n = atol(argv[5]);
  double lo = atof(argv[6]), hi = atof(argv[7]);
  int k = step_index(argv[8]);
  double w = atof(argv[9]);
  int loge = argc > 10 && !strcmp(argv[10], "log");
  Trace tr, tr2;
  trinit(&tr);
  trinit(&tr2);
  S t;
  sinit(&t);
  long got = 0, tried = 0;
  while (got < n) {
    uint64_t mx;
    long e;
    rand_t(lo, hi, loge, &mx, &e);
    mpz_set_ui(t.m, mx);
    t.e = e;
    tried++;
    eval(M, p, &t, -1, 0, &tr);
    double o = k == -2 ? offs(&tr.cu, &tr.corr) : offs(&tr.su[k], &tr.sr[k]);
    if (fabs(fabs(o) - 0.5) > w) continue;
    eval(M, p, &t, k, o > 0 ? 1 : -1, &tr2);
    if (!differs(&tr.res, &tr2.res)) continue;
    print3(p, mx, e, (int)(rng() & 1));
    got++;
  }
  fprintf(stderr, "gen: %ld of %ld tried\n", got, tried);
  return 0;
}


/* Position of unrounded sum u in cells of its 68-bit rounding: integer part (floor) in ip,
   fraction returned; the cell exponent in *ce. */


/* ---- round 10: lattice search for gena (GABITS > 11) ---- */

/* Position of u in cells of `bits` significant bits (spos at any width). */
static double sposb(const S *u, int bits, mpz_t ip, long *ce) {
  mpz_abs(T1, u->m);
  long e = u->e + (long)mpz_sizeinbase(T1, 2) - bits;
  *ce = e;
  long sh = e - u->e;
  if (sh <= 0) { mpz_mul_2exp(ip, u->m, -sh); return 0.0; }
  mpz_fdiv_q_2exp(ip, u->m, sh);
  mpz_fdiv_r_2exp(T2, u->m, sh);
  return mpz_get_d(T2) / ldexp(1.0, (int)sh);
}

#define LMAX 12
/* Windows |frac(a_j + d s_j) - 1/2| <= h_j for j < m, 0 <= d < R. */
typedef struct {
  int m;
  double a[LMAX], s[LMAX], h[LMAX], R;
} Lat;

static void lat_gso(int n, double b[][LMAX], double bs[][LMAX], double mu[][LMAX], double *Bn) {
  for (int i = 0; i < n; i++) {
    for (int c = 0; c < n; c++) bs[i][c] = b[i][c];
    for (int j = 0; j < i; j++) {
      double dt = 0;
      for (int c = 0; c < n; c++) dt += b[i][c] * bs[j][c];
      mu[i][j] = dt / Bn[j];
      for (int c = 0; c < n; c++) bs[i][c] -= mu[i][j] * bs[j][c];
    }
    Bn[i] = 0;
    for (int c = 0; c < n; c++) Bn[i] += bs[i][c] * bs[i][c];
  }
}

typedef struct {
  int n;
  double mu[LMAX][LMAX], Bn[LMAX], c[LMAX], r2;
  long U[LMAX][LMAX], z[LMAX];
  const Lat *L;
  long *out;
  int nout, maxout;
  long nodes;
} LatEnum;

static int lat_ok(const Lat *L, long d) {
  if (d < 0 || d >= (long)L->R) return 0;
  for (int j = 0; j < L->m; j++) {
    double y = L->a[j] + d * L->s[j];
    y -= floor(y);
    if (fabs(y - 0.5) > L->h[j]) return 0;
  }
  return 1;
}

static void lat_rec(LatEnum *E, int i, double part) {
  if (E->nodes++ > 200000) return; /* a runaway base: give up on it */
  if (i < 0) {
    long d = 0;
    for (int j = 0; j < E->n; j++) d += E->z[j] * E->U[j][0];
    if (lat_ok(E->L, d) && E->nout < E->maxout) E->out[E->nout++] = d;
    return;
  }
  double ctr = E->c[i];
  for (int j = i + 1; j < E->n; j++) ctr -= E->mu[j][i] * ((double)E->z[j] - E->c[j]);
  double rest = E->r2 - part;
  if (rest < 0) return;
  double rad = sqrt(rest / E->Bn[i]);
  long lo = (long)ceil(ctr - rad), hi = (long)floor(ctr + rad);
  for (long z = lo; z <= hi; z++) {
    E->z[i] = z;
    double y = (double)z - ctr;
    lat_rec(E, i - 1, part + y * y * E->Bn[i]);
  }
}

/* All d meeting the windows of L (up to maxout of them, in enumeration order). Coordinates:
   x_0 = (d - R/2) / (R/2), x_{j+1} = (u_j + d s_j - n_j) / h_j with u_j = a_j - 1/2; the box is
   |x| <= 1, searched in the ball of radius sqrt(m + 1) around it. */
static int lat_points(const Lat *L, long *out, int maxout) {
  int n = L->m + 1;
  static double b[LMAX][LMAX], bs[LMAX][LMAX], T[LMAX];
  static LatEnum E;
  memset(&E, 0, sizeof E);
  for (int i = 0; i < n; i++)
    for (int c = 0; c < n; c++) { b[i][c] = 0; E.U[i][c] = i == c; }
  b[0][0] = 2.0 / L->R;
  T[0] = 1.0;
  for (int j = 0; j < L->m; j++) {
    b[0][j + 1] = L->s[j] / L->h[j];
    b[j + 1][j + 1] = 1.0 / L->h[j];
    T[j + 1] = -(L->a[j] - 0.5) / L->h[j];
  }
  /* LLL, delta 0.99 (n <= 12: recompute the Gram-Schmidt data after each change) */
  lat_gso(n, b, bs, E.mu, E.Bn);
  int k = 1, guard = 0;
  while (k < n && guard++ < 10000) {
    for (int j = k - 1; j >= 0; j--) {
      double q = nearbyint(E.mu[k][j]);
      if (q != 0) {
        for (int c = 0; c < n; c++) { b[k][c] -= q * b[j][c]; E.U[k][c] -= (long)q * E.U[j][c]; }
        lat_gso(n, b, bs, E.mu, E.Bn);
      }
    }
    if (E.Bn[k] >= (0.99 - E.mu[k][k - 1] * E.mu[k][k - 1]) * E.Bn[k - 1]) k++;
    else {
      for (int c = 0; c < n; c++) {
        double tb = b[k][c]; b[k][c] = b[k - 1][c]; b[k - 1][c] = tb;
        long tu = E.U[k][c]; E.U[k][c] = E.U[k - 1][c]; E.U[k - 1][c] = tu;
      }
      lat_gso(n, b, bs, E.mu, E.Bn);
      if (k > 1) k--;
    }
  }
  /* target coordinates in the reduced basis */
  for (int i = n - 1; i >= 0; i--) {
    double dt = 0;
    for (int c = 0; c < n; c++) dt += T[c] * bs[i][c];
    E.c[i] = dt / E.Bn[i];
    for (int j = i + 1; j < n; j++) E.c[i] -= E.c[j] * E.mu[j][i];
  }
  E.n = n;
  E.r2 = (double)n;
  E.L = L;
  E.out = out;
  E.maxout = maxout;
  lat_rec(&E, n - 1, 0.0);
  return E.nout;
}

/* gena COEF sin|cos SEED N LO HI STEP W [MAXPB] [log]: as gen (same selection, checked exactly),
   fast for inner steps (round 8, the FPTAN `gena` idea): for each random t with its low 11 bits
   clear, the model is evaluated exactly at both ends of the 2048 values of the low bits; the
   unrounded sums of STEP and of every step below it are linear in the low bits to far below a
   cell, so only low bits where STEP lies within W (+0.004) cells of a midpoint AND each lower
   sum lies within its crossing window (how far one cell of the step above moves it, + 0.006)
   are evaluated exactly. At most MAXPB (1) cases per random t. */
static int gena(int argc, char **argv) {
  if (argc < 10) return 2;
  Model *M = load_model(argv[2]);
  int p = !strcmp(argv[3], "cos");
  st = strtoull(argv[4], 0, 0) | 1;
  long n = atol(argv[5]);
  double lo = atof(argv[6]), hi = atof(argv[7]);
  int k = step_index(argv[8]);
  double w = atof(argv[9]);
  int maxpb = argc > 10 ? atoi(argv[10]) : 1;
  int loge = argc > 11 && !strcmp(argv[11], "log");
  if (k < 1) { fprintf(stderr, "gena: STEP s1 .. only\n"); return 2; }
  /* round 10: GABITS=B spans 2^B low bits per base (11 .. 26; 11 = the round-8 search, same
     cases for the same seed); above 11 the candidates are enumerated as the d intervals where
     the narrowest window holds (no loop over every d), so a base costs k + 3 exact
     evaluations for 2^B values of t instead of 2^11. */
  int B = getenv("GABITS") ? atoi(getenv("GABITS")) : 11;
  if (B < 11 || B > 28) { fprintf(stderr, "gena: GABITS 11 .. 28\n"); return 2; }
  uint64_t R = 1ULL << B, mask = R - 1;
  Trace tr, tr2, tr3;
  trinit(&tr); trinit(&tr2); trinit(&tr3);
  S t;
  sinit(&t);
  mpz_t i0, i1, i2;
  mpz_inits(i0, i1, i2, NULL);
  long got = 0, tried = 0, bases = 0;
  double f0[MAXC], sl[MAXC], win[MAXC];
  time_t t0 = time(0), tlast = t0;
  while (got < n) {
    uint64_t mx;
    long e;
    rand_t(lo, hi, loge, &mx, &e);
    uint64_t m0 = (mx & ~mask) | (1ULL << 63);
    bases++;
    if (time(0) - tlast >= 60) {
      tlast = time(0);
      fprintf(stderr, "gena: %ld from %ld bases, %ld exact evaluations, %lds\n", got, bases, tried,
              (long)(tlast - t0));
    }
    int bad = 0;
    mpz_set_ui(t.m, m0); t.e = e;
    eval(M, p, &t, -1, 0, &tr);
    mpz_set_ui(t.m, m0 | mask);
    eval(M, p, &t, -1, 0, &tr2);
    for (int j = k; j >= 0 && !bad; j--) {
      long c0, c1;
      f0[j] = spos(&tr.su[j], i0, &c0);
      double f1 = spos(&tr2.su[j], i1, &c1);
      if (c0 != c1) { bad = 1; break; }
      mpz_sub(i2, i1, i0);
      sl[j] = (mpz_get_d(i2) + f1 - f0[j]) / (double)mask;
      if (j < k) { /* how far one cell of A_{j+1} moves s_j */
        mpz_set_ui(t.m, m0);
        eval(M, p, &t, j + 1, 1, &tr3);
        double f3 = spos(&tr3.su[j], i1, &c1);
        mpz_sub(i2, i1, i0);
        win[j] = fabs(mpz_get_d(i2) + f3 - f0[j]) + 0.006;
      }
    }
    if (bad) continue;
    int inbase = 0;
    if (B == 11) {
      for (int d = 0; d < 2048 && got < n && inbase < maxpb; d++) {
        double x = f0[k] + d * sl[k];
        x -= floor(x);
        if (fabs(x - 0.5) > w + 0.004) continue;
        int okw = 1;
        for (int j = k - 1; j >= 0 && okw; j--) {
          double y = f0[j] + d * sl[j];
          y -= floor(y);
          if (fabs(y - 0.5) > win[j]) okw = 0;
        }
        if (!okw) continue;
        uint64_t m = m0 | (uint64_t)d;
        mpz_set_ui(t.m, m); t.e = e;
        tried++;
        eval(M, p, &t, -1, 0, &tr);
        double o = offs(&tr.su[k], &tr.sr[k]);
        if (fabs(fabs(o) - 0.5) > w) continue;
        eval(M, p, &t, k, o > 0 ? 1 : -1, &tr3);
        if (!differs(&tr.res, &tr3.res)) continue;
        print3(p, m, e, (int)(rng() & 1));
        fflush(stdout); /* rare aims run for minutes: keep what is found */
        got++;
        inbase++;
      }
      continue;
    }
    /* GABITS > 11 (round 10): the d in [0, 2^B) where every window holds at once are the
       points of a lattice in a box: levels k .. 0 and the final rounding (the result's
       position in half-units of the 64-bit result, near a rounding point of RN or RD / RU,
       within how far one cell of A_0 moves it + 0.05). LLL, then enumeration of the lattice
       points in the box's circumscribed ball; each point is checked as in the loop above. */
    {
      long c0, c1;
      mpz_set_ui(t.m, m0); t.e = e;
      eval(M, p, &t, -1, 0, &tr);
      double r0 = sposb(&tr.res, 65, i0, &c0);
      double r1 = sposb(&tr2.res, 65, i1, &c1);
      if (c0 != c1) continue;
      mpz_sub(i2, i1, i0);
      double rsl = (mpz_get_d(i2) + r1 - r0) / (double)mask;
      eval(M, p, &t, 0, 1, &tr3);
      double r3 = sposb(&tr3.res, 65, i1, &c1);
      mpz_sub(i2, i1, i0);
      double rwin = fabs(mpz_get_d(i2) + r3 - r0) + 0.05;
      Lat L;
      int m = 0;
      L.a[m] = f0[k]; L.s[m] = sl[k]; L.h[m++] = w + 0.004;
      for (int j = k - 1; j >= 0; j--) { L.a[m] = f0[j]; L.s[m] = sl[j]; L.h[m++] = win[j]; }
      L.a[m] = r0 + 0.5; L.s[m] = rsl; L.h[m++] = rwin;
      L.m = m;
      L.R = (double)R;
      long ds[64];
      int nd = lat_points(&L, ds, 64);
      for (int q = 0; q < nd && got < n && inbase < maxpb; q++) {
        long d = ds[q];
        uint64_t mm = m0 | (uint64_t)d;
        mpz_set_ui(t.m, mm); t.e = e;
        tried++;
        eval(M, p, &t, -1, 0, &tr);
        double o = offs(&tr.su[k], &tr.sr[k]);
        if (fabs(fabs(o) - 0.5) > w) continue;
        eval(M, p, &t, k, o > 0 ? 1 : -1, &tr3);
        if (!differs(&tr.res, &tr3.res)) continue;
        print3(p, mm, e, (int)(rng() & 1));
        fflush(stdout);
        got++;
        inbase++;
      }
    }
  }
  fprintf(stderr, "gena: %ld from %ld bases, %ld exact evaluations, %lds\n", got, bases, tried,
          (long)(time(0) - t0));
  return 0;
}

static int check(int argc, char **argv) {
  long nc;
  Case *cs = load_cases(argv[2], argv[3], &nc);
  Trace tr;
  trinit(&tr);
  S t;
  sinit(&t);
  long cnt[2][NB] = {{0}};
  for (long i = 0; i < nc; i++) {
    int fl, p = setup(&cs[i], &t, &fl);
    cnt[p][band(tval(&t))]++;
  }
  printf("%-28s", "lines sin | cos, bands");
  for (int p = 0; p < 2; p++) {
    for (int b = 0; b < NB; b++) printf(" %6ld", cnt[p][b]);
    printf(p ? "\n" : "  |");
  }
  for (int a = 4; a < argc; a++) {
    Model *M = load_model(argv[a]);
    long ms[2][NB] = {{0}}, tot[2] = {0};
    for (long i = 0; i < nc; i++) {
      int fl, p = setup(&cs[i], &t, &fl);
      eval(M, p, &t, -1, 0, &tr);
      if (!match(&cs[i], &tr.res, fl)) { ms[p][band(tval(&t))]++; tot[p]++; }
    }
    const char *nm = strrchr(argv[a], '/');
    printf("%-28.28s", nm ? nm + 1 : argv[a]);
    for (int p = 0; p < 2; p++) {
      for (int b = 0; b < NB; b++) printf(" %6ld", ms[p][b]);
      printf(p ? "" : "  |");
    }
    printf("  sin %ld cos %ld\n", tot[0], tot[1]);
    fflush(stdout);
  }
  return 0;
}

static int group_ok(const Model *M, int p, const S *t, Case *cs, long i, long j, int fl, Trace *tr) {
  eval(M, p, t, -1, 0, tr);
  for (long q = i; q < j; q++)
    if (!match(&cs[q], &tr->res, fl)) return 0;
  return 1;
}

static int bounds(int argc, char **argv) {
  if (argc < 8) return 2;
  Model *M = load_model(argv[2]);
  long nc;
  Case *cs = load_cases(argv[3], argv[4], &nc);
  int want = !strcmp(argv[5], "cos");
  int k = step_index(argv[6]);
  long D = atol(argv[7]);
  Trace tr;
  trinit(&tr);
  S t;
  sinit(&t);
  char *okd = malloc(2 * D + 1);
  for (long i = 0; i < nc;) {
    long j = i;
    while (j < nc && cs[j].grp == cs[i].grp) j++;
    int fl, p = setup(&cs[i], &t, &fl);
    if (p != want) { i = j; continue; }
    sk = -1;
    int ok = group_ok(M, p, &t, cs, i, j, fl, &tr);
    double off = offs(&tr.su[k], &tr.sr[k]);
    double g = mpz_get_d(tr.g.m) * ldexp(1.0, (int)tr.g.e);
    sk = k;
    for (long d = -D; d <= D; d++) {
      sd = d << 16;
      okd[d + D] = (char)group_ok(M, p, &t, cs, i, j, fl, &tr);
    }
    long lo = -1, hi = -1, runs = 0;
    for (long d = 0; d <= 2 * D; d++)
      if (okd[d]) {
        if (lo < 0) lo = d;
        if (d == 0 || !okd[d - 1]) runs++;
        hi = d;
      }
    printf("%04x%016llx %.12f %.12f %d ", (unsigned)((cs[i].ex + 63 + 16383) | (cs[i].neg << 15)),
           (unsigned long long)cs[i].mx, tval(&t), g, ok);
    if (lo >= 0 && WIDE && (lo == 0 || hi == 2 * D)) {
      /* the matching run reaches the scan's end: find its true ends (up to 2^30 cells) by
         doubling, then bisection */
      double ends[2];
      for (int side = 0; side < 2; side++) {
        long in = (side ? hi : lo) - D;
        if ((side == 0 && lo != 0) || (side == 1 && hi != 2 * D)) {
          long out = side ? in + 1 : in - 1, a = out << 16, b = in << 16;
          while (labs(a - b) > 1) {
            long m = (a + b) / 2;
            sd = m;
            if (group_ok(M, p, &t, cs, i, j, fl, &tr)) b = m; else a = m;
          }
          ends[side] = (double)(a + b) / 2 / 65536.0;
          continue;
        }
        long step = D, good = in, bad = 0, found = 0;
        while (step < (1L << 30)) {
          step *= 2;
          long cand = side ? step : -step;
          sd = cand << 16;
          if (group_ok(M, p, &t, cs, i, j, fl, &tr)) good = cand;
          else { bad = cand; found = 1; break; }
        }
        if (!found) { ends[side] = side ? INFINITY : -INFINITY; continue; }
        double a = (double)bad, b = (double)good; /* bisection in cells, to 2^-8 */
        while (fabs(a - b) > 1.0 / 256) {
          double m = (a + b) / 2;
          sd = (long)llround(m * 65536.0);
          if (group_ok(M, p, &t, cs, i, j, fl, &tr)) b = m; else a = m;
        }
        ends[side] = (a + b) / 2;
      }
      printf("%.6f %.6f %.6f\n", ends[0], ends[1], off);
      sk = -1;
      sd = 0;
      i = j;
      continue;
    }
    if (lo < 0) printf("none none");
    else {
      /* refine each finite end by bisection between a non-matching and a matching shift */
      double ends[2];
      for (int side = 0; side < 2; side++) {
        long in = side ? hi - D : lo - D, out = side ? in + 1 : in - 1;
        if ((side == 0 && lo == 0) || (side == 1 && hi == 2 * D)) { ends[side] = side ? INFINITY : -INFINITY; continue; }
        long a = out << 16, b = in << 16; /* a fails, b matches */
        while (labs(a - b) > 1) {
          long m = (a + b) / 2;
          sd = m;
          if (group_ok(M, p, &t, cs, i, j, fl, &tr)) b = m; else a = m;
        }
        ends[side] = (double)(a + b) / 2 / 65536.0;
      }
      printf("%.6f %.6f", ends[0], ends[1]);
    }
    printf(" %.6f%s\n", off, runs > 1 ? " split" : "");
    sk = -1;
    sd = 0;
    i = j;
  }
  return 0;
}

/* offsets of every rounding of the model, one line per operand */
static int dump(int argc, char **argv) {
  if (argc < 6) return 2;
  Model *M = load_model(argv[2]);
  long nc;
  Case *cs = load_cases(argv[3], argv[4], &nc);
  int want = !strcmp(argv[5], "cos");
  Trace tr;
  trinit(&tr);
  S t;
  sinit(&t);
  int n = M->n[want];
  printf("x t g ok og");
  for (int k = n - 2; k >= 0; k--) printf(" p%d s%d", k, k);
  printf(" corr\n");
  for (long i = 0; i < nc;) {
    long j = i;
    while (j < nc && cs[j].grp == cs[i].grp) j++;
    int fl, p = setup(&cs[i], &t, &fl);
    if (p != want) { i = j; continue; }
    int ok = group_ok(M, p, &t, cs, i, j, fl, &tr);
    printf("%04x%016llx %.12f %.12f %d %+.4f", (unsigned)((cs[i].ex + 63 + 16383) | (cs[i].neg << 15)),
           (unsigned long long)cs[i].mx, tval(&t), mpz_get_d(tr.g.m) * ldexp(1.0, (int)tr.g.e), ok,
           offs(&tr.gu, &tr.g));
    for (int k = n - 2; k >= 0; k--) printf(" %+.4f %+.4f", offs(&tr.pu[k], &tr.pr[k]), offs(&tr.su[k], &tr.sr[k]));
    printf(" %+.4f\n", offs(&tr.cu, &tr.corr));
    i = j;
  }
  return 0;
}

/* For every operand the model misses: which single rounding moved by one cell toward its
   unrounded value's other side (sums s_k, products p_k, corr) reproduces all its lines, with
   that rounding's offset (cells, value direction; +-0.5 = midpoint) */
static int flips(int argc, char **argv) {
  if (argc < 6) return 2;
  Model *M = load_model(argv[2]);
  long nc;
  Case *cs = load_cases(argv[3], argv[4], &nc);
  int want = !strcmp(argv[5], "cos");
  Trace tr, tr2;
  trinit(&tr);
  trinit(&tr2);
  S t;
  sinit(&t);
  int n = M->n[want];
  for (long i = 0; i < nc;) {
    long j = i;
    while (j < nc && cs[j].grp == cs[i].grp) j++;
    int fl, p = setup(&cs[i], &t, &fl);
    if (p != want || group_ok(M, p, &t, cs, i, j, fl, &tr)) { i = j; continue; }
    printf("%04x%016llx %.6f", (unsigned)((cs[i].ex + 63 + 16383) | (cs[i].neg << 15)),
           (unsigned long long)cs[i].mx, tval(&t));
    for (int k = n - 2; k >= 0; k--)
      for (int w = 0; w < 2; w++) {
        double o = w ? offs(&tr.su[k], &tr.sr[k]) : offs(&tr.pu[k], &tr.pr[k]);
        eval(M, p, &t, w ? k : 100 + k, o > 0 ? 1 : -1, &tr2);
        int ok2 = 1;
        for (long q = i; q < j; q++) ok2 &= match(&cs[q], &tr2.res, fl);
        if (ok2) printf(" %c%d(%+.4f)", w ? 's' : 'p', k, o);
      }
    printf("\n");
    i = j;
  }
  return 0;
}

static int diffm(int argc, char **argv) {
  if (argc < 9) return 2;
  Model *A = load_model(argv[2]), *B = load_model(argv[3]);
  int p = !strcmp(argv[4], "cos");
  st = strtoull(argv[5], 0, 0) | 1;
  long n = atol(argv[6]), maxtry = argc > 9 ? atol(argv[9]) : 100000000L;
  double lo = atof(argv[7]), hi = atof(argv[8]);
  Trace ta, tb;
  trinit(&ta);
  trinit(&tb);
  S t;
  sinit(&t);
  long got = 0, tried = 0;
  while (got < n && tried < maxtry) {
    uint64_t mx;
    long e;
    rand_t(lo, hi, 0, &mx, &e);
    mpz_set_ui(t.m, mx);
    t.e = e;
    tried++;
    eval(A, p, &t, -1, 0, &ta);
    eval(B, p, &t, -1, 0, &tb);
    if (!differs(&ta.res, &tb.res)) continue;
    print3(p, mx, e, (int)(rng() & 1));
    got++;
  }
  fprintf(stderr, "diff: %ld of %ld tried\n", got, tried);
  return 0;
}

int main(int argc, char **argv) {
  mpz_inits(T1, T2, T3, PIM, NULL);
  WIDE = getenv("WIDE") != NULL;
  mpz_set_str(PIM, "c90fdaa22168c234", 16);
  mpz_mul_2exp(PIM, PIM, 2);
  mpz_add_ui(PIM, PIM, 3);
  if (argc > 1 && !strcmp(argv[1], "gen")) return gen(argc, argv);
  if (argc > 1 && !strcmp(argv[1], "gena")) return gena(argc, argv);
  if (argc > 4 && !strcmp(argv[1], "check")) return check(argc, argv);
  if (argc > 1 && !strcmp(argv[1], "bounds")) return bounds(argc, argv);
  if (argc > 1 && !strcmp(argv[1], "diff")) return diffm(argc, argv);
  if (argc > 1 && !strcmp(argv[1], "dump")) return dump(argc, argv);
  if (argc > 1 && !strcmp(argv[1], "flips")) return flips(argc, argv);
  fprintf(stderr, "usage: see the header of sincos7_eval.c\n");
  return 2;
}

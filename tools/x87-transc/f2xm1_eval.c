/*
 * F2XM1 study: exact evaluation of the N / D model of cpu/fpu/transc_amd_f2xm1.ts for many
 * coefficient sets and evaluation orders (README sections "F2XM1 over the whole domain",
 * "F2XM1: g = R68(x^2)", "F2XM1: one set (round 5)"). GMP, about 1 microsecond per case.
 *
 * A model is one line: optional switches "name=value" (below), then six coefficients
 * "p1m p1e p2m p2e p3m p3e q1m q1e q2m q2e q3m q3e" (68-bit significands in hex, exponents
 * decimal); P(0), Q(0) are the measured constants. Switches (defaults from the environment
 * variable of the same name in capitals, else in brackets):
 *   variant  0 fused steps R68(acc g + c), 1 inner steps unrounded, 2 unfused R68(R68(acc g) + c),
 *            K > 60 inner steps fused at K bits [0]
 *   gr       g = x^2 rounded to gr bits first (0: exact) [0]; the committed model: variant=2 gr=68
 *   pb       unfused: the product acc g rounded to pb bits [68]
 *   pmode    unfused: that product's rounding: 0 nearest-even, 1 toward zero, 2 away, 3 to odd [0]
 *   tie      ties of every 68-bit rounding: 0 even, 1 away, 2 toward zero, 3 odd [0]
 *   ptie / stie  the same for the products only / the last sums only [as tie]
 *   lastp / lastq  1: P's / Q's last step not rounded [0];  nr  1: N = x P not rounded [0]
 *
 * Modes (RAW: lines of `f2xm1_tiny raw`: sexp m, then sexp sig of the RD, RU, RN results):
 *   f2xm1_eval RAW...             models on stdin, one per line; prints the number of cases whose
 *                                 RD, RU or RN result differs; a line starting with '!' also lists
 *                                 them as "index:fP:fQ", fP / fQ the fraction of a 68-bit cell below
 *                                 P's / Q's unrounded last Horner step (0.5000: an exact tie)
 *   f2xm1_eval --cmp A B < RAW    A, B files holding one model line each; prints the RAW lines on
 *                                 which A and B disagree, prefixed "A" / "B" / "-" (which one
 *                                 matches the host), and a tally on stderr
 *   f2xm1_eval --gen A B SEED N E SIGN   random x = +-m 2^(E-63) until N of them make A and B
 *                                 disagree; prints those as "sexp m" for `f2xm1_tiny rawlist`
 * Build: gcc -O2 -o f2xm1_eval f2xm1_eval.c -lgmp -lm
 * (Replaces f2xm1_eval_var.c, of which it is a superset; same counts.)
 */
#include <gmp.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct { mpz_t m; long e; } S;
typedef struct {
  S P[4], Q[4];
  int var, gr, pb, pmode, tie, ptie, stie, lastp, lastq, nr;
} Model;
typedef struct { int neg; uint64_t mx; long ex; uint64_t res[3]; long rese[3]; int rneg[3]; } Case;

static mpz_t t1, t2, t3, gm, am, bm, nm, dm, q, r, num;
static double LF[3];

static int envi(const char *n, int d) { const char *v = getenv(n); return v ? atoi(v) : d; }

/* m * 2^e rounded to `bits` significant bits: mode 0 nearest (ties by `tie`), 1 toward zero,
   2 away, 3 to odd. */
static void rndm(mpz_t m, long *e, long bits, int mode, int tie) {
  int neg = mpz_sgn(m) < 0;
  mpz_abs(m, m);
  long d = (long)mpz_sizeinbase(m, 2) - bits;
  if (mpz_sgn(m) != 0 && d > 0) {
    mpz_tdiv_q_2exp(t1, m, d);
    mpz_tdiv_r_2exp(t2, m, d);
    mpz_set_ui(t3, 1);
    mpz_mul_2exp(t3, t3, d - 1);
    int c = mpz_cmp(t2, t3), up;
    if (mode == 1) up = 0;
    else if (mode == 2) up = mpz_sgn(t2) != 0;
    else if (mode == 3) { if (mpz_sgn(t2)) mpz_setbit(t1, 0); up = 0; }
    else up = c > 0 || (c == 0 && (tie == 0 ? mpz_odd_p(t1) : tie == 1 ? 1 : tie == 2 ? 0 : !mpz_odd_p(t1)));
    if (up) mpz_add_ui(t1, t1, 1);
    mpz_set(m, t1);
    *e += d;
  }
  if (neg) mpz_neg(m, m);
}

/* acc = acc g + c with the model's roundings; cur 1 for P, 2 for Q; last: the final step. */
static void step(const Model *M, mpz_t a, long *ae, long ge, const S *c, int last, int cur) {
  mpz_mul(a, a, gm);
  *ae += ge;
  if (M->var == 2) rndm(a, ae, M->pb, M->pmode, M->ptie >= 0 ? M->ptie : M->tie);
  if (*ae >= c->e) { mpz_mul_2exp(a, a, *ae - c->e); mpz_add(a, a, c->m); *ae = c->e; }
  else { mpz_mul_2exp(t1, c->m, c->e - *ae); mpz_add(a, a, t1); }
  if (last) {
    mpz_abs(t1, a);
    long d = (long)mpz_sizeinbase(t1, 2) - 68;
    if (d > 0) { mpz_tdiv_r_2exp(t1, t1, d); LF[cur] = ldexp(mpz_get_d(t1), (int)-d); } else LF[cur] = -1;
    if (!(cur == 1 ? M->lastp : M->lastq)) rndm(a, ae, 68, 0, M->stie >= 0 ? M->stie : M->tie);
  } else if (M->var == 0 || M->var == 2) rndm(a, ae, 68, 0, M->tie);
  else if (M->var > 60) rndm(a, ae, M->var, 0, M->tie);
}

/* The model's results (RD, RU, RN at 64 bits) of case c: significand, exponent of its unit. */
static void evalc(const Model *M, const Case *c, uint64_t res[3], long rese[3]) {
  mpz_set_ui(gm, c->mx);
  mpz_mul(gm, gm, gm);
  long ge = 2 * c->ex;
  if (M->gr) rndm(gm, &ge, M->gr, 0, M->tie);
  long ae = M->P[3].e, be = M->Q[3].e;
  mpz_set(am, M->P[3].m);
  for (int k = 2; k >= 0; k--) step(M, am, &ae, ge, &M->P[k], k == 0, 1);
  mpz_set(bm, M->Q[3].m);
  for (int k = 2; k >= 0; k--) step(M, bm, &be, ge, &M->Q[k], k == 0, 2);
  /* N = R68(x P) (magnitude); D = R68(Q - N/2) with N's sign */
  mpz_set_ui(nm, c->mx);
  mpz_mul(nm, nm, am);
  long ne = ae + c->ex;
  if (!M->nr) rndm(nm, &ne, 68, 0, M->tie);
  if (c->neg) mpz_neg(nm, nm);
  long ne2 = ne - 1, de;
  if (be >= ne2) { mpz_mul_2exp(dm, bm, be - ne2); mpz_sub(dm, dm, nm); de = ne2; }
  else { mpz_mul_2exp(t1, nm, ne2 - be); mpz_sub(dm, bm, t1); de = be; }
  rndm(dm, &de, 68, 0, M->tie);
  /* |N| / D to 64 bits and a remainder */
  mpz_abs(num, nm);
  long s = 64 + (long)mpz_sizeinbase(dm, 2) - (long)mpz_sizeinbase(num, 2) + 1;
  mpz_mul_2exp(num, num, s);
  mpz_tdiv_qr(q, r, num, dm);
  long qe = ne - de - s, qb = (long)mpz_sizeinbase(q, 2);
  mpz_set(t2, dm);
  while (qb > 64) {
    if (mpz_odd_p(q)) mpz_add(r, r, t2);
    mpz_tdiv_q_2exp(q, q, 1);
    mpz_mul_2exp(t2, t2, 1);
    qe++;
    qb--;
  }
  for (int mo = 0; mo < 3; mo++) {
    mpz_set(t3, q);
    long e3 = qe;
    if (mpz_sgn(r)) {
      if (mo == 2) {
        mpz_mul_2exp(t1, r, 1);
        int cmp = mpz_cmp(t1, t2);
        if (cmp > 0 || (cmp == 0 && mpz_odd_p(q))) mpz_add_ui(t3, t3, 1);
      } else if ((mo == 1 && !c->neg) || (mo == 0 && c->neg)) mpz_add_ui(t3, t3, 1);
    }
    if (mpz_sizeinbase(t3, 2) > 64) { mpz_tdiv_q_2exp(t3, t3, 1); e3++; }
    res[mo] = mpz_get_ui(t3);
    rese[mo] = e3;
  }
}

static int matches(const Case *c, const uint64_t res[3], const long rese[3], int mo) {
  return c->rneg[mo] == c->neg && rese[mo] == c->rese[mo] && res[mo] == c->res[mo];
}

static void init_model(Model *M) {
  for (int k = 0; k < 4; k++) { mpz_init(M->P[k].m); mpz_init(M->Q[k].m); }
  mpz_set_str(M->P[0].m, "ebed907fcbb85b9d8", 16);
  M->P[0].e = -67;
  mpz_set_str(M->Q[0].m, "aa2fa223ad82d2d2d", 16);
  M->Q[0].e = -66;
}

/* Parses switches and coefficients; returns 0 if the line holds no model. */
static int parse_model(Model *M, char *line) {
  M->var = envi("VARIANT", 0); M->gr = envi("GR", 0); M->pb = envi("PB", 68);
  M->pmode = envi("PMODE", 0); M->tie = envi("TIE", 0); M->ptie = envi("PTIE", -1);
  M->stie = envi("STIE", -1); M->lastp = envi("LASTP", 0); M->lastq = envi("LASTQ", 0);
  M->nr = envi("NR", 0);
  char *tok[32];
  int n = 0;
  for (char *t = strtok(line, " \t\r\n"); t && n < 32; t = strtok(0, " \t\r\n")) tok[n++] = t;
  int k = 0, co = 0;
  for (; k < n && strchr(tok[k], '='); k++) {
    char *v = strchr(tok[k], '=') + 1;
    int x = atoi(v);
    if (!strncmp(tok[k], "variant=", 8)) M->var = x;
    else if (!strncmp(tok[k], "gr=", 3)) M->gr = x;
    else if (!strncmp(tok[k], "pb=", 3)) M->pb = x;
    else if (!strncmp(tok[k], "pmode=", 6)) M->pmode = x;
    else if (!strncmp(tok[k], "tie=", 4)) M->tie = x;
    else if (!strncmp(tok[k], "ptie=", 5)) M->ptie = x;
    else if (!strncmp(tok[k], "stie=", 5)) M->stie = x;
    else if (!strncmp(tok[k], "lastp=", 6)) M->lastp = x;
    else if (!strncmp(tok[k], "lastq=", 6)) M->lastq = x;
    else if (!strncmp(tok[k], "nr=", 3)) M->nr = x;
    else { fprintf(stderr, "unknown switch %s\n", tok[k]); exit(2); }
  }
  if (n - k < 12) return 0;
  for (; co < 6; co++, k += 2) {
    S *s = co < 3 ? &M->P[co + 1] : &M->Q[co - 2];
    mpz_set_str(s->m, tok[k], 16);
    s->e = atol(tok[k + 1]);
  }
  return 1;
}

static void load_model(Model *M, const char *file) {
  FILE *fp = fopen(file, "r");
  char line[2048];
  if (!fp) { perror(file); exit(2); }
  while (fgets(line, sizeof line, fp))
    if (line[0] != '#' && parse_model(M, line)) { fclose(fp); return; }
  fprintf(stderr, "%s: no model line\n", file);
  exit(2);
}

static int parse_case(Case *c, const char *line) {
  unsigned se[4];
  unsigned long long sg[4];
  if (sscanf(line, "%x %llx %x %llx %x %llx %x %llx", &se[0], &sg[0], &se[1], &sg[1], &se[2], &sg[2],
             &se[3], &sg[3]) != 8)
    return 0;
  c->neg = se[0] >> 15;
  c->mx = sg[0];
  c->ex = (long)(se[0] & 0x7fff) - 16383 - 63;
  for (int k = 0; k < 3; k++) {
    c->rneg[k] = se[k + 1] >> 15;
    c->res[k] = sg[k + 1];
    c->rese[k] = (long)(se[k + 1] & 0x7fff) - 16383 - 63;
  }
  return 1;
}

static uint64_t rng = 88172645463325252ull;
static uint64_t next(void) { rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17; return rng; }

int main(int argc, char **argv) {
  mpz_inits(t1, t2, t3, gm, am, bm, nm, dm, q, r, num, NULL);
  uint64_t ra[3], rb[3];
  long ea[3], eb[3];
  char line[2048];
  if (argc >= 4 && !strcmp(argv[1], "--cmp")) {
    Model A, B;
    init_model(&A); init_model(&B);
    load_model(&A, argv[2]); load_model(&B, argv[3]);
    long n = 0, diff = 0, aok = 0, bok = 0;
    while (fgets(line, sizeof line, stdin)) {
      Case c;
      if (!parse_case(&c, line)) continue;
      n++;
      evalc(&A, &c, ra, ea); evalc(&B, &c, rb, eb);
      int same = 1, ga = 1, gb = 1;
      for (int mo = 0; mo < 3; mo++) {
        if (ra[mo] != rb[mo] || ea[mo] != eb[mo]) same = 0;
        ga &= matches(&c, ra, ea, mo);
        gb &= matches(&c, rb, eb, mo);
      }
      if (same) continue;
      diff++; aok += ga; bok += gb;
      printf("%s %s", ga ? "A" : gb ? "B" : "-", line);
    }
    fprintf(stderr, "%ld cases, A and B differ in %ld: A right %ld, B right %ld\n", n, diff, aok, bok);
    return 0;
  }
  if (argc >= 8 && !strcmp(argv[1], "--gen")) {
    Model A, B;
    init_model(&A); init_model(&B);
    load_model(&A, argv[2]); load_model(&B, argv[3]);
    rng ^= strtoull(argv[4], 0, 0);
    long want = atol(argv[5]), got = 0, tried = 0;
    int e = atoi(argv[6]), neg = atoi(argv[7]);
    for (int i = 0; i < 10; i++) next();
    while (got < want) {
      Case c = {0};
      c.neg = neg;
      c.mx = next() | (1ull << 63);
      c.ex = e - 63;
      tried++;
      evalc(&A, &c, ra, ea); evalc(&B, &c, rb, eb);
      int same = 1;
      for (int mo = 0; mo < 3; mo++) same &= ra[mo] == rb[mo] && ea[mo] == eb[mo];
      if (!same) { printf("%04x %016llx\n", (16383 + e) | (neg ? 0x8000 : 0), (unsigned long long)c.mx); got++; }
    }
    fprintf(stderr, "%ld of %ld random x differ\n", got, tried);
    return 0;
  }
  if (argc >= 8 && !strcmp(argv[1], "--aim")) {
    /* As --gen, but each try moves a random x to where B's P (odd tries) or Q (even tries) has
       its unrounded last Horner step at a rounding midpoint (the fraction is linear in x over a
       few ulps), then tests x - 2 ... x + 2: far more disagreements per evaluation below 2^-8. */
    Model A, B;
    init_model(&A); init_model(&B);
    load_model(&A, argv[2]); load_model(&B, argv[3]);
    rng ^= strtoull(argv[4], 0, 0);
    long want = atol(argv[5]), got = 0, tried = 0;
    int e = atoi(argv[6]), neg = atoi(argv[7]);
    for (int i = 0; i < 10; i++) next();
    const uint64_t D = 1u << 10;
    for (long t = 0; got < want; t++) {
      Case c = {0};
      c.neg = neg;
      c.ex = e - 63;
      int w = 1 + (t & 1);
      c.mx = (next() | (1ull << 63)) & ~(uint64_t)0xffff;
      evalc(&B, &c, rb, eb);
      double f0 = LF[w];
      c.mx += D;
      evalc(&B, &c, rb, eb);
      double d = LF[w] - f0;
      if (d > 0.5) d -= 1;
      if (d < -0.5) d += 1;
      if (d == 0 || f0 < 0) continue;
      double k = fmod(0.5 - f0, 1.0);
      if (d > 0 && k < 0) k += 1;
      if (d < 0 && k > 0) k -= 1;
      double steps = k / d * (double)D;
      if (fabs(steps) > 1e15) continue;
      uint64_t mid = c.mx - D + (uint64_t)(int64_t)llround(steps);
      for (int j = -2; j <= 2; j++) {
        c.mx = mid + (uint64_t)(int64_t)j;
        if (!(c.mx >> 63)) continue;
        tried++;
        evalc(&A, &c, ra, ea); evalc(&B, &c, rb, eb);
        int same = 1;
        for (int mo = 0; mo < 3; mo++) same &= ra[mo] == rb[mo] && ea[mo] == eb[mo];
        if (!same) { printf("%04x %016llx\n", (16383 + e) | (neg ? 0x8000 : 0), (unsigned long long)c.mx); got++; break; }
      }
    }
    fprintf(stderr, "%ld of %ld aimed x differ\n", got, tried);
    return 0;
  }
  Case *cs = 0;
  long nc = 0, cap = 0;
  for (int f = 1; f < argc; f++) {
    FILE *fp = fopen(argv[f], "r");
    if (!fp) { perror(argv[f]); return 2; }
    while (fgets(line, sizeof line, fp)) {
      if (nc == cap) { cap = cap ? cap * 2 : 65536; cs = realloc(cs, cap * sizeof(Case)); }
      if (parse_case(&cs[nc], line)) nc++;
    }
    fclose(fp);
  }
  fprintf(stderr, "%ld cases\n", nc);
  Model M;
  init_model(&M);
  while (fgets(line, sizeof line, stdin)) {
    int list = line[0] == '!';
    if (!parse_model(&M, line + list)) continue;
    long miss = 0;
    for (long i = 0; i < nc; i++) {
      evalc(&M, &cs[i], ra, ea);
      int bad = 0;
      for (int mo = 0; mo < 3; mo++) bad |= !matches(&cs[i], ra, ea, mo);
      if (bad) { miss++; if (list) printf("%ld:%.4f:%.4f ", i, LF[1], LF[2]); }
    }
    printf("%ld\n", miss);
    fflush(stdout);
  }
  return 0;
}

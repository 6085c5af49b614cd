/*
 * x87 vector recorder: runs x87 instructions on this CPU over special and
 * random operands under every rounding and precision mode (all exceptions
 * masked) and prints, per case, the inputs and what the FPU did: status
 * word, tag word, every non-empty register, the memory operand after the
 * instruction and RFLAGS. The instruction bytes of each operation are
 * printed once in an "op" line, so the replay runs exactly the same code.
 *
 * Each case runs:
 *   fninit; fldcw [ctl]; (push N values: fld tbyte [b]; fld tbyte [a]);
 *   <instruction bytes, memory operand at [rsi]>; fnsave [img]; pushfq
 *
 * Output format: see README.md. Build and run: record.sh.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ctx {
  uint16_t fcw;          /* 0 */
  uint8_t pad0[14];
  uint8_t a[16];         /* 16: 80-bit operand a (ST0 after the pushes) */
  uint8_t b[16];         /* 32: 80-bit operand b (ST1) */
  uint8_t mem[16];       /* 48: memory operand in/out */
  uint8_t img[112];      /* 64: FNSAVE image (108 bytes) */
  uint64_t flags;        /* 176 */
};

/* Stack setups: P0 nothing, P1 ST0=a, P2 ST0=a ST1=b, P8 eight copies of a. */
#define P0 ""
#define P1 "fldt 16(%%rdi)\n\t"
#define P2 "fldt 32(%%rdi)\n\tfldt 16(%%rdi)\n\t"
#define P8 P1 P1 P1 P1 P1 P1 P1 P1

#define DEFOP(name, push, bytes)                                             \
  static void run_##name(struct ctx *c) {                                    \
    __asm__ volatile("fninit\n\t"                                            \
                     "fldcw (%%rdi)\n\t" push "lea 48(%%rdi), %%rsi\n\t"     \
                     "cmp %%rsi, %%rdi\n\t" /* known flags: CF=0 ZF=0 */     \
                     ".byte " bytes "\n\t"                                   \
                     "fnsave 64(%%rdi)\n\t"                                  \
                     "pushfq\n\t"                                            \
                     "popq 176(%%rdi)\n\t"                                   \
                     "fninit\n\t"                                            \
                     :                                                       \
                     : "D"(c)                                                \
                     : "rsi", "memory", "cc");                               \
  }

/* operand kinds for generation */
enum kind { K_BIN, K_UN, K_CONST, K_ST32, K_ST64, K_STI16, K_STI32, K_STI64, K_BCDST, K_ST80,
            K_LD32, K_LD64, K_LDI16, K_LDI32, K_LDI64, K_LDBCD, K_LD80, K_M32, K_M64, K_MI16,
            K_MI32, K_CW, K_SIN, K_EXP, K_LOG, K_LOGP1, K_PREM, K_INTR };

#define OPS(X)                                                               \
  X(fadd, P2, "0xd8,0xc1", K_BIN)                                            \
  X(fmul, P2, "0xd8,0xc9", K_BIN)                                            \
  X(fsub, P2, "0xd8,0xe1", K_BIN)                                            \
  X(fsubr, P2, "0xd8,0xe9", K_BIN)                                           \
  X(fdiv, P2, "0xd8,0xf1", K_BIN)                                            \
  X(fdivr, P2, "0xd8,0xf9", K_BIN)                                           \
  X(faddp, P2, "0xde,0xc1", K_BIN)                                           \
  X(fsubp, P2, "0xde,0xe9", K_BIN)                                           \
  X(fsubrp, P2, "0xde,0xe1", K_BIN)                                          \
  X(fdivp, P2, "0xde,0xf9", K_BIN)                                           \
  X(fdivrp, P2, "0xde,0xf1", K_BIN)                                          \
  X(fmul_st1, P2, "0xdc,0xc9", K_BIN)                                        \
  X(fsub_st1, P2, "0xdc,0xe9", K_BIN)                                        \
  X(fsubr_st1, P2, "0xdc,0xe1", K_BIN)                                       \
  X(fdiv_st1, P2, "0xdc,0xf9", K_BIN)                                        \
  X(fcom, P2, "0xd8,0xd1", K_BIN)                                            \
  X(fcomp, P2, "0xd8,0xd9", K_BIN)                                           \
  X(fcompp, P2, "0xde,0xd9", K_BIN)                                          \
  X(fucom, P2, "0xdd,0xe1", K_BIN)                                           \
  X(fucompp, P2, "0xda,0xe9", K_BIN)                                         \
  X(fcomi, P2, "0xdb,0xf1", K_BIN)                                           \
  X(fucomi, P2, "0xdb,0xe9", K_BIN)                                          \
  X(fcomip, P2, "0xdf,0xf1", K_BIN)                                          \
  X(fucomip, P2, "0xdf,0xe9", K_BIN)                                         \
  X(fxch, P2, "0xd9,0xc9", K_BIN)                                            \
  X(fprem, P2, "0xd9,0xf8", K_PREM)                                          \
  X(fprem1, P2, "0xd9,0xf5", K_PREM)                                         \
  X(fscale, P2, "0xd9,0xfd", K_BIN)                                          \
  X(fpatan, P2, "0xd9,0xf3", K_BIN)                                          \
  X(fyl2x, P2, "0xd9,0xf1", K_LOG)                                           \
  X(fyl2xp1, P2, "0xd9,0xf9", K_LOGP1)                                       \
  X(fsqrt, P2, "0xd9,0xfa", K_UN)                                            \
  X(frndint, P2, "0xd9,0xfc", K_INTR)                                        \
  X(fxtract, P2, "0xd9,0xf4", K_UN)                                          \
  X(fsin, P2, "0xd9,0xfe", K_SIN)                                            \
  X(fcos, P2, "0xd9,0xff", K_SIN)                                            \
  X(fsincos, P2, "0xd9,0xfb", K_SIN)                                         \
  X(fptan, P2, "0xd9,0xf2", K_SIN)                                           \
  X(f2xm1, P2, "0xd9,0xf0", K_EXP)                                           \
  X(fabs, P2, "0xd9,0xe1", K_UN)                                             \
  X(fchs, P2, "0xd9,0xe0", K_UN)                                             \
  X(ftst, P2, "0xd9,0xe4", K_UN)                                             \
  X(fxam, P2, "0xd9,0xe5", K_UN)                                             \
  X(fld1, P0, "0xd9,0xe8", K_CONST)                                          \
  X(fldl2t, P0, "0xd9,0xe9", K_CONST)                                        \
  X(fldl2e, P0, "0xd9,0xea", K_CONST)                                        \
  X(fldpi, P0, "0xd9,0xeb", K_CONST)                                         \
  X(fldlg2, P0, "0xd9,0xec", K_CONST)                                        \
  X(fldln2, P0, "0xd9,0xed", K_CONST)                                        \
  X(fldz, P0, "0xd9,0xee", K_CONST)                                          \
  X(fst_m32, P2, "0xd9,0x16", K_ST32)                                        \
  X(fstp_m32, P2, "0xd9,0x1e", K_ST32)                                       \
  X(fst_m64, P2, "0xdd,0x16", K_ST64)                                        \
  X(fist_m16, P2, "0xdf,0x16", K_STI16)                                      \
  X(fist_m32, P2, "0xdb,0x16", K_STI32)                                      \
  X(fistp_m64, P2, "0xdf,0x3e", K_STI64)                                     \
  X(fisttp_m16, P2, "0xdf,0x0e", K_STI16)                                    \
  X(fisttp_m32, P2, "0xdb,0x0e", K_STI32)                                    \
  X(fisttp_m64, P2, "0xdd,0x0e", K_STI64)                                    \
  X(fbstp, P2, "0xdf,0x36", K_BCDST)                                         \
  X(fstp_m80, P2, "0xdb,0x3e", K_ST80)                                       \
  X(fld_m32, P1, "0xd9,0x06", K_LD32)                                        \
  X(fld_m64, P1, "0xdd,0x06", K_LD64)                                        \
  X(fild_m16, P1, "0xdf,0x06", K_LDI16)                                      \
  X(fild_m32, P1, "0xdb,0x06", K_LDI32)                                      \
  X(fild_m64, P1, "0xdf,0x2e", K_LDI64)                                      \
  X(fbld, P1, "0xdf,0x26", K_LDBCD)                                          \
  X(fld_m80, P1, "0xdb,0x2e", K_LD80)                                        \
  X(fadd_m32, P1, "0xd8,0x06", K_M32)                                        \
  X(fsub_m32, P1, "0xd8,0x26", K_M32)                                        \
  X(fcom_m32, P1, "0xd8,0x16", K_M32)                                        \
  X(fmul_m64, P1, "0xdc,0x0e", K_M64)                                        \
  X(fdivr_m64, P1, "0xdc,0x3e", K_M64)                                       \
  X(fcomp_m64, P1, "0xdc,0x1e", K_M64)                                       \
  X(fiadd_m16, P1, "0xde,0x06", K_MI16)                                      \
  X(ficom_m16, P1, "0xde,0x16", K_MI16)                                      \
  X(fidiv_m32, P1, "0xda,0x36", K_MI32)                                      \
  X(ficomp_m32, P1, "0xda,0x1e", K_MI32)                                     \
  X(fldcw_rt, P0, "0xd9,0x2e,0xd9,0x3e", K_CW)                               \
  X(fadd_e1, P1, "0xd8,0xc1", K_UN)                                          \
  X(fld1_full, P8, "0xd9,0xe8", K_UN)                                        \
  X(fsincos_full, P8, "0xd9,0xfb", K_UN)                                     \
  X(fst_m32_e, P0, "0xd9,0x16", K_UN)                                        \
  X(fxch_e1, P1, "0xd9,0xc9", K_UN)                                          \
  X(fcom_e1, P1, "0xd8,0xd1", K_UN)                                          \
  X(fist_m32_e, P0, "0xdb,0x16", K_UN)

#define X_DEF(n, p, b, k) DEFOP(n, p, b)
OPS(X_DEF)

struct op {
  const char *name;
  const char *bytes;
  int pushes;
  int kind;
  void (*run)(struct ctx *);
};

#define X_TAB(n, p, b, k) {#n, b, (sizeof(p) - 1) == 0 ? 0 : (sizeof(p) - 1) <= 16 ? 1 : (sizeof(p) - 1) <= 32 ? 2 : 8, k, run_##n},
static const struct op ops[] = {OPS(X_TAB)};

/* ------------------------------------------------------------------ values */

static uint64_t rs = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void) {
  rs ^= rs >> 12;
  rs ^= rs << 25;
  rs ^= rs >> 27;
  return rs * 0x2545f4914f6cdd1dull;
}

struct f80 {
  uint64_t m;
  uint16_t se;
};

static const struct f80 specials[] = {
    {0, 0}, {0, 0x8000},                                   /* +-0 */
    {1ull << 63, 0x3fff}, {1ull << 63, 0xbfff},            /* +-1 */
    {3ull << 62, 0x3fff}, {3ull << 62, 0xc000},            /* 1.5, -3 */
    {1ull << 63, 0x3ffe}, {0xc90fdaa22168c235ull, 0x4000}, /* 0.5, pi */
    {0xffffffffffffffffull, 0x7ffe}, {0xffffffffffffffffull, 0xfffe}, /* +-max */
    {1ull << 63, 0x0001}, {1ull << 63, 0x8001},            /* +-min normal */
    {1, 0}, {0x7fffffffffffffffull, 0}, {0x0000000012345678ull, 0x8000}, /* denormals */
    {1ull << 63, 0}, {0xc000000000000001ull, 0x8000},      /* pseudo-denormals */
    {0x4000000000000000ull, 0x3fff}, {0, 0x4001},          /* unnormals */
    {1ull << 63, 0x7fff}, {1ull << 63, 0xffff},            /* +-inf */
    {0, 0x7fff}, {0x4000000000000000ull, 0x7fff}, {0x1234, 0xffff}, /* pseudo-inf, pseudo-NaNs */
    {0xc000000000000000ull, 0x7fff}, {0xc000000000000000ull, 0xffff}, /* QNaN, indefinite */
    {0xc000000000001234ull, 0x7fff}, {0xdeadbeef00000001ull, 0xffff}, /* QNaN payloads */
    {0x8000000000000001ull, 0x7fff}, {0xa000000000005678ull, 0xffff}, /* SNaNs */
    {0xffffffffffffffffull, 0x403d}, {1ull << 63, 0x403e}, {1ull << 63, 0xc03e}, /* 2^63-ish */
    {0xffff000000000000ull, 0x400e}, {1ull << 63, 0x401e}, {0xffffffff00000000ull, 0xc01e},
    {0xa000000000000000ull, 0x4000}, {0x8000000000000400ull, 0x3fff}, /* 2.5, 1+2^-53 */
    {0x8000008000000000ull, 0x3fff}, {0xffffffffffffffffull, 0x3ffe}, /* 1+2^-24, 1-2^-65 */
    {0x8000000000000001ull, 0x3fff}, {0x8000000000000000ull, 0x3ff0},
};
#define NSPECIAL (sizeof(specials) / sizeof(specials[0]))

static struct f80 randval(int spread) {
  struct f80 v;
  uint64_t r = rnd();
  v.m = rnd() | (1ull << 63);
  int e;
  switch (r % 8) {
  case 0: e = (int)(rnd() % 0x7fff); break;                   /* anywhere */
  case 1: e = (int)(rnd() % 80); break;                       /* near underflow */
  case 2: e = 0x7ffe - (int)(rnd() % 80); break;              /* near overflow */
  default: e = 0x3fff - spread + (int)(rnd() % (2 * spread + 1));
  }
  if (e <= 0) e = 1;
  if (r & 0x100) v.m &= ~((1ull << (rnd() % 64)) - 1);        /* short significands */
  if ((r & 0x3000) == 0x3000 && e == 1) { v.m >>= 1 + rnd() % 63; e = 0; } /* denormal */
  v.se = (uint16_t)(e | ((r & 0x800) ? 0x8000 : 0));
  return v;
}

static struct f80 ranged(int lo, int hi, int neg) {
  struct f80 v;
  v.m = rnd() | (1ull << 63);
  int e = 0x3fff + lo + (int)(rnd() % (uint64_t)(hi - lo + 1));
  v.se = (uint16_t)(e | ((neg && (rnd() & 1)) ? 0x8000 : 0));
  return v;
}

static FILE *out;

/*
 * X87_TRANSC_EXTRA=N (optional, for tools/x87-transc/): record only the
 * transcendental instructions, N random cases each instead of 800 and no
 * special operands, with the xorshift seeded from X87_SEED (default: the
 * fixed seed). Without it the output is the committed vector file.
 */
static int extra;
static int nrand = 800;

static void put80(const uint8_t *p) {
  fprintf(out, " %04x%016llx", p[8] | (p[9] << 8), (unsigned long long)*(const uint64_t *)p);
}

static void run_case(const struct op *o, uint16_t fcw, struct f80 a, struct f80 b, uint64_t memlo,
                     uint16_t memhi) {
  struct ctx c;
  memset(&c, 0, sizeof c);
  c.fcw = fcw;
  memcpy(c.a, &a.m, 8);
  memcpy(c.a + 8, &a.se, 2);
  memcpy(c.b, &b.m, 8);
  memcpy(c.b + 8, &b.se, 2);
  memcpy(c.mem, &memlo, 8);
  memcpy(c.mem + 8, &memhi, 2);
  memset(c.mem + 10, 0xa5, 6);
  o->run(&c);
  uint16_t sw = (uint16_t)(c.img[4] | (c.img[5] << 8));
  uint16_t tw = (uint16_t)(c.img[8] | (c.img[9] << 8));
  fprintf(out, "%s %x", o->name, fcw);
  put80(c.a);
  put80(c.b);
  fprintf(out, " %04x%016llx :", memhi, (unsigned long long)memlo);
  fprintf(out, " %x %x", sw, tw);
  int top = (sw >> 11) & 7;
  for (int i = 0; i < 8; i++) {
    int phys = (top + i) & 7;
    if (((tw >> (2 * phys)) & 3) != 3) put80(c.img + 28 + 10 * i);
    else fprintf(out, " -");
  }
  uint64_t mlo;
  memcpy(&mlo, c.mem, 8);
  fprintf(out, " %04x%016llx %llx\n", c.mem[8] | (c.mem[9] << 8), (unsigned long long)mlo,
          (unsigned long long)(c.flags & 0x8d5));
}

static const uint16_t rcpc[] = {0x037f, 0x077f, 0x0b7f, 0x0f7f, 0x027f, 0x007f, 0x0e7f, 0x047f};

static uint16_t modes(int k) { return rcpc[k % 8]; }

static uint64_t rbcd(void) {
  uint64_t v = 0;
  for (int i = 0; i < 18; i++) v |= (rnd() % 10) << (4 * i);
  return v;
}

static void gen(const struct op *o) {
  fprintf(out, "op %s %d", o->name, o->pushes);
  const char *p = o->bytes;
  fprintf(out, " ");
  while (*p) {
    if (p[0] == '0' && p[1] == 'x') {
      fprintf(out, "%c%c", p[2], p[3]);
      p += 4;
    } else p++;
  }
  fprintf(out, "\n");
  struct f80 z = {0, 0};
  switch (o->kind) {
  case K_BIN:
  case K_PREM:
    for (unsigned i = 0; i < (extra ? 0 : NSPECIAL); i++)
      for (unsigned j = 0; j < NSPECIAL; j++) run_case(o, 0x37f, specials[i], specials[j], 0, 0);
    for (int k = 0; k < nrand; k++) {
      struct f80 a = randval(70), b = randval(70);
      if (o->kind == K_PREM && (k & 1)) { a = ranged(-5, 200, 1); b = ranged(-5, 5, 1); }
      if (k % 5 == 0) b = specials[rnd() % NSPECIAL];
      run_case(o, modes(k), a, b, 0, 0);
    }
    break;
  case K_UN:
  case K_INTR:
  case K_SIN:
  case K_EXP:
    for (unsigned i = 0; i < (extra ? 0 : NSPECIAL); i++)
      for (int m = 0; m < 8; m++) run_case(o, modes(m), specials[i], z, 0, 0);
    for (int k = 0; k < nrand; k++) {
      struct f80 a = randval(70);
      if (o->kind == K_INTR) a = ranged(-4, 70, 1);
      if (o->kind == K_SIN) a = (k % 10 == 0) ? ranged(10, 70, 1) : ranged(-70, 6, 1);
      if (o->kind == K_EXP) a = ranged(-70, -1, 1);
      run_case(o, modes(k), a, z, 0, 0);
    }
    break;
  case K_LOG:
  case K_LOGP1:
    for (unsigned i = 0; i < (extra ? 0 : NSPECIAL); i++)
      for (unsigned j = 0; j < NSPECIAL; j++) run_case(o, 0x37f, specials[i], specials[j], 0, 0);
    for (int k = 0; k < nrand; k++) {
      struct f80 a = o->kind == K_LOG ? randval(70) : ranged(-70, -3, 1), b = randval(30);
      if (o->kind == K_LOG) a.se &= 0x7fff;
      run_case(o, modes(k), a, b, 0, 0);
    }
    break;
  case K_CONST:
    for (int m = 0; m < 8; m++) run_case(o, modes(m), z, z, 0, 0);
    break;
  case K_ST32:
  case K_ST64:
  case K_STI16:
  case K_STI32:
  case K_STI64:
  case K_BCDST:
  case K_ST80:
    for (unsigned i = 0; i < NSPECIAL; i++)
      for (int m = 0; m < 8; m++) run_case(o, modes(m), specials[i], z, 0, 0);
    for (int k = 0; k < 1000; k++) {
      struct f80 a = randval(70);
      if (o->kind == K_STI16) a = ranged(-3, 16, 1);
      if (o->kind == K_STI32) a = ranged(-3, 32, 1);
      if (o->kind == K_STI64 || o->kind == K_BCDST) a = ranged(-3, 64, 1);
      if (o->kind == K_ST32 && (k & 1)) a = ranged(-160, 130, 1);
      if (o->kind == K_ST64 && (k & 1)) a = ranged(-1100, 1030, 1);
      if (k % 7 == 0 && o->kind >= K_STI16 && o->kind <= K_BCDST) {
        /* exact boundaries and halves */
        int bits = o->kind == K_STI16 ? 15 : o->kind == K_STI32 ? 31 : o->kind == K_STI64 ? 63 : 59;
        int ex = bits - (int)(rnd() % 2);
        int half = 62 - ex;
        a.m = 1ull << 63;
        if ((rnd() & 1) && half >= 0) a.m |= 1ull << half;
        if ((rnd() & 1) && half >= 1) a.m |= 1ull << (half - 1);
        if (rnd() & 1) a.m |= 1ull << (half + 1);
        a.se = (uint16_t)((0x3fff + ex) | ((rnd() & 1) ? 0x8000 : 0));
      }
      run_case(o, modes(k), a, z, 0x1111111111111111ull, 0x2222);
    }
    break;
  case K_LD32:
  case K_M32:
    for (int k = 0; k < 1200; k++) {
      uint64_t v = rnd() & 0xffffffffull;
      if (k % 4 == 0) v = (v & 0x807fffffull) | (k % 8 ? 0 : 0x7f800000ull); /* denormal/NaN/inf */
      struct f80 a = o->kind == K_M32 ? (k < 400 ? specials[k % NSPECIAL] : randval(70)) : z;
      run_case(o, modes(k), a, z, v, 0);
    }
    break;
  case K_LD64:
  case K_M64:
    for (int k = 0; k < 1200; k++) {
      uint64_t v = rnd();
      if (k % 4 == 0) v = (v & 0x800fffffffffffffull) | (k % 8 ? 0 : 0x7ff0000000000000ull);
      struct f80 a = o->kind == K_M64 ? (k < 400 ? specials[k % NSPECIAL] : randval(70)) : z;
      run_case(o, modes(k), a, z, v, 0);
    }
    break;
  case K_LDI16:
  case K_LDI32:
  case K_LDI64:
  case K_MI16:
  case K_MI32:
    for (int k = 0; k < 800; k++) {
      uint64_t v = rnd() >> (rnd() % 64);
      if (rnd() & 1) v = -v;
      if (k < 8) v = (uint64_t[]){0, 1, -1ull, 0x8000, 0x80000000ull, 0x8000000000000000ull,
                                   0x7fffffffffffffffull, 0x7fff}[k];
      struct f80 a = (o->kind == K_MI16 || o->kind == K_MI32) ? randval(40) : z;
      run_case(o, modes(k), a, z, v, 0);
    }
    break;
  case K_LDBCD:
    for (int k = 0; k < 500; k++) run_case(o, modes(k), z, z, rbcd(), (uint16_t)((rnd() & 1) << 15 | (rnd() % 10) | (rnd() % 10) << 4));
    break;
  case K_LD80:
    for (unsigned i = 0; i < NSPECIAL; i++) run_case(o, 0x37f, z, z, specials[i].m, specials[i].se);
    break;
  case K_CW:
    for (int k = 0; k < 300; k++) run_case(o, 0x37f, z, z, k < 16 ? (uint64_t)(0x1111 * k) : rnd() & 0xffff, 0);
    break;
  }
}

static void cpuinfo(void) {
  FILE *f = fopen("/proc/cpuinfo", "r");
  char line[512];
  int n = 0;
  if (!f) return;
  while (fgets(line, sizeof line, f) && n < 6) {
    if (!strncmp(line, "vendor_id", 9) || !strncmp(line, "cpu family", 10) ||
        !strncmp(line, "model\t", 6) || !strncmp(line, "model name", 10) ||
        !strncmp(line, "stepping", 8) || !strncmp(line, "microcode", 9)) {
      fprintf(out, "# cpu: %s", line);
      n++;
    }
  }
  fclose(f);
}

int main(int argc, char **argv) {
  out = argc > 1 ? fopen(argv[1], "w") : stdout;
  if (!out) return 1;
  const char *ex = getenv("X87_TRANSC_EXTRA"), *seed = getenv("X87_SEED");
  if (ex) {
    extra = 1;
    nrand = atoi(ex);
    if (seed) rs = strtoull(seed, 0, 0) | 1;
  }
  cpuinfo();
  fprintf(out, "# format: see tools/x87-vectors/README.md\n");
  for (unsigned i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
    int k = ops[i].kind;
    int transc = k == K_SIN || k == K_EXP || k == K_LOG || k == K_LOGP1 ||
                 !strcmp(ops[i].name, "fpatan");
    if (!extra || transc)
      gen(&ops[i]);
  }
  return 0;
}

/*
 * SSE vector recorder: runs SSE/SSE2/SSE3/SSSE3/SSE4.1/SSE4.2 instructions on
 * the host CPU over special and random operands (NaN payloads, infinities,
 * denormals, boundary integers, rounding ties) under every MXCSR rounding
 * mode with FTZ/DAZ on and off (all exceptions masked), and prints inputs,
 * outputs and MXCSR/RFLAGS to a text file that tests/sse_vectors_test.ts
 * replays through the engine bit-exactly.
 *
 * Each instruction is written once (OP macro): the same text is assembled
 * into .rodata (the bytes the replay decodes) and executed inline.
 * Build: tools/sse-vectors/record.sh (gcc -masm=intel -mno-red-zone).
 *
 * A second set per floating-point op runs with random MXCSR masks (some
 * exceptions unmasked): the #XM arrives as SIGFPE, and the state at the
 * fault (XMM0, RAX, RCX, RFLAGS, MXCSR) is taken from the signal context.
 *
 * Line format (hex, little-endian byte order for vectors):
 *   op <name> <instruction bytes>
 *   v <op index> <mxcsr in> <xmm0 in> <xmm1 in> <rax in> <rdx in> <xmm0 out>
 *     <rax out> <rcx out> <rflags out & 0x8d5> <mxcsr out> [xm]
 * ("xm": the instruction raised #XM; the outputs are the state at the fault.)
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <ucontext.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  uint8_t x0[16];   /* 0 */
  uint8_t x1[16];   /* 16 */
  uint64_t rax;     /* 32 */
  uint64_t rcx;     /* 40 */
  uint64_t rdx;     /* 48 */
  uint64_t fl;      /* 56 */
  uint32_t mx;      /* 64 */
} St;

typedef void (*RunFn)(St *);

/* Lane kinds for operand generation. */
enum { K_S, K_D, K_I32, K_INT, K_STR };
/* Mode sets: all 16 MXCSR modes, DAZ only, one mode. */
enum { M_ALL, M_DAZ, M_ONE };

typedef struct {
  const char *name;
  const unsigned char *b, *e;
  RunFn run;
  int kind, modes;
} Op;

#define OP(id, insn)                                                                   \
  __asm__(".pushsection .rodata.ops,\"a\"\n" #id "_b:\n" insn "\n" #id "_e:\n.popsection"); \
  extern const unsigned char id##_b[] __asm__(#id "_b");                               \
  extern const unsigned char id##_e[] __asm__(#id "_e");                               \
  static void run_##id(St *s) {                                                        \
    __asm__ volatile("ldmxcsr [%0+64]\n movdqu xmm0, [%0]\n movdqu xmm1, [%0+16]\n"    \
                     "mov rax, [%0+32]\n mov rcx, [%0+40]\n mov rdx, [%0+48]\n"        \
                     "push 0x8d7\n popfq\n" insn "\n"                                   \
                     "pushfq\n pop qword ptr [%0+56]\n mov [%0+32], rax\n"              \
                     "mov [%0+40], rcx\n movdqu [%0], xmm0\n stmxcsr [%0+64]\n"         \
                     : : "r"(s) : "rax", "rcx", "rdx", "xmm0", "xmm1", "memory", "cc"); \
  }

#include "ops.h"

#undef OP
#define OP(id, insn) {#id, id##_b, id##_e, run_##id, 0, 0},
static Op ops[] = {
#include "ops.h"
};

/* Operand kind and mode set per op, by name prefix (see kinds()). */
static void kinds(Op *o) {
  const char *n = o->name;
  int len = (int)strlen(n);
  char last = n[len - 1];
  o->modes = M_ALL;
  if (!strncmp(n, "cvtdq", 5) || !strncmp(n, "cvtsi", 5)) o->kind = K_I32;
  else if (!strncmp(n, "pcmp", 4)) o->kind = K_STR, o->modes = M_ONE;
  else if (n[0] == 'p' || !strncmp(n, "crc", 3) || !strncmp(n, "mpsad", 5)) o->kind = K_INT, o->modes = M_ONE;
  else if (strstr(n, "pd") || strstr(n, "sd")) o->kind = K_D;
  else o->kind = K_S;
  if (!strncmp(n, "cvtss2sd", 8) || !strncmp(n, "cvtps2pd", 8) || !strncmp(n, "cvtss2si", 8) ||
      !strncmp(n, "cvttss2si", 9) || !strncmp(n, "cvtps2dq", 8) || !strncmp(n, "cvttps2dq", 9))
    o->kind = K_S;
  static const char *moves[] = {"mov", "unpck", "andn", "orpd", "xorps", "blend", "shufpd",
                                 "insertps", "extractps", "popcnt"};
  for (unsigned k = 0; k < sizeof moves / sizeof moves[0]; k++)
    if (!strncmp(n, moves[k], strlen(moves[k]))) o->modes = M_ONE;
  if (!strncmp(n, "cmp", 3) || !strncmp(n, "min", 3) || !strncmp(n, "max", 3) ||
      strstr(n, "comi"))
    o->modes = M_DAZ;
  (void)last;
}

static uint64_t rs = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void) {
  rs ^= rs << 13;
  rs ^= rs >> 7;
  rs ^= rs << 17;
  return rs;
}

static const uint32_t SP32[] = {
  0, 0x80000000, 1, 0x80000001, 0x007fffff, 0x00400000, 0x00800000, 0x80800000, 0x00800001,
  0x3f800000, 0xbf800000, 0x3f800001, 0x3f7fffff, 0x3f000000, 0x3fc00000, 0x40000000,
  0x40400000, 0x7f7fffff, 0xff7fffff, 0x7f000000, 0x7f800000, 0xff800000, 0x7fc00000,
  0xffc00000, 0x7fd23456, 0xffe00001, 0x7f800001, 0x7fa00000, 0xff812345, 0x4b000000,
  0x4b000001, 0x4effffff, 0x4f000000, 0xcf000000, 0xcf000001, 0x5effffff, 0x5f000000,
  0xdf000000, 0x33800000, 0x34000000, 0x3ec00000, 0x3fe00000, 0x00000003, 0x0ff00000,
};
static const uint64_t SP64[] = {
  0, 0x8000000000000000ull, 1, 0x8000000000000001ull, 0x000fffffffffffffull,
  0x0008000000000000ull, 0x0010000000000000ull, 0x8010000000000000ull, 0x0010000000000001ull,
  0x3ff0000000000000ull, 0xbff0000000000000ull, 0x3ff0000000000001ull, 0x3fefffffffffffffull,
  0x3fe0000000000000ull, 0x3ff8000000000000ull, 0x4000000000000000ull, 0x7fefffffffffffffull,
  0xffefffffffffffffull, 0x7fe0000000000000ull, 0x7ff0000000000000ull, 0xfff0000000000000ull,
  0x7ff8000000000000ull, 0xfff8000000000000ull, 0x7ff8123456789abcull, 0xfff0000000000001ull,
  0x7ff4000000000000ull, 0x7ff0000000abcdefull, 0x4330000000000000ull, 0x4330000000000001ull,
  0x41dfffffffc00000ull, 0x41e0000000000000ull, 0xc1e0000000000000ull, 0xc1e0000000200000ull,
  0x43e0000000000000ull, 0xc3e0000000000000ull, 0x43dfffffffffffffull, 0x3ca0000000000000ull,
  0x3cb0000000000000ull, 0x47efffffe0000000ull, 0x47efffffffffffffull, 0x47f0000000000000ull,
  0x3810000000000000ull, 0x380fffffffffffffull, 0x36a0000000000000ull, 0x369fffffffffffffull,
  0x3e70000000000000ull, 0x4024000000000000ull, 0x4004000000000000ull, 0xc00c000000000000ull,
};
static const uint32_t SPI[] = {0, 1, 0xffffffff, 0x80000000, 0x7fffffff, 0x01000001, 0x00ffffff,
                               0x7fffffc0, 0xfeffffff, 0x12345678, 16777217, 0x80000001};

static uint32_t gen32(void) {
  uint64_t r = rnd();
  switch (r % 10) {
  case 0: case 1: case 2:
    return SP32[(r >> 8) % (sizeof SP32 / 4)];
  case 3: case 4: case 5: { /* moderate exponents */
    uint32_t e = 127 + (uint32_t)((r >> 8) % 61) - 30;
    return (uint32_t)((r >> 16) & 0x807fffff) | (e << 23);
  }
  case 6: { /* extreme exponents */
    uint32_t e = ((r >> 8) & 1) ? (uint32_t)((r >> 9) % 4) : 251 + (uint32_t)((r >> 9) % 4);
    return (uint32_t)((r >> 16) & 0x807fffff) | (e << 23);
  }
  case 7: { /* near integers and halves */
    float f = (float)((int)((r >> 8) % 4001) - 2000) + (float)((r >> 20) % 4) * 0.25f;
    uint32_t b;
    memcpy(&b, &f, 4);
    return b;
  }
  default:
    return (uint32_t)(r >> 16);
  }
}

static uint64_t gen64(void) {
  uint64_t r = rnd();
  switch (r % 10) {
  case 0: case 1: case 2:
    return SP64[(r >> 8) % (sizeof SP64 / 8)];
  case 3: case 4: case 5: {
    uint64_t e = 1023 + (r >> 8) % 121 - 60;
    return (rnd() & 0x800fffffffffffffull) | (e << 52);
  }
  case 6: {
    uint64_t e = ((r >> 8) & 1) ? (r >> 9) % 4 : 2043 + (r >> 9) % 4;
    return (rnd() & 0x800fffffffffffffull) | (e << 52);
  }
  case 7: {
    double f = (double)((int64_t)((r >> 8) % 4000001) - 2000000) + (double)((r >> 30) % 4) * 0.25;
    uint64_t b;
    memcpy(&b, &f, 8);
    return b;
  }
  default:
    return rnd();
  }
}

/* Correlated second operand: near, negated, tie-producing or independent. */
static uint32_t rel32(uint32_t a) {
  uint64_t r = rnd();
  switch (r % 8) {
  case 0: return a + (uint32_t)((r >> 8) % 5) - 2;
  case 1: return a ^ 0x80000000u;
  case 2: return (a & 0x7f800000u) > (25u << 23) ? (a & 0x80000000u) | ((a & 0x7f800000u) - (24u << 23)) : a;
  case 3: return (a & 0x7f800000u) > (24u << 23) ? ((a & 0xff800000u) - (23u << 23)) | 0x00400000u : a;
  default: return gen32();
  }
}
static uint64_t rel64(uint64_t a) {
  uint64_t r = rnd();
  switch (r % 8) {
  case 0: return a + (r >> 8) % 5 - 2;
  case 1: return a ^ 0x8000000000000000ull;
  case 2: return (a & 0x7ff0000000000000ull) > (54ull << 52) ? (a & 0x8000000000000000ull) | ((a & 0x7ff0000000000000ull) - (53ull << 52)) : a;
  case 3: return (a & 0x7ff0000000000000ull) > (53ull << 52) ? ((a & 0xfff0000000000000ull) - (52ull << 52)) | 0x0008000000000000ull : a;
  default: return gen64();
  }
}

static uint32_t genInt(void) {
  uint64_t r = rnd();
  if (r % 3 == 0) return SPI[(r >> 8) % (sizeof SPI / 4)];
  if (r % 3 == 1) return (uint32_t)((int32_t)((r >> 8) % 2000001) - 1000000);
  return (uint32_t)(r >> 16);
}

static void fill(St *s, int kind) {
  uint32_t *a = (uint32_t *)s->x0, *b = (uint32_t *)s->x1;
  uint64_t *a64 = (uint64_t *)s->x0, *b64 = (uint64_t *)s->x1;
  switch (kind) {
  case K_S:
    for (int k = 0; k < 4; k++) a[k] = gen32(), b[k] = rel32(a[k]);
    break;
  case K_D:
    for (int k = 0; k < 2; k++) a64[k] = gen64(), b64[k] = rel64(a64[k]);
    break;
  case K_I32:
    for (int k = 0; k < 4; k++) a[k] = genInt(), b[k] = genInt();
    break;
  case K_STR:
    /* Short strings over a small alphabet, with embedded zeros sometimes. */
    for (int k = 0; k < 16; k++) {
      uint64_t r = rnd();
      s->x0[k] = (uint8_t)("abcAZ09\xff\x80 "[r % 11]);
      s->x1[k] = (uint8_t)("abcAZ09\xff\x80 "[(r >> 8) % 11]);
      if ((r >> 16) % 13 == 0) s->x0[k] = 0;
      if ((r >> 24) % 13 == 0) s->x1[k] = 0;
    }
    break;
  default:
    for (int k = 0; k < 4; k++) a[k] = (uint32_t)rnd(), b[k] = (uint32_t)(rnd() >> 7);
    if (rnd() % 4 == 0) for (int k = 0; k < 4; k++) b[k] = genInt();
  }
  uint64_t r = rnd();
  /* RAX: an integer for CVTSI2Sx, a length for PCMPESTRx. */
  if (kind == K_STR) {
    s->rax = (uint64_t)((int64_t)(r % 41) - 20);
    s->rdx = (uint64_t)((int64_t)((r >> 8) % 41) - 20);
  } else {
    static const uint64_t I64[] = {0, 1, ~0ull, 0x8000000000000000ull, 0x7fffffffffffffffull,
                                   0x0020000000000001ull, 0xffdfffffffffffffull, 0x7fffffc0ull,
                                   0x80000000ull, 0x00000000ffffffffull, 0x0000000001000001ull};
    s->rax = (r % 3 == 0) ? I64[(r >> 8) % 11] : (r % 3 == 1) ? (uint64_t)(int64_t)(int32_t)genInt() : rnd() >> (r % 40);
    s->rdx = rnd();
  }
}

static sigjmp_buf jb;
static St fault_state;

static void on_fpe(int sig, siginfo_t *si, void *ctx) {
  (void)sig;
  (void)si;
  ucontext_t *uc = ctx;
  fault_state.mx = uc->uc_mcontext.fpregs->mxcsr;
  memcpy(fault_state.x0, &uc->uc_mcontext.fpregs->_xmm[0], 16);
  fault_state.rax = (uint64_t)uc->uc_mcontext.gregs[REG_RAX];
  fault_state.rcx = (uint64_t)uc->uc_mcontext.gregs[REG_RCX];
  fault_state.fl = (uint64_t)uc->uc_mcontext.gregs[REG_EFL];
  siglongjmp(jb, 1);
}

/* Run o on s; returns 1 if it raised #XM (s then holds the state at the fault). */
static int run_catch(Op *o, St *s) {
  if (sigsetjmp(jb, 1)) {
    *s = fault_state;
    return 1;
  }
  o->run(s);
  return 0;
}

static void hex(FILE *f, const void *p, int n) {
  const uint8_t *b = p;
  for (int k = 0; k < n; k++) fprintf(f, "%02x", b[k]);
}

int main(int argc, char **argv) {
  FILE *f = argc > 1 ? fopen(argv[1], "w") : stdout;
  if (!f) return 1;
  int per = argc > 2 ? atoi(argv[2]) : 8;
  FILE *ci = fopen("/proc/cpuinfo", "r");
  char line[512];
  int seen = 0;
  while (ci && fgets(line, sizeof line, ci) && seen < 5) {
    if (!strncmp(line, "vendor_id", 9) || !strncmp(line, "cpu family", 10) ||
        !strncmp(line, "model", 5) || !strncmp(line, "stepping", 8)) {
      fprintf(f, "# cpu: %s", line);
      seen++;
    }
  }
  if (ci) fclose(ci);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_fpe;
  sa.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigaction(SIGFPE, &sa, 0);
  int nops = (int)(sizeof ops / sizeof ops[0]);
  for (int k = 0; k < nops; k++) {
    kinds(&ops[k]);
    fprintf(f, "op %s ", ops[k].name);
    hex(f, ops[k].b, (int)(ops[k].e - ops[k].b));
    fputc('\n', f);
  }
  for (int k = 0; k < nops; k++) {
    Op *o = &ops[k];
    int nm = o->modes == M_ALL ? 16 : o->modes == M_DAZ ? 2 : 1;
    /* One extra pass (m == nm) with random masks for the floating-point ops. */
    for (int m = 0; m <= nm; m++) {
      uint32_t mx = 0x1f80;
      if (m == nm) {
        if (o->modes == M_ONE || !strncmp(o->name, "rcp", 3) || !strncmp(o->name, "rsqrt", 5)) break;
      } else if (o->modes == M_ALL) mx |= ((uint32_t)(m & 3) << 13) | ((m & 4) ? 0x8000 : 0) | ((m & 8) ? 0x40 : 0);
      else if (o->modes == M_DAZ) mx |= m ? 0x40 : 0;
      int count = o->modes == M_ONE ? per * 8 : m == nm ? per * 4 : per;
      for (int v = 0; v < count; v++) {
        St s, in;
        memset(&s, 0, sizeof s);
        fill(&s, o->kind);
        s.rcx = 0;
        if (m == nm) {
          uint64_t r = rnd();
          mx = (uint32_t)(r & 0xe040) | 0x1f80;
          mx &= ~(uint32_t)(((r >> 16) & 0x3f) << 7);
        }
        s.mx = mx;
        in = s;
        int xm = run_catch(o, &s);
        fprintf(f, "v %d %04x ", k, in.mx);
        hex(f, in.x0, 16);
        fputc(' ', f);
        hex(f, in.x1, 16);
        fprintf(f, " %016llx %016llx ", (unsigned long long)in.rax, (unsigned long long)in.rdx);
        hex(f, s.x0, 16);
        fprintf(f, " %016llx %016llx %03llx %04x%s\n", (unsigned long long)s.rax,
                (unsigned long long)s.rcx, (unsigned long long)(s.fl & 0x8d5), s.mx,
                xm ? " xm" : "");
      }
    }
  }
  return f == stdout ? 0 : fclose(f);
}

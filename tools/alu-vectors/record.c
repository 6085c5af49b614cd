/*
 * record.c - record ALU test vectors on the real x86-64 CPU this runs on.
 *
 * Every integer ALU, shift/rotate, multiply, divide and bit instruction is
 * executed with inline asm at each operand size over edge-case and random
 * (fixed-seed) operands, with the input RFLAGS set by POPFQ to chosen values
 * (all arithmetic flags clear, all set, sometimes a random mix). The result
 * registers and the output RFLAGS (arithmetic bits only) are printed, one
 * vector per line:
 *
 *     op size fin a b c r1 r2 fout          (all but op/size in hex)
 *
 * The meaning of a/b/c/r1/r2 per instruction family is listed in
 * tools/alu-vectors/README.md. The BCD instructions (DAA DAS AAA AAS AAM AAD)
 * do not exist in 64-bit mode; they are executed in 32-bit compatibility mode
 * by a far transfer to the kernel's 32-bit user code segment (selector 0x23
 * on Linux x86-64), so no 32-bit toolchain is needed.
 *
 * Build: gcc -O1 -no-pie -mno-red-zone record.c -o record   (see record.sh)
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

typedef uint64_t u64;

#define ARITH 0x8d5ull
#define FL_BASE 0x2ull /* bit 1 is always 1 */

static FILE *out;
static long nvec;

static void emit(const char *op, int sz, u64 fin, u64 a, u64 b, u64 c, u64 r1, u64 r2, u64 fout)
{
	fprintf(out, "%s %d %llx %llx %llx %llx %llx %llx %llx\n", op, sz,
		(unsigned long long)(fin & ARITH), (unsigned long long)a, (unsigned long long)b,
		(unsigned long long)c, (unsigned long long)r1, (unsigned long long)r2,
		(unsigned long long)(fout & ARITH));
	nvec++;
}

/* ---------------------------------------------------------------------
 * Instruction thunks. Signature: x (in/out), y (in/out), c (count / in),
 * f (in/out RFLAGS).
 * ------------------------------------------------------------------- */
typedef void (*thunk_t)(u64 *x, u64 *y, u64 c, u64 *f);

#define PRE "push %[fl]\n\tpopfq\n\t"
#define POST "\n\tpushfq\n\tpop %[fl]"

/* two-operand: op y, x  (x = x op y) */
#define BIN1(NAME, INSN, SFX, MOD)                                                    \
	static void NAME(u64 *x, u64 *y, u64 c, u64 *f)                               \
	{                                                                             \
		u64 X = *x, Y = *y, FL = *f;                                          \
		(void)c;                                                              \
		asm volatile(PRE INSN SFX " %" MOD "[Y], %" MOD "[X]" POST            \
			     : [X] "+r"(X), [fl] "+r"(FL)                             \
			     : [Y] "r"(Y)                                             \
			     : "cc");                                                 \
		*x = X;                                                               \
		*f = FL;                                                              \
	}
#define BIN(OP)                                \
	BIN1(OP##_1, #OP, "b", "b")            \
	BIN1(OP##_2, #OP, "w", "w")            \
	BIN1(OP##_4, #OP, "l", "k")            \
	BIN1(OP##_8, #OP, "q", "q")            \
	static thunk_t OP##_t[9] = {0, OP##_1, OP##_2, 0, OP##_4, 0, 0, 0, OP##_8};
/* two-operand without 8-bit form */
#define BIN_NO8(OP)                             \
	BIN1(OP##_2, #OP, "w", "w")             \
	BIN1(OP##_4, #OP, "l", "k")             \
	BIN1(OP##_8, #OP, "q", "q")             \
	static thunk_t OP##_t[9] = {0, 0, OP##_2, 0, OP##_4, 0, 0, 0, OP##_8};

BIN(add) BIN(adc) BIN(sub) BIN(sbb) BIN(cmp) BIN(and) BIN(or) BIN(xor) BIN(test)
BIN_NO8(imul) BIN_NO8(bt) BIN_NO8(bts) BIN_NO8(btr) BIN_NO8(btc)
BIN_NO8(bsf) BIN_NO8(bsr) BIN_NO8(tzcnt) BIN_NO8(lzcnt) BIN_NO8(popcnt)

/* one-operand in place */
#define UN1(NAME, INSN, SFX, MOD)                                                 \
	static void NAME(u64 *x, u64 *y, u64 c, u64 *f)                           \
	{                                                                         \
		u64 X = *x, FL = *f;                                              \
		(void)c;                                                          \
		(void)y;                                                          \
		asm volatile(PRE INSN SFX " %" MOD "[X]" POST                     \
			     : [X] "+r"(X), [fl] "+r"(FL)                         \
			     :                                                    \
			     : "cc");                                             \
		*x = X;                                                           \
		*f = FL;                                                          \
	}
#define UN(OP)                             \
	UN1(OP##_1, #OP, "b", "b")         \
	UN1(OP##_2, #OP, "w", "w")         \
	UN1(OP##_4, #OP, "l", "k")         \
	UN1(OP##_8, #OP, "q", "q")         \
	static thunk_t OP##_t[9] = {0, OP##_1, OP##_2, 0, OP##_4, 0, 0, 0, OP##_8};
UN(inc) UN(dec) UN(neg) UN(not)

/* shifts/rotates by CL */
#define SH1(NAME, INSN, SFX, MOD)                                                 \
	static void NAME(u64 *x, u64 *y, u64 c, u64 *f)                           \
	{                                                                         \
		u64 X = *x, FL = *f;                                              \
		(void)y;                                                          \
		asm volatile(PRE INSN SFX " %%cl, %" MOD "[X]" POST               \
			     : [X] "+r"(X), [fl] "+r"(FL)                         \
			     : "c"(c)                                             \
			     : "cc");                                             \
		*x = X;                                                           \
		*f = FL;                                                          \
	}
#define SH(OP)                             \
	SH1(OP##_1, #OP, "b", "b")         \
	SH1(OP##_2, #OP, "w", "w")         \
	SH1(OP##_4, #OP, "l", "k")         \
	SH1(OP##_8, #OP, "q", "q")         \
	static thunk_t OP##_t[9] = {0, OP##_1, OP##_2, 0, OP##_4, 0, 0, 0, OP##_8};
SH(shl) SH(shr) SH(sar) SH(rol) SH(ror) SH(rcl) SH(rcr)

/* shld/shrd y into x by CL */
#define DSH1(NAME, INSN, SFX, MOD)                                                \
	static void NAME(u64 *x, u64 *y, u64 c, u64 *f)                           \
	{                                                                         \
		u64 X = *x, Y = *y, FL = *f;                                      \
		asm volatile(PRE INSN SFX " %%cl, %" MOD "[Y], %" MOD "[X]" POST  \
			     : [X] "+r"(X), [fl] "+r"(FL)                         \
			     : [Y] "r"(Y), "c"(c)                                 \
			     : "cc");                                             \
		*x = X;                                                           \
		*f = FL;                                                          \
	}
#define DSH(OP)                            \
	DSH1(OP##_2, #OP, "w", "w")        \
	DSH1(OP##_4, #OP, "l", "k")        \
	DSH1(OP##_8, #OP, "q", "q")        \
	static thunk_t OP##_t[9] = {0, 0, OP##_2, 0, OP##_4, 0, 0, 0, OP##_8};
DSH(shld) DSH(shrd)

/* one-operand multiply/divide: x = rAX, y = rDX (in/out), c = source */
#define MD1(NAME, INSN, SFX, MOD)                                                 \
	static void NAME(u64 *x, u64 *y, u64 c, u64 *f)                           \
	{                                                                         \
		u64 X = *x, Y = *y, FL = *f;                                      \
		asm volatile(PRE INSN SFX " %" MOD "[C]" POST                     \
			     : "+a"(X), "+d"(Y), [fl] "+r"(FL)                    \
			     : [C] "r"(c)                                         \
			     : "cc");                                             \
		*x = X;                                                           \
		*y = Y;                                                           \
		*f = FL;                                                          \
	}
#define MD(OP, INSN)                       \
	MD1(OP##_1, INSN, "b", "b")        \
	MD1(OP##_2, INSN, "w", "w")        \
	MD1(OP##_4, INSN, "l", "k")        \
	MD1(OP##_8, INSN, "q", "q")        \
	static thunk_t OP##_t[9] = {0, OP##_1, OP##_2, 0, OP##_4, 0, 0, 0, OP##_8};
MD(mul, "mul") MD(imul1, "imul") MD(udiv, "div") MD(idiv, "idiv")

/* xadd y, x: x = x + y, y = old x */
#define XADD1(NAME, SFX, MOD)                                                     \
	static void NAME(u64 *x, u64 *y, u64 c, u64 *f)                           \
	{                                                                         \
		u64 X = *x, Y = *y, FL = *f;                                      \
		(void)c;                                                          \
		asm volatile(PRE "xadd" SFX " %" MOD "[Y], %" MOD "[X]" POST      \
			     : [X] "+r"(X), [Y] "+r"(Y), [fl] "+r"(FL)            \
			     :                                                    \
			     : "cc");                                             \
		*x = X;                                                           \
		*y = Y;                                                           \
		*f = FL;                                                          \
	}
XADD1(xadd_1, "b", "b") XADD1(xadd_2, "w", "w") XADD1(xadd_4, "l", "k") XADD1(xadd_8, "q", "q")
static thunk_t xadd_t[9] = {0, xadd_1, xadd_2, 0, xadd_4, 0, 0, 0, xadd_8};

/* cmpxchg y, x with the accumulator in *acc (passed as c in, returned in *y's slot by caller) */
#define CX1(NAME, SFX, MOD)                                                       \
	static void NAME(u64 *x, u64 *y, u64 c, u64 *f)                           \
	{                                                                         \
		u64 X = *x, Y = *y, A = c, FL = *f;                               \
		asm volatile(PRE "cmpxchg" SFX " %" MOD "[Y], %" MOD "[X]" POST   \
			     : [X] "+r"(X), "+a"(A), [fl] "+r"(FL)                \
			     : [Y] "r"(Y)                                         \
			     : "cc");                                             \
		*x = X;                                                           \
		*y = A;                                                           \
		*f = FL;                                                          \
	}
CX1(cmpxchg_1, "b", "b") CX1(cmpxchg_2, "w", "w") CX1(cmpxchg_4, "l", "k") CX1(cmpxchg_8, "q", "q")
static thunk_t cmpxchg_t[9] = {0, cmpxchg_1, cmpxchg_2, 0, cmpxchg_4, 0, 0, 0, cmpxchg_8};

/* setcc: returns the byte SETcc writes for flags f */
#define SETCC(CC)                                                                 \
	static u64 set_##CC(u64 fl)                                               \
	{                                                                         \
		u64 r = 0;                                                        \
		asm volatile("push %[fl]\n\tpopfq\n\tset" #CC " %b[r]"            \
			     : [r] "+q"(r)                                        \
			     : [fl] "r"(fl)                                       \
			     : "cc");                                             \
		return r;                                                         \
	}
SETCC(o) SETCC(no) SETCC(b) SETCC(ae) SETCC(e) SETCC(ne) SETCC(be) SETCC(a)
SETCC(s) SETCC(ns) SETCC(p) SETCC(np) SETCC(l) SETCC(ge) SETCC(le) SETCC(g)
static u64 (*const setcc_t[16])(u64) = {set_o, set_no, set_b, set_ae, set_e, set_ne, set_be, set_a,
					set_s, set_ns, set_p, set_np, set_l, set_ge, set_le, set_g};

/* bswap (16-bit form encoded by hand: 66 0F C8 = bswap ax) */
static void bswap_2(u64 *x, u64 *y, u64 c, u64 *f)
{
	u64 X = *x, FL = *f;
	(void)y, (void)c;
	asm volatile(PRE ".byte 0x66, 0x0f, 0xc8" POST : "+a"(X), [fl] "+r"(FL) : : "cc");
	*x = X;
	*f = FL;
}
static void bswap_4(u64 *x, u64 *y, u64 c, u64 *f)
{
	u64 X = *x, FL = *f;
	(void)y, (void)c;
	asm volatile(PRE "bswap %k[X]" POST : [X] "+r"(X), [fl] "+r"(FL) : : "cc");
	*x = X;
	*f = FL;
}
static void bswap_8(u64 *x, u64 *y, u64 c, u64 *f)
{
	u64 X = *x, FL = *f;
	(void)y, (void)c;
	asm volatile(PRE "bswap %q[X]" POST : [X] "+r"(X), [fl] "+r"(FL) : : "cc");
	*x = X;
	*f = FL;
}
static thunk_t bswap_t[9] = {0, 0, bswap_2, 0, bswap_4, 0, 0, 0, bswap_8};

/* ---------------------------------------------------------------------
 * Operand generation
 * ------------------------------------------------------------------- */
static u64 rng = 0x9e3779b97f4a7c15ull;
static u64 rnd(void)
{
	/* xorshift64* */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dull;
}

static u64 maskof(int sz) { return sz == 8 ? ~0ull : (1ull << (sz * 8)) - 1; }

/* a random value with an interesting distribution: uniform, small, near a
 * sign boundary, or a run of ones */
static u64 rndval(int sz)
{
	u64 m = maskof(sz), r = rnd();
	switch (rnd() % 4) {
	case 0: return r & m;
	case 1: return (r & 0x3f) & m;
	case 2: return ((1ull << (sz * 8 - 1)) + (r & 0xf) - 8) & m;
	default: return (r >> (rnd() % 64)) & m;
	}
}

static const u64 EDGES[] = {
	0, 1, 2, 0xf, 0x10, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff,
	0x80000000, 0xffffffff, 0x100000000ull, 0x7fffffffffffffffull, 0x8000000000000000ull,
	0xfffffffffffffffeull, 0xffffffffffffffffull, 0x5555555555555555ull, 0xaaaaaaaaaaaaaaaaull,
};

/* distinct edge values truncated to sz */
static int edges(int sz, u64 *v)
{
	int n = 0;
	for (size_t i = 0; i < sizeof EDGES / sizeof EDGES[0]; i++) {
		u64 e = EDGES[i] & maskof(sz);
		int dup = 0;
		for (int j = 0; j < n; j++) dup |= v[j] == e;
		if (!dup) v[n++] = e;
	}
	return n;
}

static const u64 FINS[2] = {FL_BASE, FL_BASE | ARITH};
static const int SIZES[4] = {1, 2, 4, 8};

static void run(const char *op, thunk_t t, int sz, u64 fin, u64 a, u64 b, u64 c, int keep_b)
{
	u64 x = a, y = b, f = fin | FL_BASE;
	t(&x, &y, c, &f);
	emit(op, sz, fin, a, b, c, x, keep_b ? y : 0, f);
}

/* binary ops: pairs of edges plus random pairs */
static void gen_binary(const char *op, thunk_t *tt, int nrand)
{
	for (int si = 0; si < 4; si++) {
		int sz = SIZES[si];
		if (!tt[sz]) continue;
		u64 e[32];
		int n = edges(sz, e);
		for (int fi = 0; fi < 2; fi++) {
			for (int i = 0; i < n; i++)
				for (int j = 0; j < n; j++) run(op, tt[sz], sz, FINS[fi], e[i], e[j], 0, 0);
			for (int k = 0; k < nrand; k++)
				run(op, tt[sz], sz, FINS[fi], rndval(sz), rndval(sz), 0, 0);
		}
	}
}

static void gen_unary(const char *op, thunk_t *tt, int nrand)
{
	for (int si = 0; si < 4; si++) {
		int sz = SIZES[si];
		if (!tt[sz]) continue;
		u64 e[32];
		int n = edges(sz, e);
		for (int fi = 0; fi < 2; fi++) {
			for (int i = 0; i < n; i++) run(op, tt[sz], sz, FINS[fi], e[i], 0, 0, 0);
			for (int k = 0; k < nrand; k++) run(op, tt[sz], sz, FINS[fi], rndval(sz), 0, 0, 0);
		}
	}
}

static const u64 COUNTS[] = {0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 255};

static void gen_shift(const char *op, thunk_t *tt, int nrand)
{
	static const u64 SV[] = {0, 1, 0x7f, 0x80, 0x8000, 0x80000000, 0x8000000000000000ull,
				 0xffffffffffffffffull, 0x5555555555555555ull, 0xaaaaaaaaaaaaaaaaull,
				 0xc000000000000001ull, 0x4000000040004041ull};
	for (int si = 0; si < 4; si++) {
		int sz = SIZES[si];
		if (!tt[sz]) continue;
		u64 v[64];
		int n = 0;
		for (size_t i = 0; i < sizeof SV / sizeof SV[0]; i++) v[n++] = SV[i] & maskof(sz);
		for (int k = 0; k < nrand; k++) v[n++] = rndval(sz);
		for (int fi = 0; fi < 2; fi++)
			for (int i = 0; i < n; i++)
				for (size_t ci = 0; ci < sizeof COUNTS / sizeof COUNTS[0]; ci++)
					run(op, tt[sz], sz, FINS[fi], v[i], 0, COUNTS[ci], 0);
		/* extra counts: size-1, size, size+1 and random counts */
		for (int i = 0; i < n; i++) {
			u64 cs[4] = {sz * 8 - 1, sz * 8, sz * 8 + 1, rnd() & 0xff};
			for (int ci = 0; ci < 4; ci++)
				run(op, tt[sz], sz, rnd() & ARITH, v[i], 0, cs[ci], 0);
		}
	}
}

static void gen_dshift(const char *op, thunk_t *tt, int npairs)
{
	for (int si = 1; si < 4; si++) {
		int sz = SIZES[si];
		u64 m = maskof(sz);
		for (int k = 0; k < npairs; k++) {
			u64 a, b;
			switch (k) {
			case 0: a = 0, b = m; break;
			case 1: a = m, b = 0; break;
			case 2: a = 0x8000000000000000ull & m, b = 1; break;
			case 3: a = 0x5555555555555555ull & m, b = 0xaaaaaaaaaaaaaaaaull & m; break;
			default: a = rndval(sz), b = rndval(sz);
			}
			for (size_t ci = 0; ci < sizeof COUNTS / sizeof COUNTS[0]; ci++) {
				run(op, tt[sz], sz, FINS[k & 1], a, b, COUNTS[ci], 0);
				run(op, tt[sz], sz, FINS[(k & 1) ^ 1], a, b, COUNTS[ci], 0);
			}
			run(op, tt[sz], sz, FINS[k & 1], a, b, sz * 8 - 1, 0);
			run(op, tt[sz], sz, FINS[k & 1], a, b, sz * 8 + 1, 0);
		}
	}
}

/* one-operand MUL/IMUL: a = rAX in, b = 0, c = source; r1 = rAX, r2 = rDX */
static void gen_mul1(const char *op, thunk_t *tt, int nrand)
{
	for (int si = 0; si < 4; si++) {
		int sz = SIZES[si];
		u64 e[32];
		int n = edges(sz, e);
		for (int fi = 0; fi < 2; fi++) {
			for (int i = 0; i < n * n + nrand; i++) {
				u64 a = i < n * n ? e[i / n] : rndval(sz), s = i < n * n ? e[i % n] : rndval(sz);
				u64 x = a, y = 0, f = FINS[fi];
				tt[sz](&x, &y, s, &f);
				if (sz == 1) y = (x >> 8) & 0xff, x &= 0xff;
				emit(op, sz, FINS[fi], a, 0, s, x, y, f);
			}
		}
	}
}

/* would (d:a) / s fault? (for size 1, d is AH and a is AL) */
static int div_faults(int sz, u64 a, u64 d, u64 s, int sgn)
{
	if (s == 0) return 1;
	int bits = sz * 8;
	unsigned __int128 dv = sz == 8 ? ((unsigned __int128)d << 64) | a : (unsigned __int128)((d << bits) | a);
	if (!sgn) {
		unsigned __int128 q = dv / s;
		return sz == 8 ? (q >> 64) != 0 : (q >> bits) != 0;
	}
	__int128 sdv, ss;
	switch (sz) {
	case 1: sdv = (int16_t)dv; ss = (int8_t)s; break;
	case 2: sdv = (int32_t)dv; ss = (int16_t)s; break;
	case 4: sdv = (int64_t)dv; ss = (int32_t)s; break;
	default: sdv = (__int128)dv; ss = (int64_t)s; break;
	}
	__int128 q = sdv / ss;
	__int128 lo = -((__int128)1 << (bits - 1)), hi = ((__int128)1 << (bits - 1)) - 1;
	return q < lo || q > hi;
}

/* DIV/IDIV: a = rAX part (AL for 8-bit), b = rDX part (AH for 8-bit), c = divisor;
 * r1 = quotient, r2 = remainder */
static void gen_div(const char *op, thunk_t *tt, int sgn, int nwant)
{
	for (int si = 0; si < 4; si++) {
		int sz = SIZES[si];
		u64 m = maskof(sz);
		u64 e[32];
		int ne = edges(sz, e);
		int got = 0;
		/* edge combinations, then random */
		for (int i = 0; i < ne; i++)
			for (int j = 0; j < ne; j++)
				for (int k = 0; k < ne; k += 3) {
					u64 a = e[i], d = e[k], s = e[j];
					if (div_faults(sz, a, d, s, sgn)) continue;
					u64 x = a, y = d, f;
					if (sz == 1) x = a | (d << 8);
					f = FINS[got & 1] | FL_BASE;
					tt[sz](&x, &y, s, &f);
					if (sz == 1) emit(op, sz, FINS[got & 1], a, d, s, x & 0xff, (x >> 8) & 0xff, f);
					else emit(op, sz, FINS[got & 1], a, d, s, x, y, f);
					got++;
				}
		for (int tries = 0; got < nwant && tries < 100000; tries++) {
			u64 a = rndval(sz), d = rnd() % 4 == 0 ? (sgn && (rnd() & 1) ? m : 0) : rndval(sz), s = rndval(sz);
			if (rnd() % 3 == 0) d = 0;
			if (div_faults(sz, a, d, s, sgn)) continue;
			u64 x = a, y = d, f;
			if (sz == 1) x = a | (d << 8);
			f = FINS[got & 1] | FL_BASE;
			tt[sz](&x, &y, s, &f);
			if (sz == 1) emit(op, sz, FINS[got & 1], a, d, s, x & 0xff, (x >> 8) & 0xff, f);
			else emit(op, sz, FINS[got & 1], a, d, s, x, y, f);
			got++;
		}
	}
}

/* bit tests: a = value, b = bit offset; r1 = value after */
static void gen_bt(const char *op, thunk_t *tt)
{
	static const u64 BITS[] = {0, 1, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 255, 0x8000, 0xffffffff,
				   0xfffffffffffffff0ull};
	for (int si = 1; si < 4; si++) {
		int sz = SIZES[si];
		u64 e[32];
		int n = edges(sz, e);
		for (int fi = 0; fi < 2; fi++)
			for (int i = 0; i < n; i++)
				for (size_t k = 0; k < sizeof BITS / sizeof BITS[0]; k++) {
					u64 b = BITS[k] & maskof(sz);
					run(op, tt[sz], sz, FINS[fi], e[i], b, 0, 0);
				}
		for (int k = 0; k < 40; k++) run(op, tt[sz], sz, rnd() & ARITH, rndval(sz), rnd() & maskof(sz), 0, 0);
	}
}

/* bit scans and counts: a = source, b = destination before; r1 = full 64-bit destination after */
static void gen_scan(const char *op, thunk_t *tt, int nrand)
{
	static const u64 DST = 0xdeadbeefcafef00dull;
	for (int si = 1; si < 4; si++) {
		int sz = SIZES[si];
		u64 e[32];
		int n = edges(sz, e);
		for (int fi = 0; fi < 2; fi++) {
			for (int i = 0; i < n; i++) {
				u64 x = DST, y = e[i], f = FINS[fi];
				tt[sz](&x, &y, 0, &f);
				emit(op, sz, FINS[fi], e[i], DST, 0, x, 0, f);
			}
			for (int k = 0; k < nrand; k++) {
				u64 s = rndval(sz);
				if (k < sz * 8) s = (1ull << k) | (rnd() & ((1ull << k) - 1)) * (k & 1); /* each bit position */
				u64 x = DST, y = s, f = FINS[fi];
				tt[sz](&x, &y, 0, &f);
				emit(op, sz, FINS[fi], s, DST, 0, x, 0, f);
			}
		}
	}
}

/* BSWAP: a = value (full 64-bit register for the 16-bit form), r1 = register after */
static void gen_bswap(void)
{
	for (int si = 1; si < 4; si++) {
		int sz = SIZES[si];
		for (int k = 0; k < 24; k++) {
			u64 v = k == 0 ? 0x0123456789abcdefull : rnd();
			if (sz == 4) v &= 0xffffffff;
			run("bswap", bswap_t[sz], sz, FINS[k & 1], v, 0, 0, 0);
		}
	}
}

/* XADD: a = dst, b = src; r1 = dst after (sum), r2 = src after (old dst) */
static void gen_xadd(int nrand)
{
	for (int si = 0; si < 4; si++) {
		int sz = SIZES[si];
		u64 e[32];
		int n = edges(sz, e);
		for (int i = 0; i < n * n + nrand; i++) {
			u64 a = i < n * n ? e[i / n] : rndval(sz), b = i < n * n ? e[i % n] : rndval(sz);
			u64 fin = FINS[i & 1];
			run("xadd", xadd_t[sz], sz, fin, a, b, 0, 1);
		}
	}
}

/* CMPXCHG: a = dst, b = src, c = accumulator; r1 = dst after, r2 = accumulator after */
static void gen_cmpxchg(int nrand)
{
	for (int si = 0; si < 4; si++) {
		int sz = SIZES[si];
		u64 e[32];
		int n = edges(sz, e);
		for (int i = 0; i < n * n + nrand; i++) {
			u64 a = i < n * n ? e[i / n] : rndval(sz), b = i < n * n ? e[i % n] : rndval(sz);
			u64 acc = (i % 3 == 0) ? a : (i < n * n ? e[(i * 7 + 3) % n] : rndval(sz));
			u64 x = a, y = b, f = FINS[(i >> 1) & 1] | FL_BASE;
			cmpxchg_t[sz](&x, &y, acc, &f);
			emit("cmpxchg", sz, FINS[(i >> 1) & 1], a, b, acc, x, y, f);
		}
	}
}

/* SETcc: a = condition code 0..15, fin = every combination of the six flags; r1 = byte written */
static void gen_setcc(void)
{
	static const u64 BIT[6] = {0x1, 0x4, 0x10, 0x40, 0x80, 0x800};
	for (int cc = 0; cc < 16; cc++)
		for (int m = 0; m < 64; m++) {
			u64 fin = 0;
			for (int k = 0; k < 6; k++)
				if (m & (1 << k)) fin |= BIT[k];
			emit("setcc", 1, fin, cc, 0, 0, setcc_t[cc](fin | FL_BASE), 0, fin);
		}
}

/* ---------------------------------------------------------------------
 * BCD ops in 32-bit compatibility mode.
 * call32(code, eax, flags, out): far-returns into `code` (CS=0x23), which
 * runs "push edx; popfd; <insn>; pushfd; pop edx; ljmp 0x33:back64".
 * ------------------------------------------------------------------- */
extern void call32(u64 code, u64 eax, u64 flags, u64 *out);
extern char back64[];
static char stack32[8192] __attribute__((aligned(16)));
u64 saved_rsp;
u64 stack32_top;
asm(".text\n"
    ".globl call32\n"
    "call32:\n"
    "  push %rbx\n  push %rbp\n  push %r12\n  push %r13\n  push %r14\n  push %r15\n"
    "  push %rcx\n" /* out pointer */
    "  mov %rsp, saved_rsp(%rip)\n"
    "  mov stack32_top(%rip), %rsp\n"
    "  mov %esi, %eax\n"
    "  push $0x23\n"
    "  push %rdi\n"
    "  lretq\n"
    ".globl back64\n"
    "back64:\n"
    "  mov saved_rsp(%rip), %rsp\n"
    "  pop %rcx\n"
    "  mov %rax, 0(%rcx)\n"
    "  mov %rdx, 8(%rcx)\n"
    "  pop %r15\n  pop %r14\n  pop %r13\n  pop %r12\n  pop %rbp\n  pop %rbx\n"
    "  ret\n");

static unsigned char *code32;

/* run one legacy instruction (1 or 2 bytes) with EAX and EFLAGS given */
static void run32(const unsigned char *insn, int len, u64 eax, u64 fin, u64 *reax, u64 *rfl)
{
	unsigned char *p = code32;
	*p++ = 0x52; /* push edx */
	*p++ = 0x9d; /* popfd */
	memcpy(p, insn, len);
	p += len;
	*p++ = 0x9c; /* pushfd */
	*p++ = 0x5a; /* pop edx */
	*p++ = 0xea; /* ljmp ptr16:32 */
	uint32_t tgt = (uint32_t)(uintptr_t)back64;
	memcpy(p, &tgt, 4);
	p += 4;
	*p++ = 0x33;
	*p++ = 0x00;
	u64 o[2];
	call32((u64)(uintptr_t)code32, eax, fin | FL_BASE, o);
	*reax = o[0] & 0xffffffff;
	*rfl = o[1];
}

static void gen_bcd(void)
{
	if ((uintptr_t)back64 >> 32 || (uintptr_t)stack32 >> 32) {
		fprintf(stderr, "record: binary not loaded below 4 GiB (build with -no-pie)\n");
		exit(1);
	}
	stack32_top = ((u64)(uintptr_t)stack32 + sizeof stack32 - 64) & ~15ull;
	code32 = mmap(0, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT,
		      -1, 0);
	if (code32 == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	/* Probe in a child: a kernel without 32-bit compatibility support
	 * (ia32_emulation=0) kills the far transfer with a signal. */
	pid_t pid = fork();
	if (pid == 0) {
		unsigned char nop = 0x90;
		u64 r, f;
		run32(&nop, 1, 0, 0, &r, &f);
		_exit(0);
	}
	int status = 0;
	if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(out, "# note: no 32-bit compatibility mode here; BCD vectors skipped\n");
		fprintf(stderr, "record: no 32-bit compatibility mode; BCD vectors skipped\n");
		return;
	}
	static const struct { const char *name; unsigned char op; } one[] = {
		{"daa", 0x27}, {"das", 0x2f}, {"aaa", 0x37}, {"aas", 0x3f}};
	/* flags: CF/AF combinations with the other flags clear or set */
	static const u64 BF[8] = {0x000, 0x001, 0x010, 0x011, 0x8c4, 0x8c5, 0x8d4, 0x8d5};
	for (int o = 0; o < 4; o++)
		for (int al = 0; al < 256; al++)
			for (int fi = 0; fi < 8; fi++) {
				u64 ah = fi < 4 ? (al * 7) & 0xff : 0xff - (al & 0x3);
				u64 eax = 0x12340000 | (ah << 8) | al, r, f;
				run32(&one[o].op, 1, eax, BF[fi], &r, &f);
				emit(one[o].name, 1, BF[fi], eax & 0xffff, 0, 0, r & 0xffff, 0, f);
			}
	static const unsigned char IMMS[] = {10, 16, 1, 7, 0xff, 2};
	for (int ii = 0; ii < 6; ii++)
		for (int al = 0; al < 256; al++) {
			unsigned char aam[2] = {0xd4, IMMS[ii]};
			u64 fin = (al & 1) ? ARITH : 0, r, f;
			u64 eax = 0x5500 | al;
			run32(aam, 2, eax, fin, &r, &f);
			emit("aam", 1, fin, eax & 0xffff, IMMS[ii], 0, r & 0xffff, 0, f);
			unsigned char aad[2] = {0xd5, IMMS[ii]};
			u64 ax = ((u64)((al * 37 + ii * 11) & 0xff) << 8) | al;
			run32(aad, 2, ax, fin ^ ARITH, &r, &f);
			emit("aad", 1, fin ^ ARITH, ax, IMMS[ii], 0, r & 0xffff, 0, f);
		}
}

int main(int argc, char **argv)
{
	out = argc > 1 ? fopen(argv[1], "w") : stdout;
	setvbuf(out, NULL, _IOFBF, 1 << 16);
	if (!out) {
		perror(argv[1]);
		return 1;
	}
	/* header: where this was recorded */
	FILE *ci = fopen("/proc/cpuinfo", "r");
	char line[512];
	int seen = 0;
	while (ci && fgets(line, sizeof line, ci) && seen < 6) {
		if (!strncmp(line, "vendor_id", 9) || !strncmp(line, "cpu family", 10) ||
		    !strncmp(line, "model", 5) || !strncmp(line, "stepping", 8) ||
		    !strncmp(line, "microcode", 9)) {
			line[strcspn(line, "\n")] = 0;
			fprintf(out, "# cpu: %s\n", line);
			seen++;
		}
	}
	if (ci) fclose(ci);
	fprintf(out, "# format: op size fin a b c r1 r2 fout (hex; see tools/alu-vectors/README.md)\n");

	gen_binary("add", add_t, 48);
	gen_binary("adc", adc_t, 48);
	gen_binary("sub", sub_t, 48);
	gen_binary("sbb", sbb_t, 48);
	gen_binary("cmp", cmp_t, 48);
	gen_binary("and", and_t, 24);
	gen_binary("or", or_t, 24);
	gen_binary("xor", xor_t, 24);
	gen_binary("test", test_t, 24);
	gen_unary("inc", inc_t, 32);
	gen_unary("dec", dec_t, 32);
	gen_unary("neg", neg_t, 32);
	gen_unary("not", not_t, 8);
	gen_shift("shl", shl_t, 4);
	gen_shift("shr", shr_t, 4);
	gen_shift("sar", sar_t, 4);
	gen_shift("rol", rol_t, 4);
	gen_shift("ror", ror_t, 4);
	gen_shift("rcl", rcl_t, 4);
	gen_shift("rcr", rcr_t, 4);
	gen_dshift("shld", shld_t, 12);
	gen_dshift("shrd", shrd_t, 12);
	gen_mul1("mul", mul_t, 64);
	gen_mul1("imul1", imul1_t, 64);
	gen_binary("imul", imul_t, 64);
	gen_div("div", udiv_t, 0, 700);
	gen_div("idiv", idiv_t, 1, 700);
	gen_bt("bt", bt_t);
	gen_bt("bts", bts_t);
	gen_bt("btr", btr_t);
	gen_bt("btc", btc_t);
	gen_scan("bsf", bsf_t, 72);
	gen_scan("bsr", bsr_t, 72);
	gen_scan("tzcnt", tzcnt_t, 72);
	gen_scan("lzcnt", lzcnt_t, 72);
	gen_scan("popcnt", popcnt_t, 72);
	gen_bswap();
	gen_xadd(16);
	gen_cmpxchg(16);
	gen_setcc();
	gen_bcd();
	fprintf(stderr, "record: %ld vectors\n", nvec);
	if (out != stdout) fclose(out);
	return 0;
}

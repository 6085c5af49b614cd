/*
 * x87 transcendental probe: runs one instruction per input line on this CPU
 * and prints the status word and the top two registers, for model studies
 * with chosen operands (tools/x87-transc/README.md).
 *
 * Input lines:  OP FCW A [B]      A = ST(0), B = ST(1), 20 hex digits each
 *   OP: f2xm1 fyl2x fyl2xp1 fpatan fsin fcos fsincos fptan
 * Output lines: FSW ST0 ST1       ST1 is "-" when empty
 *
 * Every case runs fninit; fldcw; (fld B); fld A; OP; fnsave.
 * Build: gcc -O1 -mno-red-zone -o /tmp/x87probe tools/x87-transc/probe.c
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ctx {
  uint16_t fcw;
  uint8_t pad0[14];
  uint8_t a[16]; /* 16 */
  uint8_t b[16]; /* 32 */
  uint8_t img[112]; /* 48 */
};

#define OP(name, bytes)                                                      \
  static void run_##name(struct ctx *c) {                                    \
    __asm__ volatile("fninit\n\tfldcw (%%rdi)\n\tfldt 32(%%rdi)\n\t"        \
                     "fldt 16(%%rdi)\n\t.byte " bytes "\n\t"                 \
                     "fnsave 48(%%rdi)\n\tfninit\n\t"                        \
                     :                                                       \
                     : "D"(c)                                                \
                     : "memory");                                            \
  }
OP(f2xm1, "0xd9,0xf0")
OP(fyl2x, "0xd9,0xf1")
OP(fyl2xp1, "0xd9,0xf9")
OP(fpatan, "0xd9,0xf3")
OP(fsin, "0xd9,0xfe")
OP(fcos, "0xd9,0xff")
OP(fsincos, "0xd9,0xfb")
OP(fptan, "0xd9,0xf2")

static const struct {
  const char *name;
  void (*run)(struct ctx *);
} ops[] = {{"f2xm1", run_f2xm1}, {"fyl2x", run_fyl2x},   {"fyl2xp1", run_fyl2xp1},
           {"fpatan", run_fpatan}, {"fsin", run_fsin},   {"fcos", run_fcos},
           {"fsincos", run_fsincos}, {"fptan", run_fptan}};

static void parse80(const char *h, uint8_t *p) {
  char buf[17];
  memcpy(buf, h, 4);
  buf[4] = 0;
  uint16_t se = (uint16_t)strtoul(buf, 0, 16);
  memcpy(buf, h + 4, 16);
  buf[16] = 0;
  uint64_t m = strtoull(buf, 0, 16);
  memcpy(p, &m, 8);
  memcpy(p + 8, &se, 2);
}

static void put80(const uint8_t *p) {
  uint64_t m;
  memcpy(&m, p, 8);
  printf(" %04x%016llx", p[8] | (p[9] << 8), (unsigned long long)m);
}

int main(void) {
  char line[256], name[32], a[64], b[64];
  unsigned fcw;
  while (fgets(line, sizeof line, stdin)) {
    b[0] = 0;
    int n = sscanf(line, "%31s %x %63s %63s", name, &fcw, a, b);
    if (n < 3) continue;
    struct ctx c;
    memset(&c, 0, sizeof c);
    c.fcw = (uint16_t)fcw;
    parse80(a, c.a);
    if (n >= 4) parse80(b, c.b);
    else c.b[9] = 0x3f, c.b[8] = 0xff, c.b[7] = 0x80; /* 1.0 */
    unsigned i;
    for (i = 0; i < sizeof ops / sizeof ops[0]; i++)
      if (!strcmp(name, ops[i].name)) break;
    if (i == sizeof ops / sizeof ops[0]) {
      printf("? %s\n", name);
      continue;
    }
    ops[i].run(&c);
    uint16_t sw = (uint16_t)(c.img[4] | (c.img[5] << 8));
    uint16_t tw = (uint16_t)(c.img[8] | (c.img[9] << 8));
    int top = (sw >> 11) & 7;
    printf("%x", sw);
    for (int k = 0; k < 2; k++) {
      if (((tw >> (2 * ((top + k) & 7))) & 3) != 3) put80(c.img + 28 + 10 * k);
      else printf(" -");
    }
    printf("\n");
  }
  return 0;
}

/*
 * Upper halves of 64-bit registers after 32-bit (and narrower) register writes in 64-bit mode,
 * recorded on the host CPU: each case loads RAX, RCX, RDX, RBX, RSI and RDI with values whose
 * bits 63:32 are set, runs a few instruction bytes and prints the six registers. Which writes
 * zero-extend (every 32-bit destination, also CMOVcc not taken, shifts by 0, LOOP's ECX...) and
 * which leave a register untouched (BSF/BSR of 0, CMPXCHG's destination on AMD...) is what the
 * recording pins; tests/upper_half_test.ts replays it through nestvm.
 *
 *   gcc -O1 -o /tmp/upper_half tools/upper-half/record.c && /tmp/upper_half > tests/data/upper_half.txt
 *
 * Output: one line per case, "name|code bytes|RAX RCX RDX RBX RSI RDI before|the same after"
 * (hex).
 */
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
typedef struct { uint64_t r[6]; } regs; /* rax rcx rdx rbx rsi rdi */
static uint8_t *page;
static void run(const char *name, const uint8_t *code, int n, regs in) {
  uint8_t *p = page;
  /* movabs into registers from a table at [r15]: we do it with push/pop style via a stub */
  static const uint8_t pro[] = {
    0x53,                               /* push rbx */
    0x49, 0x89, 0xff,                   /* mov r15, rdi (table) */
    0x49, 0x8b, 0x07,                   /* mov rax, [r15] */
    0x49, 0x8b, 0x4f, 0x08,             /* mov rcx, [r15+8] */
    0x49, 0x8b, 0x57, 0x10,             /* mov rdx, [r15+16] */
    0x49, 0x8b, 0x5f, 0x18,             /* mov rbx, [r15+24] */
    0x49, 0x8b, 0x77, 0x20,             /* mov rsi, [r15+32] */
    0x49, 0x8b, 0x7f, 0x28,             /* mov rdi, [r15+40] */
  };
  static const uint8_t epi[] = {
    0x49, 0x89, 0x07, 0x49, 0x89, 0x4f, 0x08, 0x49, 0x89, 0x57, 0x10, 0x49, 0x89, 0x5f, 0x18,
    0x49, 0x89, 0x77, 0x20, 0x49, 0x89, 0x7f, 0x28, 0x5b, 0xc3,
  };
  memcpy(p, pro, sizeof pro); p += sizeof pro;
  memcpy(p, code, n); p += n;
  memcpy(p, epi, sizeof epi);
  regs r = in;
  ((void (*)(regs *))page)(&r);
  printf("%s|", name);
  for (int i = 0; i < n; i++) printf("%02x", code[i]);
  printf("|");
  for (int i = 0; i < 6; i++) printf("%s%016llx", i ? " " : "", (unsigned long long)in.r[i]);
  printf("|");
  for (int i = 0; i < 6; i++) printf("%s%016llx", i ? " " : "", (unsigned long long)r.r[i]);
  printf("\n");
}
#define C(name, ...) do { static const uint8_t b[] = {__VA_ARGS__}; run(name, b, sizeof b, in); } while (0)
int main(void) {
  page = mmap(0, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
  regs in = {{0xaaaa000000000005ull, 0xcccc000000000003ull, 0xdddd000000000007ull,
              0xbbbb000000000000ull, 0x5555000000000011ull, 0xeeee000000000000ull}};
  C("cmpxchg ebx,esi (ne)", 0x0f, 0xb1, 0xf3);
  in.r[0] = 0xaaaa000000000000ull;
  C("cmpxchg ebx,esi (eq)", 0x0f, 0xb1, 0xf3);
  in.r[0] = 0xaaaa000000000005ull;
  C("xchg eax,eax (87 c0)", 0x87, 0xc0);
  C("nop 90", 0x90);
  C("xadd ebx,esi", 0x0f, 0xc1, 0xf3);
  C("bsf ebx,edi (zero src)", 0x0f, 0xbc, 0xdf);
  C("bsr ebx,edi (zero src)", 0x0f, 0xbd, 0xdf);
  C("bsf ebx,esi", 0x0f, 0xbc, 0xde);
  C("tzcnt ebx,edi", 0xf3, 0x0f, 0xbc, 0xdf);
  C("lzcnt ebx,edi", 0xf3, 0x0f, 0xbd, 0xdf);
  C("popcnt ebx,esi", 0xf3, 0x0f, 0xb8, 0xde);
  C("cmovz ebx,esi (not taken)", 0x85, 0xc0, 0x0f, 0x44, 0xde);
  C("cmovnz ebx,esi (taken)", 0x85, 0xc0, 0x0f, 0x45, 0xde);
  C("shl ebx,0 (imm)", 0xc1, 0xe3, 0x00);
  C("xor ecx,ecx; shl esi,cl", 0x31, 0xc9, 0xd3, 0xe6);
  C("rol esi,0", 0xc1, 0xc6, 0x00);
  C("shld esi,ebx,0", 0x0f, 0xa4, 0xde, 0x00);
  C("bswap esi", 0x0f, 0xce);
  C("mul esi", 0xf7, 0xe6);
  C("div ecx", 0x31, 0xd2, 0xf7, 0xf1);
  C("cdq", 0x99);
  C("cwde", 0x98);
  C("btc ebx,esi", 0x0f, 0xbb, 0xf3);
  C("movsx ebx,si", 0x0f, 0xbf, 0xde);
  C("mov ebx,ebx", 0x89, 0xdb);
  C("xchg ebx,esi", 0x87, 0xf3);
  C("test esi,esi; setz bl", 0x85, 0xf6, 0x0f, 0x94, 0xc3);
  C("lea ebx,[rsi+1]", 0x8d, 0x5e, 0x01);
  C("imul ebx,esi,3", 0x6b, 0xde, 0x03);
  C("crc32 ebx,esi", 0xf2, 0x0f, 0x38, 0xf1, 0xde);
  C("and ebx,ebx", 0x21, 0xdb);
  C("rcl ebx,0", 0xc1, 0xd3, 0x00);
  C("shl ebx,32 (imm masked 0)", 0xc1, 0xe3, 0x20);
  C("btr ebx,esi", 0x0f, 0xb3, 0xf3);
  C("bts ebx,imm 1", 0x0f, 0xba, 0xeb, 0x01);
  C("addr32 loop (taken)", 0x67, 0xe2, 0x00);
  in.r[1] = 0xcccc000000000001ull;
  C("addr32 loop (ends)", 0x67, 0xe2, 0x00);
  in.r[1] = 0xcccc000000000000ull;
  C("addr32 jrcxz", 0x67, 0xe3, 0x00);
  in.r[1] = 0xcccc000000000003ull;
  C("movzx ebx,sil", 0x40, 0x0f, 0xb6, 0xde);
  C("mov bx,si", 0x66, 0x89, 0xf3);
  C("xchg eax,ebx (93)", 0x93);
  C("xchg rax,rax (48 90)", 0x48, 0x90);
  C("pause (f3 90)", 0xf3, 0x90);
  C("neg ebx", 0xf7, 0xdb);
  C("not esi", 0xf7, 0xd6);
  C("inc esi", 0xff, 0xc6);
  C("clc; adc ebx,0", 0xf8, 0x83, 0xd3, 0x00);
  C("cmp ebx,esi (no write)", 0x39, 0xf3);
  C("test esi,esi (no write)", 0x85, 0xf6);
  return 0;
}

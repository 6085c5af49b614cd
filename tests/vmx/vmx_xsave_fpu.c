/*
 * VMX conformance guest (issue 14, VMX interplay of the FPU/XSAVE state):
 * - XSAVES/XRSTORS in L2 are #UD without the "enable XSAVES/XRSTORS"
 *   secondary control (bit 20), and run in L2 with it when EDX:EAX AND
 *   IA32_XSS AND the XSS-exiting bitmap is 0 (SDM Vol. 3C 26.1.3, 26.3);
 *   IA32_XSS has no supervisor component here, so it is 0 and no bitmap
 *   bit can make them exit.
 * - VM entry loads neither XCR0 nor IA32_XSS (no VM-entry control for them
 *   in this VMX version): L2 sees L1's XCR0, and XSETBV in L2 exits.
 * - The x87/SSE registers are not in the VMCS: L2 sees L1's ST0/XMM0, and
 *   after the VM exit L1 sees what L2 left there.
 */
#include "harness.h"

#define X(...) L2_LABELS(__VA_ARGS__)
#define CR4_OSFXSR (1ull << 9)
#define CR4_OSXSAVE (1ull << 18)
#define PROC2_XSAVES (1u << 20)
#define XSS_EXIT_BITMAP 0x202c
#define MSR_XSS 0xda0
#define EXIT_XSAVES 63
#define EXIT_XRSTORS 64

static uint8_t area[1024] __attribute__((aligned(64)));

static inline uint64_t get_cr4(void) {
  uint64_t v;
  __asm__ volatile("mov %%cr4, %0" : "=r"(v));
  return v;
}
static inline void set_cr4(uint64_t v) { __asm__ volatile("mov %0, %%cr4" ::"r"(v)); }
static inline void set_xcr0(uint64_t v) {
  __asm__ volatile("xsetbv" ::"c"(0), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}
static inline uint64_t get_xcr0(void) {
  uint32_t lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return ((uint64_t)hi << 32) | lo;
}

X(l2_xsaves[], l2_xsaves_end[], l2_xrstors[], l2_xrstors_end[], l2_fpu[], l2_fpu_end[],
  l2_xcr0[], l2_xsetbv[], l2_xcr0_end[]);
L2_ASM("l2_xsaves: xsaves (%rbx)\n l2_xsaves_end: vmcall\n jmp l2_xsaves_end\n"
       "l2_xrstors: xrstors (%rbx)\n l2_xrstors_end: vmcall\n jmp l2_xrstors_end\n"
       "l2_fpu: movq %xmm0, %r8\n fsts (%rbx)\n pcmpeqd %xmm0, %xmm0\n fchs\n"
       "l2_fpu_end: vmcall\n jmp l2_fpu_end\n"
       "l2_xcr0: xor %ecx, %ecx\n xgetbv\n mov %rax, %r9\n mov $3, %eax\n xor %edx, %edx\n"
       "l2_xsetbv: xsetbv\n l2_xcr0_end: vmcall\n jmp l2_xcr0_end");

/* #UD in L2 (exception bitmap bit 6): an exception exit at `rip`, not an instruction exit. */
static void expect_ud(const char *name, const char *rip) {
  vw(EXCEPTION_BITMAP, 1u << 6);
  memset(&g, 0, sizeof g);
  g.rax = 3;
  g.rbx = (uintptr_t)area;
  struct xit x = h_enter(rip, 2);
  t_ok(xit_is(&x, EXIT_EXCEPTION_NMI, rip) && x.intr == 0x80000306,
       "%s in L2 without \"enable XSAVES/XRSTORS\": #UD (intr 0x%x, reason %u)", name, x.intr,
       x.reason);
  vw(EXCEPTION_BITMAP, 0);
}

static void test_xsaves(void) {
  if (!t_ok(can_proc2(PROC2_XSAVES), "IA32_VMX_PROCBASED_CTLS2 allows \"enable XSAVES/XRSTORS\"")) {
    t_skip(6, "enable XSAVES/XRSTORS not advertised");
    return;
  }
  t_ok(rdmsr(MSR_XSS) == 0, "IA32_XSS reads 0 (no supervisor state component)");
  h_controls(0, 0, 0);
  expect_ud("XSAVES", l2_xsaves);
  expect_ud("XRSTORS", l2_xrstors);
  h_controls(0, 0, PROC2_XSAVES);
  vw(XSS_EXIT_BITMAP, ~0ull);
  /* XSAVES writes XSTATE_BV and XCOMP_BV, not the rest of the header (which
   * XRSTORS requires to be 0), so only XSTATE_BV starts as garbage. */
  memset(area, 0, sizeof area);
  memset(area + 512, 0xee, 8);
  memset(&g, 0, sizeof g);
  g.rax = 3;
  g.rbx = (uintptr_t)area;
  struct xit x = h_enter(l2_xsaves, 2);
  uint64_t bv, comp;
  memcpy(&bv, area + 512, 8);
  memcpy(&comp, area + 520, 8);
  t_ok(xit_is(&x, EXIT_VMCALL, l2_xsaves_end) && x.reason != EXIT_XSAVES,
       "XSAVES with the control and an all-ones XSS-exiting bitmap (IA32_XSS = 0): no exit");
  t_ok(bv == 3 && comp == 0x8000000000000003ull,
       "XSAVES in L2 wrote the compacted header: XSTATE_BV 0x%lx, XCOMP_BV 0x%lx",
       (unsigned long)bv, (unsigned long)comp);
  memset(&g, 0, sizeof g);
  g.rax = 3;
  g.rbx = (uintptr_t)area;
  x = h_enter(l2_xrstors, 2);
  t_ok(xit_is(&x, EXIT_VMCALL, l2_xrstors_end) && x.reason != EXIT_XRSTORS,
       "XRSTORS of that image in L2: no exit, no fault");
  vw(XSS_EXIT_BITMAP, 0);
  h_controls(0, 0, 0);
}

static void test_xcr0(void) {
  set_xcr0(1);
  memset(&g, 0, sizeof g);
  struct xit x = h_enter(l2_xcr0, 2);
  t_ok(xit_is(&x, EXIT_XSETBV, l2_xsetbv) && g.r9 == 1,
       "VM entry keeps L1's XCR0: L2's XGETBV reads 0x%lx, its XSETBV exits (reason %u)",
       (unsigned long)g.r9, x.reason);
  t_ok(get_xcr0() == 1, "XCR0 after the exit is still L1's (VM exit loads none)");
  set_xcr0(3);
}

static void test_fpu(void) {
  static const uint64_t pat = 0x0123456789abcdefull;
  uint64_t xmm, st0;
  uint32_t l2_st0 = 0; /* binary32 written by L2 */
  memset(&g, 0, sizeof g);
  g.rbx = (uintptr_t)&l2_st0;
  /* -mgeneral-regs-only: the compiler itself never touches x87/XMM registers. */
  __asm__ volatile("fninit\n fld1\n movq %0, %%xmm0" ::"r"(pat) : "memory");
  struct xit x = h_enter(l2_fpu, 2);
  __asm__ volatile("movq %%xmm0, %0\n fstpl %1" : "=r"(xmm), "=m"(st0)::"memory");
  t_ok(xit_is(&x, EXIT_VMCALL, l2_fpu_end) && g.r8 == pat && l2_st0 == 0x3f800000,
       "L2 sees L1's XMM0 (0x%lx) and ST0 (1.0)", (unsigned long)g.r8);
  t_ok(xmm == ~0ull && st0 == 0xbff0000000000000ull,
       "after the exit L1 sees L2's XMM0 (0x%lx) and ST0 (0x%lx = -1.0): the FPU is not in the VMCS",
       (unsigned long)xmm, (unsigned long)st0);
}

int kmain(uint32_t magic, uint32_t mbi) {
  (void)magic;
  (void)mbi;
  t_plan(12);
  if (!t_ok(h_init(), "VMXON and a VMCS for a 64-bit L2")) t_done();
  set_cr4(get_cr4() | CR4_OSFXSR | CR4_OSXSAVE);
  set_xcr0(3);
  vw(GUEST_CR4, vmr(GUEST_CR4) | CR4_OSFXSR | CR4_OSXSAVE);
  vw(HOST_CR4, get_cr4()); /* VM exits load CR4 from here: keep OSFXSR/OSXSAVE in L1 */
  test_xsaves();
  test_xcr0();
  test_fpu();
  t_done();
}

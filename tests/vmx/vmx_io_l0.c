/*
 * VMX conformance guest, part 2 (issue 8 item 4, "L0 or L1?"): L1 asks
 * only for the exits it cannot avoid (CPUID, and VMCALL to finish): no I/O
 * exiting, no MSR or HLT exiting, no exception bitmap. L2 prints a line
 * through COM1 with polled port I/O, so its IN/OUT instructions must be
 * handled by nestvm's own UART (L0) without L1 seeing them, while its
 * CPUIDs are reflected to L1 (SDM Vol. 3C 26.1.2, 26.1.3). L1 counts every
 * exit it gets and checks that they are exactly the CPUIDs L2 executed.
 * The test runner asserts that L2's line appears on the serial output.
 */
#include "harness.h"

#define L2_CPUIDS 5

static void l2_main(void) {
  serial_puts("L2: this line went from L2's OUT instructions straight to nestvm's UART\n");
  uint32_t sum = 0;
  for (int i = 0; i < L2_CPUIDS; i++) sum += cpuid(0x40000000 + (uint32_t)i, 0).ebx;
  rdmsr(MSR_IA32_SYSENTER_CS); /* no MSR bitmap: this exits too, see below */
  for (;;) __asm__ volatile("vmcall" ::"a"((uint64_t)sum) : "memory");
}

int kmain(uint32_t magic, uint32_t mbi) {
  t_plan(5);
  if (!t_ok(h_init(), "VMXON and a VMCS for a 64-bit L2")) t_done();
  /* RDMSR exits unconditionally without MSR bitmaps; an all-clear bitmap lets it run in L2. */
  bool bitmaps = can_proc(PROC_USE_MSR_BITMAPS);
  if (bitmaps) {
    vw(MSR_BITMAP, (uintptr_t)alloc_page());
    h_controls(0, PROC_USE_MSR_BITMAPS, 0);
  }
  uint32_t proc = (uint32_t)vmr(PROC_CONTROLS);
  t_ok(!(proc & (PROC_UNCOND_IO_EXITING | PROC_USE_IO_BITMAPS | PROC_HLT_EXITING)) && vmr(EXCEPTION_BITMAP) == 0,
       "controls ask for no I/O, HLT or exception exits (proc 0x%x)", proc);
  unsigned counts[64] = {0}, other = 0, cpuids = 0;
  uint32_t expect_sum = 0;
  memset(&g, 0, sizeof g);
  struct xit x = h_enter(l2_main, 2);
  for (int n = 0; n < 100; n++) {
    if (x.fail) break;
    uint32_t r = x.reason & 0xffff;
    if (r < 64) counts[r]++;
    if (r == EXIT_CPUID) {
      cpuids++;
      struct cpuid_regs c = {0x40000000, 0x4c310000 + (uint32_t)g.rax, 0, 0};
      expect_sum += c.ebx;
      g.rax = c.eax;
      g.rbx = c.ebx;
      g.rcx = c.ecx;
      g.rdx = c.edx;
      x = h_skip_run();
      continue;
    }
    if (r == EXIT_RDMSR && !bitmaps) {
      g.rax = g.rdx = 0;
      x = h_skip_run();
      continue;
    }
    if (r != EXIT_VMCALL) other++;
    break;
  }
  t_ok(x.fail == 0 && x.reason == EXIT_VMCALL, "L2 finished with VMCALL");
  t_ok(cpuids == L2_CPUIDS && other == 0 && counts[EXIT_IO] == 0,
       "L1 saw exactly %d CPUID exits (got %u) and no I/O or other exits (other %u)", L2_CPUIDS, cpuids,
       other);
  t_ok((uint32_t)g.rax == expect_sum, "L2 computed its sum from L1's emulated CPUID values (0x%x)",
       (uint32_t)g.rax);
  (void)magic;
  (void)mbi;
  t_done();
}

/*
 * fp64 guest: enables SSE (CR4.OSFXSR | OSXMMEXCPT, CR0.MP, CR0.EM clear)
 * and runs the double-precision workload, printing each line on the serial
 * console; tests/fp_guest_test.ts compares it with the host's output.
 */
#include "rt.h"
#include "fpwork.h"

static void out(const char *line) { printf("%s\n", line); }

int kmain(uint32_t magic, uint32_t mbi) {
  uint64_t cr0, cr4;
  __asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
  cr0 = (cr0 & ~4ull) | 2; /* EM = 0, MP = 1 */
  __asm__ volatile("mov %0, %%cr0" : : "r"(cr0));
  __asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
  cr4 |= 0x600;
  __asm__ volatile("mov %0, %%cr4" : : "r"(cr4));
  fp_main(out);
  return 0;
}

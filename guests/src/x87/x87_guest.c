/*
 * x87 guest: clears CR0.EM, sets CR0.MP and CR0.NE, and runs the long double
 * workload, printing each line on the serial console; tests/x87_guest_test.ts
 * compares it with the host's output.
 */
#include "rt.h"
#include "x87work.h"

static void out(const char *line) { printf("%s\n", line); }

int kmain(uint32_t magic, uint32_t mbi) {
  uint64_t cr0;
  __asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
  cr0 = (cr0 & ~0xcull) | 0x22; /* EM = TS = 0, MP = NE = 1 */
  __asm__ volatile("mov %0, %%cr0" : : "r"(cr0));
  x87_main(out);
  return 0;
}

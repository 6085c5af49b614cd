/* Turn SSE on for the floating-point guests: CR0.EM = 0, CR0.MP = 1, CR4.OSFXSR | OSXMMEXCPT. */
#ifndef SSE_ON_H
#define SSE_ON_H
#include "rt.h"

static inline void sse_on(void) {
  uint64_t cr0, cr4;
  __asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
  cr0 = (cr0 & ~4ull) | 2;
  __asm__ volatile("mov %0, %%cr0" : : "r"(cr0));
  __asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
  cr4 |= 0x600;
  __asm__ volatile("mov %0, %%cr4" : : "r"(cr4));
}
#endif

/* The interrupt frame built by isr64.S / isr32.S. */
#ifndef NESTVM_IDT_H
#define NESTVM_IDT_H
#include "rt.h"

#ifdef __x86_64__
struct irq_frame {
  uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
  uint64_t vector, error_code;
  uint64_t rip, cs, rflags, rsp, ss;
};
#else
struct irq_frame {
  uint32_t rdi, rsi, rbp, esp_unused, rbx, rdx, rcx, rax;
  uint32_t vector, error_code;
  uint32_t rip, cs, rflags;
  uint32_t rsp, ss; /* only present when the CPL changed */
};
#endif
#endif

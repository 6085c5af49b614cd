/*
 * VMX regression guest for issue 20 (defect 3): a VM exit whose MSR-store
 * list names IA32_SMBASE (an MSR the exit cannot store, SDM Vol. 3C 28.4)
 * ends in a VMX abort (28.7): indicator 1 written at offset 4 of the VMCS
 * region and the processor shut down. The guest prints the VMCS pointer
 * and never runs again; the host reports the abort (tests/vmx_abort_test.ts).
 */
#include "harness.h"

#define X(...) L2_LABELS(__VA_ARGS__)

X(l2_call[]);
L2_ASM("l2_call: vmcall\n jmp l2_call");

static uint64_t store_list[2] __attribute__((aligned(16)));

int kmain(uint32_t magic, uint32_t mbi) {
  if (!h_init()) {
    printf("Bail out! no VMX\n");
    rt_exit(EXIT_FAIL);
  }
  uint64_t ptr = 0;
  vmptrst(&ptr);
  store_list[0] = 0x9e; /* IA32_SMBASE */
  store_list[1] = 0;
  vw(EXIT_MSR_STORE_COUNT, 1);
  vw(EXIT_MSR_STORE_ADDR, (uintptr_t)store_list);
  printf("# vmcs 0x%lx: entering L2 with IA32_SMBASE in the exit MSR-store list\n",
         (unsigned long)ptr);
  struct xit x = h_enter(l2_call, 2);
  /* Not reached: the VMCALL exit aborts. */
  printf("Bail out! the exit returned to L1 (reason %u, fail %d)\n", x.reason, x.fail);
  (void)magic;
  (void)mbi;
  rt_exit(EXIT_FAIL);
}

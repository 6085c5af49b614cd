/*
 * Nested round-trip benchmark guest (an L1 hypervisor): L2 executes CPUID in
 * a loop; each CPUID exits to L1 (roundtrip.S), which advances the guest RIP
 * by the VM-exit instruction length and executes VMRESUME. N round trips
 * come from the command line ("iterations=N", default 100000).
 * Output: "roundtrip: iterations=N reason=10 l2_loops=N"; exit status 0 when
 * every step succeeded, the last exit was a CPUID exit and L2 ran its loop N
 * times (so each exit was resumed past the CPUID).
 */
#include "vmx.h"
#include "iterations.h"

uint64_t roundtrip_run(uint64_t n);
void roundtrip_l2(void);
extern uint64_t roundtrip_l2_loops;

static uint8_t l2_stack[4096] __attribute__((aligned(16)));

int kmain(uint32_t magic, uint32_t mbi_addr) {
  const struct multiboot_info *mbi = (const struct multiboot_info *)(uintptr_t)mbi_addr;
  const char *cmdline = magic == 0x2badb002 && (mbi->flags & 4) ? (const char *)(uintptr_t)mbi->cmdline : 0;
  uint32_t n = parse_iterations(cmdline, 100000);
  if (n == 0) n = 1;
  if (!vmx_enable()) {
    printf("roundtrip: VMX is not available\n");
    return EXIT_FAIL;
  }
  void *vmxon_region = vmx_alloc_region();
  void *vmcs = vmx_alloc_region();
  if (vmxon((uintptr_t)vmxon_region).kind != VMX_OK || vmclear((uintptr_t)vmcs).kind != VMX_OK ||
      vmptrld((uintptr_t)vmcs).kind != VMX_OK) {
    printf("roundtrip: VMXON/VMCLEAR/VMPTRLD failed\n");
    return EXIT_FAIL;
  }
  struct l2_config cfg = {.entry = roundtrip_l2, .stack_top = l2_stack + sizeof l2_stack};
  if (!vmcs_setup_l2(&cfg, 0)) {
    printf("roundtrip: VMCS setup failed\n");
    return EXIT_FAIL;
  }
  uint64_t r = roundtrip_run(n);
  if (r != 0) {
    printf("roundtrip: VM entry failed (RFLAGS 0x%lx, error %lu)\n", (unsigned long)(r & ~(1ull << 63)),
           (unsigned long)vmr(VM_INSTRUCTION_ERROR));
    return EXIT_FAIL;
  }
  uint32_t reason = (uint32_t)vmr(EXIT_REASON) & 0xffff;
  printf("roundtrip: iterations=%u reason=%u l2_loops=%lu\n", n, reason, (unsigned long)roundtrip_l2_loops);
  return reason == 10 && roundtrip_l2_loops == n ? EXIT_PASS : EXIT_FAIL;
}

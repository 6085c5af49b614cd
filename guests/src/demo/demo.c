/*
 * The nested-virtualization demo: this kernel is a tiny L1 hypervisor. It
 * checks for VMX, enables it, runs VMXON, builds a VMCS with EPT (an
 * identity map with one 4 KiB hole) and launches a 64-bit L2 that prints
 * through COM1 (I/O is not intercepted), executes CPUID, RDTSC and HLT
 * (each exits to L1, which emulates it and resumes past the instruction),
 * touches the hole (EPT violation: L1 maps the page and resumes the same
 * instruction), and finishes with VMCALL. L1 then prints the exits it saw,
 * executes VMXOFF and exits through isa-debug-exit (status 0 = success).
 * Control values come from the VMX capability MSRs, so it also runs on
 * hardware with VMX.
 */
#include "vmx.h"

#define HOLE_MAGIC 0x600dcafeu
#define L2_DONE 0x646f6e65u /* "done" */

static uint8_t hole_page[4096] __attribute__((aligned(4096)));
static uint8_t l2_stack[16384] __attribute__((aligned(16)));

static void l2_main(void) {
  printf("L2: hello from the nested guest (COM1 output goes straight to nestvm's UART)\n");
  struct cpuid_regs v = cpuid(0, 0);
  char vendor[13];
  memcpy(vendor, &v.ebx, 4);
  memcpy(vendor + 4, &v.edx, 4);
  memcpy(vendor + 8, &v.ecx, 4);
  vendor[12] = 0;
  printf("L2: CPUID.0 -> max leaf %u, vendor \"%s\"\n", v.eax, vendor);
  struct cpuid_regs h = cpuid(0x40000000, 0);
  char sig[13];
  memcpy(sig, &h.ebx, 4);
  memcpy(sig + 4, &h.ecx, 4);
  memcpy(sig + 8, &h.edx, 4);
  sig[12] = 0;
  printf("L2: CPUID.0x40000000 -> hypervisor \"%s\"\n", sig);
  uint64_t tsc = rdtsc();
  printf("L2: RDTSC -> 0x%lx (supplied by L1)\n", (unsigned long)tsc);
  uint32_t value = *(volatile uint32_t *)hole_page;
  printf("L2: read 0x%x from a page L1 mapped on demand\n", value);
  printf("L2: HLT\n");
  hlt();
  printf("L2: VMCALL to finish\n");
  for (;;) __asm__ volatile("vmcall" ::"a"((uint64_t)L2_DONE), "b"((uint64_t)value) : "memory");
}

static unsigned exits[64];

int kmain(uint32_t magic, uint32_t mbi) {
  plan(13);
  printf("L1: nestvm demo hypervisor\n");
  if (!ok(cpuid(1, 0).ecx & (1u << 5), "CPUID.1:ECX.VMX is set")) done();
  if (!ok(vmx_enable(), "IA32_FEATURE_CONTROL allows VMX; CR4.VMXE set")) done();
  uint64_t basic = rdmsr(MSR_VMX_BASIC);
  diag("IA32_VMX_BASIC 0x%lx (revision %u, TRUE controls %s)", (unsigned long)basic,
       (unsigned)(basic & 0x7fffffff), (basic >> 55) & 1 ? "yes" : "no");
  void *vmxon_region = vmx_alloc_region();
  struct vmx_result r = vmxon((uintptr_t)vmxon_region);
  if (!ok(r.kind == VMX_OK, "VMXON (kind %d)", r.kind)) done();
  void *vmcs = vmx_alloc_region();
  r = vmclear((uintptr_t)vmcs);
  ok(r.kind == VMX_OK, "VMCLEAR of the new VMCS");
  r = vmptrld((uintptr_t)vmcs);
  if (!ok(r.kind == VMX_OK, "VMPTRLD")) done();

  uint64_t caps = rdmsr(MSR_VMX_EPT_VPID_CAP);
  struct ept ept;
  ept_identity(&ept, 4ull << 30);
  ept_unmap_4k(&ept, (uintptr_t)hole_page);
  *(volatile uint32_t *)hole_page = HOLE_MAGIC; /* L1 sees its own memory */
  struct l2_config cfg = {
      .entry = l2_main,
      .stack_top = l2_stack + sizeof l2_stack,
      .proc = PROC_HLT_EXITING | PROC_RDTSC_EXITING,
      .eptp = ept.eptp,
  };
  struct l2_controls ctl;
  bool set = vmcs_setup_l2(&cfg, &ctl);
  ok(set && (ctl.proc2 & PROC2_ENABLE_EPT) && (ctl.proc & PROC_HLT_EXITING) &&
         (ctl.proc & PROC_RDTSC_EXITING),
     "VMCS for a 64-bit L2 with EPT, HLT and RDTSC exiting (proc 0x%x proc2 0x%x)", ctl.proc,
     ctl.proc2);
  diag("EPT identity map of 4 GiB, hole at 0x%lx", (unsigned long)(uintptr_t)hole_page);

  struct guest_regs regs;
  memset(&regs, 0, sizeof regs);
  bool launched = false, finished = false, entered = false;
  uint32_t l2_value = 0;
  uint64_t fake_tsc = 0x1000000;
  for (int n = 0; n < 100 && !finished; n++) {
    r = vmx_run(&regs, launched);
    if (r.kind != VMX_OK) {
      ok(false, "%s failed: kind %d error %u", launched ? "VMRESUME" : "VMLAUNCH", r.kind, r.error);
      done();
    }
    if (!launched) entered = true;
    launched = true;
    uint32_t reason = (uint32_t)vmr(EXIT_REASON);
    uint32_t basic_reason = reason & 0xffff;
    if (basic_reason < 64) exits[basic_reason]++;
    printf("L1: VM exit %-14s at rip 0x%lx\n", exit_reason_name(basic_reason),
           (unsigned long)vmr(GUEST_RIP));
    if (reason & 0x80000000u) {
      ok(false, "VM entry failed: reason %u qualification 0x%lx", basic_reason,
         (unsigned long)vmr(EXIT_QUALIFICATION));
      done();
    }
    switch (basic_reason) {
    case EXIT_CPUID: {
      uint32_t leaf = (uint32_t)regs.rax, sub = (uint32_t)regs.rcx;
      struct cpuid_regs c;
      if (leaf == 0x40000000) {
        c.eax = 0x40000000;
        memcpy(&c.ebx, "nest", 4);
        memcpy(&c.ecx, "vm-L", 4);
        memcpy(&c.edx, "1-hv", 4);
      } else {
        c = cpuid(leaf, sub);
      }
      regs.rax = c.eax;
      regs.rbx = c.ebx;
      regs.rcx = c.ecx;
      regs.rdx = c.edx;
      vmx_skip_instruction();
      break;
    }
    case EXIT_RDTSC:
      fake_tsc += 0x1000;
      regs.rax = (uint32_t)fake_tsc;
      regs.rdx = fake_tsc >> 32;
      vmx_skip_instruction();
      break;
    case EXIT_HLT:
      vmx_skip_instruction();
      break;
    case EXIT_EPT_VIOLATION: {
      uint64_t gpa = vmr(GUEST_PHYSICAL_ADDRESS), q = vmr(EXIT_QUALIFICATION);
      printf("L1:   guest-physical 0x%lx, qualification 0x%lx: mapping the page\n",
             (unsigned long)gpa, (unsigned long)q);
      if ((gpa & ~0xfffull) != (uintptr_t)hole_page) {
        ok(false, "EPT violation outside the hole");
        done();
      }
      ept_map_4k(&ept, gpa, gpa, EPT_RWX);
      if ((caps >> 20) & 1) invept((caps >> 25) & 1 ? 1 : 2, ept.eptp);
      break; /* retry the same instruction */
    }
    case EXIT_VMCALL:
      if ((uint32_t)regs.rax == L2_DONE) {
        finished = true;
        l2_value = (uint32_t)regs.rbx;
      }
      vmx_skip_instruction();
      break;
    default:
      ok(false, "unexpected VM exit %u (%s), qualification 0x%lx", basic_reason,
         exit_reason_name(basic_reason), (unsigned long)vmr(EXIT_QUALIFICATION));
      done();
    }
  }
  ok(entered, "VMLAUNCH entered L2");
  ok(finished, "L2 finished with VMCALL");
  ok(exits[EXIT_CPUID] == 2, "2 CPUID exits handled (saw %u)", exits[EXIT_CPUID]);
  ok(exits[EXIT_RDTSC] == 1 && exits[EXIT_HLT] == 1, "RDTSC and HLT exits handled");
  ok(exits[EXIT_EPT_VIOLATION] == 1 && l2_value == HOLE_MAGIC,
     "EPT violation fixed up by L1; L2 read 0x%x", l2_value);

  printf("L1: summary of VM exits from L2:\n");
  unsigned total = 0;
  for (unsigned i = 0; i < 64; i++) {
    if (!exits[i]) continue;
    printf("L1:   %-20s %u\n", exit_reason_name(i), exits[i]);
    total += exits[i];
  }
  printf("L1:   %-20s %u\n", "total", total);
  r = vmxoff();
  ok(r.kind == VMX_OK, "VMXOFF");
  write_cr4(read_cr4() & ~(uint64_t)CR4_VMXE);
  ok(!(read_cr4() & CR4_VMXE), "CR4.VMXE cleared after VMXOFF");
  (void)magic;
  (void)mbi;
  done();
}

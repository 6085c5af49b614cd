/*
 * VMX conformance guest, part 2 (issue 8): a 64-bit L1 launches an L2 whose
 * program (vmx_exits_l2.S) executes one exiting instruction after another;
 * for each VM exit L1 checks the basic exit reason, the guest RIP, the
 * exit-instruction length where the SDM defines it, and the exit
 * qualification or interruption information, then resumes past the
 * instruction. Then VMLAUNCH/VMRESUME error numbers 4, 5, 7, 8 and the
 * VM-entry failures (reason 33 invalid guest state, 34 MSR loading).
 */
#include "vmx.h"

extern char l2_program[], l2_cpuid[], l2_hlt[], l2_rdtsc[], l2_rdmsr[], l2_wrmsr[], l2_out[], l2_in[];
extern char l2_cr3_read[], l2_cr4_write[], l2_invlpg[], l2_ud[], l2_int3[], l2_pause[], l2_vmread[];
extern char l2_wbinvd[], l2_ept_read[], l2_done[];

static uint8_t hole[4096] __attribute__((aligned(4096)));
uint64_t vmx_exits_hole = 0;
static uint8_t l2_stack[8192] __attribute__((aligned(16)));

#define NO_LEN 0xff
#define NO_QUAL (~0ull)
struct expected_exit {
  const char *what;
  const char *rip;
  unsigned reason;
  unsigned len;       /* NO_LEN: not defined for this exit */
  uint64_t qual;      /* NO_QUAL: not checked */
  uint32_t intr_info; /* 0: not checked */
  bool resume_same;   /* true: do not advance RIP (EPT violation fixed up) */
};

static struct guest_regs regs;
static struct ept ept;

static void check_exit(const struct expected_exit *e) {
  uint32_t reason = (uint32_t)vmr(EXIT_REASON);
  uint64_t rip = vmr(GUEST_RIP);
  uint64_t len = vmr(EXIT_INSTRUCTION_LEN);
  uint64_t qual = vmr(EXIT_QUALIFICATION);
  bool good = reason == e->reason && rip == (uintptr_t)e->rip;
  if (e->len != NO_LEN) good = good && len == e->len;
  if (e->qual != NO_QUAL) good = good && qual == e->qual;
  if (e->intr_info) good = good && (uint32_t)vmr(EXIT_INTR_INFO) == e->intr_info;
  ok(good, "%s: reason %u (got %u) at L2 rip %s (0x%lx), length %u (got %lu), qualification 0x%lx", e->what,
     e->reason, reason, rip == (uintptr_t)e->rip ? "ok" : "wrong", (unsigned long)rip, e->len,
     (unsigned long)len, (unsigned long)qual);
}

static bool setup_vmcs(void *vmcs) {
  vmclear((uintptr_t)vmcs);
  vmptrld((uintptr_t)vmcs);
  struct l2_config cfg = {
      .entry = (void (*)(void))l2_program,
      .stack_top = l2_stack + sizeof l2_stack,
      .proc = PROC_HLT_EXITING | PROC_RDTSC_EXITING | PROC_USE_MSR_BITMAPS | PROC_USE_IO_BITMAPS |
              PROC_CR3_STORE_EXITING | PROC_INVLPG_EXITING | PROC_PAUSE_EXITING,
      .proc2 = PROC2_WBINVD_EXITING,
      .eptp = ept.eptp,
  };
  struct l2_controls c;
  if (!vmcs_setup_l2(&cfg, &c)) return false;
  uint32_t need = cfg.proc;
  if ((c.proc & need) != need || !(c.proc2 & PROC2_ENABLE_EPT) || !(c.proc2 & PROC2_WBINVD_EXITING)) {
    diag("controls not available: proc 0x%x proc2 0x%x", c.proc, c.proc2);
    return false;
  }
  uint8_t *msr_bitmap = (uint8_t *)(uintptr_t)vmr(MSR_BITMAP);
  msr_bitmap[0x000 + 0x3a / 8] |= 1u << (0x3a % 8);   /* RDMSR 0x3a exits */
  msr_bitmap[0x800 + 0x277 / 8] |= 1u << (0x277 % 8); /* WRMSR 0x277 exits */
  uint8_t *io_a = (uint8_t *)(uintptr_t)vmr(IO_BITMAP_A);
  io_a[0x80 / 8] |= 1u << (0x80 % 8);
  io_a[0x81 / 8] |= 1u << (0x81 % 8);
  vmwrite(EXCEPTION_BITMAP, (1u << 6) | (1u << 3));
  vmwrite(CR4_MASK, CR4_PSE);
  vmwrite(CR4_SHADOW, read_cr4() & ~(uint64_t)CR4_PSE);
  return true;
}

static void exit_tests(void) {
  uint64_t cr4_write_qual = 4 | (0u << 4) | (1u << 8); /* CR4, MOV to CR, from RCX */
  const struct expected_exit table[] = {
      {"CPUID", l2_cpuid, EXIT_CPUID, 2, 0, 0, false},
      {"HLT (HLT exiting)", l2_hlt, EXIT_HLT, 1, 0, 0, false},
      {"RDTSC (RDTSC exiting)", l2_rdtsc, EXIT_RDTSC, 2, 0, 0, false},
      {"RDMSR 0x3a (MSR bitmap read bit)", l2_rdmsr, EXIT_RDMSR, 2, 0, 0, false},
      {"WRMSR 0x277 (MSR bitmap write bit)", l2_wrmsr, EXIT_WRMSR, 2, 0, 0, false},
      {"OUT imm8 0x80 (I/O bitmap A)", l2_out, EXIT_IO, 2, 0x00800040, 0, false},
      {"IN DX=0x81 (I/O bitmap A)", l2_in, EXIT_IO, 1, 0x00810008, 0, false},
      {"MOV from CR3 (CR3-store exiting)", l2_cr3_read, EXIT_CR_ACCESS, 3, 0x13, 0, false},
      {"MOV to CR4 changing a masked bit", l2_cr4_write, EXIT_CR_ACCESS, 3, cr4_write_qual, 0, false},
      {"INVLPG (INVLPG exiting)", l2_invlpg, EXIT_INVLPG, 3, 0x123000, 0, false},
      {"#UD (exception bitmap bit 6)", l2_ud, EXIT_EXCEPTION_NMI, NO_LEN, NO_QUAL, 0x80000306, false},
      {"INT3 (exception bitmap bit 3, software exception)", l2_int3, EXIT_EXCEPTION_NMI, 1, NO_QUAL, 0x80000603,
       false},
      {"PAUSE (PAUSE exiting)", l2_pause, EXIT_PAUSE, 2, NO_QUAL, 0, false},
      {"VMREAD in L2", l2_vmread, EXIT_VMREAD, 3, NO_QUAL, 0, false},
      {"WBINVD (WBINVD exiting)", l2_wbinvd, EXIT_WBINVD, 2, NO_QUAL, 0, false},
      {"read of an EPT hole", l2_ept_read, EXIT_EPT_VIOLATION, NO_LEN, 0x181, 0, true},
      {"VMCALL", l2_done, EXIT_VMCALL, 3, 0, 0, false},
  };
  const int n = sizeof table / sizeof table[0];
  memset(&regs, 0, sizeof regs);
  regs.rsi = 0x123000;
  bool launched = false;
  for (int k = 0; k < n; k++) {
    struct vmx_result r = vmx_run(&regs, launched);
    if (!ok(r.kind == VMX_OK, "%s entered L2 for: %s", launched ? "VMRESUME" : "VMLAUNCH", table[k].what)) return;
    launched = true;
    if (vmr(EXIT_REASON) & 0x80000000u) {
      ok(false, "VM-entry failure, reason %lu", (unsigned long)(vmr(EXIT_REASON) & 0xffff));
      return;
    }
    check_exit(&table[k]);
    if (table[k].reason == EXIT_EXCEPTION_NMI && table[k].len == 1) {
      /* IDT-vectoring info is clear: the exit was not during event delivery */
      ok(!(vmr(IDT_VECTORING_INFO) & 0x80000000u), "INT3 exit: no IDT-vectoring information");
    }
    if (table[k].reason == EXIT_EPT_VIOLATION) {
      ok(vmr(GUEST_PHYSICAL_ADDRESS) == (uintptr_t)hole && vmr(GUEST_LINEAR_ADDRESS) == (uintptr_t)hole,
         "EPT violation reports the guest-physical and guest-linear address");
      ept_map_4k(&ept, (uintptr_t)hole, (uintptr_t)hole, EPT_RWX);
      invept(2, 0);
    }
    if (table[k].reason == EXIT_VMREAD) {
      uint32_t info = (uint32_t)vmr(EXIT_INSTRUCTION_INFO);
      ok((info & (1u << 10)) && ((info >> 3) & 15) == 3 && ((info >> 28) & 15) == 0,
         "VMREAD exit: instruction information names the register operands (0x%x)", info);
    }
    if (!table[k].resume_same) vmwrite(GUEST_RIP, (uintptr_t)table[k].rip + (table[k].len == NO_LEN ? 2 : table[k].len));
  }
  ok((uint32_t)regs.rax == 0x646f6e65 && regs.rbx == (uintptr_t)hole && (uint32_t)regs.rcx == 0x600dcafe &&
         regs.rsi == 0x123000,
     "L2 registers preserved across exits; L2 read 0x%lx from the fixed-up page", (unsigned long)regs.rcx);
}

static void entry_error_tests(void *vmcs) {
  /* VMRESUME of a VMCS whose launch state is clear: error 5. */
  setup_vmcs(vmcs);
  struct vmx_result r = vmx_run(&regs, true);
  ok(r.kind == VMX_FAIL_VALID && r.error == 5, "VMRESUME with a non-launched VMCS: VMfailValid(5) (got %d/%u)",
     r.kind, r.error);
  /* launch it (first exit: CPUID), then VMLAUNCH again: error 4 */
  memset(&regs, 0, sizeof regs);
  r = vmx_run(&regs, false);
  ok(r.kind == VMX_OK && (vmr(EXIT_REASON) & 0xffff) == EXIT_CPUID, "VMLAUNCH of a clear VMCS enters L2");
  r = vmx_run(&regs, false);
  ok(r.kind == VMX_FAIL_VALID && r.error == 4, "VMLAUNCH with a launched VMCS: VMfailValid(4) (got %d/%u)", r.kind,
     r.error);

  /* Invalid control field: CR3-target count above IA32_VMX_MISC[24:16]. */
  setup_vmcs(vmcs);
  unsigned targets = (rdmsr(MSR_VMX_MISC) >> 16) & 0x1ff;
  vmwrite(CR3_TARGET_COUNT, targets + 1);
  r = vmx_run(&regs, false);
  ok(r.kind == VMX_FAIL_VALID && r.error == 7, "VMLAUNCH with CR3-target count %u > %u: VMfailValid(7) (got %d/%u)",
     targets + 1, targets, r.kind, r.error);

  /* Invalid host state: host TR selector 0. */
  setup_vmcs(vmcs);
  vmwrite(HOST_TR_SEL, 0);
  r = vmx_run(&regs, false);
  ok(r.kind == VMX_FAIL_VALID && r.error == 8, "VMLAUNCH with host TR selector 0: VMfailValid(8) (got %d/%u)", r.kind,
     r.error);

  /* Invalid guest state: RFLAGS bit 1 clear -> VM-entry failure, reason 33. */
  setup_vmcs(vmcs);
  vmwrite(GUEST_RFLAGS, 0);
  r = vmx_run(&regs, false);
  uint32_t reason = (uint32_t)vmr(EXIT_REASON);
  ok(r.kind == VMX_OK && reason == (0x80000000u | EXIT_INVALID_GUEST_STATE),
     "VMLAUNCH with guest RFLAGS bit 1 clear: entry failure reason 33 (got 0x%x)", reason);

  /* MSR loading failure: an x2APIC MSR in the VM-entry MSR-load area -> reason 34, qualification 1. */
  setup_vmcs(vmcs);
  uint64_t *area = alloc_page();
  area[0] = 0x808; /* index 0x808, reserved 0 */
  area[1] = 0;
  vmwrite(ENTRY_MSR_LOAD_ADDR, (uintptr_t)area);
  vmwrite(ENTRY_MSR_LOAD_COUNT, 1);
  r = vmx_run(&regs, false);
  reason = (uint32_t)vmr(EXIT_REASON);
  ok(r.kind == VMX_OK && reason == (0x80000000u | EXIT_MSR_LOADING) && vmr(EXIT_QUALIFICATION) == 1,
     "VMLAUNCH loading MSR 0x808 from the MSR-load area: entry failure reason 34, qualification 1 (got 0x%x)",
     reason);
}

int kmain(uint32_t magic, uint32_t mbi) {
  printf("# nestvm VMX conformance: VM entry and VM exits\n");
  if (!ok(vmx_enable(), "VMX enabled")) done();
  void *vmxon_region = vmx_alloc_region();
  if (!ok(vmxon((uintptr_t)vmxon_region).kind == VMX_OK, "VMXON")) done();
  ept_identity(&ept, 4ull << 30);
  ept_unmap_4k(&ept, (uintptr_t)hole);
  *(volatile uint32_t *)hole = 0x600dcafe;
  vmx_exits_hole = (uintptr_t)hole;
  void *vmcs = vmx_alloc_region();
  if (!ok(setup_vmcs(vmcs), "VMCS for L2 with the exiting controls")) done();
  exit_tests();
  entry_error_tests(vmcs);
  ok(vmxoff().kind == VMX_OK, "VMXOFF");
  (void)magic;
  (void)mbi;
  done();
}

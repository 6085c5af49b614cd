/* VMX enabling, control adjustment, and a VMCS setup helper for a 64-bit L2. */
#include "vmx.h"

uint32_t vmx_adjust_controls(uint32_t desired, uint32_t msr) {
  uint64_t cap = rdmsr(msr);
  uint32_t must1 = (uint32_t)cap, may1 = (uint32_t)(cap >> 32);
  return (desired | must1) & may1;
}

bool vmx_has_true_ctls(void) { return (rdmsr(MSR_VMX_BASIC) >> 55) & 1; }

void *vmx_alloc_region(void) {
  uint32_t *p = alloc_page();
  p[0] = (uint32_t)rdmsr(MSR_VMX_BASIC) & 0x7fffffff;
  return p;
}

bool vmx_enable(void) {
  if (!(cpuid(1, 0).ecx & (1u << 5))) return false;
  uint64_t fc = rdmsr(MSR_IA32_FEATURE_CONTROL);
  if (!(fc & FEATURE_CONTROL_LOCK)) {
    wrmsr(MSR_IA32_FEATURE_CONTROL, fc | FEATURE_CONTROL_LOCK | FEATURE_CONTROL_VMX_OUTSIDE_SMX);
  } else if (!(fc & FEATURE_CONTROL_VMX_OUTSIDE_SMX)) {
    return false;
  }
  uint64_t cr0 = read_cr0();
  cr0 = (cr0 | rdmsr(MSR_VMX_CR0_FIXED0)) & rdmsr(MSR_VMX_CR0_FIXED1);
  write_cr0(cr0);
  uint64_t cr4 = read_cr4() | CR4_VMXE;
  cr4 = (cr4 | rdmsr(MSR_VMX_CR4_FIXED0)) & rdmsr(MSR_VMX_CR4_FIXED1);
  write_cr4(cr4);
  return true;
}

static bool failed;
static void w(uint64_t field, uint64_t value) {
  struct vmx_result r = vmwrite(field, value);
  if (r.kind != VMX_OK) {
    printf("# VMWRITE 0x%lx <- 0x%lx failed (kind %d, error %u)\n", (unsigned long)field,
           (unsigned long)value, r.kind, r.error);
    failed = true;
  }
}

bool vmcs_setup_l2(const struct l2_config *cfg, struct l2_controls *out) {
  bool t = vmx_has_true_ctls();
  struct l2_controls c;
  c.pin = vmx_adjust_controls(cfg->pin, t ? MSR_VMX_TRUE_PINBASED_CTLS : MSR_VMX_PINBASED_CTLS);
  bool want2 = cfg->proc2 || cfg->eptp || cfg->vpid;
  c.proc = vmx_adjust_controls(cfg->proc | (want2 ? PROC_SECONDARY : 0),
                               t ? MSR_VMX_TRUE_PROCBASED_CTLS : MSR_VMX_PROCBASED_CTLS);
  c.proc2 = 0;
  if (c.proc & PROC_SECONDARY) {
    uint32_t d2 = cfg->proc2 | (cfg->eptp ? PROC2_ENABLE_EPT : 0) | (cfg->vpid ? PROC2_ENABLE_VPID : 0);
    c.proc2 = vmx_adjust_controls(d2, MSR_VMX_PROCBASED_CTLS2);
  }
  c.exit = vmx_adjust_controls(cfg->exit | EXIT_HOST_ADDR_SPACE | EXIT_SAVE_EFER | EXIT_LOAD_EFER,
                               t ? MSR_VMX_TRUE_EXIT_CTLS : MSR_VMX_EXIT_CTLS);
  c.entry = vmx_adjust_controls(cfg->entry_ctls | ENTRY_IA32E_GUEST | ENTRY_LOAD_EFER,
                                t ? MSR_VMX_TRUE_ENTRY_CTLS : MSR_VMX_ENTRY_CTLS);
  if (out) *out = c;
  failed = false;

  /* controls */
  w(PIN_CONTROLS, c.pin);
  w(PROC_CONTROLS, c.proc);
  if (c.proc & PROC_SECONDARY) w(PROC_CONTROLS2, c.proc2);
  w(EXIT_CONTROLS, c.exit);
  w(ENTRY_CONTROLS, c.entry);
  w(EXCEPTION_BITMAP, 0);
  w(PF_ERROR_MASK, 0);
  w(PF_ERROR_MATCH, 0);
  w(CR3_TARGET_COUNT, 0);
  w(EXIT_MSR_STORE_COUNT, 0);
  w(EXIT_MSR_LOAD_COUNT, 0);
  w(ENTRY_MSR_LOAD_COUNT, 0);
  w(ENTRY_INTR_INFO, 0);
  w(CR0_MASK, 0);
  w(CR4_MASK, 0);
  w(CR0_SHADOW, read_cr0());
  w(CR4_SHADOW, read_cr4());
  if (c.proc & PROC_USE_MSR_BITMAPS) w(MSR_BITMAP, (uintptr_t)alloc_page());
  if (c.proc & PROC_USE_IO_BITMAPS) {
    w(IO_BITMAP_A, (uintptr_t)alloc_page());
    w(IO_BITMAP_B, (uintptr_t)alloc_page());
  }
  if (c.proc2 & PROC2_ENABLE_EPT) w(EPT_POINTER, cfg->eptp);
  if (c.proc2 & PROC2_ENABLE_VPID) w(VPID, cfg->vpid);
  w(VMCS_LINK_POINTER, ~0ull);

  /* host state: the current L1 state */
  struct dtr gdt, idt;
  sgdt(&gdt);
  sidt(&idt);
  w(HOST_CR0, read_cr0());
  w(HOST_CR3, read_cr3());
  w(HOST_CR4, read_cr4());
  w(HOST_CS_SEL, SEL_KCODE);
  w(HOST_SS_SEL, SEL_KDATA);
  w(HOST_DS_SEL, SEL_KDATA);
  w(HOST_ES_SEL, SEL_KDATA);
  w(HOST_FS_SEL, SEL_KDATA);
  w(HOST_GS_SEL, SEL_KDATA);
  w(HOST_TR_SEL, SEL_TSS);
  w(HOST_FS_BASE, rdmsr(MSR_FS_BASE));
  w(HOST_GS_BASE, rdmsr(MSR_GS_BASE));
  w(HOST_TR_BASE, (uintptr_t)rt_tss);
  w(HOST_GDTR_BASE, gdt.base);
  w(HOST_IDTR_BASE, idt.base);
  w(HOST_SYSENTER_CS, rdmsr(MSR_IA32_SYSENTER_CS));
  w(HOST_SYSENTER_ESP, rdmsr(MSR_IA32_SYSENTER_ESP));
  w(HOST_SYSENTER_EIP, rdmsr(MSR_IA32_SYSENTER_EIP));
  if (c.exit & EXIT_LOAD_EFER) w(HOST_EFER, rdmsr(MSR_EFER));
  if (c.exit & EXIT_LOAD_PAT) w(HOST_PAT, rdmsr(MSR_IA32_PAT));

  /* guest state: flat 64-bit L2 */
  w(GUEST_CR0, read_cr0());
  w(GUEST_CR3, read_cr3());
  w(GUEST_CR4, read_cr4());
  w(GUEST_EFER, rdmsr(MSR_EFER));
  if (c.entry & ENTRY_LOAD_PAT) w(GUEST_PAT, rdmsr(MSR_IA32_PAT));
  w(GUEST_DEBUGCTL, 0);
  w(GUEST_DR7, 0x400);
  static const uint16_t sel[8] = {GUEST_ES_SEL, GUEST_CS_SEL, GUEST_SS_SEL, GUEST_DS_SEL,
                                  GUEST_FS_SEL, GUEST_GS_SEL, GUEST_LDTR_SEL, GUEST_TR_SEL};
  for (int i = 0; i < 8; i++) {
    uint16_t s = i == 1 ? SEL_KCODE : i == 6 ? 0 : i == 7 ? SEL_TSS : SEL_KDATA;
    uint32_t ar = i == 1 ? 0xa09b : i == 6 ? 0x10000 : i == 7 ? 0x8b : 0xc093;
    uint64_t base = i == 7 ? (uintptr_t)rt_tss : 0;
    uint32_t limit = i == 7 ? 0x67 : i == 6 ? 0 : 0xffffffff;
    w(sel[i], s);
    w(sel[i] + 0x4000, limit);        /* GUEST_xx_LIMIT = 0x48xx */
    w(sel[i] + 0x4014, ar);           /* GUEST_xx_AR = 0x4814 + 2i */
    w(sel[i] + 0x6006, base);         /* GUEST_xx_BASE = 0x6806 + 2i */
  }
  w(GUEST_GDTR_BASE, gdt.base);
  w(GUEST_GDTR_LIMIT, gdt.limit);
  w(GUEST_IDTR_BASE, idt.base);
  w(GUEST_IDTR_LIMIT, idt.limit);
  w(GUEST_SYSENTER_CS, rdmsr(MSR_IA32_SYSENTER_CS));
  w(GUEST_SYSENTER_ESP, rdmsr(MSR_IA32_SYSENTER_ESP));
  w(GUEST_SYSENTER_EIP, rdmsr(MSR_IA32_SYSENTER_EIP));
  w(GUEST_RSP, (uintptr_t)cfg->stack_top);
  w(GUEST_RIP, (uintptr_t)cfg->entry);
  w(GUEST_RFLAGS, 0x2);
  w(GUEST_ACTIVITY, 0);
  w(GUEST_INTERRUPTIBILITY, 0);
  w(GUEST_PENDING_DBG, 0);
  return !failed;
}

void vmx_skip_instruction(void) {
  w(GUEST_RIP, vmr(GUEST_RIP) + vmr(EXIT_INSTRUCTION_LEN));
}

struct vmx_result vmx_run(struct guest_regs *regs, bool launched) {
  uint64_t r = vmx_enter(regs, launched ? 1 : 0);
  if (r == 0) return (struct vmx_result){VMX_OK, 0, 0x2};
  return vmx_result_from(r & ~(1ull << 63));
}

const char *exit_reason_name(unsigned reason) {
  switch (reason) {
  case EXIT_EXCEPTION_NMI: return "EXCEPTION_NMI";
  case EXIT_EXTERNAL_INTR: return "EXTERNAL_INTERRUPT";
  case EXIT_TRIPLE_FAULT: return "TRIPLE_FAULT";
  case EXIT_INTR_WINDOW: return "INTERRUPT_WINDOW";
  case EXIT_NMI_WINDOW: return "NMI_WINDOW";
  case EXIT_CPUID: return "CPUID";
  case EXIT_HLT: return "HLT";
  case EXIT_INVD: return "INVD";
  case EXIT_INVLPG: return "INVLPG";
  case EXIT_RDPMC: return "RDPMC";
  case EXIT_RDTSC: return "RDTSC";
  case EXIT_VMCALL: return "VMCALL";
  case EXIT_CR_ACCESS: return "CR_ACCESS";
  case EXIT_DR_ACCESS: return "DR_ACCESS";
  case EXIT_IO: return "IO_INSTRUCTION";
  case EXIT_RDMSR: return "RDMSR";
  case EXIT_WRMSR: return "WRMSR";
  case EXIT_INVALID_GUEST_STATE: return "INVALID_GUEST_STATE";
  case EXIT_MSR_LOADING: return "MSR_LOADING";
  case EXIT_MWAIT: return "MWAIT";
  case EXIT_MTF: return "MONITOR_TRAP_FLAG";
  case EXIT_MONITOR: return "MONITOR";
  case EXIT_PAUSE: return "PAUSE";
  case EXIT_EPT_VIOLATION: return "EPT_VIOLATION";
  case EXIT_EPT_MISCONFIG: return "EPT_MISCONFIG";
  case EXIT_INVEPT: return "INVEPT";
  case EXIT_RDTSCP: return "RDTSCP";
  case EXIT_PREEMPTION_TIMER: return "PREEMPTION_TIMER";
  case EXIT_INVVPID: return "INVVPID";
  case EXIT_WBINVD: return "WBINVD";
  case EXIT_XSETBV: return "XSETBV";
  default: return reason >= EXIT_VMCLEAR && reason <= EXIT_VMXON ? "VMX_INSTRUCTION" : "OTHER";
  }
}

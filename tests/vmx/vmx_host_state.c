/*
 * VMX conformance guest, part 2 (issue 8 item 3, VM exit to L1): what a VM
 * exit loads into L1 (SDM Vol. 3C 28.5 "Loading Host State") and what
 * entry/exit do with MSRs under the controls (27.3.2.1, 28.3.1, 28.5.1):
 * RFLAGS cleared to bit 1 only, GDTR/IDTR limits FFFFH, TR from the host
 * selector with limit 67H, LDTR null, DR7 = 400H, FS/GS/SYSENTER/PAT/EFER
 * from the host-state fields; guest PAT and EFER loaded at entry and saved
 * at exit; the VMCS guest-state fields L2 changed (segment selectors, CR0
 * bits, SYSENTER MSRs) saved at the exit.
 */
#include "harness.h"

#define X(...) L2_LABELS(__VA_ARGS__)

X(l2_call[], l2_state[], l2_state_end[]);
L2_ASM("l2_call: vmcall\n jmp l2_call\n"
       /* L2 changes state that the exit must save: PAT (read), SYSENTER_ESP, ES, DR7, CR0.MP */
       "l2_state: mov $0x277, %ecx\n rdmsr\n mov %rax, %r8\n mov %rdx, %r9\n"
       "mov $0x175, %ecx\n mov $0x7000, %eax\n xor %edx, %edx\n wrmsr\n"
       "mov $0x20, %eax\n mov %eax, %es\n"
       "mov $0x401, %rax\n mov %rax, %dr7\n"
       "mov %cr0, %rax\n xor $2, %rax\n mov %rax, %cr0\n"
       "l2_state_end: vmcall\n jmp l2_state_end");

static bool at_vmcall(const struct xit *x, const void *rip) {
  bool good = xit_is(x, EXIT_VMCALL, rip);
  if (!good) xit_diag("expected VMCALL", x);
  return good;
}

static uint64_t read_dr7(void) {
  uint64_t v;
  __asm__ volatile("mov %%dr7, %0" : "=r"(v));
  return v;
}
static void write_dr7(uint64_t v) { __asm__ volatile("mov %0, %%dr7" ::"r"(v)); }
static uint16_t sldt(void) {
  uint16_t s;
  __asm__ volatile("sldt %0" : "=r"(s));
  return s;
}

int kmain(uint32_t magic, uint32_t mbi) {
  t_plan(13);
  if (!t_ok(h_init(), "VMXON and a VMCS for a 64-bit L2")) t_done();
  outb(0x21, 0xff); /* L1 runs with IF=1 below: keep the 8259s quiet */
  outb(0xa1, 0xff);
  struct dtr gdt0, idt0;
  sgdt(&gdt0);
  sidt(&idt0);
  uint64_t fs0 = rdmsr(MSR_FS_BASE), esp0 = rdmsr(MSR_IA32_SYSENTER_ESP), pat0 = rdmsr(MSR_IA32_PAT);
  write_dr7(0x403);

  /* Host fields that differ from L1's current state, to see them loaded. */
  vw(HOST_FS_BASE, 0x12345000);
  vw(HOST_SYSENTER_ESP, 0xabc000);
  bool pat = (base_ctl.exit & EXIT_LOAD_PAT) != 0 || can_exit(EXIT_LOAD_PAT | EXIT_SAVE_PAT);
  const uint64_t host_pat = 0x0007010600070106ull, guest_pat = 0x0006060606060606ull;
  if (pat) {
    vw(EXIT_CONTROLS, base_ctl.exit | EXIT_LOAD_PAT | EXIT_SAVE_PAT);
    vw(HOST_PAT, host_pat);
  }
  sti();
  struct xit x = h_enter(l2_call, 2);
  uint64_t fl = read_flags();
  cli();
  struct dtr gdt, idt;
  sgdt(&gdt);
  sidt(&idt);
  t_ok(at_vmcall(&x, l2_call) && !(fl & FLAGS_IF), "VM exit clears RFLAGS.IF that L1 had set (0x%lx)",
       (unsigned long)fl);
  t_ok(gdt.limit == 0xffff && idt.limit == 0xffff && gdt.base == gdt0.base && idt.base == idt0.base,
       "GDTR/IDTR: bases from the host fields, limits FFFFH (0x%x, 0x%x)", gdt.limit, idt.limit);
  t_ok(str() == SEL_TSS && sldt() == 0, "TR = host TR selector (0x%x), LDTR null (0x%x)", str(), sldt());
  t_ok(read_dr7() == 0x400, "DR7 = 400H after the exit (0x%lx)", (unsigned long)read_dr7());
  t_ok(rdmsr(MSR_FS_BASE) == 0x12345000 && rdmsr(MSR_IA32_SYSENTER_ESP) == 0xabc000,
       "FS base and SYSENTER_ESP loaded from the host-state fields");
  if (pat) {
    t_ok(rdmsr(MSR_IA32_PAT) == host_pat, "\"load IA32_PAT\" on exit: PAT = host PAT (0x%lx)",
         (unsigned long)rdmsr(MSR_IA32_PAT));
  } else {
    t_skip(1, "PAT controls not advertised");
  }
  /* Restore L1's descriptor-table limits and MSRs. */
  __asm__ volatile("lgdt %0; lidt %1" ::"m"(gdt0), "m"(idt0));
  wrmsr(MSR_FS_BASE, fs0);
  wrmsr(MSR_IA32_SYSENTER_ESP, esp0);
  vw(HOST_FS_BASE, fs0);
  vw(HOST_SYSENTER_ESP, esp0);
  if (pat) {
    vw(HOST_PAT, pat0);
    vw(ENTRY_CONTROLS, base_ctl.entry | ENTRY_LOAD_PAT);
    vw(GUEST_PAT, guest_pat);
  }
  uint64_t cr0 = vmr(GUEST_CR0);
  if (can_proc(PROC_USE_MSR_BITMAPS)) { /* an all-clear MSR bitmap: L2's RDMSR/WRMSR run in L2 */
    vw(MSR_BITMAP, (uintptr_t)alloc_page());
    h_controls(0, PROC_USE_MSR_BITMAPS, 0);
  }
  memset(&g, 0, sizeof g);
  x = h_enter(l2_state, 2);
  wrmsr(MSR_IA32_PAT, pat0);
  t_ok(at_vmcall(&x, l2_state_end), "L2 changed some of its state and VMCALLed");
  if (pat) {
    t_ok((((g.r9 << 32) | (uint32_t)g.r8) == guest_pat) && vmr(GUEST_PAT) == guest_pat &&
             rdmsr(MSR_IA32_PAT) == pat0,
         "\"load IA32_PAT\" on entry: L2 read the guest PAT; \"save IA32_PAT\" stored it back");
  } else {
    t_skip(1, "PAT controls not advertised");
  }
  t_ok(vmr(GUEST_SYSENTER_ESP) == 0x7000 && rdmsr(MSR_IA32_SYSENTER_ESP) == esp0,
       "L2's SYSENTER_ESP saved in the guest-state area (0x%lx), L1's loaded from the host field",
       (unsigned long)vmr(GUEST_SYSENTER_ESP));
  t_ok(vmr(GUEST_ES_SEL) == 0x20 && (vmr(GUEST_ES_AR) & 0xff) == 0xf3 && vmr(GUEST_ES_LIMIT) == 0xffffffff,
       "L2's ES selector and descriptor cache saved (sel 0x%lx, AR 0x%lx)", (unsigned long)vmr(GUEST_ES_SEL),
       (unsigned long)vmr(GUEST_ES_AR));
  t_ok(vmr(GUEST_CR0) == (cr0 ^ 2) && (read_cr0() & 2) == (cr0 & 2),
       "L2's CR0.MP change saved in GUEST_CR0, L1's CR0 from the host field");
  bool dbg = (base_ctl.exit & EXIT_SAVE_DEBUG) != 0;
  t_ok(!dbg || vmr(GUEST_DR7) == 0x401, "\"save debug controls\": L2's DR7 saved (0x%lx)",
       (unsigned long)vmr(GUEST_DR7));
  (void)magic;
  (void)mbi;
  t_done();
}

/*
 * VMX conformance guest, part 2 (issue 8 item 1): VMLAUNCH/VMRESUME
 * outcomes with deliberately broken VMCS contents (SDM Vol. 3C 27.1-27.4,
 * VM-instruction error numbers in 31.4):
 *  - VMfailValid 5 (VMRESUME of a clear VMCS) and 4 (VMLAUNCH of a launched
 *    VMCS), checked before the control checks (27.1);
 *  - VMfailValid 7 for control fields violating the capability MSRs or the
 *    rules of 27.2.1 (reserved bits, CR3-target count, bitmap alignment,
 *    VPID 0, EPTP, event-injection fields, control dependencies);
 *  - VMfailValid 8 for host-state fields (27.2.2, 27.2.3);
 *  - VM-entry failure exits (27.8): basic reason 33 with bit 31 set for
 *    guest-state fields (27.3.1), qualification 0 or 4 (VMCS link pointer),
 *    and reason 34 for the MSR-load list with qualification = entry index
 *    + 1 (27.4); no guest state is saved and the VMCS stays clear;
 *  - the VM-entry MSR-load list and the VM-exit MSR-store/load lists at
 *    work on a good entry.
 */
#include "harness.h"

L2_LABELS(l2_ok[], l2_msr[], l2_msr_end[]);
L2_ASM("l2_ok: vmcall\n jmp l2_ok");
/* L2 reads IA32_KERNEL_GS_BASE (set by the entry MSR-load list) and writes it. */
L2_ASM("l2_msr: mov $0xc0000102, %ecx\n rdmsr\n mov %rax, %r8\n"
       "mov $0x5678, %eax\n xor %edx, %edx\n wrmsr\n"
       "l2_msr_end: vmcall\n jmp l2_msr_end");

struct fw {
  uint64_t field, value;
};

/* Run with up to 4 fields temporarily changed (restored afterwards, in reverse order). */
static struct xit run_with(const struct fw *w, int n) {
  uint64_t old[4];
  for (int i = 0; i < n; i++) {
    old[i] = vmr(w[i].field);
    vw(w[i].field, w[i].value);
  }
  struct xit x = h_run();
  for (int i = n - 1; i >= 0; i--) vw(w[i].field, old[i]);
  return x;
}

static bool is_fail_valid(const struct xit *x, uint32_t err) {
  bool good = x->fail == VMX_FAIL_VALID && x->error == err && vmr(VM_INSTRUCTION_ERROR) == err;
  if (!good) xit_diag("expected VMfailValid", x);
  return good;
}

static void fail_valid(const char *what, uint32_t err, const struct fw *w, int n) {
  struct xit x = run_with(w, n);
  t_ok(is_fail_valid(&x, err), "%s: VMfailValid(%u) (got kind %d, error %u)", what, err, x.fail,
       x.error);
}

/* An entry-failure exit: reason | bit 31, qualification, L1 continues at HOST_RIP, GUEST_RIP untouched. */
static void entry_fail(const char *what, uint32_t reason, uint64_t qual, const struct fw *w, int n) {
  vw(GUEST_RIP, (uintptr_t)l2_ok);
  struct xit x = run_with(w, n);
  bool good = x.fail == 0 && x.reason == (0x80000000u | reason) && x.qual == qual &&
              x.rip == (uintptr_t)l2_ok && !(x.intr & 0x80000000u) && !h_launched;
  if (!good) xit_diag(what, &x);
  t_ok(good, "%s: VM-entry failure, exit reason 0x%x (got 0x%x), qualification %lu", what,
       0x80000000u | reason, x.reason, (unsigned long)qual);
}

/* Lowest bit set in `must1` (a must-be-1 control), or 0. */
static uint32_t lowest(uint32_t v) { return v & (~v + 1); }

static uint64_t canon_bad = 0x0000800000000000ull;

struct msr_entry {
  uint32_t index, reserved;
  uint64_t value;
};
static struct msr_entry load_list[4] __attribute__((aligned(16)));
static struct msr_entry store_list[2] __attribute__((aligned(16)));
static struct msr_entry host_list[2] __attribute__((aligned(16)));

static struct vmx_result raw_vmlaunch(void) {
  uint64_t fl;
  __asm__ volatile(VMX_PRESET "vmlaunch; pushfq; popq %0" : "=r"(fl)::"rax", "cc", "memory");
  return vmx_result_from(fl);
}

/* VMLAUNCH right after MOV SS: events are blocked by MOV SS, VMfailValid(26) (SDM 31.3, 31.4). */
static struct vmx_result vmlaunch_after_mov_ss(void) {
  uint64_t fl;
  __asm__ volatile("mov %%ss, %%ecx; movb $0xd5, %%ah; sahf; mov %%ecx, %%ss; vmlaunch; pushfq; popq %0"
                   : "=r"(fl)::"rax", "rcx", "cc", "memory");
  return vmx_result_from(fl);
}

static void control_errors(void) {
  bool t = vmx_has_true_ctls();
  uint32_t pin_must1 = (uint32_t)rdmsr(t ? MSR_VMX_TRUE_PINBASED_CTLS : MSR_VMX_PINBASED_CTLS);
  uint32_t bit = lowest(pin_must1);
  if (bit) {
    struct fw w[] = {{PIN_CONTROLS, base_ctl.pin & ~bit}};
    fail_valid("pin-based control with a must-be-1 bit (allowed-0) clear", 7, w, 1);
  } else {
    t_skip(1, "no must-be-1 pin-based control");
  }
  bit = lowest(~cap_pin);
  struct fw w1[] = {{PIN_CONTROLS, base_ctl.pin | bit}};
  fail_valid("pin-based control with a bit its allowed-1 setting forbids", 7, w1, 1);
  bit = lowest(~cap_proc2);
  if (bit && (cap_proc & PROC_SECONDARY)) {
    struct fw w[] = {{PROC_CONTROLS, base_ctl.proc | PROC_SECONDARY}, {PROC_CONTROLS2, bit}};
    fail_valid("secondary control not allowed by IA32_VMX_PROCBASED_CTLS2", 7, w, 2);
  } else {
    t_skip(1, "secondary controls not advertised");
  }
  uint32_t n_targets = (uint32_t)(rdmsr(MSR_VMX_MISC) >> 16) & 0x1ff;
  struct fw w2[] = {{CR3_TARGET_COUNT, n_targets + 1}};
  fail_valid("CR3-target count above IA32_VMX_MISC[24:16]", 7, w2, 1);
  if (can_proc(PROC_USE_IO_BITMAPS)) {
    struct fw w[] = {{PROC_CONTROLS, base_ctl.proc | PROC_USE_IO_BITMAPS},
                     {IO_BITMAP_A, (uintptr_t)load_list + 8},
                     {IO_BITMAP_B, (uintptr_t)alloc_page()}};
    fail_valid("I/O bitmap A address not 4 KiB aligned", 7, w, 3);
  } else {
    t_skip(1, "I/O bitmaps not advertised");
  }
  if (can_proc(PROC_USE_MSR_BITMAPS)) {
    struct fw w[] = {{PROC_CONTROLS, base_ctl.proc | PROC_USE_MSR_BITMAPS}, {MSR_BITMAP, 1ull << 52}};
    fail_valid("MSR bitmap address beyond the physical-address width", 7, w, 2);
  } else {
    t_skip(1, "MSR bitmaps not advertised");
  }
  if (can_proc2(PROC2_ENABLE_VPID)) {
    struct fw w[] = {{PROC_CONTROLS, base_ctl.proc | PROC_SECONDARY},
                     {PROC_CONTROLS2, PROC2_ENABLE_VPID},
                     {VPID, 0}};
    fail_valid("\"enable VPID\" with VPID 0", 7, w, 3);
  } else {
    t_skip(1, "VPID not advertised");
  }
  if (can_proc2(PROC2_ENABLE_EPT)) {
    /* Page-walk length 2 (bits 5:3 = 1) is not supported (IA32_VMX_EPT_VPID_CAP[6] only). */
    uint64_t eptp = (uintptr_t)alloc_page() | (1u << 3) | 6;
    struct fw w[] = {{PROC_CONTROLS, base_ctl.proc | PROC_SECONDARY},
                     {PROC_CONTROLS2, PROC2_ENABLE_EPT},
                     {EPT_POINTER, eptp}};
    fail_valid("EPT pointer with an unsupported page-walk length", 7, w, 3);
  } else {
    t_skip(1, "EPT not advertised");
  }
  struct fw w3[] = {{ENTRY_INTR_INFO, 0x80000100u | 0x20}};
  fail_valid("VM-entry interruption information with reserved type 1", 7, w3, 1);
  struct fw w4[] = {{ENTRY_INTR_INFO, 0x80000b0du}, {ENTRY_EXCEPTION_ERROR, 0x10000}};
  fail_valid("injected #GP with error code bits 31:16 set", 7, w4, 2);
  struct fw w5[] = {{ENTRY_INTR_INFO, 0x80000300u | 14}};
  fail_valid("injected #PF without \"deliver error code\"", 7, w5, 1);
  struct fw w6[] = {{ENTRY_INTR_INFO, 0x80000441u}, {ENTRY_INSTRUCTION_LEN, 0}};
  fail_valid("injected software interrupt with instruction length 0 (IA32_VMX_MISC[30] = 0)", 7, w6,
             2);
  if (can_pin(PIN_VIRTUAL_NMIS)) {
    struct fw w[] = {{PIN_CONTROLS, (base_ctl.pin | PIN_VIRTUAL_NMIS) & ~PIN_NMI_EXITING}};
    fail_valid("\"virtual NMIs\" without \"NMI exiting\"", 7, w, 1);
  } else {
    t_skip(1, "virtual NMIs not advertised");
  }
  if (can_proc(PROC_NMI_WINDOW)) {
    struct fw w[] = {{PROC_CONTROLS, base_ctl.proc | PROC_NMI_WINDOW}};
    fail_valid("\"NMI-window exiting\" without \"virtual NMIs\"", 7, w, 1);
  } else {
    t_skip(1, "NMI-window exiting not advertised");
  }
  if (can_exit(EXIT_SAVE_PREEMPTION)) {
    struct fw w[] = {{EXIT_CONTROLS, base_ctl.exit | EXIT_SAVE_PREEMPTION}};
    fail_valid("\"save VMX-preemption timer value\" without the timer", 7, w, 1);
  } else {
    t_skip(1, "saving the preemption timer not advertised");
  }
  struct fw w7[] = {{ENTRY_MSR_LOAD_COUNT, 1}, {ENTRY_MSR_LOAD_ADDR, (uintptr_t)load_list + 4}};
  fail_valid("VM-entry MSR-load address not 16-byte aligned", 7, w7, 2);
  struct vmx_result r = vmlaunch_after_mov_ss();
  t_ok(r.kind == VMX_FAIL_VALID && r.error == 26,
       "VMLAUNCH in the MOV SS shadow: VMfailValid(26) (got kind %d error %u)", r.kind, r.error);
}

static void host_errors(void) {
  uint64_t cr0 = read_cr0(), cr4 = read_cr4();
  struct fw a[] = {{HOST_CR4, cr4 & ~(uint64_t)CR4_PAE}};
  fail_valid("host CR4.PAE clear with a 64-bit host", 8, a, 1);
  struct fw b[] = {{HOST_CR0, cr0 & ~(uint64_t)CR0_NE}};
  fail_valid("host CR0 violating IA32_VMX_CR0_FIXED0 (NE clear)", 8, b, 1);
  struct fw c[] = {{HOST_CR4, cr4 & ~(uint64_t)CR4_VMXE}};
  fail_valid("host CR4.VMXE clear (IA32_VMX_CR4_FIXED0)", 8, c, 1);
  struct fw d[] = {{HOST_CS_SEL, 0}};
  fail_valid("host CS selector 0", 8, d, 1);
  struct fw e[] = {{HOST_TR_SEL, 0}};
  fail_valid("host TR selector 0", 8, e, 1);
  struct fw f[] = {{HOST_SS_SEL, SEL_KDATA | 3}};
  fail_valid("host SS selector with RPL 3", 8, f, 1);
  struct fw gg[] = {{HOST_FS_BASE, canon_bad}};
  fail_valid("host FS base not canonical", 8, gg, 1);
  struct fw h[] = {{HOST_SYSENTER_EIP, canon_bad}};
  fail_valid("host SYSENTER_EIP not canonical", 8, h, 1);
  if (base_ctl.exit & EXIT_LOAD_EFER) {
    struct fw w[] = {{HOST_EFER, rdmsr(MSR_EFER) & ~(uint64_t)EFER_LMA}};
    fail_valid("host EFER.LMA clear with a 64-bit host", 8, w, 1);
  } else {
    t_skip(1, "\"load IA32_EFER\" on exit not in use");
  }
  struct fw i[] = {{EXIT_CONTROLS, base_ctl.exit & ~EXIT_HOST_ADDR_SPACE}};
  fail_valid("\"host address-space size\" 0 while L1 is in IA-32e mode", 8, i, 1);
  /* vmx_run writes HOST_RIP itself, so this one uses a bare VMLAUNCH. */
  vw(HOST_RIP, canon_bad);
  struct vmx_result r = raw_vmlaunch();
  t_ok(r.kind == VMX_FAIL_VALID && r.error == 8, "host RIP not canonical: VMfailValid(8) (got kind %d, error %u)",
       r.kind, r.error);
  /* Control checks precede host-state checks (27.2). */
  struct fw j[] = {{CR3_TARGET_COUNT, 300}, {HOST_CS_SEL, 0}};
  fail_valid("broken control and broken host state: the control error wins", 7, j, 2);
}

static void guest_failures(void) {
  uint64_t cr0 = read_cr0(), cr4 = read_cr4();
  struct fw a[] = {{GUEST_CR0, cr0 & ~(uint64_t)CR0_NE}};
  entry_fail("guest CR0.NE clear (IA32_VMX_CR0_FIXED0)", 33, 0, a, 1);
  struct fw b[] = {{GUEST_RFLAGS, 0}};
  entry_fail("guest RFLAGS bit 1 (reserved, must be 1) clear", 33, 0, b, 1);
  struct fw c[] = {{GUEST_RFLAGS, 0x8002}};
  entry_fail("guest RFLAGS reserved bit 15 set", 33, 0, c, 1);
  struct fw d[] = {{GUEST_CR4, cr4 & ~(uint64_t)CR4_PAE}};
  entry_fail("IA-32e mode guest with CR4.PAE clear", 33, 0, d, 1);
  struct fw e[] = {{GUEST_CS_AR, 0xe09b}};
  entry_fail("IA-32e mode guest with CS.L and CS.D both set", 33, 0, e, 1);
  struct fw f[] = {{GUEST_TR_SEL, SEL_TSS | 4}};
  entry_fail("guest TR selector with TI set", 33, 0, f, 1);
  /* Shutdown (2) is the activity state nestvm does not advertise (IA32_VMX_MISC bit 7). */
  struct fw gg[] = {{GUEST_ACTIVITY, 2}};
  entry_fail("guest activity state shutdown (not advertised)", 33, 0, gg, 1);
  struct fw h[] = {{GUEST_INTERRUPTIBILITY, 3}};
  entry_fail("guest interruptibility with STI and MOV-SS blocking", 33, 0, h, 1);
  struct fw i[] = {{ENTRY_INTR_INFO, 0x80000040u}, {GUEST_RFLAGS, 2}};
  entry_fail("external-interrupt injection with guest RFLAGS.IF = 0", 33, 0, i, 2);
  if (can_pin(PIN_VIRTUAL_NMIS)) {
    struct fw w[] = {{PIN_CONTROLS, base_ctl.pin | PIN_NMI_EXITING | PIN_VIRTUAL_NMIS},
                     {GUEST_INTERRUPTIBILITY, 8},
                     {ENTRY_INTR_INFO, 0x80000202u}};
    entry_fail("NMI injection with virtual-NMI blocking", 33, 0, w, 3);
  } else {
    t_skip(1, "virtual NMIs not advertised");
  }
  struct fw j[] = {{GUEST_RIP, canon_bad}};
  vw(GUEST_RIP, (uintptr_t)l2_ok);
  struct xit x = run_with(j, 1);
  t_ok(x.fail == 0 && x.reason == 0x80000021u && x.qual == 0,
       "guest RIP not canonical in 64-bit mode: exit reason 0x80000021 (got 0x%x)", x.reason);
  uint32_t *link = alloc_page();
  link[0] = 0x1234; /* not our revision identifier */
  struct fw k[] = {{VMCS_LINK_POINTER, (uintptr_t)link}};
  entry_fail("VMCS link pointer to a region with a wrong revision id", 33, 4, k, 1);
  struct fw l[] = {{VMCS_LINK_POINTER, (uintptr_t)link + 8}};
  entry_fail("VMCS link pointer not 4 KiB aligned", 33, 4, l, 1);
  /* The VMCS stays clear after a failed VMLAUNCH: VMRESUME fails with 5. */
  struct vmx_result r = vmx_run(&g, true);
  t_ok(r.kind == VMX_FAIL_VALID && r.error == 5,
       "after entry failures the VMCS is still clear: VMRESUME gives VMfailValid(5) (got kind %d error %u)",
       r.kind, r.error);
}

static void msr_failures(void) {
  memset(load_list, 0, sizeof load_list);
  load_list[0] = (struct msr_entry){0xc0000102, 0, 0x1111};
  load_list[1] = (struct msr_entry){0xc0000100, 0, 0}; /* IA32_FS_BASE may not be loaded (27.4) */
  struct fw a[] = {{ENTRY_MSR_LOAD_COUNT, 2}, {ENTRY_MSR_LOAD_ADDR, (uintptr_t)load_list}};
  entry_fail("MSR-load list entry 2 loads IA32_FS_BASE", 34, 2, a, 2);
  load_list[0].reserved = 1;
  entry_fail("MSR-load list entry 1 with reserved bits 63:32 set", 34, 1, a, 2);
  load_list[0] = (struct msr_entry){0x808, 0, 0}; /* x2APIC TPR range 800H-8FFH */
  entry_fail("MSR-load list entry 1 in the x2APIC range", 34, 1, a, 2);
  load_list[0] = (struct msr_entry){0xc0000102, 0, 0x1111};
  load_list[1] = (struct msr_entry){MSR_IA32_PAT, 0, 0x0202020202020202ull}; /* type 2: reserved */
  entry_fail("MSR-load list entry 2 writes an invalid PAT (WRMSR would #GP)", 34, 2, a, 2);
  load_list[1] = (struct msr_entry){0x9999, 0, 0}; /* no such MSR */
  entry_fail("MSR-load list entry 2 names an MSR that does not exist", 34, 2, a, 2);
}

/* A good entry with all three MSR lists; then VMLAUNCH of the launched VMCS (4). */
static void good_entry(void) {
  wrmsr(MSR_KERNEL_GS_BASE, 0x9abc);
  load_list[0] = (struct msr_entry){MSR_KERNEL_GS_BASE, 0, 0x1234};
  store_list[0] = (struct msr_entry){MSR_KERNEL_GS_BASE, 0, 0};
  host_list[0] = (struct msr_entry){MSR_KERNEL_GS_BASE, 0, 0x4321};
  vw(ENTRY_MSR_LOAD_COUNT, 1);
  vw(ENTRY_MSR_LOAD_ADDR, (uintptr_t)load_list);
  vw(EXIT_MSR_STORE_COUNT, 1);
  vw(EXIT_MSR_STORE_ADDR, (uintptr_t)store_list);
  vw(EXIT_MSR_LOAD_COUNT, 1);
  vw(EXIT_MSR_LOAD_ADDR, (uintptr_t)host_list);
  memset(&g, 0, sizeof g);
  /* L2 runs without RDMSR/WRMSR exits only with an all-clear MSR bitmap. */
  if (can_proc(PROC_USE_MSR_BITMAPS)) {
    vw(MSR_BITMAP, (uintptr_t)alloc_page());
    h_controls(0, PROC_USE_MSR_BITMAPS, 0);
  }
  struct xit x = h_enter(l2_msr, 2);
  t_ok(xit_is(&x, EXIT_VMCALL, l2_msr_end) && g.r8 == 0x1234,
       "VMLAUNCH with the VM-entry MSR-load list: L2 read KERNEL_GS_BASE = 0x%lx", (unsigned long)g.r8);
  t_ok(store_list[0].value == 0x5678 && rdmsr(MSR_KERNEL_GS_BASE) == 0x4321,
       "VM exit: MSR-store list saved L2's 0x%lx, MSR-load list gave L1 0x%lx",
       (unsigned long)store_list[0].value, (unsigned long)rdmsr(MSR_KERNEL_GS_BASE));
  vw(ENTRY_MSR_LOAD_COUNT, 0);
  vw(EXIT_MSR_STORE_COUNT, 0);
  vw(EXIT_MSR_LOAD_COUNT, 0);
  /* Launch state checks (27.1) come before the control checks. */
  struct vmx_result r = vmx_run(&g, false);
  t_ok(r.kind == VMX_FAIL_VALID && r.error == 4, "VMLAUNCH of a launched VMCS: VMfailValid(4) (got kind %d error %u)",
       r.kind, r.error);
  vw(CR3_TARGET_COUNT, 300);
  r = vmx_run(&g, false);
  vw(CR3_TARGET_COUNT, 0);
  t_ok(r.kind == VMX_FAIL_VALID && r.error == 4,
       "VMLAUNCH of a launched VMCS with a broken control: the launch-state error 4 wins (got %u)", r.error);
  vw(GUEST_RIP, (uintptr_t)l2_ok);
  x = h_run();
  t_ok(xit_is(&x, EXIT_VMCALL, l2_ok), "VMRESUME of the launched VMCS still works");
  uint64_t p = 0;
  vmptrst(&p);
  vmclear(p);
  vmptrld(p);
  r = vmx_run(&g, true);
  t_ok(r.kind == VMX_FAIL_VALID && r.error == 5,
       "VMCLEAR makes the VMCS clear again: VMRESUME gives VMfailValid(5) (got %u)", r.error);
  h_launched = false;
  x = h_run();
  t_ok(xit_is(&x, EXIT_VMCALL, l2_ok), "VMLAUNCH after VMCLEAR enters L2 again (VMCS contents kept)");
}

int kmain(uint32_t magic, uint32_t mbi) {
  t_plan(57);
  if (!t_ok(h_init(), "VMXON and a VMCS for a 64-bit L2")) t_done();
  vw(GUEST_RIP, (uintptr_t)l2_ok);
  struct vmx_result r = vmx_run(&g, true);
  t_ok(r.kind == VMX_FAIL_VALID && r.error == 5 && (r.flags & VMX_ARITH_FLAGS) == FLAGS_ZF,
       "VMRESUME of a clear VMCS: VMfailValid(5), ZF only (got kind %d error %u flags 0x%lx)", r.kind,
       r.error, (unsigned long)r.flags);
  control_errors();
  host_errors();
  guest_failures();
  msr_failures();
  good_entry();
  (void)magic;
  (void)mbi;
  t_done();
}

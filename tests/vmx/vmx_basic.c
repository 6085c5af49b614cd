/*
 * VMX conformance guest, part 1 (issue 7 items 3 and 6): VMXON/VMXOFF
 * checks (#UD, #GP, VMfailInvalid, VMfailValid(15)), VMCLEAR, VMPTRLD,
 * VMPTRST, VMREAD and VMWRITE with their VM-instruction error numbers and
 * field-width rules. One TAP check per rule, each asserting the outcome,
 * the arithmetic flags (the wrappers preset SF ZF AF PF CF so a success
 * must clear them) and, for VMfailValid, the error field.
 */
#include "vmx.h"

static struct fault_info fi;
static uint64_t arg_pa;
static uint64_t vmxon_pa, vmcs_a, vmcs_b, bad_rev;
static uint32_t maxphys;

static const char *kind_name(enum vmx_kind k) {
  return k == VMX_OK ? "VMsucceed" : k == VMX_FAIL_INVALID ? "VMfailInvalid" : "VMfailValid";
}

/* One check: outcome kind, exact arithmetic flags, and the error number for VMfailValid. */
static void expect(struct vmx_result r, enum vmx_kind kind, uint32_t error, const char *what) {
  uint64_t want = kind == VMX_OK ? 0 : kind == VMX_FAIL_INVALID ? FLAGS_CF : FLAGS_ZF;
  bool good = r.kind == kind && (r.flags & VMX_ARITH_FLAGS) == want &&
              (kind != VMX_FAIL_VALID || r.error == error);
  if (kind == VMX_FAIL_VALID)
    ok(good, "%s: VMfailValid(%u) (got %s, error %u, flags 0x%lx)", what, error, kind_name(r.kind),
       r.error, (unsigned long)r.flags);
  else
    ok(good, "%s: %s (got %s, error %u, flags 0x%lx)", what, kind_name(kind), kind_name(r.kind), r.error,
       (unsigned long)r.flags);
}

static void do_vmxon(void *a) { (void)vmxon(*(uint64_t *)a); }
static void do_vmxoff(void *a) { (void)vmxoff(); }
static void do_clear_vmxe(void *a) { write_cr4(read_cr4() & ~(uint64_t)CR4_VMXE); }

static void expect_fault(void (*fn)(void *), void *arg, int vector, const char *what) {
  memset(&fi, 0, sizeof fi);
  int v = rt_try(fn, arg, &fi);
  bool good = v == vector && (vector != 13 || fi.error_code == 0);
  ok(good, "%s: %s (got vector %d, error 0x%llx)", what, vector == 6 ? "#UD" : "#GP(0)", v,
     (unsigned long long)fi.error_code);
}

extern char user_vmxon_code[], user_vmxon_insn[];
extern char compat_vmxon_insn[], probe_vmptrst_at_insn[], probe_vmptrld_noncanon_insn[];
void compat_vmxon(void *ptr);
void probe_vmptrst_at(void *dest);
void probe_vmptrld_noncanon(void *unused);
uint64_t vmptrld_fs_disp(uint64_t base, uint64_t index);
extern uint64_t rt_pd[];
extern uint64_t vmxon_user_ptr;
uint64_t user_roundtrip(void *user_fn, void *user_stack);
static uint8_t user_stack[4096] __attribute__((aligned(16)));
static void run_user_vmxon(void *a) { user_roundtrip(user_vmxon_code, user_stack + sizeof user_stack); }

static void vmxon_tests(void) {
  uint64_t cr4 = read_cr4();
  write_cr4(cr4 & ~(uint64_t)CR4_VMXE);
  arg_pa = vmxon_pa;
  expect_fault(do_vmxon, &arg_pa, 6, "VMXON with CR4.VMXE=0");
  expect_fault(do_vmxoff, 0, 6, "VMXOFF outside VMX operation");
  write_cr4(cr4 | CR4_VMXE);
  ok(read_cr4() & CR4_VMXE, "CR4.VMXE can be set (CPUID.1:ECX.VMX=1)");

  uint64_t fc = rdmsr(MSR_IA32_FEATURE_CONTROL);
  if (!(fc & FEATURE_CONTROL_LOCK)) {
    expect_fault(do_vmxon, &arg_pa, 13, "VMXON with IA32_FEATURE_CONTROL unlocked");
    wrmsr(MSR_IA32_FEATURE_CONTROL, FEATURE_CONTROL_LOCK | FEATURE_CONTROL_VMX_OUTSIDE_SMX);
  } else {
    ok(true, "# SKIP IA32_FEATURE_CONTROL already locked by firmware");
  }
  fc = rdmsr(MSR_IA32_FEATURE_CONTROL);
  ok((fc & 5) == 5, "IA32_FEATURE_CONTROL locked with VMX outside SMX (0x%llx)", (unsigned long long)fc);

  /* CR0 must satisfy IA32_VMX_CR0_FIXED0: clearing NE (fixed to 1) makes VMXON #GP. */
  if (rdmsr(MSR_VMX_CR0_FIXED0) & CR0_NE) {
    write_cr0(read_cr0() & ~(uint64_t)CR0_NE);
    expect_fault(do_vmxon, &arg_pa, 13, "VMXON with CR0.NE=0 (violates CR0_FIXED0)");
    write_cr0(read_cr0() | CR0_NE);
  } else {
    ok(true, "# SKIP CR0_FIXED0 does not require NE");
  }
  vmxon_user_ptr = vmxon_pa;
  memset(&fi, 0, sizeof fi);
  int v = rt_try(run_user_vmxon, 0, &fi);
  ok(v == 13 && fi.error_code == 0 && fi.rip == (uintptr_t)user_vmxon_insn,
     "VMXON at CPL3: #GP(0) (got vector %d)", v);

  memset(&fi, 0, sizeof fi);
  v = rt_try(compat_vmxon, &vmxon_pa, &fi);
  ok(v == 6 && fi.rip == (uintptr_t)compat_vmxon_insn && fi.cs == 0x40,
     "VMXON in compatibility mode: #UD (got vector %d, cs 0x%x)", v, fi.cs);

  expect(vmxon(vmxon_pa + 8), VMX_FAIL_INVALID, 0, "VMXON with a pointer not 4 KiB aligned");
  expect(vmxon(1ull << maxphys), VMX_FAIL_INVALID, 0, "VMXON with a pointer beyond MAXPHYADDR");
  expect(vmxon(bad_rev), VMX_FAIL_INVALID, 0, "VMXON with a wrong revision identifier");
  expect(vmxon(vmxon_pa), VMX_OK, 0, "VMXON");
  expect(vmxon(vmxon_pa), VMX_FAIL_INVALID, 0, "VMXON in VMX root operation without a current VMCS");
  expect_fault(do_clear_vmxe, 0, 13, "clearing CR4.VMXE in VMX operation");
}

static void no_current_vmcs_tests(void) {
  uint64_t p = 0;
  expect(vmptrst(&p), VMX_OK, 0, "VMPTRST without a current VMCS");
  ok(p == ~0ull, "VMPTRST stores FFFFFFFF_FFFFFFFFH when there is no current VMCS (0x%llx)",
     (unsigned long long)p);
  uint64_t val;
  expect(vmread(GUEST_RIP, &val), VMX_FAIL_INVALID, 0, "VMREAD without a current VMCS");
  expect(vmwrite(GUEST_RIP, 1), VMX_FAIL_INVALID, 0, "VMWRITE without a current VMCS");
  expect(vmclear(vmcs_a + 1), VMX_FAIL_INVALID, 0, "VMCLEAR of a misaligned address without a current VMCS");
  expect(vmptrld(vmcs_a + 1), VMX_FAIL_INVALID, 0, "VMPTRLD of a misaligned address without a current VMCS");
}

static void current_vmcs_tests(void) {
  expect(vmclear(vmcs_a), VMX_OK, 0, "VMCLEAR of a VMCS region");
  expect(vmptrld(vmcs_a), VMX_OK, 0, "VMPTRLD of a cleared VMCS");
  uint64_t p = 0;
  expect(vmptrst(&p), VMX_OK, 0, "VMPTRST");
  ok(p == vmcs_a, "VMPTRST stores the current-VMCS pointer (0x%llx)", (unsigned long long)p);

  expect(vmxon(vmxon_pa), VMX_FAIL_VALID, 15, "VMXON in VMX root operation");
  expect(vmclear(vmcs_b + 0x10), VMX_FAIL_VALID, 2, "VMCLEAR of a misaligned address");
  expect(vmclear(1ull << maxphys), VMX_FAIL_VALID, 2, "VMCLEAR of an address beyond MAXPHYADDR");
  expect(vmclear(vmxon_pa), VMX_FAIL_VALID, 3, "VMCLEAR of the VMXON pointer");
  expect(vmptrld(vmcs_b + 0x10), VMX_FAIL_VALID, 9, "VMPTRLD of a misaligned address");
  expect(vmptrld(1ull << maxphys), VMX_FAIL_VALID, 9, "VMPTRLD of an address beyond MAXPHYADDR");
  expect(vmptrld(vmxon_pa), VMX_FAIL_VALID, 10, "VMPTRLD of the VMXON pointer");
  expect(vmptrld(bad_rev), VMX_FAIL_VALID, 11, "VMPTRLD of a region with a wrong revision identifier");
  p = 0;
  vmptrst(&p);
  ok(p == vmcs_a, "failed VMPTRLDs leave the current VMCS unchanged");

  uint64_t v = 0;
  expect(vmread(0x7ffe, &v), VMX_FAIL_VALID, 12, "VMREAD of an unsupported field");
  expect(vmwrite(0x7ffe, 1), VMX_FAIL_VALID, 12, "VMWRITE of an unsupported field");
  expect(vmread(0xffffffff00000000ull | GUEST_RIP, &v), VMX_FAIL_VALID, 12,
         "VMREAD with bits 63:32 of the field encoding set");
  bool misc29 = (rdmsr(MSR_VMX_MISC) >> 29) & 1;
  if (!misc29)
    expect(vmwrite(EXIT_REASON, 1), VMX_FAIL_VALID, 13, "VMWRITE of a read-only field (exit reason)");
  else {
    uint64_t back = 0;
    bool w = vmwrite(EXIT_REASON, 0x1234).kind == VMX_OK;
    ok(w && vmread(EXIT_REASON, &back).kind == VMX_OK && back == 0x1234,
       "VMWRITE of a read-only field (exit reason) with IA32_VMX_MISC[29]: written (0x%llx)",
       (unsigned long long)back);
  }
  expect(vmread(VM_INSTRUCTION_ERROR, &v), VMX_OK, 0, "VMREAD of the VM-instruction error field");
  ok(v == 13 || (misc29 && v == 12), "VM-instruction error field holds the last error (%llu)",
     (unsigned long long)v);

  /* widths: 16-bit, 32-bit, 64-bit (full and high), natural */
  expect(vmwrite(GUEST_ES_SEL, 0x12345), VMX_OK, 0, "VMWRITE of a 16-bit field");
  vmread(GUEST_ES_SEL, &v);
  ok(v == 0x2345, "16-bit field keeps the low 16 bits of the source (0x%llx)", (unsigned long long)v);
  vmwrite(GUEST_ES_LIMIT, 0xfffffffffeedbeefull);
  vmread(GUEST_ES_LIMIT, &v);
  ok(v == 0xfeedbeef, "32-bit field keeps the low 32 bits, VMREAD zero-extends (0x%llx)",
     (unsigned long long)v);
  vmwrite(TSC_OFFSET, 0x1122334455667788ull);
  vmread(TSC_OFFSET, &v);
  ok(v == 0x1122334455667788ull, "64-bit field full access");
  vmread(TSC_OFFSET + 1, &v);
  ok(v == 0x11223344, "64-bit field high access reads bits 63:32 (0x%llx)", (unsigned long long)v);
  expect(vmwrite(TSC_OFFSET + 1, 0xaabbccdd), VMX_OK, 0, "VMWRITE of a 64-bit field's high half");
  vmread(TSC_OFFSET, &v);
  ok(v == 0xaabbccdd55667788ull, "high access writes bits 63:32 only (0x%llx)", (unsigned long long)v);
  vmwrite(GUEST_RIP, 0xffffffff80001234ull);
  vmread(GUEST_RIP, &v);
  ok(v == 0xffffffff80001234ull, "natural-width field holds 64 bits in 64-bit mode");

  /* VMCLEAR of the current VMCS makes it not current; launch state is clear. */
  expect(vmclear(vmcs_a), VMX_OK, 0, "VMCLEAR of the current VMCS");
  p = 0;
  vmptrst(&p);
  ok(p == ~0ull, "VMCLEAR of the current VMCS invalidates the current-VMCS pointer");
  expect(vmptrld(vmcs_a), VMX_OK, 0, "VMPTRLD again after VMCLEAR");
  vmread(TSC_OFFSET, &v);
  ok(v == 0xaabbccdd55667788ull, "VMCS contents survive VMCLEAR + VMPTRLD");
  expect(vmptrld(vmcs_b), VMX_OK, 0, "VMPTRLD of a second VMCS");
  vmptrst(&p);
  ok(p == vmcs_b, "the second VMCS is current");
}

/*
 * Every VMCS field of vmx.h the advertised controls can use: VMWRITE then
 * VMREAD returns the value truncated to the field's width; read-only
 * (exit-information) fields read successfully and refuse VMWRITE with 13
 * (unless IA32_VMX_MISC[29]). Fields tied to a feature are only checked
 * when the capability MSRs allow that feature.
 */
static const uint32_t rw_fields[] = {
    GUEST_ES_SEL, GUEST_CS_SEL, GUEST_SS_SEL, GUEST_DS_SEL, GUEST_FS_SEL, GUEST_GS_SEL, GUEST_LDTR_SEL,
    GUEST_TR_SEL, HOST_ES_SEL, HOST_CS_SEL, HOST_SS_SEL, HOST_DS_SEL, HOST_FS_SEL, HOST_GS_SEL, HOST_TR_SEL,
    IO_BITMAP_A, IO_BITMAP_B, MSR_BITMAP, EXIT_MSR_STORE_ADDR, EXIT_MSR_LOAD_ADDR, ENTRY_MSR_LOAD_ADDR,
    TSC_OFFSET, VMCS_LINK_POINTER, GUEST_DEBUGCTL, PIN_CONTROLS, PROC_CONTROLS, EXCEPTION_BITMAP,
    PF_ERROR_MASK, PF_ERROR_MATCH, CR3_TARGET_COUNT, EXIT_CONTROLS, EXIT_MSR_STORE_COUNT,
    EXIT_MSR_LOAD_COUNT, ENTRY_CONTROLS, ENTRY_MSR_LOAD_COUNT, ENTRY_INTR_INFO, ENTRY_EXCEPTION_ERROR,
    ENTRY_INSTRUCTION_LEN, TPR_THRESHOLD, GUEST_ES_LIMIT, GUEST_CS_LIMIT, GUEST_SS_LIMIT, GUEST_DS_LIMIT,
    GUEST_FS_LIMIT, GUEST_GS_LIMIT, GUEST_LDTR_LIMIT, GUEST_TR_LIMIT, GUEST_GDTR_LIMIT, GUEST_IDTR_LIMIT,
    GUEST_INTERRUPTIBILITY, GUEST_ACTIVITY, GUEST_SMBASE, GUEST_SYSENTER_CS, HOST_SYSENTER_CS, CR0_MASK,
    CR4_MASK, CR0_SHADOW, CR4_SHADOW, CR3_TARGET0, CR3_TARGET0 + 2, CR3_TARGET0 + 4, CR3_TARGET0 + 6,
    GUEST_CR0, GUEST_CR3, GUEST_CR4, GUEST_ES_BASE, GUEST_CS_BASE, GUEST_SS_BASE, GUEST_DS_BASE,
    GUEST_FS_BASE, GUEST_GS_BASE, GUEST_LDTR_BASE, GUEST_TR_BASE, GUEST_GDTR_BASE, GUEST_IDTR_BASE,
    GUEST_DR7, GUEST_RSP, GUEST_RIP, GUEST_RFLAGS, GUEST_PENDING_DBG, GUEST_SYSENTER_ESP,
    GUEST_SYSENTER_EIP, HOST_CR0, HOST_CR3, HOST_CR4, HOST_FS_BASE, HOST_GS_BASE, HOST_TR_BASE,
    HOST_GDTR_BASE, HOST_IDTR_BASE, HOST_SYSENTER_ESP, HOST_SYSENTER_EIP, HOST_RSP, HOST_RIP,
};
static const uint32_t ro_fields[] = {
    VM_INSTRUCTION_ERROR, EXIT_REASON, EXIT_INTR_INFO, EXIT_INTR_ERROR, IDT_VECTORING_INFO,
    IDT_VECTORING_ERROR, EXIT_INSTRUCTION_LEN, EXIT_INSTRUCTION_INFO, EXIT_QUALIFICATION,
    GUEST_LINEAR_ADDRESS, GUEST_PHYSICAL_ADDRESS,
};

static uint64_t width_mask(uint32_t field) {
  switch ((field >> 13) & 3) {
  case 0: return 0xffff;
  case 2: return 0xffffffffu;
  default: return ~0ull; /* 64-bit and natural width in 64-bit mode */
  }
}

static unsigned check_rw(uint32_t field, unsigned bad) {
  uint64_t pattern = 0x5a5aa5a5c3c33c3cull ^ ((uint64_t)field << 20), v = 0;
  struct vmx_result w = vmwrite(field, pattern);
  struct vmx_result r = vmread(field, &v);
  if (w.kind != VMX_OK || r.kind != VMX_OK || v != (pattern & width_mask(field))) {
    diag("field 0x%x: write %d read %d value 0x%llx", field, w.kind, r.kind, (unsigned long long)v);
    return bad + 1;
  }
  return bad;
}

static void field_sweep(void) {
  bool t = vmx_has_true_ctls();
  uint32_t proc1 = (uint32_t)(rdmsr(t ? MSR_VMX_TRUE_PROCBASED_CTLS : MSR_VMX_PROCBASED_CTLS) >> 32);
  uint32_t proc2 = (proc1 & PROC_SECONDARY) ? (uint32_t)(rdmsr(MSR_VMX_PROCBASED_CTLS2) >> 32) : 0;
  uint32_t pin = (uint32_t)(rdmsr(t ? MSR_VMX_TRUE_PINBASED_CTLS : MSR_VMX_PINBASED_CTLS) >> 32);
  uint32_t exit1 = (uint32_t)(rdmsr(t ? MSR_VMX_TRUE_EXIT_CTLS : MSR_VMX_EXIT_CTLS) >> 32);
  uint32_t entry1 = (uint32_t)(rdmsr(t ? MSR_VMX_TRUE_ENTRY_CTLS : MSR_VMX_ENTRY_CTLS) >> 32);
  unsigned bad = 0, n = 0;
  for (unsigned i = 0; i < sizeof rw_fields / sizeof rw_fields[0]; i++, n++) bad = check_rw(rw_fields[i], bad);
  /* access rights: a valid value with the reserved bits (11:8, 31:17) clear */
  for (uint32_t f = GUEST_ES_AR; f <= GUEST_TR_AR; f += 2, n++) {
    uint64_t v = 0;
    struct vmx_result w = vmwrite(f, 0xc09b), r = vmread(f, &v);
    if (w.kind != VMX_OK || r.kind != VMX_OK || v != 0xc09b) bad++;
  }
  if (proc2 & PROC2_ENABLE_VPID) bad = check_rw(VPID, bad), n++;
  if (proc2 & PROC2_ENABLE_EPT) bad = check_rw(EPT_POINTER, bad), n++;
  if (pin & PIN_PREEMPTION_TIMER) bad = check_rw(PREEMPTION_TIMER, bad), n++;
  if (entry1 & ENTRY_LOAD_PAT) bad = check_rw(GUEST_PAT, bad), n++;
  if (exit1 & EXIT_LOAD_PAT) bad = check_rw(HOST_PAT, bad), n++;
  if (entry1 & ENTRY_LOAD_EFER) bad = check_rw(GUEST_EFER, bad), n++;
  if (exit1 & EXIT_LOAD_EFER) bad = check_rw(HOST_EFER, bad), n++;
  ok(bad == 0, "%u read/write VMCS fields keep the value written, truncated to their width (%u wrong)", n, bad);
  /* 64-bit fields: the high access encoding (bit 0 set) addresses bits 63:32 */
  vmwrite(VMCS_LINK_POINTER + 1, 0x12345678);
  uint64_t v = 0;
  vmread(VMCS_LINK_POINTER, &v);
  ok((v >> 32) == 0x12345678, "VMWRITE of the link pointer's high half (0x%llx)", (unsigned long long)v);
  vmwrite(VMCS_LINK_POINTER, ~0ull);
  bool misc29 = (rdmsr(MSR_VMX_MISC) >> 29) & 1;
  unsigned ro_bad = 0;
  for (unsigned i = 0; i < sizeof ro_fields / sizeof ro_fields[0]; i++) {
    struct vmx_result r = vmread(ro_fields[i], &v);
    struct vmx_result w = vmwrite(ro_fields[i], 0);
    bool good = r.kind == VMX_OK &&
                (misc29 ? w.kind == VMX_OK : (w.kind == VMX_FAIL_VALID && w.error == 13));
    if (!good) {
      diag("read-only field 0x%x: read %d write %d/%u", ro_fields[i], r.kind, w.kind, w.error);
      ro_bad++;
    }
  }
  ok(ro_bad == 0, "%u read-only exit-information fields: VMREAD succeeds, VMWRITE %s",
     (unsigned)(sizeof ro_fields / sizeof ro_fields[0]), misc29 ? "allowed (MISC[29])" : "fails with 13");
  uint64_t enum_msr = rdmsr(MSR_VMX_VMCS_ENUM);
  ok(((enum_msr >> 1) & 0x1ff) >= 0x17, "IA32_VMX_VMCS_ENUM: highest field index %u",
     (unsigned)((enum_msr >> 1) & 0x1ff));
}

/* Memory operands: paging faults, canonical checks, segment override with base, SIB + disp. */
static void operand_tests(void) {
  const uintptr_t va = 0x40000000;
  volatile uint64_t *pde = &rt_pd[va >> 21];
  uint64_t saved = *pde;
  *pde = 0; /* not present */
  invlpg(va);
  memset(&fi, 0, sizeof fi);
  int v = rt_try(probe_vmptrst_at, (void *)(va + 0x18), &fi);
  ok(v == 14 && fi.error_code == 2 && fi.cr2 == va + 0x18 && fi.rip == (uintptr_t)probe_vmptrst_at_insn,
     "VMPTRST to a not-present page: #PF, write error code, CR2 (got %d err 0x%llx cr2 0x%llx)", v,
     (unsigned long long)fi.error_code, (unsigned long long)fi.cr2);
  *pde = saved;
  invlpg(va);
  memset(&fi, 0, sizeof fi);
  v = rt_try(probe_vmptrld_noncanon, 0, &fi);
  ok(v == 13 && fi.error_code == 0 && fi.rip == (uintptr_t)probe_vmptrld_noncanon_insn,
     "VMPTRLD with a non-canonical memory operand: #GP(0) (got %d)", v);
  /* FS base + base + index*4 + 8 addresses a qword holding vmcs_a */
  static uint64_t slots[8];
  slots[5] = vmcs_a;
  uint64_t fsbase = rdmsr(MSR_FS_BASE);
  wrmsr(MSR_FS_BASE, (uintptr_t)slots - 0x1000);
  uint64_t fl = vmptrld_fs_disp(0x1000 - 8 + 8 * 5 - 4 * 2, 2);
  wrmsr(MSR_FS_BASE, fsbase);
  uint64_t p = 0;
  vmptrst(&p);
  ok((fl & VMX_ARITH_FLAGS & (FLAGS_CF | FLAGS_ZF)) == 0 && p == vmcs_a,
     "VMPTRLD %%fs:8(base,index,4) uses the FS base and SIB addressing (current 0x%llx)", (unsigned long long)p);
}

static void vmxoff_tests(void) {
  expect(vmxoff(), VMX_OK, 0, "VMXOFF");
  expect_fault(do_vmxoff, 0, 6, "VMXOFF after leaving VMX operation");
  write_cr4(read_cr4() & ~(uint64_t)CR4_VMXE);
  ok(!(read_cr4() & CR4_VMXE), "CR4.VMXE can be cleared after VMXOFF");
}

int kmain(uint32_t magic, uint32_t mbi) {
  printf("# nestvm VMX conformance: VMX operation and VMCS management\n");
  if (!(cpuid(1, 0).ecx & (1u << 5))) {
    printf("1..0 # SKIP CPUID.1:ECX.VMX is clear\n");
    rt_exit(EXIT_PASS);
  }
  maxphys = cpuid(0x80000008, 0).eax & 0xff;
  if (maxphys < 32 || maxphys > 52) maxphys = 36;
  extern char syscall_entry[];
  wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
  wrmsr(MSR_STAR, ((uint64_t)0x18 << 48) | ((uint64_t)SEL_KCODE << 32));
  wrmsr(MSR_LSTAR, (uintptr_t)syscall_entry);
  wrmsr(MSR_FMASK, FLAGS_IF | FLAGS_TF | FLAGS_DF);
  vmxon_pa = (uintptr_t)vmx_alloc_region();
  vmcs_a = (uintptr_t)vmx_alloc_region();
  vmcs_b = (uintptr_t)vmx_alloc_region();
  uint32_t *bad = vmx_alloc_region();
  bad[0] ^= 0x5a5a;
  bad_rev = (uintptr_t)bad;
  vmxon_tests();
  no_current_vmcs_tests();
  current_vmcs_tests();
  field_sweep();
  operand_tests();
  vmxoff_tests();
  (void)magic;
  (void)mbi;
  done();
}

/*
 * VMX conformance guest, part 2 (issue 8 item 2, vmx_instr_exits): instruction-caused VM
 * exits of a 64-bit L2. For each exit reason whose control nestvm
 * advertises (IA32_VMX_TRUE_*_CTLS / PROCBASED_CTLS2), L2 runs a small asm
 * snippet; L1 checks the basic exit reason, exit qualification,
 * instruction length and information and the guest RIP (SDM Vol. 3C 26.1
 * "Instructions that cause VM exits", 28.2 "Recording VM-exit
 * information"), then resumes and checks at the snippet's closing VMCALL
 * that L2 continued with its registers intact (and with the values L1
 * emulated). Controls that are not advertised are reported as SKIP.
 */
#include "harness.h"

#define X(...) L2_LABELS(__VA_ARGS__)

/* Closing VMCALL exit of a snippet: at `rip`, 3 bytes. */
static bool at_vmcall(const struct xit *x, const void *rip) {
  bool good = xit_is(x, EXIT_VMCALL, rip) && x->len == 3;
  if (!good) xit_diag("expected VMCALL", x);
  return good;
}

static struct xit resume_at_label(const char *rip) {
  vw(GUEST_RIP, (uintptr_t)rip);
  return h_run();
}

static bool expect(const struct xit *x, uint32_t reason, const void *rip, uint32_t len, uint64_t qual) {
  bool good = xit_is(x, reason, rip) && x->len == len && x->qual == qual;
  if (!good) xit_diag("unexpected", x);
  return good;
}

/* ---- CPUID (unconditional), L2 state across VMRESUME ---- */
X(l2_cpuid[], l2_cpuid_x[], l2_cpuid_end[]);
L2_ASM("l2_cpuid: mov $0x5a5a, %r12\n std\n stc\n"
       "l2_cpuid_x: cpuid\n"
       "pushfq\n pop %r15\n cld\n"
       "add %rax, %r12\n"
       "push %r12\n pop %r13\n"
       "l2_cpuid_end: vmcall\n jmp l2_cpuid_end");

static void test_cpuid(void) {
  memset(&g, 0, sizeof g);
  g.rax = 0x40000000;
  g.rcx = 7;
  g.r14 = 0x1122334455667788ull;
  struct xit x = h_enter(l2_cpuid, 2);
  t_ok(expect(&x, EXIT_CPUID, l2_cpuid_x, 2, 0) && g.rax == 0x40000000 && g.rcx == 7 &&
           g.r12 == 0x5a5a && x.rsp == L2_STACK_TOP,
       "CPUID: exit 10, length 2, qualification 0, RIP at CPUID, L2's EAX/ECX/R12/RSP visible");
  t_ok((x.rflags & 0xcd5) == (FLAGS_DF | FLAGS_CF), "CPUID: L2's RFLAGS saved with DF and CF set (0x%lx)",
       (unsigned long)x.rflags);
  g.rax = 0x1000;
  g.rbx = 0xb0b;
  g.rcx = 0xc0c;
  g.rdx = 0xd0d;
  x = h_skip_run();
  t_ok(at_vmcall(&x, l2_cpuid_end) && g.r12 == 0x5a5a + 0x1000 && g.r13 == g.r12 &&
           g.rbx == 0xb0b && g.rdx == 0xd0d && g.r14 == 0x1122334455667788ull &&
           x.rsp == L2_STACK_TOP && (g.r15 & 0xcd5) == (FLAGS_DF | FLAGS_CF),
       "CPUID: L2 resumed after it with L1's EAX..EDX, its other registers, flags and stack intact");
}

/* ---- simple unconditional / single-control exits ---- */
X(l2_invd[], l2_invd_end[], l2_hlt[], l2_hlt_end[], l2_rdpmc[], l2_rdpmc_end[], l2_rdtsc[],
  l2_rdtsc_end[], l2_wbinvd[], l2_wbinvd_end[], l2_pause[], l2_pause_end[], l2_monitor[],
  l2_monitor_end[], l2_mwait[], l2_mwait_end[], l2_rdtscp[], l2_rdtscp_end[]);
L2_ASM("l2_invd: invd\n l2_invd_end: vmcall\n jmp l2_invd_end\n"
       "l2_hlt: hlt\n l2_hlt_end: vmcall\n jmp l2_hlt_end\n"
       "l2_rdpmc: rdpmc\n l2_rdpmc_end: vmcall\n jmp l2_rdpmc_end\n"
       "l2_rdtsc: rdtsc\n l2_rdtsc_end: vmcall\n jmp l2_rdtsc_end\n"
       "l2_rdtscp: rdtscp\n l2_rdtscp_end: vmcall\n jmp l2_rdtscp_end\n"
       "l2_wbinvd: wbinvd\n l2_wbinvd_end: vmcall\n jmp l2_wbinvd_end\n"
       "l2_pause: pause\n l2_pause_end: vmcall\n jmp l2_pause_end\n"
       "l2_monitor: monitor\n l2_monitor_end: vmcall\n jmp l2_monitor_end\n"
       "l2_mwait: mwait\n l2_mwait_end: vmcall\n jmp l2_mwait_end");

X(l2_getsec[], l2_getsec_end[], l2_xsetbv[], l2_xsetbv_end[]);
L2_ASM("l2_xsetbv: xsetbv\n"
       "l2_xsetbv_end: vmcall\n jmp l2_xsetbv_end");
L2_ASM("l2_getsec: getsec\n l2_getsec_end: vmcall\n jmp l2_getsec_end");

/* Two checks: an instruction the CPU does not implement is #UD in L2 even with its exiting control. */
static void undefined_in_l2(const char *name, uint32_t proc, const char *start, const char *end) {
  h_controls(0, proc, 0);
  vw(EXCEPTION_BITMAP, 1u << 6);
  memset(&g, 0, sizeof g);
  struct xit x = h_enter(start, 2);
  t_ok(xit_is(&x, EXIT_EXCEPTION_NMI, start) && x.intr == 0x80000306,
       "%s (not implemented) in L2 with its exiting control: #UD, exception exit 0x%x, not an "
       "instruction exit (reason %u)",
       name, x.intr, x.reason);
  vw(EXCEPTION_BITMAP, 0);
  x = resume_at_label(end);
  t_ok(xit_is(&x, EXIT_VMCALL, end), "%s: L1 resumed L2 after it", name);
  h_controls(0, 0, 0);
}

/* Two checks: the exit, then the VMCALL after resuming past it. */
static void simple(const char *name, bool advertised, uint32_t pin, uint32_t proc, uint32_t proc2,
                   const char *start, const char *end, uint32_t reason) {
  if (!advertised) {
    char why[96];
    snprintf(why, sizeof why, "%s exiting not advertised", name);
    t_skip(2, why);
    return;
  }
  h_controls(pin, proc, proc2);
  memset(&g, 0, sizeof g);
  g.rbx = 0xbeef;
  struct xit x = h_enter(start, 2);
  uint32_t len = (uint32_t)(end - start);
  t_ok(expect(&x, reason, start, len, 0), "%s: exit %u, length %u, qualification 0", name, reason,
       len);
  x = h_skip_run();
  t_ok(at_vmcall(&x, end) && g.rbx == 0xbeef, "%s: resumed past it", name);
  h_controls(0, 0, 0);
}

static void test_simple(void) {
  simple("INVD", true, 0, 0, 0, l2_invd, l2_invd_end, EXIT_INVD);
  simple("HLT", can_proc(PROC_HLT_EXITING), 0, PROC_HLT_EXITING, 0, l2_hlt, l2_hlt_end, EXIT_HLT);
  simple("RDPMC", can_proc(PROC_RDPMC_EXITING), 0, PROC_RDPMC_EXITING, 0, l2_rdpmc, l2_rdpmc_end,
         EXIT_RDPMC);
  simple("RDTSC", can_proc(PROC_RDTSC_EXITING), 0, PROC_RDTSC_EXITING, 0, l2_rdtsc, l2_rdtsc_end,
         EXIT_RDTSC);
  bool rdtscp = (cpuid(0x80000001, 0).edx >> 27) & 1;
  simple("RDTSCP", rdtscp && can_proc(PROC_RDTSC_EXITING) && can_proc2(PROC2_RDTSCP), 0,
         PROC_RDTSC_EXITING, PROC2_RDTSCP, l2_rdtscp, l2_rdtscp_end, EXIT_RDTSCP);
  simple("WBINVD", can_proc2(PROC2_WBINVD_EXITING), 0, 0, PROC2_WBINVD_EXITING, l2_wbinvd,
         l2_wbinvd_end, EXIT_WBINVD);
  simple("PAUSE", can_proc(PROC_PAUSE_EXITING), 0, PROC_PAUSE_EXITING, 0, l2_pause, l2_pause_end,
         EXIT_PAUSE);
  bool mon = (cpuid(1, 0).ecx >> 3) & 1;
  if (mon) {
    simple("MONITOR", can_proc(PROC_MONITOR_EXITING), 0, PROC_MONITOR_EXITING, 0, l2_monitor,
           l2_monitor_end, EXIT_MONITOR);
  } else {
    /* Not implemented (CPUID.1:ECX.MONITOR = 0): #UD, which has priority over the exit (26.1.1). */
    undefined_in_l2("MONITOR", PROC_MONITOR_EXITING, l2_monitor, l2_monitor_end);
    undefined_in_l2("MWAIT", PROC_MWAIT_EXITING, l2_mwait, l2_mwait_end);
  }
  if (!(rdmsr(MSR_VMX_CR4_FIXED1) & (1u << 14))) {
    /* CR4.SMXE cannot be set in VMX operation: GETSEC is #UD instead of exiting. */
    undefined_in_l2("GETSEC", 0, l2_getsec, l2_getsec_end);
  } else {
    t_skip(2, "GETSEC: CR4.SMXE may be set (SMX not exercised here)");
  }
  if (mon && can_proc(PROC_MWAIT_EXITING)) {
    /* The MWAIT qualification reports whether a monitor is armed (bit 0): not asserted. */
    h_controls(0, PROC_MWAIT_EXITING, 0);
    memset(&g, 0, sizeof g);
    struct xit x = h_enter(l2_mwait, 2);
    t_ok(xit_is(&x, EXIT_MWAIT, l2_mwait) && x.len == 3 && (x.qual & ~1ull) == 0,
         "MWAIT: exit 36, length 3");
    x = h_skip_run();
    t_ok(at_vmcall(&x, l2_mwait_end), "MWAIT: resumed past it");
    h_controls(0, 0, 0);
  } else if (mon) {
    t_skip(2, "MWAIT exiting not advertised");
  }
  if (!(rdmsr(MSR_VMX_CR4_FIXED1) & (1u << 18))) {
    /* CR4.OSXSAVE cannot be set: XSETBV is #UD, which has priority over its unconditional exit. */
    undefined_in_l2("XSETBV", 0, l2_xsetbv, l2_xsetbv_end);
  } else {
    /* With CR4.OSXSAVE set in L2, XSETBV exits unconditionally (reason 55, SDM Vol. 3C 26.1.2). */
    uint64_t cr4 = vmr(GUEST_CR4);
    vw(GUEST_CR4, cr4 | (1u << 18));
    memset(&g, 0, sizeof g);
    g.rcx = 0;
    g.rax = 3;
    struct xit x = h_enter(l2_xsetbv, 2);
    uint32_t len = (uint32_t)(l2_xsetbv_end - l2_xsetbv);
    t_ok(expect(&x, EXIT_XSETBV, l2_xsetbv, len, 0), "XSETBV (CR4.OSXSAVE in L2): exit 55, length %u",
         len);
    x = h_skip_run();
    t_ok(at_vmcall(&x, l2_xsetbv_end), "XSETBV: resumed past it");
    vw(GUEST_CR4, cr4);
  }
}

/* ---- RDTSCP without "enable RDTSCP": #UD in L2 (SDM 26.3, 25.6.2) ---- */
X(l2_rdtscp_ud[], l2_rdtscp_ud_end[]);
L2_ASM("l2_rdtscp_ud: rdtscp\n l2_rdtscp_ud_end: vmcall\n jmp l2_rdtscp_ud_end");
static void test_rdtscp_ud(void) {
  if (!can_proc2(PROC2_RDTSCP)) {
    t_skip(1, "RDTSCP control not advertised");
    return;
  }
  h_controls(0, 0, 0);
  vw(EXCEPTION_BITMAP, 1u << 6);
  memset(&g, 0, sizeof g);
  struct xit x = h_enter(l2_rdtscp_ud, 2);
  t_ok(xit_is(&x, EXIT_EXCEPTION_NMI, l2_rdtscp_ud) && x.intr == 0x80000306,
       "RDTSCP with \"enable RDTSCP\" clear: #UD (exception exit, vector 6, intr info 0x%x)", x.intr);
  vw(EXCEPTION_BITMAP, 0);
}

/* ---- INVLPG (qualification = linear address) ---- */
X(l2_invlpg[], l2_invlpg_x[], l2_invlpg_end[]);
L2_ASM("l2_invlpg: mov $0x200000, %rax\n"
       "l2_invlpg_x: invlpg 0x1234(%rax)\n"
       "l2_invlpg_end: vmcall\n jmp l2_invlpg_end");
static void test_invlpg(void) {
  if (!can_proc(PROC_INVLPG_EXITING)) {
    t_skip(2, "INVLPG exiting not advertised");
    return;
  }
  h_controls(0, PROC_INVLPG_EXITING, 0);
  memset(&g, 0, sizeof g);
  struct xit x = h_enter(l2_invlpg, 2);
  t_ok(expect(&x, EXIT_INVLPG, l2_invlpg_x, (uint32_t)(l2_invlpg_end - l2_invlpg_x), 0x201234),
       "INVLPG: exit 14, qualification = linear address 0x201234, length %u", x.len);
  x = h_skip_run();
  t_ok(at_vmcall(&x, l2_invlpg_end) && g.rax == 0x200000, "INVLPG: resumed past it");
  h_controls(0, 0, 0);
}

/* ---- MOV CR3 with the CR3-target list, CR8 (SDM 26.1.3, Table 28-3) ---- */
X(l2_cr3[], l2_cr3_same[], l2_cr3_other[], l2_cr3_read[], l2_cr3_end[]);
L2_ASM("l2_cr3: mov %cr3, %rax\n mov %rax, %rbx\n or $0x8, %rbx\n"
       "l2_cr3_same: mov %rax, %cr3\n"
       "l2_cr3_other: mov %rbx, %cr3\n"
       "l2_cr3_read: mov %cr3, %rdx\n"
       "l2_cr3_end: vmcall\n jmp l2_cr3_end");
X(l2_cr8[], l2_cr8_load[], l2_cr8_store[], l2_cr8_end[]);
L2_ASM("l2_cr8: mov $5, %rcx\n"
       "l2_cr8_load: mov %rcx, %cr8\n"
       "l2_cr8_store: mov %cr8, %rsi\n"
       "l2_cr8_end: vmcall\n jmp l2_cr8_end");

static void test_cr3_cr8(void) {
  uint64_t cr3 = read_cr3();
  if (can_proc(PROC_CR3_LOAD_EXITING | PROC_CR3_STORE_EXITING)) {
    /* CR3-store exiting off at first: the read in L2 must not exit. */
    h_controls(0, PROC_CR3_LOAD_EXITING, 0);
    vw(CR3_TARGET_COUNT, 1);
    vw(CR3_TARGET0, cr3);
    memset(&g, 0, sizeof g);
    struct xit x = h_enter(l2_cr3, 2);
    t_ok(expect(&x, EXIT_CR_ACCESS, l2_cr3_other, 3, 0x303) && g.rbx == (cr3 | 8),
         "MOV to CR3 of a CR3-target value does not exit; another value exits: reason 28, "
         "qualification 0x303 (CR3, MOV to, RBX), length 3");
    h_controls(0, PROC_CR3_LOAD_EXITING | PROC_CR3_STORE_EXITING, 0);
    x = h_skip_run();
    t_ok(expect(&x, EXIT_CR_ACCESS, l2_cr3_read, 3, 0x213),
         "MOV from CR3 with CR3-store exiting: qualification 0x213 (CR3, MOV from, RDX)");
    g.rdx = 0xfeed000;
    x = h_skip_run();
    t_ok(at_vmcall(&x, l2_cr3_end) && g.rdx == 0xfeed000 && vmr(GUEST_CR3) == cr3,
         "MOV CR3: L2 resumed with L1's value in RDX, its CR3 unchanged");
    vw(CR3_TARGET_COUNT, 0);
    /* With no targets, even the same value exits. */
    h_controls(0, PROC_CR3_LOAD_EXITING, 0);
    x = h_enter(l2_cr3, 2);
    t_ok(expect(&x, EXIT_CR_ACCESS, l2_cr3_same, 3, 0x003),
         "MOV to CR3 with CR3-target count 0 exits even for the current value (qual 0x3)");
    h_controls(0, 0, 0);
  } else {
    t_skip(4, "CR3 exiting not advertised");
  }
  if (can_proc(PROC_CR8_LOAD_EXITING | PROC_CR8_STORE_EXITING)) {
    h_controls(0, PROC_CR8_LOAD_EXITING | PROC_CR8_STORE_EXITING, 0);
    memset(&g, 0, sizeof g);
    struct xit x = h_enter(l2_cr8, 2);
    t_ok(expect(&x, EXIT_CR_ACCESS, l2_cr8_load, 4, 0x108),
         "MOV to CR8: reason 28, qualification 0x108 (CR8, MOV to, RCX), length 4");
    x = h_skip_run();
    t_ok(expect(&x, EXIT_CR_ACCESS, l2_cr8_store, 4, 0x618),
         "MOV from CR8: qualification 0x618 (CR8, MOV from, RSI)");
    g.rsi = 9;
    x = h_skip_run();
    t_ok(at_vmcall(&x, l2_cr8_end) && g.rsi == 9 && g.rcx == 5, "MOV CR8: resumed with L1's RSI");
    h_controls(0, 0, 0);
  } else {
    t_skip(3, "CR8 exiting not advertised");
  }
}

/* ---- CR0/CR4 guest/host masks and read shadows, CLTS, LMSW (SDM 26.3 and 26.1.3) ---- */
X(l2_cr0[], l2_cr0_w_same[], l2_cr0_w_diff[], l2_cr0_end[]);
L2_ASM("l2_cr0: mov %cr0, %rax\n mov %rax, %rbx\n and $~8, %rbx\n"
       "l2_cr0_w_same: mov %rax, %cr0\n"
       "l2_cr0_w_diff: mov %rbx, %cr0\n"
       "l2_cr0_end: vmcall\n jmp l2_cr0_end");
X(l2_cr4[], l2_cr4_w_free[], l2_cr4_w_diff[], l2_cr4_end[]);
L2_ASM("l2_cr4: mov %cr4, %rax\n mov %rax, %rsi\n xor $0x4, %rsi\n mov %rax, %rdi\n and $~0x100, %rdi\n"
       "l2_cr4_w_free: mov %rsi, %cr4\n mov %cr4, %r8\n mov %rax, %cr4\n"
       "l2_cr4_w_diff: mov %rdi, %cr4\n"
       "l2_cr4_end: vmcall\n jmp l2_cr4_end");
X(l2_clts[], l2_clts_end[]);
L2_ASM("l2_clts: clts\n l2_clts_end: vmcall\n jmp l2_clts_end");
X(l2_lmsw[], l2_lmsw_reg[], l2_lmsw_mem[], l2_lmsw_end[]);
L2_ASM("l2_lmsw: \n"
       "l2_lmsw_reg: lmsw %cx\n"
       "l2_lmsw_mem: lmsw 6(%rbx)\n"
       "l2_lmsw_end: vmcall\n jmp l2_lmsw_end");
static uint16_t lmsw_src[8];

static void test_cr0_cr4(void) {
  uint64_t cr0 = read_cr0(), cr4 = read_cr4();
  /* CR0.TS owned by L1, shadow says 1, the real bit is 0. */
  h_controls(0, 0, 0);
  vw(CR0_MASK, 8);
  vw(CR0_SHADOW, cr0 | 8);
  memset(&g, 0, sizeof g);
  struct xit x = h_enter(l2_cr0, 2);
  t_ok(expect(&x, EXIT_CR_ACCESS, l2_cr0_w_diff, 3, 0x300) && g.rax == (cr0 | 8),
       "CR0 read returns the shadow for owned bits without exiting (0x%lx); writing the shadow "
       "value does not exit; writing another owned value exits (qual 0x300, length 3)",
       (unsigned long)g.rax);
  t_ok((vmr(GUEST_CR0) & 8) == 0, "CR0: the write equal to the shadow left the real TS clear");
  x = h_skip_run();
  t_ok(at_vmcall(&x, l2_cr0_end), "CR0: resumed past the intercepted write");
  /* CLTS: exits when TS is owned and its shadow is 1 (qual type 2). */
  x = h_enter(l2_clts, 2);
  t_ok(expect(&x, EXIT_CR_ACCESS, l2_clts, 2, 0x20), "CLTS with TS owned and shadow 1: qualification 0x20, length 2");
  vw(CR0_SHADOW, cr0 & ~8ull);
  vw(GUEST_CR0, cr0 | 8);
  x = h_enter(l2_clts, 2);
  t_ok(at_vmcall(&x, l2_clts_end) && (vmr(GUEST_CR0) & 8),
       "CLTS with TS owned and shadow 0: no exit, the real TS unchanged");
  vw(GUEST_CR0, cr0);
  /* LMSW: owned bits 3:0, shadow = real; a source that differs in TS exits. */
  vw(CR0_MASK, 0xf);
  vw(CR0_SHADOW, cr0);
  memset(&g, 0, sizeof g);
  g.rcx = (cr0 & 0xf) ^ 8;
  lmsw_src[3] = (uint16_t)((cr0 & 0xf) | 4);
  g.rbx = (uintptr_t)lmsw_src;
  x = h_enter(l2_lmsw, 2);
  uint64_t want = (3u << 4) | ((uint64_t)((cr0 & 0xf) ^ 8) << 16);
  t_ok(expect(&x, EXIT_CR_ACCESS, l2_lmsw_reg, 3, want),
       "LMSW register form: qualification 0x%lx (type 3, source data in 31:16), length 3",
       (unsigned long)want);
  x = h_skip_run();
  want = (3u << 4) | (1u << 6) | ((uint64_t)((cr0 & 0xf) | 4) << 16);
  t_ok(expect(&x, EXIT_CR_ACCESS, l2_lmsw_mem, 4, want) && x.gla == (uintptr_t)&lmsw_src[3],
       "LMSW memory form: qualification 0x%lx (bit 6 memory), guest-linear address of the operand",
       (unsigned long)want);
  x = h_skip_run();
  t_ok(at_vmcall(&x, l2_lmsw_end), "LMSW: resumed past it");
  vw(CR0_MASK, 0);
  vw(CR0_SHADOW, cr0);
  /* CR4.PCE (bit 8) owned with shadow 1; TSD (bit 2) free. */
  vw(CR4_MASK, 0x100);
  vw(CR4_SHADOW, cr4 | 0x100);
  memset(&g, 0, sizeof g);
  x = h_enter(l2_cr4, 2);
  t_ok(expect(&x, EXIT_CR_ACCESS, l2_cr4_w_diff, 3, 0x704) && g.rax == (cr4 | 0x100) &&
           g.r8 == ((cr4 ^ 4) | 0x100),
       "CR4 read returns the shadow of owned bits; a write of a free bit does not exit; clearing "
       "an owned bit exits (qual 0x704)");
  t_ok((vmr(GUEST_CR4) & 0x104) == (cr4 & 0x104),
       "CR4: the real PCE stayed clear, TSD restored by L2");
  x = h_skip_run();
  t_ok(at_vmcall(&x, l2_cr4_end), "CR4: resumed past the intercepted write");
  vw(CR4_MASK, 0);
  vw(CR4_SHADOW, cr4);
  vw(GUEST_CR4, cr4);
}

/* ---- MOV DR (qualification Table 28-4) ---- */
X(l2_dr[], l2_dr_to[], l2_dr_from[], l2_dr_end[]);
L2_ASM("l2_dr: mov $0x1000, %rbx\n"
       "l2_dr_to: mov %rbx, %dr0\n"
       "l2_dr_from: mov %dr7, %rdx\n"
       "l2_dr_end: vmcall\n jmp l2_dr_end");
static void test_dr(void) {
  if (!can_proc(PROC_MOV_DR_EXITING)) {
    t_skip(3, "MOV-DR exiting not advertised");
    return;
  }
  h_controls(0, PROC_MOV_DR_EXITING, 0);
  memset(&g, 0, sizeof g);
  struct xit x = h_enter(l2_dr, 2);
  t_ok(expect(&x, EXIT_DR_ACCESS, l2_dr_to, 3, 0x300),
       "MOV to DR0: exit 29, qualification 0x300 (DR0, to, RBX), length 3");
  x = h_skip_run();
  t_ok(expect(&x, EXIT_DR_ACCESS, l2_dr_from, 3, 0x217),
       "MOV from DR7: qualification 0x217 (DR7, from, RDX)");
  g.rdx = 0x455;
  x = h_skip_run();
  t_ok(at_vmcall(&x, l2_dr_end) && g.rdx == 0x455 && g.rbx == 0x1000, "MOV DR: resumed with L1's RDX");
  h_controls(0, 0, 0);
}

/* ---- I/O (qualification Table 28-5, INS/OUTS information Table 28-8) ---- */
X(l2_io[], l2_io_outb[], l2_io_inw[], l2_io_outs[], l2_io_ins[], l2_io_end[]);
L2_ASM("l2_io: mov $0x1234, %edx\n mov $0x33, %eax\n"
       "l2_io_outb: outb %al, $0x80\n"
       "l2_io_inw: inw %dx, %ax\n"
       "l2_io_outs: rep outsb\n"
       "l2_io_ins: insl\n"
       "l2_io_end: vmcall\n jmp l2_io_end");
X(l2_iob[], l2_iob_61[], l2_iob_80[], l2_iob_9000[], l2_iob_7fff[], l2_iob_end[]);
L2_ASM("l2_iob: \n"
       "l2_iob_61: inb $0x61, %al\n"
       "l2_iob_80: outb %al, $0x80\n"
       "mov $0x9000, %edx\n"
       "l2_iob_9000: outw %ax, %dx\n"
       "mov $0x7fff, %edx\n"
       "l2_iob_7fff: outw %ax, %dx\n"
       "l2_iob_end: vmcall\n jmp l2_iob_end");
X(l2_ios[], l2_ios_a32[], l2_ios_fs[], l2_ios_end[]);
L2_ASM("l2_ios: mov $0x1234, %edx\n"
       "l2_ios_a32: addr32 outsb\n"
       "l2_ios_fs: outsb %fs:(%rsi), %dx\n"
       "l2_ios_end: vmcall\n jmp l2_ios_end");
static uint8_t io_buf[64];

/* INS/OUTS information (Table 28-8): the instruction's address size and (OUTS) segment. */
static void test_io_string_info(void) {
  if (!can_proc(PROC_UNCOND_IO_EXITING)) {
    t_skip(3, "unconditional I/O exiting not advertised");
    return;
  }
  h_controls(0, PROC_UNCOND_IO_EXITING, 0);
  memset(&g, 0, sizeof g);
  g.rsi = (uintptr_t)&io_buf[4];
  struct xit x = h_enter(l2_ios, 2);
  t_ok(xit_is(&x, EXIT_IO, l2_ios_a32) && (x.info & 0x380) == 0x080 && x.len == 2,
       "OUTSB with an address-size prefix in 64-bit mode: information 0x%x reports 32-bit (1 << 7)",
       x.info);
  x = h_skip_run();
  t_ok(xit_is(&x, EXIT_IO, l2_ios_fs) && (x.info & 0x38000) == (4u << 15) && x.len == 2,
       "OUTSB with an FS override: information 0x%x reports segment FS (4 << 15)", x.info);
  x = h_skip_run();
  t_ok(at_vmcall(&x, l2_ios_end), "INS/OUTS information: resumed");
  h_controls(0, 0, 0);
}
static uint8_t io_bitmap_a[4096] __attribute__((aligned(4096)));
static uint8_t io_bitmap_b[4096] __attribute__((aligned(4096)));

static void test_io(void) {
  if (!can_proc(PROC_UNCOND_IO_EXITING)) {
    t_skip(5, "unconditional I/O exiting not advertised");
  } else {
    h_controls(0, PROC_UNCOND_IO_EXITING, 0);
    memset(&g, 0, sizeof g);
    g.rsi = (uintptr_t)&io_buf[8];
    g.rdi = (uintptr_t)&io_buf[32];
    g.rcx = 3;
    struct xit x = h_enter(l2_io, 2);
    t_ok(expect(&x, EXIT_IO, l2_io_outb, 2, 0x00800040),
         "OUT imm8: exit 30, qualification 0x00800040 (size 1, out, immediate, port 0x80), length 2");
    x = h_skip_run();
    t_ok(expect(&x, EXIT_IO, l2_io_inw, 2, 0x12340009),
         "IN AX,DX: qualification 0x12340009 (size 2, in, DX, port 0x1234)");
    g.rax = 0xabcd;
    x = h_skip_run();
    t_ok(expect(&x, EXIT_IO, l2_io_outs, 2, 0x12340030) && x.gla == (uintptr_t)&io_buf[8] &&
             (x.info & 0x38380) == 0x18100,
         "REP OUTSB: qualification 0x12340030 (string, REP), guest-linear = RSI, information: "
         "64-bit address size, DS (0x%x)",
         x.info);
    x = h_skip_run();
    t_ok(expect(&x, EXIT_IO, l2_io_ins, 1, 0x1234001b) && x.gla == (uintptr_t)&io_buf[32] &&
             (x.info & 0x380) == 0x100,
         "INSD: qualification 0x1234001b (size 4, in, string), guest-linear = RDI, 64-bit address size (0x%x)", x.info);
    x = h_skip_run();
    t_ok(at_vmcall(&x, l2_io_end) && g.rax == 0xabcd && g.rcx == 3, "I/O: resumed with L1's AX");
  }
  if (!can_proc(PROC_USE_IO_BITMAPS)) {
    t_skip(4, "I/O bitmaps not advertised");
    return;
  }
  memset(io_bitmap_a, 0, sizeof io_bitmap_a);
  memset(io_bitmap_b, 0, sizeof io_bitmap_b);
  io_bitmap_a[0x80 / 8] |= 1u << (0x80 % 8);
  io_bitmap_b[(0x9000 - 0x8000) / 8] |= 1u << (0x9000 % 8);
  io_bitmap_b[0] |= 1u; /* port 0x8000 */
  vw(IO_BITMAP_A, (uintptr_t)io_bitmap_a);
  vw(IO_BITMAP_B, (uintptr_t)io_bitmap_b);
  h_controls(0, PROC_USE_IO_BITMAPS | PROC_UNCOND_IO_EXITING, 0);
  memset(&g, 0, sizeof g);
  struct xit x = h_enter(l2_iob, 2);
  t_ok(expect(&x, EXIT_IO, l2_iob_80, 2, 0x00800040),
       "I/O bitmaps (overriding unconditional exiting): port 0x61 clear does not exit, 0x80 set exits");
  x = h_skip_run();
  t_ok(expect(&x, EXIT_IO, l2_iob_9000, 2, 0x90000001), "I/O bitmap B: port 0x9000 exits (qual 0x90000001)");
  x = h_skip_run();
  t_ok(expect(&x, EXIT_IO, l2_iob_7fff, 2, 0x7fff0001),
       "I/O bitmaps: a word access at 0x7fff exits because port 0x8000 is set in bitmap B");
  x = h_skip_run();
  t_ok(at_vmcall(&x, l2_iob_end), "I/O bitmaps: resumed");
  h_controls(0, 0, 0);
}

/* ---- RDMSR/WRMSR by MSR bitmaps (SDM 25.6.9, 26.1.3) ---- */
X(l2_msr[], l2_msr_rd_nobm[], l2_msr_end[]);
L2_ASM("l2_msr: mov $0x174, %ecx\n"
       "l2_msr_rd_nobm: rdmsr\n"
       "l2_msr_end: vmcall\n jmp l2_msr_end");
X(l2_msrb[], l2_msrb_pat[], l2_msrb_kgs[], l2_msrb_hv[], l2_msrb_end[]);
L2_ASM("l2_msrb: mov $0x174, %ecx\n rdmsr\n mov %rax, %r8\n"
       "mov $0xc0000080, %ecx\n rdmsr\n mov %rax, %r9\n"
       "mov $0x277, %ecx\n"
       "l2_msrb_pat: rdmsr\n mov %rax, %r10\n"
       "mov $0xc0000102, %ecx\n mov $0x1234, %eax\n xor %edx, %edx\n"
       "l2_msrb_kgs: wrmsr\n"
       "mov $0x40000000, %ecx\n"
       "l2_msrb_hv: rdmsr\n"
       "l2_msrb_end: vmcall\n jmp l2_msrb_end");
static uint8_t msr_bitmap[4096] __attribute__((aligned(4096)));

static void test_msr(void) {
  h_controls(0, 0, 0);
  memset(&g, 0, sizeof g);
  struct xit x = h_enter(l2_msr, 2);
  t_ok(expect(&x, EXIT_RDMSR, l2_msr_rd_nobm, 2, 0) && g.rcx == 0x174,
       "RDMSR without MSR bitmaps exits: reason 31, length 2, ECX visible");
  if (!can_proc(PROC_USE_MSR_BITMAPS)) {
    t_skip(4, "MSR bitmaps not advertised");
    return;
  }
  memset(msr_bitmap, 0, sizeof msr_bitmap);
  msr_bitmap[0x277 / 8] |= 1u << (0x277 % 8);                    /* read low: PAT */
  msr_bitmap[3072 + 0x102 / 8] |= 1u << (0x102 % 8);             /* write high: KERNEL_GS_BASE */
  vw(MSR_BITMAP, (uintptr_t)msr_bitmap);
  h_controls(0, PROC_USE_MSR_BITMAPS, 0);
  memset(&g, 0, sizeof g);
  x = h_enter(l2_msrb, 2);
  t_ok(expect(&x, EXIT_RDMSR, l2_msrb_pat, 2, 0) &&
           g.r8 == (rdmsr(MSR_IA32_SYSENTER_CS) & 0xffffffff) && g.r9 == (rdmsr(MSR_EFER) & 0xffffffff),
       "MSR bitmap: RDMSR of 0x174 and 0xC0000080 (bits clear) ran in L2; 0x277 (read-low bit set) exits");
  g.rax = 0x06060606;
  g.rdx = 0;
  x = h_skip_run();
  t_ok(expect(&x, EXIT_WRMSR, l2_msrb_kgs, 2, 0) && g.rcx == 0xc0000102 && g.rax == 0x1234,
       "MSR bitmap: WRMSR of 0xC0000102 (write-high bit set) exits: reason 32; L2 saw L1's RDMSR value");
  x = h_skip_run();
  t_ok(expect(&x, EXIT_RDMSR, l2_msrb_hv, 2, 0),
       "MSR bitmap: RDMSR of 0x40000000 (outside both ranges) always exits");
  x = h_skip_run();
  t_ok(at_vmcall(&x, l2_msrb_end) && g.r10 == 0x06060606, "MSR exits: resumed, RDMSR result from L1");
  h_controls(0, 0, 0);
}

/* ---- VMX instructions in L2 (instruction information Table 28-13/28-14) ---- */
X(l2_vmx[], l2_vmx_ptrst[], l2_vmx_read[], l2_vmx_end[]);
L2_ASM("l2_vmx: lea vmx_scratch(%rip), %rbx\n mov $0x681e, %ecx\n"
       "l2_vmx_ptrst: vmptrst 0x10(%rbx)\n"
       "l2_vmx_read: vmread %rcx, %rbx\n"
       "l2_vmx_end: vmcall\n jmp l2_vmx_end");
uint64_t vmx_scratch[8];
static void test_vmx_insns(void) {
  h_controls(0, 0, 0);
  memset(&g, 0, sizeof g);
  struct xit x = h_enter(l2_vmx, 2);
  /* Defined bits for VMPTRST: 1:0 scale, 9:7 address size, 10 mem/reg, 17:15 segment,
     21:18 index, 22 index invalid, 26:23 base, 27 base invalid. */
  uint32_t mem_mask = 0x0fff8783;
  t_ok(expect(&x, EXIT_VMPTRST, l2_vmx_ptrst, (uint32_t)(l2_vmx_read - l2_vmx_ptrst), 0x10) && (x.info & mem_mask) == 0x01c18100,
       "VMPTRST in L2: exit 22, qualification = displacement 0x10, length %u, information 0x%x "
       "(64-bit address, DS, no index, base RBX)",
       x.len, x.info);
  uint64_t rbx = g.rbx;
  x = h_skip_run();
  /* Register form: 6:3 reg1 (destination RBX), 10 register, 31:28 reg2 (field in RCX). */
  t_ok(xit_is(&x, EXIT_VMREAD, l2_vmx_read) && x.len == 3 && (x.info & 0xf0000478) == 0x10000418,
       "VMREAD in L2 (register form): exit 23, length 3, information 0x%x (reg1 RBX, reg2 RCX)", x.info);
  g.rbx = 0x77;
  x = h_skip_run();
  t_ok(at_vmcall(&x, l2_vmx_end) && g.rbx == 0x77 && g.rcx == 0x681e && rbx == (uintptr_t)vmx_scratch,
       "VMCALL: exit 18, length 3; L2 resumed with L1's VMREAD result");
}

/* Every VMX instruction exits from L2 (SDM 26.1.2), with its own basic reason. */
X(l2_vmxall[], l2_va_clear[], l2_va_ptrld[], l2_va_launch[], l2_va_resume[], l2_va_write[],
  l2_va_off[], l2_va_on[], l2_va_end[]);
L2_ASM("l2_vmxall: lea vmx_scratch(%rip), %rbx\n"
       "l2_va_clear: vmclear 8(%rbx)\n"
       "l2_va_ptrld: vmptrld 16(%rbx)\n"
       "l2_va_launch: vmlaunch\n"
       "l2_va_resume: vmresume\n"
       "l2_va_write: vmwrite %rax, %rcx\n"
       "l2_va_off: vmxoff\n"
       "l2_va_on: vmxon 24(%rbx)\n"
       "l2_va_end: vmcall\n jmp l2_va_end");
static void test_vmx_all(void) {
  static const struct {
    const char *name;
    const char *at, *next;
    uint32_t reason;
    uint64_t qual; /* ~0: not defined (no memory operand) */
  } v[] = {
      {"VMCLEAR", l2_va_clear, l2_va_ptrld, EXIT_VMCLEAR, 8},
      {"VMPTRLD", l2_va_ptrld, l2_va_launch, EXIT_VMPTRLD, 16},
      {"VMLAUNCH", l2_va_launch, l2_va_resume, EXIT_VMLAUNCH, ~0ull},
      {"VMRESUME", l2_va_resume, l2_va_write, EXIT_VMRESUME, ~0ull},
      {"VMWRITE", l2_va_write, l2_va_off, EXIT_VMWRITE, ~0ull},
      {"VMXOFF", l2_va_off, l2_va_on, EXIT_VMXOFF, ~0ull},
      {"VMXON", l2_va_on, l2_va_end, EXIT_VMXON, 24},
  };
  h_controls(0, 0, 0);
  memset(&g, 0, sizeof g);
  struct xit x = h_enter(l2_vmxall, 2);
  for (unsigned i = 0; i < sizeof v / sizeof v[0]; i++) {
    uint32_t len = (uint32_t)(v[i].next - v[i].at);
    bool good = xit_is(&x, v[i].reason, v[i].at) && x.len == len && (v[i].qual == ~0ull || x.qual == v[i].qual);
    if (!good) xit_diag(v[i].name, &x);
    t_ok(good, "%s in L2: exit %u, length %u%s", v[i].name, v[i].reason, len,
         v[i].qual == ~0ull ? "" : ", qualification = displacement");
    x = h_skip_run();
  }
  t_ok(at_vmcall(&x, l2_va_end), "VMX instructions in L2: L1 still in VMX operation, L2 resumed");
}

/* ---- descriptor-table exits (Tables 28-10, 28-11) ---- */
X(l2_dt[], l2_dt_sgdt[], l2_dt_lidt[], l2_dt_sldt[], l2_dt_ltr[], l2_dt_end[]);
L2_ASM("l2_dt: lea vmx_scratch(%rip), %rbx\n mov %rbx, %rax\n mov $1, %ecx\n"
       "l2_dt_sgdt: sgdt 0x20(%rbx)\n"
       "l2_dt_lidt: lidt 0x8(%rax,%rcx,4)\n"
       "l2_dt_sldt: sldt %dx\n"
       "l2_dt_ltr: ltr (%rbx)\n"
       "l2_dt_end: vmcall\n jmp l2_dt_end");
static void test_desc(void) {
  if (!can_proc2(PROC2_DESC_TABLE_EXITING)) {
    t_skip(5, "descriptor-table exiting not advertised");
    return;
  }
  h_controls(0, 0, PROC2_DESC_TABLE_EXITING);
  memset(&g, 0, sizeof g);
  /* GDTR/IDTR forms: 1:0 scale, 9:7 asize, 10 (0), 17:15 seg, 21:18 index, 22, 26:23 base, 27, 29:28 identity. */
  uint32_t m = 0x3fff8783;
  struct xit x = h_enter(l2_dt, 2);
  t_ok(expect(&x, EXIT_GDTR_IDTR, l2_dt_sgdt, 4, 0x20) && (x.info & m) == 0x01c18100,
       "SGDT: exit 46, qualification 0x20, length 4, information 0x%x (SGDT, base RBX)", x.info);
  x = h_skip_run();
  t_ok(expect(&x, EXIT_GDTR_IDTR, l2_dt_lidt, 5, 0x8) && (x.info & m) == 0x30058102,
       "LIDT 8(RAX,RCX,4): information 0x%x (LIDT, scale 4, index RCX, base RAX)", x.info);
  x = h_skip_run();
  /* LDTR/TR register form: 6:3 reg1, 10 register, 29:28 identity. */
  t_ok(xit_is(&x, EXIT_LDTR_TR, l2_dt_sldt) && x.len == 4 && (x.info & 0x30000478) == 0x410,
       "SLDT DX: exit 47, length 4, information 0x%x (register DX, SLDT)", x.info);
  x = h_skip_run();
  t_ok(expect(&x, EXIT_LDTR_TR, l2_dt_ltr, 3, 0) && (x.info & 0x3fff8783) == 0x31c18100,
       "LTR (RBX): exit 47, qualification 0, information 0x%x (LTR, base RBX)", x.info);
  x = h_skip_run();
  t_ok(at_vmcall(&x, l2_dt_end), "descriptor-table exits: resumed");
  h_controls(0, 0, 0);
}

/* ---- INVPCID (exits with "INVLPG exiting" when enabled, SDM 26.1.3) ---- */
X(l2_invpcid[], l2_invpcid_x[], l2_invpcid_end[]);
L2_ASM("l2_invpcid: lea vmx_scratch(%rip), %rbx\n mov $2, %edx\n"
       "l2_invpcid_x: invpcid 0x10(%rbx), %rdx\n"
       "l2_invpcid_end: vmcall\n jmp l2_invpcid_end");
static void test_invpcid(void) {
  bool cpu = (cpuid(7, 0).ebx >> 10) & 1;
  if (!cpu || !can_proc2(PROC2_INVPCID) || !can_proc(PROC_INVLPG_EXITING)) {
    t_skip(2, "INVPCID not advertised");
    return;
  }
  h_controls(0, PROC_INVLPG_EXITING, PROC2_INVPCID);
  memset(&g, 0, sizeof g);
  struct xit x = h_enter(l2_invpcid, 2);
  t_ok(expect(&x, EXIT_INVPCID, l2_invpcid_x, 6, 0x10) && (x.info & 0xffff8783) == 0x21c18100,
       "INVPCID: exit 58, qualification 0x10, length 6, information 0x%x (type in RDX)", x.info);
  x = h_skip_run();
  t_ok(at_vmcall(&x, l2_invpcid_end) && g.rdx == 2, "INVPCID: resumed");
  h_controls(0, 0, 0);
}

/* ---- TSC offsetting (SDM 26.3, 25.6.5): L2's RDTSC = L1's TSC + offset ---- */
X(l2_tsc[], l2_tsc_end[], l2_tscp[], l2_tscp_end[]);
L2_ASM("l2_tscp: rdtscp\n shl $32, %rdx\n or %rax, %rdx\n mov %rdx, %r8\n"
       "l2_tscp_end: vmcall\n jmp l2_tscp_end");
L2_ASM("l2_tsc: rdtsc\n shl $32, %rdx\n or %rax, %rdx\n mov %rdx, %r8\n"
       "l2_tsc_end: vmcall\n jmp l2_tsc_end");
static void test_tsc_offset(void) {
  if (!can_proc(PROC_TSC_OFFSETTING)) {
    t_skip(2, "TSC offsetting not advertised");
    return;
  }
  const uint64_t off = 1ull << 40;
  h_controls(0, PROC_TSC_OFFSETTING, 0);
  vw(TSC_OFFSET, off);
  memset(&g, 0, sizeof g);
  uint64_t t0 = rdtsc();
  struct xit x = h_enter(l2_tsc, 2);
  uint64_t t1 = rdtsc();
  t_ok(at_vmcall(&x, l2_tsc_end) && g.r8 >= t0 + off && g.r8 <= t1 + off,
       "TSC offset 2^40: L1 TSC before entry + offset <= L2 RDTSC <= L1 TSC after exit + offset");
  const uint64_t half = t1 / 2;
  vw(TSC_OFFSET, (uint64_t) - (int64_t)half);
  t0 = rdtsc();
  x = h_enter(l2_tsc, 2);
  t1 = rdtsc();
  t_ok(at_vmcall(&x, l2_tsc_end) && g.r8 + half >= t0 && g.r8 + half <= t1,
       "negative TSC offset: L2's RDTSC minus the offset lies within L1's TSC bounds");
  bool rdtscp = ((cpuid(0x80000001, 0).edx >> 27) & 1) && can_proc2(PROC2_RDTSCP);
  if (rdtscp) {
    /* RDTSCP without RDTSC exiting: offset TSC in EDX:EAX, IA32_TSC_AUX in ECX (SDM 26.3). */
    wrmsr(0xc0000103, 0x42);
    h_controls(0, PROC_TSC_OFFSETTING, PROC2_RDTSCP);
    vw(TSC_OFFSET, off);
    t0 = rdtsc();
    x = h_enter(l2_tscp, 2);
    t1 = rdtsc();
    t_ok(at_vmcall(&x, l2_tscp_end) && g.r8 >= t0 + off && g.r8 <= t1 + off && g.rcx == 0x42,
         "RDTSCP with TSC offsetting: offset TSC within bounds, ECX = IA32_TSC_AUX (0x%lx)",
         (unsigned long)g.rcx);
  } else {
    t_skip(1, "RDTSCP not advertised");
  }
  vw(TSC_OFFSET, 0);
  h_controls(0, 0, 0);
}

int kmain(uint32_t magic, uint32_t mbi) {
  t_plan(88);
  if (!t_ok(h_init(), "VMXON and a VMCS for a 64-bit L2")) t_done();
  test_cpuid();
  test_simple();
  test_rdtscp_ud();
  test_invlpg();
  test_cr3_cr8();
  test_cr0_cr4();
  test_dr();
  test_io();
  test_io_string_info();
  test_msr();
  test_vmx_insns();
  test_vmx_all();
  test_desc();
  test_invpcid();
  test_tsc_offset();
  (void)magic;
  (void)mbi;
  t_done();
}

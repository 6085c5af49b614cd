/*
 * VMX conformance guest, part 2 (issue 8 item 2, priorities): an L2 running
 * at CPL 3. Faults based on privilege level have priority over the VM exits
 * their instructions would cause (SDM Vol. 3C 26.1.1), so HLT, INVLPG,
 * MOV CR/DR, RDMSR, INVD, WBINVD, RDPMC (CR4.PCE = 0), RDTSC (CR4.TSD = 1)
 * and IN/OUT (IOPL 0, no TSS I/O bitmap) raise #GP(0) in L2, which exits
 * through the exception bitmap; while CPUID, PAUSE, RDTSC (TSD = 0),
 * VMCALL and the other VMX instructions (31.3: the VM exit comes before the
 * CPL check) exit with their own reasons.
 */
#include "harness.h"

#define X(...) L2_LABELS(__VA_ARGS__)

/* One instruction per snippet, each followed by a VMCALL. */
#define SNIP(name, insn) \
  X(name[], name##_end[]); \
  L2_ASM(#name ": " insn "\n" #name "_end: vmcall\n jmp " #name "_end")

SNIP(u_cpuid, "cpuid");
SNIP(u_vmptrst, "vmptrst (%rsp)");
SNIP(u_pause, "pause");
SNIP(u_rdtsc, "rdtsc");
SNIP(u_hlt, "hlt");
SNIP(u_invlpg, "invlpg (%rsp)");
SNIP(u_movcr3, "mov %rax, %cr3");
SNIP(u_movdr, "mov %dr7, %rax");
SNIP(u_rdmsr, "rdmsr");
SNIP(u_invd, "invd");
SNIP(u_wbinvd, "wbinvd");
SNIP(u_rdpmc, "rdpmc");
SNIP(u_out, "outb %al, $0x80");

static bool gp_exit(const struct xit *x, const void *rip) {
  bool good = xit_is(x, EXIT_EXCEPTION_NMI, rip) && x->intr == 0x80000b0d && x->intr_err == 0;
  if (!good) xit_diag("expected #GP(0) exit", x);
  return good;
}

static void to_cpl3(void) {
  static const uint16_t sel[6] = {GUEST_ES_SEL, GUEST_CS_SEL, GUEST_SS_SEL, GUEST_DS_SEL, GUEST_FS_SEL,
                                  GUEST_GS_SEL};
  for (int i = 0; i < 6; i++) {
    bool cs = sel[i] == GUEST_CS_SEL;
    vw(sel[i], cs ? (SEL_UCODE64 | 3) : (SEL_UDATA | 3));
    vw(sel[i] + 0x4014, cs ? 0xa0fb : 0xc0f3); /* access rights: DPL 3 */
  }
}

int kmain(uint32_t magic, uint32_t mbi) {
  t_plan(16);
  if (!t_ok(h_init(), "VMXON and a VMCS for a 64-bit L2")) t_done();
  to_cpl3();
  uint32_t proc = PROC_HLT_EXITING | PROC_INVLPG_EXITING | PROC_CR3_LOAD_EXITING | PROC_MOV_DR_EXITING |
                  PROC_RDPMC_EXITING | PROC_UNCOND_IO_EXITING | PROC_PAUSE_EXITING;
  h_controls(0, proc, can_proc2(PROC2_WBINVD_EXITING) ? PROC2_WBINVD_EXITING : 0);
  vw(EXCEPTION_BITMAP, (1u << 13) | (1u << 6));
  uint64_t cr4 = read_cr4();
  vw(GUEST_CR4, cr4 & ~(uint64_t)(1u << 8)); /* PCE = 0 */
  memset(&g, 0, sizeof g);
  struct xit x = h_enter(u_cpuid, 2);
  t_ok(xit_is(&x, EXIT_CPUID, u_cpuid) && (vmr(GUEST_CS_SEL) & 3) == 3,
       "CPUID at CPL 3: exit 10 (CS 0x%lx)", (unsigned long)vmr(GUEST_CS_SEL));
  x = h_skip_run();
  t_ok(xit_is(&x, EXIT_VMCALL, u_cpuid_end), "VMCALL at CPL 3: exit 18");
  x = h_enter(u_vmptrst, 2);
  t_ok(xit_is(&x, EXIT_VMPTRST, u_vmptrst),
       "VMPTRST at CPL 3: exit 22, before the CPL check of VMX instructions (reason %u)", x.reason);
  x = h_enter(u_pause, 2);
  t_ok(xit_is(&x, EXIT_PAUSE, u_pause), "PAUSE at CPL 3 with PAUSE exiting: exit 40 (reason %u)",
       x.reason);
  if (can_proc(PROC_RDTSC_EXITING)) {
    h_controls(0, proc | PROC_RDTSC_EXITING, 0);
    x = h_enter(u_rdtsc, 2);
    t_ok(xit_is(&x, EXIT_RDTSC, u_rdtsc), "RDTSC at CPL 3 with CR4.TSD = 0: exit 16 (reason %u)",
         x.reason);
    vw(GUEST_CR4, (cr4 & ~(uint64_t)(1u << 8)) | 4); /* TSD */
    x = h_enter(u_rdtsc, 2);
    t_ok(gp_exit(&x, u_rdtsc), "RDTSC at CPL 3 with CR4.TSD = 1: #GP(0) before the RDTSC exit");
    vw(GUEST_CR4, cr4 & ~(uint64_t)(1u << 8));
    h_controls(0, proc, can_proc2(PROC2_WBINVD_EXITING) ? PROC2_WBINVD_EXITING : 0);
  } else {
    t_skip(2, "RDTSC exiting not advertised");
  }
  static const struct {
    const char *name;
    const char *at;
  } gp[] = {
      {"HLT (HLT exiting)", u_hlt},
      {"INVLPG (INVLPG exiting)", u_invlpg},
      {"MOV to CR3 (CR3-load exiting)", u_movcr3},
      {"MOV from DR7 (MOV-DR exiting)", u_movdr},
      {"RDMSR (no MSR bitmaps)", u_rdmsr},
      {"INVD (exits unconditionally)", u_invd},
      {"WBINVD (WBINVD exiting)", u_wbinvd},
      {"RDPMC with CR4.PCE = 0 (RDPMC exiting)", u_rdpmc},
      {"OUT with IOPL 0 and no I/O bitmap in the TSS (unconditional I/O exiting)", u_out},
  };
  for (unsigned i = 0; i < sizeof gp / sizeof gp[0]; i++) {
    x = h_enter(gp[i].at, 2);
    t_ok(gp_exit(&x, gp[i].at), "%s at CPL 3: #GP(0) has priority over the VM exit (reason %u, intr 0x%x)",
         gp[i].name, x.reason, x.intr);
  }
  (void)magic;
  (void)mbi;
  t_done();
}

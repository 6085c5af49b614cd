/*
 * VMX conformance guest (issue 15, unrestricted guest): with "unrestricted
 * guest" (secondary control bit 7) and EPT, a 64-bit L1 enters an L2 in
 * real mode (CR0.PE = 0) and one in unpaged protected mode (CR0.PE = 1,
 * PG = 0) (SDM Vol. 3C 27.3.1.1 relaxes the CR0 fixed bits PE and PG;
 * 26.6 / 25.6.2). L2's accesses go through L1's EPT with paging off (a
 * hole gives an EPT violation), exits save CR0 with PE/PG clear and a
 * 16-bit IP, and the PAE PDPTEs L2 loads when it turns paging on are saved
 * in the VMCS (28.3.4). Without EPT, or with PG = 1 and PE = 0, VM entry
 * fails (27.2.1.1, 27.3.1.1).
 */
#include "harness.h"

#define X(...) L2_LABELS(__VA_ARGS__)

static struct ept ept;
/* Real-mode L2 data segment (DS base) and the page L1 leaves unmapped in EPT. */
static uint8_t rm_data[4096] __attribute__((aligned(4096)));
static uint8_t hole[4096] __attribute__((aligned(4096)));
static uint64_t pdpt[4] __attribute__((aligned(32)));
extern uint64_t rt_pd[]; /* the entry stub's four page directories (2 MiB pages, identity 4 GiB) */
static volatile uint32_t marker = 0x600dcafe;

/* Real-mode L2: CS base = l2_rm, so IP counts from 0 there. */
X(l2_rm[], l2_rm_cpuid[], l2_rm_hole[], l2_rm_end[]);
L2_ASM(".code16\n"
       "l2_rm: movw $0xbeef, %ax\n"
       "movw %ax, 0x10\n"            /* DS:0x10 (DS base = rm_data) */
       "movl %cr0, %esi\n"
       "l2_rm_cpuid: cpuid\n"
       "l2_rm_hole: movw %es:0, %dx\n" /* ES base = hole: EPT violation */
       "l2_rm_end: vmcall\n jmp l2_rm_end\n"
       ".code64");
/* Unpaged protected-mode L2: reads `marker` by its physical address, then turns on PAE paging. */
X(l2_pm[], l2_pm_end[], l2_pm_pg[], l2_pm_pg_end[]);
L2_ASM(".code32\n"
       "l2_pm: movl (%ebx), %eax\n"
       "movl %cr0, %esi\n"
       "l2_pm_end: vmcall\n"
       "l2_pm_pg: movl %edi, %cr0\n"
       "l2_pm_pg_end: vmcall\n jmp l2_pm_pg_end\n"
       ".code64");

static bool at_vmcall(const struct xit *x, const void *rip) {
  bool good = xit_is(x, EXIT_VMCALL, rip);
  if (!good) xit_diag("expected VMCALL", x);
  return good;
}

static void set_seg(int i, uint16_t sel, uint64_t base, uint32_t limit, uint32_t ar) {
  vw(0x0800 + 2 * i, sel);            /* GUEST_ES_SEL + 2i */
  vw(GUEST_ES_BASE + 2 * i, base);
  vw(GUEST_ES_LIMIT + 2 * i, limit);
  vw(GUEST_ES_AR + 2 * i, ar);
}

static void make_common_32(void) {
  vw(ENTRY_CONTROLS, base_ctl.entry & ~ENTRY_IA32E_GUEST);
  if (base_ctl.entry & ENTRY_LOAD_EFER) vw(GUEST_EFER, 0);
  vw(GUEST_CR4, CR4_VMXE);
}

static void make_real_mode(void) {
  make_common_32();
  vw(GUEST_CR0, CR0_NE | (1u << 4));
  set_seg(0, 0, (uintptr_t)hole, 0xffff, 0x93);    /* ES */
  set_seg(1, 0, (uintptr_t)l2_rm, 0xffff, 0x9b);   /* CS */
  set_seg(2, 0, 0, 0xffff, 0x93);                  /* SS */
  set_seg(3, 0, (uintptr_t)rm_data, 0xffff, 0x93); /* DS */
  set_seg(4, 0, 0, 0xffff, 0x93);                  /* FS */
  set_seg(5, 0, 0, 0xffff, 0x93);                  /* GS */
}

static void make_unpaged_pm(void) {
  make_common_32();
  vw(GUEST_CR0, CR0_NE | (1u << 4) | CR0_PE);
  set_seg(1, 0x40, 0, 0xffffffff, 0xc09b); /* kernel code32 */
  for (int i = 0; i < 6; i++) {
    if (i != 1) set_seg(i, 0x10, 0, 0xffffffff, 0xc093);
  }
}

static void restore_64(void) {
  vw(ENTRY_CONTROLS, base_ctl.entry);
  if (base_ctl.entry & ENTRY_LOAD_EFER) vw(GUEST_EFER, rdmsr(MSR_EFER));
  vw(GUEST_CR0, read_cr0());
  vw(GUEST_CR4, read_cr4());
  vw(GUEST_CR3, read_cr3());
  set_seg(1, SEL_KCODE, 0, 0xffffffff, 0xa09b);
}

int kmain(uint32_t magic, uint32_t mbi) {
  t_plan(9);
  if (!t_ok(h_init(), "VMXON and a VMCS")) t_done();
  if (!can_proc2(PROC2_UNRESTRICTED | PROC2_ENABLE_EPT)) {
    t_skip(8, "unrestricted guest not advertised");
    t_done();
  }
  ept_identity(&ept, 4ull << 30);
  ept_unmap_4k(&ept, (uintptr_t)hole);
  vw(EPT_POINTER, ept.eptp);

  /* Real mode without "unrestricted guest": CR0.PE is fixed to 1, the entry fails. */
  h_controls(0, 0, PROC2_ENABLE_EPT);
  make_real_mode();
  memset(&g, 0, sizeof g);
  struct xit x = h_enter((void *)0, 2); /* IP 0: CS base is l2_rm */
  t_ok(x.fail == 0 && x.reason == 0x80000021u,
       "real-mode guest state without unrestricted guest: VM-entry failure 0x%x", x.reason);

  h_controls(0, 0, PROC2_ENABLE_EPT | PROC2_UNRESTRICTED);
  rm_data[0x10] = 0;
  x = h_enter((void *)0, 2);
  bool good = xit_is(&x, EXIT_CPUID, (void *)(l2_rm_cpuid - l2_rm)) && x.len == 2 &&
              (vmr(GUEST_CR0) & (CR0_PE | CR0_PG)) == 0 && (g.rsi & 1) == 0;
  if (!good) xit_diag("real-mode CPUID", &x);
  t_ok(good, "real-mode L2 runs: CPUID exit at IP 0x%lx (CS-relative), saved CR0 0x%lx without PE/PG",
       (unsigned long)x.rip, (unsigned long)vmr(GUEST_CR0));
  t_ok(rm_data[0x10] == 0xef && rm_data[0x11] == 0xbe && vmr(GUEST_CS_BASE) == (uintptr_t)l2_rm,
       "its 16-bit store through DS reached L1 memory through EPT (0x%02x%02x), CS base saved",
       rm_data[0x11], rm_data[0x10]);
  x = h_skip_run();
  t_ok(x.fail == 0 && x.reason == EXIT_EPT_VIOLATION && x.gpa == (uintptr_t)hole &&
           x.rip == (uintptr_t)(l2_rm_hole - l2_rm) && (x.qual & 0x187) == 0x181,
       "real-mode read of an EPT hole: exit 48, GPA 0x%lx, qualification 0x%lx (read, linear valid)",
       (unsigned long)x.gpa, (unsigned long)x.qual);
  vw(GUEST_RIP, (uintptr_t)(l2_rm_end - l2_rm));
  x = h_run();
  t_ok(at_vmcall(&x, (void *)(l2_rm_end - l2_rm)), "real-mode L2 resumed to its VMCALL");

  /* CR0.PG = 1 with PE = 0 is never allowed (27.3.1.1). */
  vw(GUEST_CR0, CR0_NE | (1u << 4) | CR0_PG);
  x = h_enter((void *)0, 2);
  t_ok(x.fail == 0 && x.reason == 0x80000021u, "CR0.PG without PE: VM-entry failure 0x%x", x.reason);

  /* Unpaged protected mode: linear = guest-physical, then PAE paging turned on by L2. */
  make_unpaged_pm();
  for (int i = 0; i < 4; i++) pdpt[i] = ((uintptr_t)rt_pd + 4096 * (uint64_t)i) | 1;
  vw(GUEST_CR3, (uintptr_t)pdpt);
  vw(GUEST_CR4, CR4_VMXE | CR4_PAE);
  memset(&g, 0, sizeof g);
  g.rbx = (uintptr_t)&marker;
  g.rdi = CR0_PG | CR0_NE | (1u << 4) | CR0_PE;
  x = h_enter(l2_pm, 2);
  t_ok(at_vmcall(&x, l2_pm_end) && (uint32_t)g.rax == 0x600dcafe &&
           (vmr(GUEST_CR0) & (CR0_PE | CR0_PG)) == CR0_PE && (g.rsi & CR0_PG) == 0,
       "unpaged protected-mode L2 reads 0x%x at its physical address; CR0 saved with PE, without PG",
       (uint32_t)g.rax);
  x = h_skip_run();
  good = at_vmcall(&x, l2_pm_pg_end) && (vmr(GUEST_CR0) & CR0_PG) != 0;
  for (int i = 0; i < 4; i++) good = good && vmr(0x280a + 2 * i) == pdpt[i];
  t_ok(good, "L2 set CR0.PG with CR4.PAE: the exit saved the PDPTEs it loaded (PDPTE0 0x%lx)",
       (unsigned long)vmr(0x280a));

  restore_64();
  h_controls(0, 0, 0);
  (void)magic;
  (void)mbi;
  t_done();
}

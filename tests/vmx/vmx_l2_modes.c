/*
 * VMX conformance guest, part 2 (issue 8 item 1, guest-state loading): L2
 * is not a copy of L1. A 64-bit L1 launches a 32-bit protected-mode L2
 * with 32-bit paging (4 MiB pages) and then one with PAE paging, so VM
 * entry must load CR0/CR3/CR4/EFER and the "IA-32e mode guest" control
 * (SDM Vol. 3C 27.3.2.1), the PAE PDPTEs (27.3.2.4, failures with
 * qualification 2, 27.8), and VM exits must save that state and return to
 * the 64-bit host (28.3, 28.5). Exit information depends on L2's mode:
 * 32-bit address size in the INS/OUTS information (Table 28-8), 32-bit
 * guest-linear addresses and #PF qualifications.
 */
#include "harness.h"

#define X(...) L2_LABELS(__VA_ARGS__)

static uint32_t pd32[1024] __attribute__((aligned(4096)));
static uint32_t pd32_alias[1024] __attribute__((aligned(4096)));
static uint64_t pdpt[4] __attribute__((aligned(32)));
extern uint64_t rt_pd[]; /* the entry stub's four page directories (2 MiB pages, identity 4 GiB) */
static volatile uint32_t marker = 0x5eed1234;
static uint8_t io_buf[16];

X(l2_32[], l2_32_cpuid[], l2_32_outs[], l2_32_cr3[], l2_32_pf[], l2_32_end[]);
L2_ASM(".code32\n"
       "l2_32: mov $0x77, %ebp\n"
       "l2_32_cpuid: cpuid\n"
       "mov $0x3f8, %edx\n mov $2, %ecx\n"
       "l2_32_outs: rep outsb\n"
       "mov %cr3, %eax\n"
       "l2_32_cr3: mov %eax, %cr3\n"
       "l2_32_pf: movl 0xc0001000, %eax\n"
       "l2_32_end: vmcall\n jmp l2_32_end\n"
       ".code64");
X(l2_alias[], l2_alias_end[]);
L2_ASM(".code32\n"
       "l2_alias: movl (%ebx), %eax\n"
       "l2_alias_end: vmcall\n jmp l2_alias_end\n"
       ".code64");
X(l2_64[], l2_64_end[]);
L2_ASM("l2_64: cpuid\n l2_64_end: vmcall\n jmp l2_64_end");

static bool at_vmcall(const struct xit *x, const void *rip) {
  bool good = xit_is(x, EXIT_VMCALL, rip);
  if (!good) xit_diag("expected VMCALL", x);
  return good;
}

/* Turn the VMCS's guest into a 32-bit protected-mode L2 with paging mode `cr4` (PSE or PAE). */
static void make_l2_32(uint64_t cr3, uint64_t cr4_paging) {
  vw(ENTRY_CONTROLS, base_ctl.entry & ~ENTRY_IA32E_GUEST);
  if (base_ctl.entry & ENTRY_LOAD_EFER) vw(GUEST_EFER, 0);
  vw(GUEST_CR0, CR0_PG | CR0_NE | (1u << 4) | CR0_PE);
  vw(GUEST_CR4, CR4_VMXE | cr4_paging);
  vw(GUEST_CR3, cr3);
  vw(GUEST_CS_SEL, 0x40); /* kernel code32 */
  vw(GUEST_CS_AR, 0xc09b);
}

static void make_l2_64(void) {
  vw(ENTRY_CONTROLS, base_ctl.entry);
  if (base_ctl.entry & ENTRY_LOAD_EFER) vw(GUEST_EFER, rdmsr(MSR_EFER));
  vw(GUEST_CR0, read_cr0());
  vw(GUEST_CR4, read_cr4());
  vw(GUEST_CR3, read_cr3());
  vw(GUEST_CS_SEL, SEL_KCODE);
  vw(GUEST_CS_AR, 0xa09b);
}

static void test_32bit_paging(void) {
  for (uint32_t i = 0; i < 1024; i++) pd32[i] = (i << 22) | 0x83; /* 4 MiB, present, writable */
  pd32[0xc0000000u >> 22] = 0;                                      /* a hole for the #PF */
  h_controls(0, PROC_UNCOND_IO_EXITING | PROC_CR3_LOAD_EXITING, 0);
  vw(EXCEPTION_BITMAP, 1u << 14);
  make_l2_32((uintptr_t)pd32, CR4_PSE);
  memset(&g, 0, sizeof g);
  g.rsi = (uintptr_t)io_buf;
  struct xit x = h_enter(l2_32, 2);
  t_ok(xit_is(&x, EXIT_CPUID, l2_32_cpuid) && x.len == 2 && g.rbp == 0x77,
       "32-bit protected-mode L2 with 32-bit paging entered: CPUID exit at 0x%lx, length %u",
       (unsigned long)x.rip, x.len);
  uint64_t efer = (base_ctl.exit & EXIT_SAVE_EFER) ? vmr(GUEST_EFER) : 0;
  t_ok(!(vmr(ENTRY_CONTROLS) & ENTRY_IA32E_GUEST) && !(efer & (EFER_LMA | EFER_LME)) &&
           vmr(GUEST_CR3) == (uintptr_t)pd32 && (vmr(GUEST_CR4) & (CR4_PSE | CR4_PAE)) == CR4_PSE &&
           (rdmsr(MSR_EFER) & EFER_LMA),
       "the exit saved L2's state (IA-32e mode guest 0, EFER 0x%lx, CR3, CR4.PSE) and L1 is back in "
       "IA-32e mode",
       (unsigned long)efer);
  x = h_skip_run();
  t_ok(xit_is(&x, EXIT_IO, l2_32_outs) && x.qual == 0x03f80030 && x.gla == (uintptr_t)io_buf &&
           (x.info & 0x38380) == 0x18080,
       "REP OUTSB in 32-bit L2: qualification 0x%lx, guest-linear = ESI, information 0x%x (32-bit "
       "address size, DS)",
       (unsigned long)x.qual, x.info);
  x = h_skip_run();
  t_ok(xit_is(&x, EXIT_CR_ACCESS, l2_32_cr3) && x.qual == 0x3 && (uint32_t)g.rax == (uintptr_t)pd32,
       "MOV to CR3 in 32-bit L2: qualification 0x%lx, EAX = L2's CR3", (unsigned long)x.qual);
  x = h_skip_run();
  t_ok(xit_is(&x, EXIT_EXCEPTION_NMI, l2_32_pf) && x.intr == 0x80000b0e && x.intr_err == 0 &&
           x.qual == 0xc0001000,
       "#PF in 32-bit L2 (page-directory hole): qualification 0x%lx, error code %u", (unsigned long)x.qual,
       x.intr_err);
  vw(GUEST_RIP, (uintptr_t)l2_32_end);
  x = h_run();
  t_ok(at_vmcall(&x, l2_32_end), "32-bit L2 resumed to its VMCALL");
  vw(EXCEPTION_BITMAP, 0);
  h_controls(0, 0, 0);

  /* VM entry loads GUEST_CR3: a page directory where 1 GiB aliases physical 0 must be used. */
  memcpy(pd32_alias, pd32, sizeof pd32);
  pd32_alias[0x40000000u >> 22] = 0x83; /* linear 1 GiB -> physical 0 */
  vw(GUEST_CR3, (uintptr_t)pd32_alias);
  g.rbx = 0x40000000u + (uintptr_t)&marker;
  x = h_enter(l2_alias, 2);
  t_ok(at_vmcall(&x, l2_alias_end) && (uint32_t)g.rax == 0x5eed1234,
       "L2's own page directory is used after entry: read 0x%x through an alias of physical 0",
       (uint32_t)g.rax);
}

static void test_pae(void) {
  for (int i = 0; i < 4; i++) pdpt[i] = ((uintptr_t)rt_pd + 4096 * (uint64_t)i) | 1;
  make_l2_32((uintptr_t)pdpt, CR4_PAE);
  memset(&g, 0, sizeof g);
  g.rbx = (uintptr_t)&marker;
  struct xit x = h_enter(l2_alias, 2);
  t_ok(at_vmcall(&x, l2_alias_end) && (uint32_t)g.rax == 0x5eed1234 &&
           (vmr(GUEST_CR4) & CR4_PAE) && !(vmr(ENTRY_CONTROLS) & ENTRY_IA32E_GUEST),
       "32-bit L2 with PAE paging (PDPTEs loaded from CR3 at entry) runs and reads 0x%x",
       (uint32_t)g.rax);
  pdpt[1] |= 2; /* bit 1 is reserved in a PAE PDPTE */
  x = h_enter(l2_alias, 2);
  t_ok(x.fail == 0 && x.reason == 0x80000021u && x.qual == 2,
       "PDPTE with a reserved bit: VM-entry failure, reason 0x%x, qualification %lu (PDPTE loading)",
       x.reason, (unsigned long)x.qual);
  pdpt[1] &= ~2ull;
}

int kmain(uint32_t magic, uint32_t mbi) {
  t_plan(11);
  if (!t_ok(h_init(), "VMXON and a VMCS")) t_done();
  test_32bit_paging();
  test_pae();
  make_l2_64();
  struct xit x = h_enter(l2_64, 2);
  t_ok(xit_is(&x, EXIT_CPUID, l2_64) && (vmr(ENTRY_CONTROLS) & ENTRY_IA32E_GUEST),
       "back to a 64-bit L2 after the 32-bit ones: CPUID exit, IA-32e mode guest 1");
  (void)magic;
  (void)mbi;
  t_done();
}

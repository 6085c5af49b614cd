/*
 * CPU conformance guest (built for 64-bit long mode and 32-bit protected
 * mode): integer workloads checked against values computed on the build
 * host, then exceptions through the IDT (#UD, #DE, #BP, #GP with error
 * code, #PF with CR2 and error code), a CPL3 round trip (SYSRET/SYSCALL in
 * 64-bit mode, SYSEXIT/SYSENTER in 32-bit mode) and #GP for a privileged
 * instruction at CPL3. Output is TAP.
 */
#include "rt.h"
#include "checksums.h"
#include "expected.h"

#define TEST_VA 0x40000000u

ASM_PROBE(probe_ud, "", "ud2", "");
ASM_PROBE(probe_de, "xor %ecx, %ecx; mov $1, %eax; xor %edx, %edx", "div %ecx", "");
ASM_PROBE(probe_de_ovf, "mov $0x80000000, %eax; cltd; mov $-1, %ecx", "idiv %ecx", "");
ASM_PROBE(probe_int3, "", "int3", "");
ASM_PROBE(probe_gp_sel, "mov $0x1230, %eax", "mov %ax, %ds", "mov $0x10, %eax; mov %ax, %ds");
ASM_PROBE(probe_rdmsr_bad, "mov $0xdeadbeef, %ecx", "rdmsr", "");
#ifdef __x86_64__
ASM_PROBE(probe_noncanonical, "movabs $0x8000000000000000, %rax", "mov (%rax), %rax", "");
ASM_PROBE(probe_read, "", "mov (%rdi), %eax", "");
ASM_PROBE(probe_write, "", "movl $1, (%rdi)", "");
ASM_PROBE(probe_call, "", "call *%rdi", "");
#else
ASM_PROBE(probe_read, "mov 4(%esp), %edx", "mov (%edx), %eax", "");
ASM_PROBE(probe_write, "mov 4(%esp), %edx", "movl $1, (%edx)", "");
ASM_PROBE(probe_call, "mov 4(%esp), %edx", "call *%edx", "");
#endif

extern char user_syscall_code[], user_syscall_ret[], user_hlt_code[], user_hlt_insn[];
extern char user_read_code[], user_read_insn[];
extern ureg sc_rcx, sc_r11, sc_rax, sc_cs, sc_ss, sc_rflags, sc_user_cs;
ureg user_roundtrip(void *user_fn, void *user_stack);

static uint8_t user_stack[8192] __attribute__((aligned(16)));
static uint8_t sysenter_stack[1024] __attribute__((aligned(16)));

static struct fault_info fi;

static int try_probe(void (*fn)(void *), void *arg) {
  memset(&fi, 0, sizeof fi);
  return rt_try(fn, arg, &fi);
}

static void run_user(void *code) { user_roundtrip(code, user_stack + sizeof user_stack); }

static void check_fault(void (*fn)(void *), void *arg, int vector, const char *insn, const char *what) {
  int v = try_probe(fn, arg);
  ok(v == vector && fi.rip == (uintptr_t)insn, "%s raises vector %d at the instruction (got %d at 0x%lx)",
     what, vector, v, (unsigned long)fi.rip);
}

#ifdef __x86_64__
extern uint64_t rt_pd[];
static volatile uint64_t *test_pde(void) { return &rt_pd[TEST_VA >> 21]; }
#define PDE_BASE ((uint64_t)TEST_VA | 0x80)
#define PDE_NX (1ull << 63)
#else
/* PAE paging: 4 page directories of 2 MiB pages identity-map 4 GiB. */
static uint64_t pdpt[4] __attribute__((aligned(32)));
static uint64_t page_dirs[4][512] __attribute__((aligned(4096)));
static volatile uint64_t *test_pde(void) { return &page_dirs[TEST_VA >> 30][(TEST_VA >> 21) & 511]; }
#define PDE_BASE ((uint64_t)TEST_VA | 0x80)
#define PDE_NX (1ull << 63)
static void enable_paging32(void) {
  for (uint32_t g = 0; g < 4; g++) {
    pdpt[g] = (uintptr_t)page_dirs[g] | 1;
    for (uint32_t i = 0; i < 512; i++) page_dirs[g][i] = ((uint64_t)g << 30) + ((uint64_t)i << 21) + 0x87;
  }
  write_cr4(read_cr4() | CR4_PAE);
  write_cr3((uintptr_t)pdpt);
  write_cr0(read_cr0() | CR0_PG | CR0_WP);
}
#endif

static void set_test_pde(uint64_t flags) {
  *test_pde() = PDE_BASE | flags;
  invlpg(TEST_VA);
}

static void checksum_tests(void) {
  for (int i = 0; i < checksum_count && i < EXPECTED_COUNT; i++) {
    uint64_t got = checksums[i].fn();
    ok(got == expected_checksums[i], "checksum %s = 0x%llx (host 0x%llx)", checksums[i].name,
       (unsigned long long)got, (unsigned long long)expected_checksums[i]);
  }
}

static void exception_tests(void) {
  check_fault(probe_ud, 0, 6, probe_ud_insn, "UD2");
  check_fault(probe_de, 0, 0, probe_de_insn, "DIV by zero");
  check_fault(probe_de_ovf, 0, 0, probe_de_ovf_insn, "IDIV 0x80000000 / -1");
  int v = try_probe(probe_int3, 0);
  ok(v == 3 && fi.rip == (uintptr_t)probe_int3_insn + 1, "INT3 traps with RIP after the instruction");
  v = try_probe(probe_gp_sel, 0);
  ok(v == 13 && fi.error_code == 0x1230 && fi.rip == (uintptr_t)probe_gp_sel_insn,
     "MOV DS with a selector beyond the GDT limit: #GP(0x1230) (got %d, 0x%llx)", v,
     (unsigned long long)fi.error_code);
  ok(read_ds() == SEL_KDATA, "DS unchanged after the faulting load");
  v = try_probe(probe_rdmsr_bad, 0);
  ok(v == 13 && fi.error_code == 0, "RDMSR of an unimplemented MSR: #GP(0)");
#ifdef __x86_64__
  v = try_probe(probe_noncanonical, 0);
  ok(v == 13 && fi.error_code == 0, "non-canonical load: #GP(0)");
#endif
}

static void page_fault_tests(void) {
  void *va = (void *)(uintptr_t)TEST_VA;
  set_test_pde(0); /* not present */
  int v = try_probe(probe_read, va);
  ok(v == 14 && fi.error_code == 0 && fi.cr2 == TEST_VA && fi.rip == (uintptr_t)probe_read_insn,
     "#PF on read of a not-present page: error 0, CR2 (got %d err 0x%llx cr2 0x%llx)", v,
     (unsigned long long)fi.error_code, (unsigned long long)fi.cr2);
  v = try_probe(probe_write, (char *)va + 0x123);
  ok(v == 14 && fi.error_code == 2 && fi.cr2 == TEST_VA + 0x123, "#PF on write to a not-present page: error 2");
  write_cr0(read_cr0() | CR0_WP);
  set_test_pde(0x1 | 0x4); /* present, read-only, user */
  v = try_probe(probe_write, va);
  ok(v == 14 && fi.error_code == 3, "#PF on write to a read-only page with CR0.WP: error 3 (got 0x%llx)",
     (unsigned long long)fi.error_code);
  set_test_pde(0x1 | 0x2); /* present, supervisor only */
  v = try_probe(run_user, user_read_code);
  ok(v == 14 && fi.error_code == 5 && fi.rip == (uintptr_t)user_read_insn,
     "#PF on CPL3 read of a supervisor page: error 5 (got %d 0x%llx)", v, (unsigned long long)fi.error_code);
  wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
  set_test_pde(0x1 | 0x2 | 0x4 | PDE_NX);
  v = try_probe(probe_call, va);
  ok(v == 14 && fi.error_code == 0x11 && fi.rip == TEST_VA && fi.cr2 == TEST_VA,
     "#PF on fetch from an NX page: error 0x11 (got 0x%llx)", (unsigned long long)fi.error_code);
  set_test_pde(0x1 | 0x2 | 0x4);
}

/* MSRs for SYSCALL/SYSRET (64-bit) or SYSENTER/SYSEXIT (32-bit). */
static void setup_user_mode(void) {
#ifdef __x86_64__
  extern char syscall_entry[];
  wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
  wrmsr(MSR_STAR, ((uint64_t)0x18 << 48) | ((uint64_t)SEL_KCODE << 32));
  wrmsr(MSR_LSTAR, (uintptr_t)syscall_entry);
  wrmsr(MSR_FMASK, FLAGS_IF | FLAGS_TF | FLAGS_DF | FLAGS_AF);
#else
  extern char sysenter_entry[];
  wrmsr(MSR_IA32_SYSENTER_CS, SEL_KCODE);
  wrmsr(MSR_IA32_SYSENTER_ESP, (uintptr_t)(sysenter_stack + sizeof sysenter_stack));
  wrmsr(MSR_IA32_SYSENTER_EIP, (uintptr_t)sysenter_entry);
#endif
}

static void privilege_tests(void) {
#ifdef __x86_64__
  user_roundtrip(user_syscall_code, user_stack + sizeof user_stack);
  ok(sc_user_cs == (SEL_UCODE64 | 3), "SYSRET entered CPL3 with CS 0x%lx", (unsigned long)sc_user_cs);
  ok(sc_rax == 42 && sc_rcx == (uintptr_t)user_syscall_ret, "SYSCALL: RCX = return RIP, RAX preserved");
  ok(sc_r11 == 0x2, "SYSCALL: R11 = user RFLAGS (0x%lx)", (unsigned long)sc_r11);
  ok(sc_cs == SEL_KCODE && sc_ss == SEL_KDATA, "SYSCALL: CS 0x%lx SS 0x%lx from STAR", (unsigned long)sc_cs,
     (unsigned long)sc_ss);
  ok((sc_rflags & (FLAGS_IF | FLAGS_TF | FLAGS_DF)) == 0, "SYSCALL: RFLAGS masked by FMASK");
#else
  user_roundtrip(user_syscall_code, user_stack + sizeof user_stack);
  ok(sc_user_cs == (SEL_UCODE32 | 3), "SYSEXIT entered CPL3 with CS 0x%lx", (unsigned long)sc_user_cs);
  ok(sc_rax == 42, "SYSENTER: EAX preserved");
  ok(sc_cs == SEL_KCODE && sc_ss == SEL_KDATA, "SYSENTER: CS 0x%lx SS 0x%lx from SYSENTER_CS",
     (unsigned long)sc_cs, (unsigned long)sc_ss);
  (void)sc_rcx;
  (void)sc_r11;
  (void)sc_rflags;
#endif
  (void)sysenter_stack;
  int v = try_probe(run_user, user_hlt_code);
  ok(v == 13 && fi.error_code == 0 && fi.rip == (uintptr_t)user_hlt_insn && (fi.cs & 3) == 3,
     "HLT at CPL3: #GP(0) (got %d cs 0x%x)", v, fi.cs);
}

int kmain(uint32_t magic, uint32_t mbi) {
  printf("# nestvm CPU conformance, %d-bit\n", (int)sizeof(void *) * 8);
#ifndef __x86_64__
  enable_paging32();
#endif
  setup_user_mode();
  checksum_tests();
  exception_tests();
  page_fault_tests();
  privilege_tests();
  (void)magic;
  (void)mbi;
  done();
}

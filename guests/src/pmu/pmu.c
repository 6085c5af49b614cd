/*
 * Architectural PMU guest (64-bit): CPUID leaf 0AH, the MSRs, exact
 * instruction counts of its own code (kernel loops short and long enough
 * for the block compiler; a CPL 3 round trip split by the USR and OS
 * filters), RDPMC, and a PMI through the LAPIC's LVT performance-counter
 * entry taken at the exact instruction boundary. Output is TAP.
 *
 * Every expected count is computed from the measured code's text
 * (pmu_asm.S) under nestvm's counting rule (cpu/pmu.ts): an instruction
 * counts when the counting condition holds as it retires, and nestvm's
 * core and reference clocks tick once per instruction (the cycle events
 * count what instructions retired count).
 */
#include "rt.h"
#include "idt.h"
#include "pmu.h"

#define MSR_PMC0 0xc1
#define MSR_PERFEVTSEL0 0x186
#define MSR_FIXED_CTR0 0x309
#define MSR_FIXED_CTR_CTRL 0x38d
#define MSR_GLOBAL_STATUS 0x38e
#define MSR_GLOBAL_CTRL 0x38f
#define MSR_GLOBAL_OVF_CTRL 0x390
#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_FMASK 0xc0000084
#define MSR_EFER 0xc0000080

#define SEL_USR (1u << 16)
#define SEL_OS (1u << 17)
#define SEL_INT (1u << 20)
#define SEL_EN (1u << 22)
#define EV_INSTRUCTIONS 0xc0
#define EV_CORE_CYCLES 0x3c
#define EV_REF_CYCLES 0x13c
#define EV_BRANCHES 0xc4
#define FIXED0 (1ull << 32)
#define FIXED_ALL (7ull << 32)
#define WRAP (1ull << 48)

#define LAPIC 0xfee00000u
#define PMI_VECTOR 0x40

uint64_t pmu_count_loop(uint64_t n, uint64_t enable);
void pmu_user_trip(uint64_t enable, void *user_stack);
void pmu_pmi_probe(uint64_t enable);
extern char pmu_syscall_entry[], pmu_pmi_expected[], pmu_loop_dec[];

static uint8_t user_stack[4096] __attribute__((aligned(16)));

static uint32_t lapic_read(uint32_t reg) { return *(volatile uint32_t *)(uintptr_t)(LAPIC + reg); }
static void lapic_write(uint32_t reg, uint32_t v) { *(volatile uint32_t *)(uintptr_t)(LAPIC + reg) = v; }

static volatile unsigned pmi_count;
static volatile uint64_t pmi_rip, pmi_status, pmi_ctrl;

static void pmi_handler(struct irq_frame *f) {
  pmi_count++;
  pmi_rip = f->rip;
  pmi_status = rdmsr(MSR_GLOBAL_STATUS);
  pmi_ctrl = rdmsr(MSR_GLOBAL_CTRL);
  lapic_write(0xb0, 0);
}

static uint64_t rdpmc(uint32_t ecx) {
  uint32_t lo, hi;
  __asm__ volatile("rdpmc" : "=a"(lo), "=d"(hi) : "c"(ecx));
  return ((uint64_t)hi << 32) | lo;
}

static uint32_t rdpmc_ecx;
static void probe_rdpmc(void *arg) {
  (void)arg;
  rdpmc(rdpmc_ecx);
}

static uint64_t wr_value;
static uint32_t wr_msr;
static void probe_wrmsr(void *arg) {
  (void)arg;
  wrmsr(wr_msr, wr_value);
}

static bool wrmsr_faults(uint32_t msr, uint64_t v) {
  struct fault_info fi;
  wr_msr = msr;
  wr_value = v;
  return rt_try(probe_wrmsr, 0, &fi) == 13;
}

static void reset_counters(void) {
  wrmsr(MSR_GLOBAL_CTRL, 0);
  for (int i = 0; i < 4; i++) {
    wrmsr(MSR_PERFEVTSEL0 + i, 0);
    wrmsr(MSR_PMC0 + i, 0);
  }
  wrmsr(MSR_FIXED_CTR_CTRL, 0);
  for (int i = 0; i < 3; i++) wrmsr(MSR_FIXED_CTR0 + i, 0);
  wrmsr(MSR_GLOBAL_OVF_CTRL, rdmsr(MSR_GLOBAL_STATUS));
}

static void cpuid_checks(void) {
  struct cpuid_regs r = cpuid(0xa, 0);
  ok((r.eax & 0xff) == 2, "CPUID.0AH: version 2 (eax 0x%x)", r.eax);
  ok(((r.eax >> 8) & 0xff) == 4 && ((r.eax >> 16) & 0xff) == 48,
     "CPUID.0AH: 4 general-purpose counters of 48 bits");
  ok((r.eax >> 24) == 7 && r.ebx == 0x78,
     "CPUID.0AH: of 7 events core cycles, instructions retired and reference cycles (ebx 0x%x)", r.ebx);
  ok((r.edx & 0x1f) == 3 && ((r.edx >> 5) & 0xff) == 48, "CPUID.0AH: three fixed counters of 48 bits (edx 0x%x)",
     r.edx);
}

static void msr_checks(void) {
  ok(rdmsr(MSR_GLOBAL_CTRL) == 0xf, "IA32_PERF_GLOBAL_CTRL at power-on: the general-purpose enables set (0x%lx)",
     (unsigned long)rdmsr(MSR_GLOBAL_CTRL));
  reset_counters();
  wrmsr(MSR_PMC0, 0x80000001ull);
  ok(rdmsr(MSR_PMC0) == 0xffff80000001ull, "IA32_PMC0: a write sign-extends bit 31 to 48 bits");
  wrmsr(MSR_PMC0 + 1, 0xff0123456789ull);
  ok(rdmsr(MSR_PMC0 + 1) == 0x23456789ull, "IA32_PMC1: bits 63:32 of a write are ignored");
  wrmsr(MSR_FIXED_CTR0, 0xff0123456789ull);
  ok(rdmsr(MSR_FIXED_CTR0) == 0xff0123456789ull, "IA32_FIXED_CTR0: takes 48 bits");
  ok(wrmsr_faults(MSR_FIXED_CTR0, WRAP), "IA32_FIXED_CTR0: bit 48 is #GP");
  ok(wrmsr_faults(MSR_PERFEVTSEL0, 1ull << 32) && wrmsr_faults(MSR_PERFEVTSEL0, 1u << 21),
     "IA32_PERFEVTSEL0: bits 63:32 and AnyThread (21) are #GP");
  ok(wrmsr_faults(MSR_GLOBAL_CTRL, 1u << 4) && wrmsr_faults(MSR_GLOBAL_CTRL, 1ull << 35),
     "IA32_PERF_GLOBAL_CTRL: bits of absent counters are #GP");
  ok(wrmsr_faults(MSR_FIXED_CTR_CTRL, 1u << 12) && wrmsr_faults(MSR_FIXED_CTR_CTRL, 1u << 2),
     "IA32_FIXED_CTR_CTRL: fixed counter 3 and AnyThread are #GP");
  ok(wrmsr_faults(MSR_GLOBAL_STATUS, 0), "IA32_PERF_GLOBAL_STATUS is read-only");
  ok(wrmsr_faults(MSR_FIXED_CTR0 + 3, 0), "IA32_FIXED_CTR3 does not exist");
  reset_counters();
}

static void count_checks(void) {
  static const uint64_t loops[] = {1, 1000, 200000};
  for (unsigned i = 0; i < sizeof loops / sizeof loops[0]; i++) {
    uint64_t n = loops[i];
    reset_counters();
    wrmsr(MSR_PERFEVTSEL0, SEL_EN | SEL_OS | SEL_USR | EV_INSTRUCTIONS);
    wrmsr(MSR_PERFEVTSEL0 + 1, SEL_EN | SEL_OS | EV_INSTRUCTIONS);
    wrmsr(MSR_PERFEVTSEL0 + 2, SEL_EN | SEL_USR | EV_INSTRUCTIONS);
    wrmsr(MSR_PERFEVTSEL0 + 3, SEL_EN | SEL_OS | EV_CORE_CYCLES);
    wrmsr(MSR_FIXED_CTR_CTRL, 0x333);
    pmu_count_loop(n, 0xf | FIXED_ALL);
    uint64_t want = 3 * n + 5;
    uint64_t pmc0 = rdmsr(MSR_PMC0), fixed = rdmsr(MSR_FIXED_CTR0);
    uint64_t cycles = rdmsr(MSR_FIXED_CTR0 + 1), ref = rdmsr(MSR_FIXED_CTR0 + 2);
    ok(pmc0 == want && fixed == want && rdmsr(MSR_PMC0 + 1) == want && rdmsr(MSR_PMC0 + 3) == want &&
           cycles == want && ref == want,
       "%lu loops at CPL 0: PMC0, PMC1 (OS), PMC3 (core cycles) and the three fixed counters count %lu "
       "(got %lu, %lu, %lu, %lu)",
       (unsigned long)n, (unsigned long)want, (unsigned long)pmc0, (unsigned long)fixed, (unsigned long)cycles,
       (unsigned long)ref);
    ok(rdmsr(MSR_PMC0 + 2) == 0, "%lu loops at CPL 0: the USR-only counter stays 0", (unsigned long)n);
  }
  /* A counter left out of GLOBAL_CTRL does not count; neither does an unavailable event. */
  reset_counters();
  wrmsr(MSR_PERFEVTSEL0, SEL_EN | SEL_OS | EV_INSTRUCTIONS);
  wrmsr(MSR_PERFEVTSEL0 + 1, SEL_EN | SEL_OS | EV_INSTRUCTIONS);
  wrmsr(MSR_PERFEVTSEL0 + 2, SEL_EN | SEL_OS | EV_BRANCHES);
  wrmsr(MSR_PERFEVTSEL0 + 3, SEL_EN | SEL_OS | EV_REF_CYCLES);
  pmu_count_loop(100, 0xe);
  ok(rdmsr(MSR_PMC0) == 0 && rdmsr(MSR_PMC0 + 1) == 305 && rdmsr(MSR_PMC0 + 2) == 0 &&
         rdmsr(MSR_PMC0 + 3) == 305,
     "GLOBAL_CTRL selects the counters that count; reference cycles count, branches (unavailable) do not");
}

static void user_checks(void) {
  wrmsr(MSR_EFER, rdmsr(MSR_EFER) | 1);
  wrmsr(MSR_STAR, ((uint64_t)0x18 << 48) | ((uint64_t)SEL_KCODE << 32));
  wrmsr(MSR_LSTAR, (uintptr_t)pmu_syscall_entry);
  wrmsr(MSR_FMASK, 0x700);
  reset_counters();
  wrmsr(MSR_PERFEVTSEL0, SEL_EN | SEL_USR | EV_INSTRUCTIONS);
  wrmsr(MSR_PERFEVTSEL0 + 1, SEL_EN | SEL_OS | EV_INSTRUCTIONS);
  wrmsr(MSR_FIXED_CTR_CTRL, 0x2); /* fixed counter 0: USR only */
  pmu_user_trip(0x3 | FIXED0, user_stack + sizeof user_stack);
  uint64_t usr = rdmsr(MSR_PMC0), os = rdmsr(MSR_PMC0 + 1);
  ok(usr == 2 * PMU_USER_LOOPS + 3, "CPL 3 loop: the USR counter counts %d (got %lu)",
     2 * PMU_USER_LOOPS + 3, (unsigned long)usr);
  ok(os == 10, "CPL 3 round trip: the OS counter counts the 10 CPL 0 instructions (got %lu)",
     (unsigned long)os);
  ok(rdmsr(MSR_FIXED_CTR0) == usr, "FIXED_CTR0 with USR only agrees");
  reset_counters();
}

static void rdpmc_checks(void) {
  reset_counters();
  wrmsr(MSR_PMC0 + 2, 0x12345678);
  wrmsr(MSR_FIXED_CTR0, 0xabcdef012345ull);
  ok(rdpmc(2) == 0x12345678 && rdpmc(1u << 30) == 0xabcdef012345ull,
     "RDPMC reads PMC2 and (ECX bit 30) fixed counter 0");
  static const uint32_t bad[] = {4, (1u << 30) | 3, 1u << 31, 64};
  bool all = true;
  for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    struct fault_info fi;
    rdpmc_ecx = bad[i];
    if (rt_try(probe_rdpmc, 0, &fi) != 13) all = false;
  }
  ok(all, "RDPMC of an absent counter (4, fixed 3, ECX bit 31, 64) is #GP");
  reset_counters();
}

static void pmi_checks(void) {
  idt_set_handler(PMI_VECTOR, pmi_handler);
  lapic_write(0xf0, 0x1ff);
  lapic_write(0x80, 0);
  for (int with_int = 0; with_int <= 1; with_int++) {
    const char *what = with_int ? "INT" : "no INT";
    reset_counters();
    lapic_write(0x340, PMI_VECTOR);
    pmi_count = 0;
    pmi_rip = 0;
    /* With INT, Freeze_PerfMon_On_PMI stops the counters at the PMI. */
    wrmsr(MSR_IA32_DEBUGCTL, with_int ? 1u << 12 : 0);
    wrmsr(MSR_PERFEVTSEL0, SEL_EN | SEL_OS | EV_INSTRUCTIONS | (with_int ? SEL_INT : 0));
    wrmsr(MSR_PMC0, (uint64_t)(uint32_t)-PMU_PMI_AT); /* 2^48 - PMU_PMI_AT (bit 31 extended) */
    pmu_pmi_probe(0x1);
    uint64_t status = rdmsr(MSR_GLOBAL_STATUS);
    uint64_t after = rdmsr(MSR_PMC0);
    wrmsr(MSR_IA32_DEBUGCTL, 0);
    ok(status & 1, "%s: GLOBAL_STATUS bit 0 set by the overflow", what);
    if (with_int) {
      ok(pmi_count == 1 && pmi_rip == (uintptr_t)pmu_pmi_expected,
         "INT: one PMI, taken right after the instruction that wrapped (RIP 0x%lx, want 0x%lx)",
         (unsigned long)pmi_rip, (unsigned long)(uintptr_t)pmu_pmi_expected);
      ok((pmi_status & 1) && pmi_ctrl == 0, "INT: the handler saw the status bit, GLOBAL_CTRL frozen to 0");
      ok(after == 0, "INT: frozen at the wrap, the counter reads 0 (got %lu)", (unsigned long)after);
      ok(lapic_read(0x340) & (1u << 16), "INT: delivery masked the LVT performance-counter entry");
    } else {
      /* 64 NOPs and three instructions follow the wrap before the disabling WRMSR. */
      ok(after == 64 + 3, "no INT: the counter wrapped and went on to %lu (want 67)", (unsigned long)after);
      ok(pmi_count == 0, "no INT: no PMI (got %u)", pmi_count);
    }
    wrmsr(MSR_GLOBAL_OVF_CTRL, 1);
    ok((rdmsr(MSR_GLOBAL_STATUS) & 1) == 0, "%s: GLOBAL_OVF_CTRL clears the status bit", what);
  }
  /*
   * In a loop hot enough for the block compiler: the WRMSR and MOV, then
   * 100000 iterations, then the ADD of the next one wrap the counter; the
   * PMI comes before that iteration's DEC. Freeze_PerfMon_On_PMI keeps it at 0.
   */
  reset_counters();
  lapic_write(0x340, PMI_VECTOR);
  pmi_count = 0;
  pmi_rip = 0;
  wrmsr(MSR_IA32_DEBUGCTL, 1u << 12);
  wrmsr(MSR_PERFEVTSEL0, SEL_EN | SEL_OS | EV_INSTRUCTIONS | SEL_INT);
  wrmsr(MSR_PMC0, (uint64_t)(uint32_t)-(2 + 3 * 100000 + 1));
  __asm__ volatile("sti");
  pmu_count_loop(200000, 0x1);
  __asm__ volatile("cli");
  wrmsr(MSR_IA32_DEBUGCTL, 0);
  ok(pmi_count == 1 && pmi_rip == (uintptr_t)pmu_loop_dec && rdmsr(MSR_PMC0) == 0,
     "PMI in a hot loop: once, before the DEC after the ADD that wrapped (RIP 0x%lx, want 0x%lx)",
     (unsigned long)pmi_rip, (unsigned long)(uintptr_t)pmu_loop_dec);
  reset_counters();
}

int kmain(uint32_t magic, uint32_t mbi) {
  (void)magic;
  (void)mbi;
  rt_init();
  plan(4 + 10 + 7 + 3 + 2 + 4 + 6 + 1);
  cpuid_checks();
  msr_checks();
  count_checks();
  user_checks();
  rdpmc_checks();
  pmi_checks();
  done();
}

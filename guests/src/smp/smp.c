/*
 * SMP guest: brings the APs up through INIT-SIPI-SIPI, sends IPIs of every
 * kind (fixed to one AP, logical flat, lowest priority, NMI, the self,
 * all-including-self and all-excluding-self shorthands; HLT wakes on each),
 * restarts an AP with INIT + SIPI, and runs a LOCK CMPXCHG spin lock and a
 * LOCK XADD counter on every vCPU at once. Run with -smp 4 (the checks
 * adapt to the CPU count that fw_cfg reports, 2..16).
 */
#include "../rt/rt.h"
#include "../rt/io.h"

#define APIC 0xFEE00000ul
#define APIC_ID 0x20
#define APIC_EOI 0xB0
#define APIC_LDR 0xD0
#define APIC_DFR 0xE0
#define APIC_SVR 0xF0
#define APIC_ICR 0x300
#define APIC_ICR2 0x310

#define VEC_IPI 0x40
#define MAX_CPUS 16
#define WORK_ROUNDS 2000

extern char smp_tramp_start[], smp_tramp_end[], tr_gdt_base[], tr_cr3[];

static volatile uint32_t online;
static volatile uint32_t started[MAX_CPUS];
static volatile uint32_t apic_id_seen[MAX_CPUS];
static volatile uint32_t ipis[MAX_CPUS];
static volatile uint32_t nmis[MAX_CPUS];
static volatile uint32_t command;
static volatile uint32_t finished;
static volatile uint32_t lock_word;
static volatile uint64_t locked_counter;
static volatile uint64_t xadd_counter;

static inline uint32_t apic_read(uint32_t reg) { return *(volatile uint32_t *)(APIC + reg); }
static inline void apic_write(uint32_t reg, uint32_t v) { *(volatile uint32_t *)(APIC + reg) = v; }
static uint32_t my_id(void) { return apic_read(APIC_ID) >> 24; }

static void send_ipi(uint32_t dest, uint32_t icr) {
  apic_write(APIC_ICR2, dest << 24);
  apic_write(APIC_ICR, icr);
  while (apic_read(APIC_ICR) & (1u << 12)) { /* delivery pending */ }
}

static void on_ipi(struct irq_frame *f) {
  (void)f;
  __atomic_fetch_add(&ipis[my_id()], 1, __ATOMIC_SEQ_CST);
  apic_write(APIC_EOI, 0);
}

static void on_nmi(struct irq_frame *f) {
  (void)f;
  __atomic_fetch_add(&nmis[my_id()], 1, __ATOMIC_SEQ_CST);
}

static void spin_lock(volatile uint32_t *l) {
  uint32_t expected = 0;
  /* LOCK CMPXCHG */
  while (!__atomic_compare_exchange_n(l, &expected, 1, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
    expected = 0;
    __asm__ volatile("pause");
  }
}

static void spin_unlock(volatile uint32_t *l) { __atomic_store_n(l, 0, __ATOMIC_RELEASE); }

/* Each vCPU: a read-modify-write under the lock, and a LOCK XADD. */
static void work(void) {
  for (int i = 0; i < WORK_ROUNDS; i++) {
    spin_lock(&lock_word);
    uint64_t c = locked_counter;
    for (volatile int k = 0; k < 3; k++) { /* widen the window */ }
    locked_counter = c + 1;
    spin_unlock(&lock_word);
    __atomic_fetch_add(&xadd_counter, 1, __ATOMIC_SEQ_CST);
  }
}

static void apic_enable(uint32_t id) {
  apic_write(APIC_SVR, 0x1FF);
  apic_write(APIC_DFR, 0xFFFFFFFF);          /* flat model */
  apic_write(APIC_LDR, (1u << id) << 24);    /* logical id: bit = APIC id */
}

void ap_main(uint32_t id);
void ap_main(uint32_t id) {
  idt_init();
  apic_enable(id);
  apic_id_seen[id] = my_id();
  started[id]++;
  __atomic_fetch_add(&online, 1, __ATOMIC_SEQ_CST);
  for (;;) {
    sti_hlt();
    if (command == 1) {
      work();
      __atomic_fetch_add(&finished, 1, __ATOMIC_SEQ_CST);
      while (command == 1) __asm__ volatile("pause");
    }
  }
}

static bool wait_for(volatile uint32_t *v, uint32_t want) {
  for (long i = 0; i < 20000000; i++) {
    if (*v == want) return true;
    __asm__ volatile("pause");
  }
  return *v == want;
}

static uint32_t sum_ipis(void) {
  uint32_t s = 0;
  for (int i = 0; i < MAX_CPUS; i++) s += ipis[i];
  return s;
}

static void clear_ipis(void) {
  for (int i = 0; i < MAX_CPUS; i++) ipis[i] = 0;
}

/* Wait until `n` IPIs arrived in total (they are delivered at once; the targets run later). */
static bool wait_ipis(uint32_t n) {
  for (long i = 0; i < 20000000 && sum_ipis() < n; i++) __asm__ volatile("pause");
  for (long i = 0; i < 200000; i++) __asm__ volatile("pause"); /* and no more */
  return sum_ipis() == n;
}

static void start_ap(uint32_t id) {
  send_ipi(id, 0x00004500); /* INIT, assert */
  send_ipi(id, 0x00008500); /* INIT, level de-assert */
  send_ipi(id, 0x00004608); /* SIPI, vector 8 -> 0x8000 */
  send_ipi(id, 0x00004608); /* the second SIPI is ignored (the AP runs) */
}

static uint32_t fw_cfg_cpus(void) {
  outw(0x510, 0x05);
  return inb(0x511) | (inb(0x511) << 8);
}

int kmain(uint32_t magic, uint32_t mbi) {
  (void)magic;
  (void)mbi;
  uint32_t n = fw_cfg_cpus();
  if (n < 2 || n > MAX_CPUS) {
    printf("Bail out! run with -smp 2..%d (fw_cfg reports %u)\n", MAX_CPUS, n);
    return EXIT_FAIL;
  }
  plan(14);
  outb(0x21, 0xff); /* mask the 8259s: only LAPIC interrupts here */
  outb(0xa1, 0xff);
  idt_set_handler(VEC_IPI, on_ipi);
  idt_set_handler(2, on_nmi);
  apic_enable(0);
  ok(my_id() == 0 && (cpuid(1, 0).ebx >> 24) == 0, "the BSP has APIC id 0 (LAPIC and CPUID agree)");

  *(uint32_t *)tr_gdt_base = (uint32_t)(uintptr_t)rt_gdt;
  *(uint32_t *)tr_cr3 = (uint32_t)read_cr3();
  memcpy((void *)0x8000, smp_tramp_start, (size_t)(smp_tramp_end - smp_tramp_start));
  for (uint32_t id = 1; id < n; id++) start_ap(id);
  bool up = wait_for(&online, n - 1);
  ok(up, "%u APs came up through INIT-SIPI-SIPI (online %u)", n - 1, online);
  bool ids = true;
  for (uint32_t id = 1; id < n; id++) ids = ids && apic_id_seen[id] == id && started[id] == 1;
  ok(ids, "each AP started once, its LAPIC id equals its CPUID initial APIC id");

  /* Fixed IPI, physical destination, to each AP (halted: HLT wakes). */
  clear_ipis();
  for (uint32_t id = 1; id < n; id++) send_ipi(id, 0x00004000 | VEC_IPI);
  bool each = wait_ipis(n - 1);
  for (uint32_t id = 1; id < n; id++) each = each && ipis[id] == 1;
  ok(each, "fixed IPI to each AP by physical id wakes it from HLT");

  clear_ipis();
  send_ipi(0, 0x000C4000 | VEC_IPI); /* all excluding self */
  ok(wait_ipis(n - 1) && ipis[0] == 0, "all-excluding-self: %u IPIs, none to the sender", sum_ipis());

  clear_ipis();
  sti();
  send_ipi(0, 0x00084000 | VEC_IPI); /* all including self */
  ok(wait_ipis(n) && ipis[0] == 1, "all-including-self: %u IPIs, one to the sender", sum_ipis());

  clear_ipis();
  send_ipi(0, 0x00044000 | VEC_IPI); /* self */
  ok(wait_ipis(1) && ipis[0] == 1, "self IPI");
  cli();

  clear_ipis();
  send_ipi(0x6, 0x00004800 | VEC_IPI); /* logical flat: APIC ids 1 and 2 (LDR bits 1, 2) */
  ok(wait_ipis(n > 2 ? 2 : 1) && ipis[1] == 1 && (n == 2 || ipis[2] == 1),
     "logical flat destination 0x6 reaches APIC ids 1 and 2");

  clear_ipis();
  send_ipi(0xfe, 0x00004900 | VEC_IPI); /* lowest priority among every AP */
  bool one = wait_ipis(1);
  ok(one, "lowest priority to every AP: exactly one takes it (%u)", sum_ipis());

  send_ipi(1, 0x00004400); /* NMI */
  bool nmi = wait_for(&nmis[1], 1);
  ok(nmi && nmis[0] == 0, "NMI IPI reaches AP 1 only");

  /* INIT puts AP 1 back into wait-for-SIPI; a SIPI restarts it through the trampoline. */
  uint32_t before = online;
  send_ipi(1, 0x00004500);
  send_ipi(1, 0x00008500);
  clear_ipis();
  send_ipi(1, 0x00004000 | VEC_IPI);
  for (long i = 0; i < 200000; i++) __asm__ volatile("pause");
  ok(ipis[1] == 0 && online == before, "after INIT, AP 1 takes no interrupt and waits for a SIPI");
  send_ipi(1, 0x00004608);
  bool restarted = wait_for(&online, before + 1);
  ok(restarted && started[1] == 2, "a SIPI restarts AP 1 (started %u times)", started[1]);

  /* Spin lock and atomic counter on every vCPU at once. */
  command = 1;
  send_ipi(0, 0x000C4000 | VEC_IPI);
  work();
  ok(wait_for(&finished, n - 1), "every AP finished its share");
  command = 0;
  ok(locked_counter == (uint64_t)n * WORK_ROUNDS && xadd_counter == (uint64_t)n * WORK_ROUNDS,
     "spin-locked counter %lu and LOCK XADD counter %lu are %u x %d", (unsigned long)locked_counter,
     (unsigned long)xadd_counter, n, WORK_ROUNDS);
  done();
}

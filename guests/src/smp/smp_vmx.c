/*
 * Nested VMX on every vCPU at once: the APs come up through INIT-SIPI-SIPI
 * (smp_tramp.S), then each vCPU (BSP included) enters VMX operation with
 * its own VMXON region, makes its own VMCS current and launches its own L2.
 * Every L2 announces itself and waits until all L2s run at the same time,
 * executes CPUIDs (exits to its L1) and ends with a VMCALL carrying a value
 * computed from its vCPU's id. Run with -smp 2..8.
 */
#include "../rt/rt.h"
#include "../rt/io.h"
#include "../rt/vmx.h"

#define MAX_CPUS 8
#define L2_CPUIDS 20

extern char smp_tramp_start[], smp_tramp_end[], tr_gdt_base[], tr_cr3[];

static volatile uint32_t online;
static volatile uint32_t command;
static volatile uint32_t finished;
static volatile uint32_t l2_running;
static volatile uint32_t tr_lock;
static uint32_t ncpus;

struct per_cpu {
  void *vmxon, *vmcs;
  uint8_t *l2_stack;
  uint32_t cpuid_exits, vmcall_exits, launch_error;
  uint64_t vmcall_value, vmptrst;
  bool vmxon_ok;
};
static struct per_cpu pc[MAX_CPUS];

static uint32_t cpu_id(void) { return cpuid(1, 0).ebx >> 24; }

/* L2: wait until every vCPU runs its L2, CPUID a few times, VMCALL with a value of its own. */
static void l2_main(void) {
  uint32_t id = cpu_id(); /* exits to L1 (CPUID) */
  __atomic_fetch_add(&l2_running, 1, __ATOMIC_SEQ_CST);
  while (l2_running < ncpus) __asm__ volatile("pause");
  uint64_t x = 0;
  for (int i = 0; i < L2_CPUIDS - 1; i++) x += cpuid(0, 0).eax + (uint64_t)i;
  x = x * 1000 + id;
  __asm__ volatile("vmcall" ::"a"(0), "b"(x) : "memory");
  for (;;) __asm__ volatile("hlt");
}

/* L1 on vCPU `id`: VMXON, VMCLEAR/VMPTRLD its VMCS, run L2 to its VMCALL. */
static void run_l2(uint32_t id) {
  struct per_cpu *p = &pc[id];
  if (!vmx_enable() || vmxon((uint64_t)(uintptr_t)p->vmxon).kind != VMX_OK) return;
  p->vmxon_ok = true;
  vmclear((uint64_t)(uintptr_t)p->vmcs);
  vmptrld((uint64_t)(uintptr_t)p->vmcs);
  struct l2_config cfg = {.entry = l2_main, .stack_top = p->l2_stack + 4096};
  struct l2_controls out;
  if (!vmcs_setup_l2(&cfg, &out)) return;
  vmptrst(&p->vmptrst);
  struct guest_regs regs;
  memset(&regs, 0, sizeof regs);
  bool launched = false;
  for (int n = 0; n < 1000; n++) {
    struct vmx_result r = vmx_run(&regs, launched);
    if (r.kind != VMX_OK) {
      p->launch_error = 1000 + r.error;
      break;
    }
    launched = true;
    uint32_t reason = (uint32_t)vmr(EXIT_REASON) & 0xffff;
    if (reason == EXIT_CPUID) {
      struct cpuid_regs c = cpuid((uint32_t)regs.rax, (uint32_t)regs.rcx);
      regs.rax = c.eax;
      regs.rbx = c.ebx;
      regs.rcx = c.ecx;
      regs.rdx = c.edx;
      p->cpuid_exits++;
      vmx_skip_instruction();
    } else if (reason == EXIT_VMCALL) {
      p->vmcall_exits++;
      p->vmcall_value = regs.rbx;
      break;
    } else {
      p->launch_error = reason;
      break;
    }
  }
  vmxoff();
}

void ap_main(uint32_t id);
void ap_main(uint32_t id) {
  idt_init();
  /* The runtime's TSS is shared: clear its busy bit (under a lock) to load TR, as VM exits need one. */
  uint32_t expected = 0;
  while (!__atomic_compare_exchange_n(&tr_lock, &expected, 1, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
    expected = 0;
    __asm__ volatile("pause");
  }
  ((uint8_t *)&rt_gdt[SEL_TSS / 8])[5] &= (uint8_t)~0x02;
  __asm__ volatile("ltr %w0" ::"r"(SEL_TSS));
  __atomic_store_n(&tr_lock, 0, __ATOMIC_RELEASE);
  __atomic_fetch_add(&online, 1, __ATOMIC_SEQ_CST);
  while (command != 1) __asm__ volatile("pause");
  run_l2(id);
  __atomic_fetch_add(&finished, 1, __ATOMIC_SEQ_CST);
  for (;;) __asm__ volatile("cli; hlt");
}

static void send_ipi(uint32_t dest, uint32_t icr) {
  *(volatile uint32_t *)0xFEE00310ul = dest << 24;
  *(volatile uint32_t *)0xFEE00300ul = icr;
}

static bool wait_for(volatile uint32_t *v, uint32_t want) {
  for (long i = 0; i < 50000000 && *v != want; i++) __asm__ volatile("pause");
  return *v == want;
}

int kmain(uint32_t magic, uint32_t mbi) {
  (void)magic;
  (void)mbi;
  outw(0x510, 0x05);
  ncpus = inb(0x511) | (inb(0x511) << 8);
  if (ncpus < 2 || ncpus > MAX_CPUS) {
    printf("Bail out! run with -smp 2..%d\n", MAX_CPUS);
    return EXIT_FAIL;
  }
  plan(5);
  for (uint32_t i = 0; i < ncpus; i++) {
    pc[i].vmxon = vmx_alloc_region();
    pc[i].vmcs = vmx_alloc_region();
    pc[i].l2_stack = alloc_page();
  }
  *(uint32_t *)0xFEE000F0ul = 0x1FF; /* software-enable the BSP's APIC */
  *(uint32_t *)tr_gdt_base = (uint32_t)(uintptr_t)rt_gdt;
  *(uint32_t *)tr_cr3 = (uint32_t)read_cr3();
  memcpy((void *)0x8000, smp_tramp_start, (size_t)(smp_tramp_end - smp_tramp_start));
  for (uint32_t id = 1; id < ncpus; id++) {
    send_ipi(id, 0x4500);
    send_ipi(id, 0x4608);
  }
  bool up = wait_for(&online, ncpus - 1);
  ok(up, "%u APs online", ncpus - 1);
  command = 1;
  run_l2(0);
  bool all = wait_for(&finished, ncpus - 1);
  ok(all, "every AP's L1 finished");
  bool vmcs_own = true, values = true, exits = true;
  for (uint32_t i = 0; i < ncpus; i++) {
    struct per_cpu *p = &pc[i];
    diag("vCPU %u: vmxon %d, VMCS 0x%lx, %u CPUID exits, %u VMCALL, value %lu, error %u", i,
         p->vmxon_ok, (unsigned long)p->vmptrst, p->cpuid_exits, p->vmcall_exits,
         (unsigned long)p->vmcall_value, p->launch_error);
    vmcs_own = vmcs_own && p->vmxon_ok && p->vmptrst == (uint64_t)(uintptr_t)p->vmcs;
    exits = exits && p->cpuid_exits == L2_CPUIDS && p->vmcall_exits == 1 && p->launch_error == 0;
    values = values && p->vmcall_value % 1000 == i && p->vmcall_value / 1000 == pc[0].vmcall_value / 1000;
  }
  ok(vmcs_own, "each vCPU is in VMX operation with its own current VMCS");
  ok(l2_running == ncpus, "all %u L2 guests ran at the same time", l2_running);
  ok(exits && values, "each L2's CPUID and VMCALL exits (with its vCPU's value) reached its own L1");
  done();
}

/*
 * Multiprocessor MIPS workload: every vCPU (the BSP and each AP, brought up
 * through INIT-SIPI-SIPI by smp_tramp.S) runs the W1 loop (bench/loop.S,
 * 34 instructions per iteration) for N iterations on an array of its own,
 * N from the command line ("iterations=N", default 1000000). The BSP then
 * waits for the APs and prints one checksum per vCPU (all equal: the loop
 * depends only on N) and the loop instructions retired by all vCPUs.
 * bench/smp_mips.ts times it at -smp 1, 2, 4... to compare total MIPS.
 */
#include "../rt/rt.h"
#include "../rt/io.h"
#include "../bench/iterations.h"

#define MAX_CPUS 16
#define WORDS 8

extern char smp_tramp_start[], smp_tramp_end[], tr_gdt_base[], tr_cr3[];
uint64_t bench_loop(uint64_t n, uint64_t *array);

static volatile uint32_t online;
static volatile uint32_t go;
static volatile uint32_t finished;
static uint32_t iterations;
static uint64_t arrays[MAX_CPUS][WORDS];
static uint64_t checksums[MAX_CPUS];

/* One vCPU's share: the W1 loop on its own array, folded into a checksum. */
static void run_share(uint32_t id) {
  uint64_t *a = arrays[id];
  for (int i = 0; i < WORDS; i++) a[i] = 0x0101010101010101ull * (uint64_t)(i + 1);
  uint64_t sum = bench_loop(iterations, a);
  for (int i = 0; i < WORDS; i++) sum += a[i] * (uint64_t)(i + 1);
  checksums[id] = sum;
}

void ap_main(uint32_t id);
void ap_main(uint32_t id) {
  __atomic_fetch_add(&online, 1, __ATOMIC_SEQ_CST);
  while (!go) __asm__ volatile("pause");
  run_share(id);
  __atomic_fetch_add(&finished, 1, __ATOMIC_SEQ_CST);
  for (;;) __asm__ volatile("cli; hlt");
}

static void send_ipi(uint32_t dest, uint32_t icr) {
  *(volatile uint32_t *)0xFEE00310ul = dest << 24;
  *(volatile uint32_t *)0xFEE00300ul = icr;
}

int kmain(uint32_t magic, uint32_t mbi_addr) {
  const struct multiboot_info *mbi = (const struct multiboot_info *)(uintptr_t)mbi_addr;
  const char *cmdline = magic == 0x2badb002 && (mbi->flags & 4) ? (const char *)(uintptr_t)mbi->cmdline : 0;
  iterations = parse_iterations(cmdline, 1000000);
  outw(0x510, 0x05); /* fw_cfg: CPU count */
  uint32_t ncpus = inb(0x511) | (inb(0x511) << 8);
  if (ncpus < 1 || ncpus > MAX_CPUS) {
    printf("smp-bench: %u vCPUs, at most %d supported\n", ncpus, MAX_CPUS);
    return EXIT_FAIL;
  }
  if (ncpus > 1) {
    *(uint32_t *)0xFEE000F0ul = 0x1FF; /* software-enable the BSP's APIC */
    *(uint32_t *)tr_gdt_base = (uint32_t)(uintptr_t)rt_gdt;
    *(uint32_t *)tr_cr3 = (uint32_t)read_cr3();
    memcpy((void *)0x8000, smp_tramp_start, (size_t)(smp_tramp_end - smp_tramp_start));
    for (uint32_t id = 1; id < ncpus; id++) {
      send_ipi(id, 0x4500); /* INIT */
      send_ipi(id, 0x4608); /* SIPI, vector 8: 0x8000 */
    }
    while (online != ncpus - 1) __asm__ volatile("pause");
  }
  go = 1;
  run_share(0);
  while (finished != ncpus - 1) __asm__ volatile("pause");
  bool same = true;
  for (uint32_t i = 1; i < ncpus; i++) same = same && checksums[i] == checksums[0];
  printf("smp-bench: vcpus=%u iterations=%u loop_instructions=%llu checksum=0x%llx %s\n", ncpus,
         iterations, (unsigned long long)iterations * 34 * ncpus, (unsigned long long)checksums[0],
         same ? "all-equal" : "MISMATCH");
  return same ? EXIT_PASS : EXIT_FAIL;
}

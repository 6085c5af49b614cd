/*
 * Floating-point benchmark guest (gcc -O2, SSE2 scalar and packed double):
 * the fp64 guest's n-body and matrix-multiply kernels repeated N times, N
 * from the command line ("iterations=N", default 10), each result line on
 * the serial console (the last matrix product's only);
 * `bench/peers_compare.ts --fp` times it against other emulators and
 * checks its output against fp_bench_host.c's.
 */
#include "rt.h"
#include "fpwork.h"
#include "sse_on.h"
#include "../bench/iterations.h"

static void out(const char *line) { printf("%s\n", line); }

int kmain(uint32_t magic, uint32_t mbi_addr) {
  const struct multiboot_info *mbi = (const struct multiboot_info *)(uintptr_t)mbi_addr;
  const char *cmdline = magic == 0x2badb002 && (mbi->flags & 4) ? (const char *)(uintptr_t)mbi->cmdline : 0;
  sse_on();
  fp_bench(parse_iterations(cmdline, 10), out);
  return EXIT_PASS;
}

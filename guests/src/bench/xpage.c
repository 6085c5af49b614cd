/*
 * Cross-page MIPS guest: runs xpage_loop (xpage.S, a loop whose callee is
 * on the next code page; 7 instructions per iteration) for N iterations,
 * N from the command line ("iterations=N", default 1000000), and prints
 * the result. Output: "xpage: iterations=N loop_instructions=7N sum=S".
 */
#include "rt.h"
#include "iterations.h"

uint64_t xpage_loop(uint64_t n);

int kmain(uint32_t magic, uint32_t mbi_addr) {
  const struct multiboot_info *mbi = (const struct multiboot_info *)(uintptr_t)mbi_addr;
  const char *cmdline = magic == 0x2badb002 && (mbi->flags & 4) ? (const char *)(uintptr_t)mbi->cmdline : 0;
  uint32_t n = parse_iterations(cmdline, 1000000);
  uint64_t r = xpage_loop(n);
  printf("xpage: iterations=%u loop_instructions=%llu sum=%llu\n", n, (unsigned long long)n * 7,
         (unsigned long long)r);
  return r == (uint64_t)n * 3 ? EXIT_PASS : EXIT_FAIL;
}

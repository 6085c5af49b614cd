/*
 * MIPS benchmark guest: runs bench_loop (loop.S, 34 instructions per
 * iteration) for N iterations, N from the command line ("iterations=N",
 * default 1000000), prints the checksum and exits with status 0.
 * Output: "bench: bits=64 iterations=N loop_instructions=34N checksum=0x...".
 */
#include "rt.h"
#include "iterations.h"

#define WORDS 8
#ifdef __x86_64__
typedef uint64_t word;
#else
typedef uint32_t word;
#endif
word bench_loop(word n, word *array);
static word array[WORDS];

int kmain(uint32_t magic, uint32_t mbi_addr) {
  const struct multiboot_info *mbi = (const struct multiboot_info *)(uintptr_t)mbi_addr;
  const char *cmdline = magic == 0x2badb002 && (mbi->flags & 4) ? (const char *)(uintptr_t)mbi->cmdline : 0;
  uint32_t n = parse_iterations(cmdline, 1000000);
  for (int i = 0; i < WORDS; i++) array[i] = (word)0x0101010101010101ull * (word)(i + 1);
  word r = bench_loop(n, array);
  uint64_t sum = r;
  for (int i = 0; i < WORDS; i++) sum += (uint64_t)array[i] * (uint64_t)(i + 1);
  printf("bench: bits=%d iterations=%u loop_instructions=%llu checksum=0x%llx\n", (int)sizeof(word) * 8, n,
         (unsigned long long)n * 34, (unsigned long long)sum);
  return EXIT_PASS;
}

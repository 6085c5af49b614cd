/* hello: prints a greeting and what the boot loader passed, then exits with status 0. */
#include "rt.h"

int kmain(uint32_t magic, uint32_t mbi_addr) {
  const struct multiboot_info *mbi = (const struct multiboot_info *)(uintptr_t)mbi_addr;
  printf("Hello from a %d-bit nestvm guest!\n", (int)sizeof(void *) * 8);
  if (magic != 0x2badb002) {
    printf("bad multiboot magic 0x%x\n", magic);
    return EXIT_FAIL;
  }
  if (mbi->flags & (1u << 9)) printf("boot loader: %s\n", (const char *)(uintptr_t)mbi->boot_loader_name);
  if (mbi->flags & (1u << 2)) printf("command line: \"%s\"\n", (const char *)(uintptr_t)mbi->cmdline);
  if (mbi->flags & 1u) printf("memory: %u KiB low, %u KiB high\n", mbi->mem_lower, mbi->mem_upper);
  if (mbi->flags & (1u << 3)) printf("modules: %u\n", mbi->mods_count);
  printf("Goodbye.\n");
  return EXIT_PASS;
}

/* Runtime start-up, exit through isa-debug-exit, TSS, page allocator, libc bits. */
#include "rt.h"
#include "io.h"

#define DEBUG_EXIT_PORT 0xf4

#ifdef __x86_64__
uint8_t rt_tss[104] __attribute__((aligned(16)));
#else
uint8_t rt_tss[104] __attribute__((aligned(16)));
#endif
static uint8_t rt_ist_stack[8192] __attribute__((aligned(16)));
/* Stack for interrupts and exceptions taken at CPL3 (must not be the kernel stack in use). */
static uint8_t rt_ring0_stack[16384] __attribute__((aligned(16)));

static void tss_init(void) {
  uintptr_t base = (uintptr_t)rt_tss;
  uint32_t limit = sizeof(rt_tss) - 1;
  uint32_t *d = (uint32_t *)&rt_gdt[SEL_TSS / 8];
  d[0] = (limit & 0xffff) | ((uint32_t)(base & 0xffff) << 16);
  d[1] = ((base >> 16) & 0xff) | (0x89u << 8) | (limit & 0xf0000) | ((uint32_t)base & 0xff000000u);
#ifdef __x86_64__
  d[2] = (uint32_t)(base >> 32);
  d[3] = 0;
  *(uint64_t *)(rt_tss + 4) = (uint64_t)(uintptr_t)(rt_ring0_stack + sizeof rt_ring0_stack); /* RSP0 */
  *(uint64_t *)(rt_tss + 0x24) = (uint64_t)(uintptr_t)(rt_ist_stack + sizeof rt_ist_stack); /* IST1 */
  *(uint16_t *)(rt_tss + 0x66) = sizeof(rt_tss);                          /* no I/O bitmap */
#else
  *(uint32_t *)(rt_tss + 4) = (uint32_t)(uintptr_t)(rt_ring0_stack + sizeof rt_ring0_stack); /* ESP0 */
  *(uint32_t *)(rt_tss + 8) = SEL_KDATA;                                  /* SS0 */
  *(uint16_t *)(rt_tss + 0x66) = sizeof(rt_tss);
  (void)rt_ist_stack;
#endif
  __asm__ volatile("ltr %w0" ::"r"(SEL_TSS));
}

void rt_init(void) {
  serial_init();
  tss_init();
  idt_init();
}

void rt_start(uint32_t magic, uint32_t mbi);
void rt_start(uint32_t magic, uint32_t mbi) {
  rt_init();
  rt_exit(kmain(magic, mbi));
}

void rt_exit(int status) {
  cli();
  outl(DEBUG_EXIT_PORT, (uint32_t)status);
  for (;;) __asm__ volatile("cli; hlt");
}

/* ---- pages ---- */
#define POOL_PAGES 96
static uint8_t page_pool[POOL_PAGES][4096] __attribute__((aligned(4096)));
static int pages_used;

void *alloc_page(void) {
  if (pages_used >= POOL_PAGES) {
    printf("Bail out! page pool exhausted\n");
    rt_exit(EXIT_FAIL);
  }
  void *p = page_pool[pages_used++];
  memset(p, 0, 4096);
  return p;
}

/* ---- libc ---- */
void *memset(void *d, int c, size_t n) {
  uint8_t *p = d;
  while (n--) *p++ = (uint8_t)c;
  return d;
}
void *memcpy(void *d, const void *s, size_t n) {
  uint8_t *p = d;
  const uint8_t *q = s;
  while (n--) *p++ = *q++;
  return d;
}
void *memmove(void *d, const void *s, size_t n) {
  uint8_t *p = d;
  const uint8_t *q = s;
  if (p < q) {
    while (n--) *p++ = *q++;
  } else {
    while (n--) p[n] = q[n];
  }
  return d;
}
int memcmp(const void *a, const void *b, size_t n) {
  const uint8_t *p = a, *q = b;
  for (; n; n--, p++, q++)
    if (*p != *q) return *p < *q ? -1 : 1;
  return 0;
}
size_t strlen(const char *s) {
  size_t n = 0;
  while (s[n]) n++;
  return n;
}
int strcmp(const char *a, const char *b) {
  while (*a && *a == *b) a++, b++;
  return (uint8_t)*a - (uint8_t)*b;
}

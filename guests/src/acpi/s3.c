/*
 * ACPI S3 guest: finds the FADT, FACS and DSDT from the RSDP as an OS does,
 * reads the \_S3 sleep type from the DSDT's AML, then suspends to RAM three
 * times, each time woken by the RTC alarm (RTC_EN in PM1_EN, AIE in RTC
 * register B; armed right after an update-ended interrupt, waited for in
 * HLT) and resumed through another waking vector of the FACS:
 * Firmware_Waking_Vector (real mode), X_Firmware_Waking_Vector (32-bit
 * protected mode) and X_Firmware_Waking_Vector with 64BIT_WAKE_F (long
 * mode). After each resume it checks the state the firmware handed over,
 * WAK_STS and RTC_STS, the RTC's alarm flag, that RAM kept its contents
 * and that the TSC restarted (the CPU was powered off).
 */
#include "../rt/rt.h"
#include "../rt/io.h"

#define RTC_EN (1u << 10)
#define RTC_STS (1u << 10)
#define WAK_STS (1u << 15)
#define SLP_EN (1u << 13)

#define TRAMPOLINE 0x7000u /* real-mode waking vector: CS 0x0700, IP 0 */

extern char wake_rm_start[], wake_rm_end[], wake_rm_gdt_base[], wake_rm_cr3[], wake_rm_target[];
extern char wake_rm_cs[], wake_rm_ds[], wake_rm_flags[], wake_rm_cr0[];
extern char wake32[], wake64[], wake_rm_long[];
extern uint64_t rt_pml4[];
extern volatile uint32_t s3_after, wake_entry, wake_flags, wake_cr0;
extern volatile uint16_t wake_cs;
extern volatile uint64_t wake_cr3;
int s3_suspend(uint32_t port, uint32_t value);

struct __attribute__((packed)) facs {
  char signature[4];
  uint32_t length, hardware_signature, waking_vector, global_lock, flags;
  uint64_t x_waking_vector;
  uint8_t version, reserved[3];
  uint32_t ospm_flags;
};

static struct facs *facs;
static uint32_t pm1_evt, pm1_cnt;
static int slp_typ = -1;

static uint8_t sum(const void *p, uint32_t n) {
  uint8_t s = 0;
  for (uint32_t i = 0; i < n; i++) s += ((const uint8_t *)p)[i];
  return s;
}

static const uint8_t *table(uint32_t addr, const char *sig) {
  const uint8_t *t = (const uint8_t *)(uintptr_t)addr;
  if (addr == 0 || memcmp(t, sig, 4) != 0) return 0;
  return sum(t, *(const uint32_t *)(t + 4)) == 0 ? t : 0;
}

/* The first element of Name(\_Sx, Package(){...}) in the AML: the PM1a SLP_TYP. */
static int sleep_type(const uint8_t *dsdt, const char *name) {
  uint32_t len = *(const uint32_t *)(dsdt + 4);
  for (uint32_t i = 36; i + 10 < len; i++) {
    if (dsdt[i] != 0x08 || memcmp(dsdt + i + 1, name, 4) != 0 || dsdt[i + 5] != 0x12) continue;
    const uint8_t *p = dsdt + i + 6;
    p += 1 + (*p >> 6); /* PkgLength */
    p++;                /* NumElements */
    if (*p == 0x0a) return p[1];
    if (*p == 0x00 || *p == 0x01) return *p;
    return -1;
  }
  return -1;
}

static bool find_tables(void) {
  const uint8_t *rsdp = 0;
  for (uintptr_t a = 0xe0000; a < 0x100000; a += 16) {
    if (memcmp((const void *)a, "RSD PTR ", 8) == 0 && sum((const void *)a, 20) == 0) {
      rsdp = (const uint8_t *)a;
      break;
    }
  }
  if (rsdp == 0) return false;
  const uint8_t *rsdt = table(*(const uint32_t *)(rsdp + 16), "RSDT");
  if (rsdt == 0) return false;
  const uint8_t *fadt = 0;
  for (uint32_t o = 36; o < *(const uint32_t *)(rsdt + 4); o += 4) {
    fadt = table(*(const uint32_t *)(rsdt + o), "FACP");
    if (fadt) break;
  }
  if (fadt == 0) return false;
  facs = (struct facs *)(uintptr_t) * (const uint32_t *)(fadt + 36);
  pm1_evt = *(const uint32_t *)(fadt + 56);
  pm1_cnt = *(const uint32_t *)(fadt + 64);
  const uint8_t *dsdt = table(*(const uint32_t *)(fadt + 40), "DSDT");
  if (dsdt == 0 || memcmp(facs->signature, "FACS", 4) != 0) return false;
  slp_typ = sleep_type(dsdt, "_S3_");
  int s5 = sleep_type(dsdt, "_S5_");
  diag("FADT at %p, FACS at %p, PM1a_EVT 0x%x, PM1a_CNT 0x%x, \\_S3 %d, \\_S5 %d", (void *)fadt,
       (void *)facs, pm1_evt, pm1_cnt, slp_typ, s5);
  return s5 >= 0;
}

static uint8_t cmos(uint8_t reg) {
  outb(0x70, reg);
  return inb(0x71);
}

static void cmos_write(uint8_t reg, uint8_t v) {
  outb(0x70, reg);
  outb(0x71, v);
}

static volatile unsigned rtc_updates;

/* IRQ 8 (the 8259 pair at vectors 0x20/0x28): count update-ended interrupts. */
static void rtc_irq(struct irq_frame *f) {
  (void)f;
  if (cmos(0x0c) & 0x10) rtc_updates++;
  outb(0xa0, 0x20);
  outb(0x20, 0x20);
}

/* Sleep in HLT until the RTC's next update-ended interrupt: a whole second lies ahead then. */
static void wait_for_rtc_update(void) {
  static const uint8_t icw[2][4] = {{0x11, 0x20, 0x04, 0x01}, {0x11, 0x28, 0x02, 0x01}};
  for (int c = 0; c < 2; c++) {
    uint16_t port = c ? 0xa0 : 0x20;
    outb(port, icw[c][0]);
    for (int i = 1; i < 4; i++) outb(port + 1, icw[c][i]);
  }
  outb(0x21, 0xfb); /* only the cascade */
  outb(0xa1, 0xfe); /* and IRQ 8 */
  cmos(0x0c);
  cmos_write(0x0b, cmos(0x0b) | 0x10); /* UIE */
  unsigned seen = rtc_updates;
  while (rtc_updates == seen) sti_hlt();
  cli();
  cmos_write(0x0b, cmos(0x0b) & ~0x10);
  outb(0x21, 0xff);
  outb(0xa1, 0xff);
}

/* An alarm every second: the next update (a second away) wakes the machine. */
static void arm_rtc_alarm(void) {
  wait_for_rtc_update();
  cmos(0x0c); /* clear pending flags (and the IRQ 8 line) */
  cmos_write(0x01, 0xc0);
  cmos_write(0x03, 0xc0);
  cmos_write(0x05, 0xc0);
  cmos_write(0x0b, cmos(0x0b) | 0x20); /* AIE */
}

static uint32_t pattern[4096];
static volatile uint32_t data_word = 0x600dda7a; /* in .data: rewritten before each sleep */

static uint32_t fill(uint32_t seed) {
  uint32_t x = seed, s = 0;
  for (int i = 0; i < 4096; i++) {
    x ^= x << 13, x ^= x >> 17, x ^= x << 5;
    pattern[i] = x;
    s += x;
  }
  return s;
}

static uint32_t checksum(void) {
  uint32_t s = 0;
  for (int i = 0; i < 4096; i++) s += pattern[i];
  return s;
}

enum mode { REAL = 1, PROT32 = 2, LONG64 = 3 };
static const char *const names[] = {"", "real-mode vector", "32-bit X vector", "64-bit X vector"};

static void cycle(enum mode m) {
  const char *n = names[m];
  facs->waking_vector = m == REAL ? TRAMPOLINE : 0;
  facs->x_waking_vector = m == PROT32 ? (uintptr_t)wake32 : m == LONG64 ? (uintptr_t)wake64 : 0;
  facs->ospm_flags = m == LONG64 ? 1 : 0; /* 64BIT_WAKE_F */
  wake_entry = 0;
  s3_after = 0;
  uint32_t sum_before = fill(0x9e3779b9u * (uint32_t)m);
  data_word = sum_before;
  arm_rtc_alarm();
  outw(pm1_evt, 0xffff); /* clear every status bit (the update interrupt set RTC_STS) */
  outw(pm1_evt + 2, RTC_EN);
  uint64_t tsc_before = rdtsc();
  int r = s3_suspend(pm1_cnt, ((uint32_t)slp_typ << 10) | SLP_EN);
  serial_init(); /* the UART lost its state with main power */
  uint64_t tsc_after = rdtsc();
  ok(r == 1 && wake_entry == (uint32_t)m, "%s: resumed through it (entry %u)", n, wake_entry);
  if (m == REAL) {
    uint16_t cs = *(volatile uint16_t *)(uintptr_t)(TRAMPOLINE + (wake_rm_cs - wake_rm_start));
    uint16_t ds = *(volatile uint16_t *)(uintptr_t)(TRAMPOLINE + (wake_rm_ds - wake_rm_start));
    uint32_t fl = *(volatile uint32_t *)(uintptr_t)(TRAMPOLINE + (wake_rm_flags - wake_rm_start));
    uint32_t c0 = *(volatile uint32_t *)(uintptr_t)(TRAMPOLINE + (wake_rm_cr0 - wake_rm_start));
    ok(cs == TRAMPOLINE >> 4 && ds == 0 && !(fl & 0x200) && !(c0 & 1),
       "%s: real mode at CS 0x%x (DS 0x%x, FLAGS 0x%x, CR0 0x%x)", n, cs, ds, fl, c0);
  } else if (m == PROT32) {
    ok((wake_cr0 & 0x80000001u) == 1 && !(wake_flags & 0x200),
       "%s: protected mode, paging off (CS 0x%x, FLAGS 0x%x, CR0 0x%x)", n, wake_cs, wake_flags,
       wake_cr0);
  } else {
    ok(wake_cr3 != 0 && wake_cr3 != (uintptr_t)rt_pml4 && !(wake_flags & 0x200),
       "%s: long mode on the firmware's page tables (CS 0x%x, FLAGS 0x%x, CR3 0x%lx)", n, wake_cs,
       wake_flags, (unsigned long)wake_cr3);
  }
  uint16_t sts = inw(pm1_evt);
  ok((sts & (WAK_STS | RTC_STS)) == (WAK_STS | RTC_STS), "%s: PM1_STS 0x%x has WAK_STS and RTC_STS", n,
     sts);
  outw(pm1_evt, sts);
  uint8_t c = cmos(0x0c);
  ok(c & 0x20, "%s: the RTC's alarm flag is set (register C 0x%x)", n, c);
  ok(checksum() == sum_before && data_word == sum_before, "%s: RAM kept its contents (.bss and .data)",
     n);
  ok(tsc_after < tsc_before, "%s: the TSC restarted (%lu before the sleep, %lu after)", n,
     (unsigned long)tsc_before, (unsigned long)tsc_after);
  diag("%s: instructions after the SLP_EN write ran: %s", n, s3_after ? "yes" : "no");
}

int kmain(uint32_t magic, uint32_t mbi) {
  (void)magic, (void)mbi;
  plan(21);
  ok(find_tables(), "RSDP, RSDT, FADT, FACS and DSDT found and valid");
  ok(slp_typ >= 0 && slp_typ <= 7, "the DSDT's \\_S3 gives SLP_TYP %d", slp_typ);
  ok(facs && (facs->flags & 2) && facs->version >= 1, "FACS version %d, flags 0x%x (64BIT_WAKE_SUPPORTED_F)",
     facs ? facs->version : -1, facs ? facs->flags : 0);
  if (slp_typ < 0 || facs == 0) done();
  idt_set_handler(0x28, rtc_irq);
  /* The real-mode trampoline: our GDT, page tables and the 64-bit target. */
  *(uint32_t *)wake_rm_gdt_base = (uint32_t)(uintptr_t)rt_gdt;
  *(uint32_t *)wake_rm_cr3 = (uint32_t)(uintptr_t)rt_pml4;
  *(uint32_t *)wake_rm_target = (uint32_t)(uintptr_t)wake_rm_long;
  memcpy((void *)(uintptr_t)TRAMPOLINE, wake_rm_start, (size_t)(wake_rm_end - wake_rm_start));
  cycle(REAL);
  cycle(PROT32);
  cycle(LONG64);
  done();
}

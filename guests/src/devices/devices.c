/*
 * Device guest (64-bit): interrupt-driven tests of the PC devices, TAP.
 *  - PIT channel 0 (mode 2, 1 kHz) through the 8259 PIC: timer interrupts
 *    wake a HLT loop; counter latch read-back.
 *  - LAPIC timer through xAPIC MMIO at 0xFEE00000: periodic and one-shot.
 *  - 16550 UART transmit through THR-empty interrupts on IRQ4.
 */
#include "rt.h"
#include "io.h"
#include "idt.h"

#define PIC1 0x20
#define PIC2 0xa0
#define COM1 0x3f8
#define LAPIC 0xfee00000u

static volatile unsigned pit_ticks, lapic_ticks, uart_irqs, uart_thre_seen;
static const char uart_msg[] = "# uart: this line was sent by THR-empty interrupts\n";
static volatile unsigned uart_pos;

static void pic_init(uint8_t mask1, uint8_t mask2) {
  outb(PIC1, 0x11);
  outb(PIC2, 0x11);
  outb(PIC1 + 1, 0x20); /* vectors 0x20-0x27 */
  outb(PIC2 + 1, 0x28); /* vectors 0x28-0x2f */
  outb(PIC1 + 1, 0x04);
  outb(PIC2 + 1, 0x02);
  outb(PIC1 + 1, 0x01);
  outb(PIC2 + 1, 0x01);
  outb(PIC1 + 1, mask1);
  outb(PIC2 + 1, mask2);
}

static void pit_irq(struct irq_frame *f) {
  pit_ticks++;
  outb(PIC1, 0x20);
}

static uint32_t lapic_read(uint32_t reg) { return mmio_read32(LAPIC + reg); }
static void lapic_write(uint32_t reg, uint32_t v) { mmio_write32(LAPIC + reg, v); }

static void lapic_irq(struct irq_frame *f) {
  lapic_ticks++;
  lapic_write(0xb0, 0);
}

static void uart_irq(struct irq_frame *f) {
  uart_irqs++;
  uint8_t iir = inb(COM1 + 2);
  if ((iir & 0x0f) == 0x02) {
    uart_thre_seen++;
    if (uart_msg[uart_pos]) outb(COM1, (uint8_t)uart_msg[uart_pos++]);
    else outb(COM1 + 1, 0x00); /* all sent: THRE interrupt off */
  }
  outb(PIC1, 0x20);
}

static void pit_tests(void) {
  idt_set_handler(0x20, pit_irq);
  pic_init(0xfe, 0xff);
  outb(0x43, 0x34); /* channel 0, lobyte/hibyte, mode 2 */
  outb(0x40, 1193 & 0xff);
  outb(0x40, 1193 >> 8);
  unsigned halts = 0;
  while (pit_ticks < 10 && halts < 1000) {
    sti_hlt();
    halts++;
  }
  cli();
  ok(pit_ticks >= 10, "PIT+PIC: 10 timer interrupts woke the HLT loop (%u ticks)", pit_ticks);
  ok(halts <= pit_ticks + 1, "PIT+PIC: every HLT was ended by an interrupt (%u halts)", halts);
  outb(0x43, 0x00); /* latch channel 0 */
  unsigned lo = inb(0x40), hi = inb(0x40);
  unsigned count = lo | (hi << 8);
  ok(count <= 1193, "PIT: latched count %u is within the reload value", count);
  outb(PIC1 + 1, 0xff);
  unsigned before = pit_ticks;
  for (volatile int i = 0; i < 20000; i++) {
  }
  ok(pit_ticks == before, "PIC: a masked IRQ0 is not delivered");
}

static void lapic_tests(void) {
  uint64_t base = rdmsr(MSR_IA32_APIC_BASE);
  ok((base & 0xfffff000u) == LAPIC && (base & (1u << 11)), "IA32_APIC_BASE: enabled at 0xfee00000 (0x%lx)",
     (unsigned long)base);
  ok((lapic_read(0x30) & 0xff) >= 0x10, "LAPIC version register: integrated APIC (0x%x)", lapic_read(0x30));
  idt_set_handler(0x30, lapic_irq);
  lapic_write(0xf0, 0x1ff); /* software enable, spurious vector 0xff */
  lapic_write(0x80, 0);     /* TPR */
  lapic_write(0x3e0, 0xb);  /* divide by 1 */
  lapic_write(0x320, 0x30 | (1u << 16)); /* one-shot, masked: a long count to watch */
  lapic_write(0x380, 0x7fffffff);
  uint32_t c1 = lapic_read(0x390);
  for (volatile int i = 0; i < 1000; i++) {
  }
  uint32_t c2 = lapic_read(0x390);
  ok(c2 < c1 && c1 <= 0x7fffffff, "LAPIC timer current count decreases (%u -> %u)", c1, c2);
  lapic_write(0x380, 0); /* stop */
  lapic_write(0x320, 0x30 | (1u << 17)); /* periodic, vector 0x30 */
  lapic_write(0x380, 100000);
  unsigned halts = 0;
  while (lapic_ticks < 5 && halts < 1000) {
    sti_hlt();
    halts++;
  }
  cli();
  ok(lapic_ticks >= 5, "LAPIC periodic timer: 5 interrupts woke the HLT loop (%u)", lapic_ticks);
  lapic_write(0x320, 0x30); /* one-shot */
  lapic_write(0x380, 20000);
  unsigned before = lapic_ticks;
  halts = 0;
  while (lapic_ticks == before && halts < 100) {
    sti_hlt();
    halts++;
  }
  cli();
  ok(lapic_ticks == before + 1, "LAPIC one-shot timer fires once");
  ok(lapic_read(0x390) == 0, "LAPIC one-shot timer stops at 0");
  lapic_write(0x320, 0x30 | (1u << 16)); /* masked */
}

static void uart_tests(void) {
  idt_set_handler(0x24, uart_irq);
  pic_init(0xef, 0xff); /* IRQ4 only */
  outb(COM1 + 4, 0x0b); /* DTR | RTS | OUT2 (gates the IRQ line) */
  uart_pos = 0;
  outb(COM1 + 1, 0x02); /* THR-empty interrupt: fires at once since THR is empty */
  unsigned halts = 0;
  while (uart_msg[uart_pos] && halts < 10000) {
    sti_hlt();
    halts++;
  }
  /* let the last interrupt (THR empty after the final byte) switch IER off */
  for (int i = 0; i < 1000 && inb(COM1 + 1); i++) sti_hlt();
  cli();
  outb(COM1 + 1, 0x00);
  outb(PIC1 + 1, 0xff);
  ok(uart_pos == sizeof uart_msg - 1, "UART: the line was sent byte by byte from the interrupt handler");
  ok(uart_thre_seen >= sizeof uart_msg - 1, "UART: IIR reported THR empty (%u times)", uart_thre_seen);
  ok((inb(COM1 + 2) & 1) == 1, "UART: no interrupt pending after IER=0 (IIR bit 0 set)");
}

int kmain(uint32_t magic, uint32_t mbi) {
  plan(13);
  pit_tests();
  lapic_tests();
  uart_tests();
  (void)magic;
  (void)mbi;
  done();
}

/*
 * COM1 console (16550, polled). Set rt_debugcon to also copy every byte to
 * the 0xE9 debug port (off by default: emulators often send both to stdout).
 */
#include "rt.h"
#include "io.h"

#define COM1 0x3f8
#define LSR_THRE 0x20

bool rt_debugcon;

void serial_init(void) {
  outb(COM1 + 1, 0x00); /* IER: no interrupts */
  outb(COM1 + 3, 0x80); /* LCR: DLAB */
  outb(COM1 + 0, 0x01); /* 115200 baud */
  outb(COM1 + 1, 0x00);
  outb(COM1 + 3, 0x03); /* 8N1 */
  outb(COM1 + 2, 0xc7); /* FIFO on, cleared */
  outb(COM1 + 4, 0x03); /* DTR | RTS */
}

void serial_putc(char c) {
  for (int spins = 0; spins < 100000; spins++)
    if (inb(COM1 + 5) & LSR_THRE) break;
  outb(COM1, (uint8_t)c);
  if (rt_debugcon) outb(0xe9, (uint8_t)c);
}

void serial_puts(const char *s) {
  while (*s) serial_putc(*s++);
}

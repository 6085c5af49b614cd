/*
 * nestvm guest runtime: declarations shared by every guest program.
 *
 * Conventions
 *  - Entry: a Multiboot v1 header and a 32-bit stub (entry64.S switches to
 *    long mode, entry32.S stays in protected mode) call
 *    `int kmain(uint32_t magic, uint32_t mbi)`; its return value becomes the
 *    exit status.
 *  - Console: COM1 (0x3f8), polled; with rt_debugcon set, also port 0xE9.
 *  - Exit: `rt_exit(status)` writes `status` to isa-debug-exit (port 0xf4),
 *    so the emulator (like QEMU) exits with (status << 1) | 1. Status 0 means
 *    "all checks passed" (process exit code 1), 1 means "some failed"
 *    (process exit code 3). If the write returns (no exit device), the CPU
 *    halts with interrupts off.
 *  - TAP: plan(n), ok(cond, fmt, ...), diag(fmt, ...), done() which exits
 *    with 0 when every planned check passed and 1 otherwise.
 */
#ifndef NESTVM_RT_H
#define NESTVM_RT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#include "cpu.h"

#define EXIT_PASS 0
#define EXIT_FAIL 1

/* entry / exit */
int kmain(uint32_t magic, uint32_t mbi);
void rt_init(void);
__attribute__((noreturn)) void rt_exit(int status);

/* serial console */
void serial_init(void);
void serial_putc(char c);
void serial_puts(const char *s);
extern bool rt_debugcon; /* also write console bytes to port 0xE9 */

/* formatted output: %d %i %u %x %X %p %s %c %%, with l/ll/z, width, 0 and - flags */
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* TAP */
void plan(int n);
bool ok(bool cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int tap_failures(void);
__attribute__((noreturn)) void done(void);

/* libc bits gcc may call */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);

/* page allocator: zeroed 4 KiB pages from a static pool */
void *alloc_page(void);

/* interrupts and exceptions */
struct irq_frame;
typedef void (*irq_handler_t)(struct irq_frame *f);
void idt_init(void);
void idt_set_handler(int vector, irq_handler_t h);
void idt_set_gate_dpl(int vector, int dpl);

/* A fault caught by rt_try. */
struct fault_info {
  int vector;
  uint64_t error_code; /* ~0 when the exception pushes none */
  uint64_t rip;
  uint64_t cr2;
  uint16_t cs;
};

/*
 * Run fn(arg). Returns -1 if it returned normally, otherwise the vector of
 * the exception it raised (details in *fi); execution resumes after rt_try
 * with the callee-saved registers and stack of the caller.
 */
typedef void (*try_fn)(void *arg);
int rt_try(try_fn fn, void *arg, struct fault_info *fi);

/*
 * Declare a top-level asm probe `name`: runs `pre`, then `insn` at label
 * `name##_insn` (exported so a test can compare the fault RIP), then
 * `post`, then returns. Arguments arrive per the C ABI.
 */
#define ASM_PROBE(name, pre, insn, post)                                      \
  extern char name##_insn[];                                                  \
  void name(void *arg);                                                       \
  __asm__(".text\n.globl " #name "\n.globl " #name "_insn\n" #name ":\n"      \
          pre "\n" #name "_insn:\n" insn "\n" post "\nret\n")

/* GDT selectors set up by the entry stub (see entry64.S / entry32.S). */
#define SEL_KCODE 0x08
#define SEL_KDATA 0x10
#define SEL_UCODE32 0x18
#define SEL_UDATA 0x20
#define SEL_UCODE64 0x28
#define SEL_TSS 0x30

extern uint64_t rt_gdt[];
extern uint8_t rt_tss[];
extern uint8_t rt_stack_top[];

/* Multiboot info access */
struct multiboot_info {
  uint32_t flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr;
  uint32_t syms[4];
  uint32_t mmap_length, mmap_addr, drives_length, drives_addr, config_table;
  uint32_t boot_loader_name;
};

#endif

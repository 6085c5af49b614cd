/*
 * Shared L1 harness of the issue-8 conformance guests (tests/vmx/vmx_*.c):
 * TAP output with SKIP and TODO directives, one VMCS describing a flat
 * 64-bit L2 that shares L1's page tables, GDT and IDT, and a "run L2 from
 * this RIP and capture what the VM exit reported" primitive.
 *
 * L2 code is written as top-level asm snippets (L2_ASM) that end in VMCALL,
 * so that after L1 handles the exit under test and resumes, the VMCALL exit
 * shows where L2 went on and with which registers (state preserved across
 * VMRESUME).
 */
#ifndef VMX_HARNESS_H
#define VMX_HARNESS_H
#include "vmx.h"
#include "idt.h"
#include "io.h"

/* ---- TAP ---- */
void t_plan(int n);
bool t_ok(bool cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* `n` checks that cannot run: "ok N - # SKIP why". */
void t_skip(int n, const char *why);
/* A check known to fail because of an emulator gap: "[not ]ok N - ... # TODO why" (not a failure). */
bool t_todo(bool cond, const char *why, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
__attribute__((noreturn)) void t_done(void);

/* ---- capabilities ---- */
/* Allowed-1 halves of the (TRUE_) capability MSRs. */
extern uint32_t cap_pin, cap_proc, cap_proc2, cap_exit, cap_entry;
static inline bool can_pin(uint32_t b) { return (cap_pin & b) == b; }
static inline bool can_proc(uint32_t b) { return (cap_proc & b) == b; }
static inline bool can_proc2(uint32_t b) { return (cap_proc & PROC_SECONDARY) && (cap_proc2 & b) == b; }
static inline bool can_exit(uint32_t b) { return (cap_exit & b) == b; }

/* ---- the L2 ---- */
/* L2's general-purpose registers (RSP/RIP/RFLAGS are in the VMCS). */
extern struct guest_regs g;
/* L2's stack; its top is GUEST_RSP at every h_enter. */
extern uint8_t l2_stack[16384];
#define L2_STACK_TOP ((uintptr_t)(l2_stack + sizeof l2_stack))
/* The controls written by h_init (minimum settings, no optional exits). */
extern struct l2_controls base_ctl;

/* What one VMLAUNCH/VMRESUME produced. */
struct xit {
  int fail;       /* 0 after a VM exit, else enum vmx_kind of the VMfail */
  uint32_t error; /* VM-instruction error of a VMfailValid */
  uint32_t reason, len, info, intr, intr_err, idt, idt_err, interruptibility, activity;
  uint64_t qual, gla, gpa, rip, rsp, rflags;
};

/* VMXON, a fresh current VMCS filled by vmcs_setup_l2 with the base controls. */
bool h_init(void);
/* Write VMCS controls: the base settings plus these desired bits (adjusted by the MSRs). */
void h_controls(uint32_t pin, uint32_t proc, uint32_t proc2);
/* Set GUEST_RIP=rip, GUEST_RSP=L2_STACK_TOP, GUEST_RFLAGS=rflags, then enter. */
struct xit h_enter(const void *rip, uint64_t rflags);
/* VMLAUNCH (first time) or VMRESUME of the current VMCS, capturing the exit. */
struct xit h_run(void);
/* Advance GUEST_RIP by the exit-instruction length and resume. */
struct xit h_skip_run(void);
/* Whether the current VMCS has been launched by h_run. */
extern bool h_launched;
/* VMWRITE that reports a failure as a diagnostic. */
void vw(uint64_t field, uint64_t value);

/* Is x a VM exit with this basic reason at this guest RIP? */
static inline bool xit_is(const struct xit *x, uint32_t reason, const void *rip) {
  return x->fail == 0 && x->reason == reason && x->rip == (uintptr_t)rip;
}
/* One-line description of an exit for diagnostics. */
void xit_diag(const char *what, const struct xit *x);

/* Declare top-level asm (an L2 snippet); labels used from C need extern char decls. */
#define L2_ASM(text) __asm__(".text\n" text "\n")
#define L2_LABELS(...) extern char __VA_ARGS__

/* ---- L2 exception/interrupt recording (handlers run in L2 through the shared IDT) ---- */
struct l2_event {
  volatile int count;
  volatile uint64_t vector, error_code, rip, cr2, rflags;
};
extern struct l2_event l2_ev;
/* If nonzero, the recording handler returns there instead of the interrupted RIP. */
extern volatile uintptr_t l2_resume_at;
/* Install the recording handler for a vector. */
void l2_record_vector(int vector);

/* ---- LAPIC ---- */
#define LAPIC_BASE 0xfee00000ul
void lapic_enable(void);
void lapic_eoi(void);
/* Self-IPI with this vector (fixed delivery) or an NMI (vector ignored). */
void lapic_self_ipi(uint8_t vector);
void lapic_self_nmi(void);
#endif

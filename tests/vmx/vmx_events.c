/*
 * VMX conformance guest, part 2 (issue 8 item 2, events): exceptions by
 * the exception bitmap and the #PF error-code mask/match (SDM Vol. 3C
 * 26.2, 25.6.3), external interrupts from the LAPIC with and without
 * "acknowledge interrupt on exit" (28.2.2), NMI exiting, virtual NMIs and
 * NMI-window exiting (26.7.6), interrupt-window exiting (26.7.5), the
 * VMX-preemption timer (26.5.1, 28.3), the monitor trap flag (26.5.2) and
 * a triple fault in L2 (reason 2).
 */
#include "harness.h"

#define X(...) L2_LABELS(__VA_ARGS__)

/* Handler used in L1 and L2 for LAPIC vectors: record, then EOI. */
static struct l2_event irq;
static void irq_record(struct irq_frame *f) {
  irq.count++;
  irq.vector = f->vector;
  irq.rip = f->rip;
  irq.rflags = f->rflags;
  lapic_eoi();
}

static bool at_vmcall(const struct xit *x, const void *rip) {
  bool good = xit_is(x, EXIT_VMCALL, rip);
  if (!good) xit_diag("expected VMCALL", x);
  return good;
}

/* Resume L2 at `rip` (after an exit whose length is undefined, e.g. a hardware exception). */
static struct xit resume_at(const void *rip) {
  vw(GUEST_RIP, (uintptr_t)rip);
  return h_run();
}

/* ---- exceptions ---- */
X(l2_ud[], l2_ud_end[], l2_gp[], l2_gp_x[], l2_gp_end[], l2_pfw[], l2_pfw_x[], l2_pfr[], l2_pfr_x[],
  l2_pfr_end[], l2_bp[], l2_bp_end[], l2_icebp[], l2_icebp_end[], l2_intn[], l2_intn_end[]);
X(l2_tf[], l2_tf_trap[], l2_tf_end[]);
L2_ASM("l2_tf: pushfq\n orq $0x100, (%rsp)\n popfq\n nop\n"
       "l2_tf_trap: nop\n nop\n l2_tf_end: vmcall\n jmp l2_tf_end");
L2_ASM("l2_ud: ud2\n l2_ud_end: vmcall\n jmp l2_ud_end\n"
       "l2_gp: mov $0x50, %eax\n l2_gp_x: mov %eax, %ds\n l2_gp_end: vmcall\n jmp l2_gp_end\n"
       "l2_pfw: movabs $0x140000000, %rax\n l2_pfw_x: movb $1, (%rax)\n"
       "l2_pfr: movabs $0x140000000, %rax\n l2_pfr_x: movb (%rax), %bl\n"
       "l2_pfr_end: vmcall\n jmp l2_pfr_end\n"
       "l2_bp: int3\n l2_bp_end: vmcall\n jmp l2_bp_end\n"
       "l2_icebp: .byte 0xf1\n l2_icebp_end: vmcall\n jmp l2_icebp_end\n"
       "l2_intn: int $0x41\n l2_intn_end: vmcall\n jmp l2_intn_end");

static void test_exceptions(void) {
  h_controls(0, 0, 0);
  vw(EXCEPTION_BITMAP, 1u << 6);
  memset(&g, 0, sizeof g);
  struct xit x = h_enter(l2_ud, 2);
  t_ok(xit_is(&x, EXIT_EXCEPTION_NMI, l2_ud) && x.intr == 0x80000306 && x.idt == 0,
       "#UD with bitmap bit 6: exit 0, interruption info 0x80000306 (got 0x%x), RIP at UD2", x.intr);
  x = resume_at(l2_ud_end);
  t_ok(at_vmcall(&x, l2_ud_end), "#UD: L1 resumed L2 after the UD2");

  vw(EXCEPTION_BITMAP, 1u << 13);
  x = h_enter(l2_gp, 2);
  t_ok(xit_is(&x, EXIT_EXCEPTION_NMI, l2_gp_x) && x.intr == 0x80000b0d && x.intr_err == 0x50,
       "#GP loading selector 0x50 beyond the GDT: intr info 0x80000b0d (0x%x), error code 0x50 (0x%x)",
       x.intr, x.intr_err);
  x = resume_at(l2_gp_end);
  t_ok(at_vmcall(&x, l2_gp_end), "#GP: resumed");

  /* #PF: bitmap bit 14 set, mask = match = W: only write faults exit. */
  l2_record_vector(14);
  vw(EXCEPTION_BITMAP, 1u << 14);
  vw(PF_ERROR_MASK, 2);
  vw(PF_ERROR_MATCH, 2);
  write_cr2(0x1111000);
  x = h_enter(l2_pfw, 2);
  uint64_t cr2 = read_cr2();
  t_ok(xit_is(&x, EXIT_EXCEPTION_NMI, l2_pfw_x) && x.intr == 0x80000b0e && x.intr_err == 2 &&
           x.qual == 0x140000000ull,
       "#PF write (error 2 matches mask/match 2/2): exit, intr info 0x%x, error 0x%x, qualification = "
       "linear address 0x%lx",
       x.intr, x.intr_err, (unsigned long)x.qual);
  /* SDM 27.1: a #PF that causes a VM exit does not load CR2 (L1 delivers it with CR2 if it wants). */
  t_ok(cr2 == 0x1111000, "the #PF exit left CR2 unchanged (0x%lx)", (unsigned long)cr2);
  memset((void *)&l2_ev, 0, sizeof l2_ev);
  l2_resume_at = (uintptr_t)l2_pfr_end;
  x = resume_at(l2_pfr);
  t_ok(at_vmcall(&x, l2_pfr_end) && l2_ev.count == 1 && l2_ev.vector == 14 && l2_ev.error_code == 0 &&
           l2_ev.cr2 == 0x140000000ull && l2_ev.rip == (uintptr_t)l2_pfr_x,
       "#PF read (error 0 does not match): no exit, delivered to L2's handler (vector %lu, error %lu, "
       "CR2 0x%lx)",
       (unsigned long)l2_ev.vector, (unsigned long)l2_ev.error_code, (unsigned long)l2_ev.cr2);
  /* Bit 14 clear: #PF exits when (error & mask) != match. */
  vw(EXCEPTION_BITMAP, 0);
  vw(PF_ERROR_MASK, 0);
  vw(PF_ERROR_MATCH, 1);
  x = h_enter(l2_pfr, 2);
  t_ok(xit_is(&x, EXIT_EXCEPTION_NMI, l2_pfr_x) && x.intr == 0x80000b0e && x.intr_err == 0,
       "#PF with bitmap bit 14 clear and error&mask != match: exits (inverted sense)");
  vw(PF_ERROR_MATCH, 0);
  l2_resume_at = (uintptr_t)l2_pfr_end;
  memset((void *)&l2_ev, 0, sizeof l2_ev);
  x = h_enter(l2_pfr, 2);
  t_ok(at_vmcall(&x, l2_pfr_end) && l2_ev.count == 1,
       "#PF with bitmap bit 14 clear and error&mask == match: no exit, L2 handles it");

  vw(EXCEPTION_BITMAP, 1u << 3);
  x = h_enter(l2_bp, 2);
  t_ok(xit_is(&x, EXIT_EXCEPTION_NMI, l2_bp) && x.intr == 0x80000603 && x.len == 1,
       "INT3: exit 0, interruption info 0x80000603 (software exception, got 0x%x), length 1 (%u)", x.intr,
       x.len);
  x = h_skip_run();
  t_ok(at_vmcall(&x, l2_bp_end), "INT3: resumed past it by the instruction length");

  vw(EXCEPTION_BITMAP, 1u << 1);
  x = h_enter(l2_icebp, 2);
  t_ok(xit_is(&x, EXIT_EXCEPTION_NMI, l2_icebp) && x.intr == 0x80000501 && x.len == 1,
       "INT1 (ICEBP): interruption info 0x80000501 (privileged software exception, got 0x%x), length %u",
       x.intr, x.len);
  x = h_skip_run();
  t_ok(at_vmcall(&x, l2_icebp_end), "INT1: resumed");

  /* Single-step #DB (a trap after the instruction following the POPF that set TF): qualification BS. */
  vw(EXCEPTION_BITMAP, 1u << 1);
  x = h_enter(l2_tf, 2);
  t_ok(xit_is(&x, EXIT_EXCEPTION_NMI, l2_tf_trap) && x.intr == 0x80000301,
       "single-step #DB: exception exit at the instruction after the next one, intr info 0x%x", x.intr);
  /* SDM 28.2.1 (Table 28-1): a #DB exit reports B0-B3/BD/BS in the qualification (DR6 untouched). */
  uint64_t dr6;
  __asm__ volatile("mov %%dr6, %0" : "=r"(dr6));
  t_ok((x.qual & 0x600f) == 0x4000 && !(dr6 & 0x4000),
       "single-step #DB exit: qualification 0x%lx has BS (bit 14); DR6 not written (0x%lx)",
       (unsigned long)x.qual, (unsigned long)dr6);
  vw(GUEST_RFLAGS, vmr(GUEST_RFLAGS) & ~(uint64_t)FLAGS_TF);
  x = h_run();
  t_ok(at_vmcall(&x, l2_tf_end), "single-step: L1 cleared TF and L2 ran on");

  /* INT n is not an exception: it never exits through the bitmap (26.2). */
  l2_record_vector(0x41);
  memset((void *)&l2_ev, 0, sizeof l2_ev);
  vw(EXCEPTION_BITMAP, 0xffffffff);
  x = h_enter(l2_intn, 2);
  t_ok(at_vmcall(&x, l2_intn_end) && l2_ev.count == 1 && l2_ev.vector == 0x41,
       "INT 0x41 with every bitmap bit set: no exit, delivered to L2 (vector 0x%lx)",
       (unsigned long)l2_ev.vector);
  vw(EXCEPTION_BITMAP, 0);
}

/* ---- external interrupts (LAPIC self-IPI) ---- */
X(l2_spin[], l2_ei[], l2_ei_end[]);
L2_ASM("l2_spin: nop\n jmp l2_spin\n"
       "l2_ei: nop\n l2_ei_end: vmcall\n jmp l2_ei_end");

static void test_external(void) {
  if (!can_pin(PIN_EXT_INTR_EXITING)) {
    t_skip(5, "external-interrupt exiting not advertised");
    return;
  }
  lapic_enable();
  idt_set_handler(0x50, irq_record);
  idt_set_handler(0x51, irq_record);
  idt_set_handler(0x52, irq_record);
  /* Without "acknowledge interrupt on exit": the interrupt stays pending for L1. */
  h_controls(PIN_EXT_INTR_EXITING, 0, 0);
  vw(EXIT_CONTROLS, base_ctl.exit & ~EXIT_ACK_INTR);
  lapic_self_ipi(0x50); /* L1 runs with IF=0: stays pending */
  memset(&irq, 0, sizeof irq);
  struct xit x = h_enter(l2_spin, 2);
  t_ok(xit_is(&x, EXIT_EXTERNAL_INTR, l2_spin) && !(x.intr & 0x80000000u) && irq.count == 0,
       "external interrupt with exiting, no ack: exit 1 before L2's first instruction, interruption "
       "info invalid (0x%x)",
       x.intr);
  sti();
  __asm__ volatile("nop; nop");
  cli();
  t_ok(irq.count == 1 && irq.vector == 0x50, "the unacknowledged vector 0x50 is delivered to L1 after STI");
  /* With "acknowledge interrupt on exit": vector in the exit interruption info. */
  if (can_exit(EXIT_ACK_INTR)) {
    vw(EXIT_CONTROLS, base_ctl.exit | EXIT_ACK_INTR);
    lapic_self_ipi(0x51);
    memset(&irq, 0, sizeof irq);
    x = h_enter(l2_spin, 2);
    t_ok(xit_is(&x, EXIT_EXTERNAL_INTR, l2_spin) && x.intr == 0x80000051,
         "external interrupt with acknowledge-on-exit: interruption info 0x80000051 (got 0x%x)", x.intr);
    lapic_eoi();
    sti();
    __asm__ volatile("nop; nop");
    cli();
    t_ok(irq.count == 0, "the acknowledged interrupt is not delivered again to L1");
  } else {
    t_skip(2, "acknowledge interrupt on exit not advertised");
  }
  vw(EXIT_CONTROLS, base_ctl.exit);
  /* Without external-interrupt exiting: L2 takes it through its IDT. */
  h_controls(0, 0, 0);
  lapic_self_ipi(0x52);
  memset(&irq, 0, sizeof irq);
  x = h_enter(l2_ei, 0x202);
  t_ok(at_vmcall(&x, l2_ei_end) && irq.count == 1 && irq.vector == 0x52 && irq.rip == (uintptr_t)l2_ei,
       "without external-interrupt exiting the interrupt goes to L2's IDT (vector 0x%lx at its first "
       "instruction)",
       (unsigned long)irq.vector);
}

/* ---- an interrupt raised by a device (LAPIC timer) while L2 runs ---- */
volatile int l2_timer_irqs;
static void timer_irq(struct irq_frame *f) {
  (void)f;
  l2_timer_irqs++;
  lapic_eoi();
}
X(l2_tick[], l2_tick_loop[], l2_tick_end[], l2_halt[], l2_halt_after[]);
L2_ASM("l2_tick: sti\n"
       "l2_tick_loop: cmpl $0, l2_timer_irqs(%rip)\n je l2_tick_loop\n cli\n"
       "l2_tick_end: vmcall\n jmp l2_tick_end\n"
       "l2_halt: hlt\n l2_halt_after: nop\n vmcall\n jmp l2_halt");

static void lapic_timer_oneshot(uint8_t vector, uint32_t count) {
  mmio_write32(LAPIC_BASE + 0x3e0, 0xb); /* divide by 1 */
  mmio_write32(LAPIC_BASE + 0x320, vector); /* one-shot, unmasked */
  mmio_write32(LAPIC_BASE + 0x380, count);
}

static void test_device_interrupt(void) {
  if (!can_pin(PIN_EXT_INTR_EXITING) || !can_exit(EXIT_ACK_INTR)) {
    t_skip(4, "external-interrupt exiting / acknowledge on exit not advertised");
    return;
  }
  idt_set_handler(0x53, timer_irq);
  /* With exiting and acknowledge: the timer fires while L2 spins. */
  h_controls(PIN_EXT_INTR_EXITING, 0, 0);
  vw(EXIT_CONTROLS, base_ctl.exit | EXIT_ACK_INTR);
  l2_timer_irqs = 0;
  lapic_timer_oneshot(0x53, 20000);
  struct xit x = h_enter(l2_spin, 2);
  t_ok(x.fail == 0 && x.reason == EXIT_EXTERNAL_INTR && x.intr == 0x80000053 &&
           (x.rip == (uintptr_t)l2_spin || x.rip == (uintptr_t)l2_spin + 1) && l2_timer_irqs == 0,
       "LAPIC timer firing while L2 runs: exit 1 inside L2's loop with vector 0x53 acknowledged "
       "(intr 0x%x)",
       x.intr);
  lapic_eoi();
  /* L2 halted without HLT exiting: the interrupt wakes it into an exit; activity state HLT saved. */
  lapic_timer_oneshot(0x53, 20000);
  x = h_enter(l2_halt, 2);
  t_ok(x.fail == 0 && x.reason == EXIT_EXTERNAL_INTR && x.rip == (uintptr_t)l2_halt_after &&
           x.activity == 1,
       "L2 in HLT (no HLT exiting) woken by the timer: exit 1, RIP after HLT, activity state %u (HLT)",
       x.activity);
  lapic_eoi();
  vw(GUEST_ACTIVITY, 0);
  /* Without external-interrupt exiting: L2's own handler takes it (L2 waits with IF=1). */
  h_controls(0, 0, 0);
  vw(EXIT_CONTROLS, base_ctl.exit);
  l2_timer_irqs = 0;
  lapic_timer_oneshot(0x53, 20000);
  x = h_enter(l2_tick, 2);
  t_ok(at_vmcall(&x, l2_tick_end) && l2_timer_irqs == 1,
       "without external-interrupt exiting the timer interrupt is delivered through L2's IDT (%d)",
       l2_timer_irqs);
  t_ok((x.rflags & FLAGS_IF) == 0, "L2 finished with IF clear (RFLAGS 0x%lx)", (unsigned long)x.rflags);
}

/* ---- NMIs ---- */
X(l2_nmi[], l2_nmi_after[], l2_nmi_end[], l2_iret[], l2_iret_x[], l2_iret_after[], l2_iret_end[]);
L2_ASM("l2_nmi: mov $0xfee00310, %eax\n movl $0, (%rax)\n mov $0xfee00300, %eax\n"
       "movl $0x44400, (%rax)\n" /* ICR: self, assert, NMI */
       "l2_nmi_after: nop\n l2_nmi_end: vmcall\n jmp l2_nmi_end\n"
       "l2_iret: mov %rsp, %rax\n push $0x10\n push %rax\n pushfq\n push $0x8\n"
       "lea l2_iret_after(%rip), %rax\n push %rax\n"
       "l2_iret_x: iretq\n"
       "l2_iret_after: nop\n l2_iret_end: vmcall\n jmp l2_iret_end");

/* Clear L1's own blocking by NMI (set by an NMI-caused exit) with an IRET to the next line. */
static void l1_iret(void) {
  __asm__ volatile("mov %%rsp, %%rax\n push $0x10\n push %%rax\n pushfq\n push $0x8\n"
                   "lea 1f(%%rip), %%rax\n push %%rax\n iretq\n 1:" ::: "rax", "memory");
}

static volatile int nmi_count;
static void nmi_record(struct irq_frame *f) {
  (void)f;
  nmi_count++;
}

static void test_nmi(void) {
  if (!can_pin(PIN_NMI_EXITING)) {
    t_skip(6, "NMI exiting not advertised");
    return;
  }
  h_controls(PIN_NMI_EXITING, 0, 0);
  memset(&g, 0, sizeof g);
  struct xit x = h_enter(l2_nmi, 2);
  t_ok(xit_is(&x, EXIT_EXCEPTION_NMI, l2_nmi_after) && x.intr == 0x80000202 &&
           !(x.interruptibility & 8),
       "self-NMI in L2 with NMI exiting: exit 0, interruption info 0x80000202 (got 0x%x), RIP after "
       "the ICR write",
       x.intr);
  /* With "virtual NMIs" 0, an NMI exit leaves NMIs blocked in L1 until it executes IRET. */
  idt_set_handler(2, nmi_record);
  nmi_count = 0;
  lapic_self_nmi();
  __asm__ volatile("nop; nop");
  int before = nmi_count;
  l1_iret();
  __asm__ volatile("nop; nop");
  t_ok(before == 0 && nmi_count == 1,
       "after the NMI exit L1's own NMI stays blocked until L1's IRET (%d before, %d after)", before,
       nmi_count);
  x = h_run();
  t_ok(at_vmcall(&x, l2_nmi_end), "NMI exit: L2 resumed where it was interrupted");
  if (!can_pin(PIN_VIRTUAL_NMIS) || !can_proc(PROC_NMI_WINDOW)) {
    t_skip(3, "virtual NMIs / NMI-window exiting not advertised");
    return;
  }
  h_controls(PIN_NMI_EXITING | PIN_VIRTUAL_NMIS, PROC_NMI_WINDOW, 0);
  x = h_enter(l2_iret, 2);
  t_ok(xit_is(&x, EXIT_NMI_WINDOW, l2_iret) && x.len == 0,
       "NMI-window exiting without virtual-NMI blocking: exit 8 before the first instruction");
  vw(GUEST_INTERRUPTIBILITY, 8);
  x = h_enter(l2_iret, 2);
  t_ok(xit_is(&x, EXIT_NMI_WINDOW, l2_iret_after) && !(x.interruptibility & 8),
       "with virtual-NMI blocking the NMI window opens after L2's IRET (exit at 0x%lx, "
       "interruptibility 0x%x)",
       (unsigned long)x.rip, x.interruptibility);
  h_controls(PIN_NMI_EXITING | PIN_VIRTUAL_NMIS, 0, 0);
  x = h_run();
  t_ok(at_vmcall(&x, l2_iret_end), "NMI window: resumed without NMI-window exiting");
  h_controls(0, 0, 0);
}

/* ---- interrupt window ---- */
X(l2_iw[], l2_iw_sti[], l2_iw_shadow[], l2_iw_open[], l2_iw_end[]);
L2_ASM("l2_iw: nop\n l2_iw_sti: sti\n l2_iw_shadow: nop\n l2_iw_open: nop\n cli\n"
       "l2_iw_end: vmcall\n jmp l2_iw_end");
static void test_intr_window(void) {
  if (!can_proc(PROC_INTR_WINDOW)) {
    t_skip(4, "interrupt-window exiting not advertised");
    return;
  }
  h_controls(0, PROC_INTR_WINDOW, 0);
  struct xit x = h_enter(l2_iw, 2);
  t_ok(xit_is(&x, EXIT_INTR_WINDOW, l2_iw_open) && (x.rflags & FLAGS_IF) && x.interruptibility == 0 &&
           x.len == 0,
       "interrupt-window exiting with IF=0: exit 7 after STI and the instruction in its shadow "
       "(RIP 0x%lx, RFLAGS 0x%lx)",
       (unsigned long)x.rip, (unsigned long)x.rflags);
  x = h_enter(l2_iw_open, 0x202);
  t_ok(xit_is(&x, EXIT_INTR_WINDOW, l2_iw_open), "interrupt-window exiting with IF=1: exit 7 at once");
  /* Blocking by STI loaded from the interruptibility state delays the window by one instruction. */
  vw(GUEST_INTERRUPTIBILITY, 1);
  x = h_enter(l2_iw_shadow, 0x202);
  t_ok(xit_is(&x, EXIT_INTR_WINDOW, l2_iw_open) && x.interruptibility == 0,
       "entry with blocking by STI: the window opens after one L2 instruction (RIP 0x%lx)",
       (unsigned long)x.rip);
  h_controls(0, 0, 0);
  x = h_run();
  t_ok(at_vmcall(&x, l2_iw_end), "interrupt window: resumed");
}

/* ---- VMX-preemption timer ---- */
X(l2_count[], l2_count_end[], l2_inc[]);
L2_ASM("l2_inc: inc %r8\n jmp l2_inc");
L2_ASM("l2_count: inc %r8\n cmp $100, %r8\n jb l2_count\n l2_count_end: vmcall\n jmp l2_count_end");
static void test_preemption(void) {
  if (!can_pin(PIN_PREEMPTION_TIMER)) {
    t_skip(6, "preemption timer not advertised");
    return;
  }
  h_controls(PIN_PREEMPTION_TIMER, 0, 0);
  vw(PREEMPTION_TIMER, 0);
  memset(&g, 0, sizeof g);
  struct xit x = h_enter(l2_count, 2);
  t_ok(xit_is(&x, EXIT_PREEMPTION_TIMER, l2_count) && g.r8 == 0,
       "preemption timer value 0: exit 52 before L2's first instruction");
  vw(PREEMPTION_TIMER, 1);
  g.r8 = 0;
  vw(GUEST_RIP, (uintptr_t)l2_spin);
  x = h_run();
  t_ok(x.fail == 0 && x.reason == EXIT_PREEMPTION_TIMER && x.len == 0,
       "preemption timer value 1 with L2 spinning: exit 52 (reason %u)", x.reason);
  /* A larger timer value lets L2 run longer (the timer counts down with the TSC). */
  uint64_t ran[2];
  for (int i = 0; i < 2; i++) {
    vw(PREEMPTION_TIMER, i == 0 ? 200 : 400);
    g.r8 = 0;
    x = h_enter(l2_inc, 2);
    ran[i] = x.reason == EXIT_PREEMPTION_TIMER ? g.r8 : 0;
  }
  t_ok(ran[0] > 0 && ran[1] > ran[0] + ran[0] / 2,
       "preemption timer 200 vs 400: L2 ran %lu vs %lu loop iterations before exit 52",
       (unsigned long)ran[0], (unsigned long)ran[1]);
  /* Entry in the HLT activity state: the timer still counts and the exit saves HLT. */
  vw(PREEMPTION_TIMER, 50);
  vw(GUEST_ACTIVITY, 1);
  g.r8 = 0;
  x = h_enter(l2_count, 2);
  t_ok(xit_is(&x, EXIT_PREEMPTION_TIMER, l2_count) && x.activity == 1 && g.r8 == 0,
       "entry in HLT activity state: the preemption timer ends it with exit 52, activity HLT saved "
       "(%u), no L2 instruction ran",
       x.activity);
  vw(GUEST_ACTIVITY, 0);
  bool save = can_exit(EXIT_SAVE_PREEMPTION);
  if (save) {
    vw(EXIT_CONTROLS, base_ctl.exit | EXIT_SAVE_PREEMPTION);
    vw(PREEMPTION_TIMER, 3);
    x = resume_at(l2_spin);
    t_ok(x.reason == EXIT_PREEMPTION_TIMER && vmr(PREEMPTION_TIMER) == 0,
         "\"save preemption timer\": the saved value is 0 after a timer exit (%lu)",
         (unsigned long)vmr(PREEMPTION_TIMER));
    vw(PREEMPTION_TIMER, 0x10000000);
    g.r8 = 0;
    x = h_enter(l2_count, 2);
    uint64_t left = vmr(PREEMPTION_TIMER);
    t_ok(at_vmcall(&x, l2_count_end) && left < 0x10000000 && left > 0x10000000 - 0x100000,
         "\"save preemption timer\": after ~300 L2 instructions the saved value counted down a little "
         "(0x%lx)",
         (unsigned long)left);
  } else {
    t_skip(2, "saving the preemption timer not advertised");
  }
  vw(EXIT_CONTROLS, base_ctl.exit);
  h_controls(0, 0, 0);
}

/* ---- monitor trap flag ---- */
X(l2_mtf[], l2_mtf_1[], l2_mtf_2[], l2_mtf_end[]);
L2_ASM("l2_mtf: mov $1, %eax\n l2_mtf_1: mov $2, %eax\n l2_mtf_2: add $3, %eax\n"
       "l2_mtf_end: vmcall\n jmp l2_mtf_end");
X(l2_mtfi[], l2_mtfi_x[], l2_mtfi_end[]);
L2_ASM("l2_mtfi: mov $0xFEE00300, %edx\n l2_mtfi_x: movl $0x40054, (%rdx)\n"
       "l2_mtfi_end: vmcall\n jmp l2_mtfi_end");

/* MTF and an external interrupt due on the same boundary: L2's store to the ICR sends itself
   vector 0x54; the MTF VM exit has priority over the interrupt (SDM Vol. 3C 26.7.2: MTF VM exits
   take priority over debug traps and lower-priority events, NMIs and interrupts among them), which
   exits next with external-interrupt exiting. */
static void test_mtf_before_interrupt(void) {
  if (!can_proc(PROC_MTF) || !can_pin(PIN_EXT_INTR_EXITING) || !can_exit(EXIT_ACK_INTR)) {
    t_skip(2, "MTF, external-interrupt exiting or acknowledge-on-exit not advertised");
    return;
  }
  lapic_enable();
  vw(EXIT_CONTROLS, base_ctl.exit | EXIT_ACK_INTR);
  h_controls(PIN_EXT_INTR_EXITING, PROC_MTF, 0);
  memset(&g, 0, sizeof g);
  struct xit x = h_enter(l2_mtfi, 2);
  bool first = xit_is(&x, EXIT_MTF, l2_mtfi_x);
  x = h_run();
  bool mtf = first && xit_is(&x, EXIT_MTF, l2_mtfi_end);
  if (!mtf) xit_diag("MTF after the ICR write", &x);
  t_ok(mtf, "MTF with a self-IPI pending after the same instruction: exit 37 first (reason %u)",
       x.reason);
  h_controls(PIN_EXT_INTR_EXITING, 0, 0);
  x = h_run();
  bool ext = xit_is(&x, EXIT_EXTERNAL_INTR, l2_mtfi_end) && x.intr == 0x80000054;
  if (!ext) xit_diag("interrupt after the MTF exit", &x);
  t_ok(ext, "then the interrupt exits (exit 1, interruption info 0x%x, want 0x80000054)", x.intr);
  lapic_eoi();
  vw(EXIT_CONTROLS, base_ctl.exit);
  h_controls(0, 0, 0);
}
static void test_mtf(void) {
  if (!can_proc(PROC_MTF)) {
    t_skip(7, "monitor trap flag not advertised");
    return;
  }
  h_controls(0, PROC_MTF, 0);
  memset(&g, 0, sizeof g);
  struct xit x = h_enter(l2_mtf, 2);
  t_ok(xit_is(&x, EXIT_MTF, l2_mtf_1) && g.rax == 1 && x.len == 0,
       "MTF: exit 37 after one L2 instruction (RIP 0x%lx, EAX %lu)", (unsigned long)x.rip,
       (unsigned long)g.rax);
  x = h_run();
  t_ok(xit_is(&x, EXIT_MTF, l2_mtf_2) && g.rax == 2, "MTF: the next VMRESUME runs exactly one more");
  h_controls(0, 0, 0);
  x = h_run();
  t_ok(at_vmcall(&x, l2_mtf_end) && g.rax == 5, "MTF cleared: L2 runs on to its VMCALL (EAX %lu)",
       (unsigned long)g.rax);

  /* MTF and a single-step trap due on the same boundary: the MTF VM exit has priority and the
     exit saves BS in the pending-debug-exceptions field (SDM 26.2, 28.3.4). */
  h_controls(0, PROC_MTF, 0);
  memset(&g, 0, sizeof g);
  vw(GUEST_PENDING_DBG, 0);
  x = h_enter(l2_mtf, 2 | 0x100);
  uint64_t pend = vmr(GUEST_PENDING_DBG);
  t_ok(xit_is(&x, EXIT_MTF, l2_mtf_1) && g.rax == 1 && pend == 0x4000,
       "MTF with RFLAGS.TF: exit 37 before the #DB, RIP after one instruction (0x%lx), pending debug "
       "exceptions 0x%lx (want 0x4000)",
       (unsigned long)x.rip, (unsigned long)pend);
  vw(GUEST_PENDING_DBG, 0);
  vw(GUEST_RFLAGS, 2);
  h_controls(0, 0, 0);
  x = h_run();
  t_ok(at_vmcall(&x, l2_mtf_end) && g.rax == 5, "TF and pending BS cleared by L1: L2 runs to VMCALL");

  /* A fault of the first L2 instruction that L1 does not intercept: the MTF VM exit follows its
     delivery, at the first instruction of L2's handler (SDM 26.5.2). */
  l2_record_vector(6);
  vw(EXCEPTION_BITMAP, 0);
  const uint32_t *gate = (const uint32_t *)(uintptr_t)(vmr(GUEST_IDTR_BASE) + 6 * 16);
  uint64_t handler = (gate[0] & 0xffff) | (gate[1] & 0xffff0000u) | ((uint64_t)gate[2] << 32);
  memset((void *)&l2_ev, 0, sizeof l2_ev);
  h_controls(0, PROC_MTF, 0);
  x = h_enter(l2_ud, 2);
  t_ok(x.fail == 0 && x.reason == EXIT_MTF && x.rip == handler && l2_ev.count == 0,
       "MTF after #UD delivered in L2: exit 37 at the handler's first instruction (0x%lx, want "
       "0x%lx)",
       (unsigned long)x.rip, (unsigned long)handler);
  h_controls(0, 0, 0);
  l2_resume_at = (uintptr_t)l2_ud_end;
  x = h_run();
  t_ok(at_vmcall(&x, l2_ud_end) && l2_ev.count == 1 && l2_ev.vector == 6,
       "then L2's handler ran once for vector 6 and returned to the VMCALL");
  l2_resume_at = 0;
}

/* ---- IDT-vectoring information for L2's own events (SDM 28.2.4) ---- */
X(l2_int60[], l2_int60_end[]);
L2_ASM("l2_int60: int $0x60\n l2_int60_end: vmcall\n jmp l2_int60_end");
static void test_idt_vectoring(void) {
  uint64_t limit = vmr(GUEST_IDTR_LIMIT);
  vw(EXCEPTION_BITMAP, 1u << 13);
  vw(GUEST_IDTR_LIMIT, 0x60 * 16 - 1); /* the gate of vector 0x60 is beyond the limit */
  struct xit x = h_enter(l2_int60, 2);
  bool good = xit_is(&x, EXIT_EXCEPTION_NMI, l2_int60) && x.intr == 0x80000b0d && x.intr_err == 0x302 &&
              x.idt == 0x80000460u;
  if (!good) xit_diag("INT 0x60 delivery", &x);
  t_ok(good, "#GP(0x302) while delivering L2's INT 0x60: IDT-vectoring information 0x80000460 (got 0x%x)",
       x.idt);
  /* SDM 28.2.5: the VM-exit instruction length is saved for exits during delivery of a software
     interrupt, software exception or privileged software exception (IDT-vectoring types 4-6). */
  t_ok(x.len == 2, "exit during delivery of INT 0x60: VM-exit instruction length 2 (got %u)", x.len);
  vw(GUEST_IDTR_LIMIT, 6 * 16 - 1); /* #UD's gate is beyond the limit */
  vw(EXCEPTION_BITMAP, 1u << 13);
  x = h_enter(l2_ud, 2);
  good = xit_is(&x, EXIT_EXCEPTION_NMI, l2_ud) && x.intr == 0x80000b0d && x.intr_err == 0x33 &&
         x.idt == 0x80000306u;
  if (!good) xit_diag("#UD delivery", &x);
  t_ok(good, "#GP(0x33: IDT, EXT) while delivering L2's #UD: IDT-vectoring information 0x80000306 (got 0x%x)",
       x.idt);
  vw(GUEST_IDTR_LIMIT, limit);
  vw(EXCEPTION_BITMAP, 0);
  x = h_enter(l2_ei, 2);
  t_ok(at_vmcall(&x, l2_ei_end) && x.idt == 0,
       "an exit not during event delivery has invalid IDT-vectoring information (0x%x)", x.idt);
}

/* ---- triple fault ---- */
static void test_triple_fault(void) {
  uint64_t limit = vmr(GUEST_IDTR_LIMIT);
  vw(GUEST_IDTR_LIMIT, 0); /* #UD -> #GP -> #DF -> triple fault: no IDT entry is reachable */
  struct xit x = h_enter(l2_ud, 2);
  t_ok(x.fail == 0 && x.reason == EXIT_TRIPLE_FAULT,
       "L2 exception with an empty IDT: triple fault, exit reason 2 (got %u)", x.reason);
  vw(GUEST_IDTR_LIMIT, limit);
  vw(GUEST_ACTIVITY, 0);
  x = h_enter(l2_ei, 2);
  t_ok(at_vmcall(&x, l2_ei_end), "after the triple-fault exit L1 can resume L2 with a good IDT");
}

int kmain(uint32_t magic, uint32_t mbi) {
  t_plan(58);
  if (!t_ok(h_init(), "VMXON and a VMCS for a 64-bit L2")) t_done();
  test_exceptions();
  test_external();
  test_device_interrupt();
  test_nmi();
  test_intr_window();
  test_preemption();
  test_mtf();
  test_mtf_before_interrupt();
  test_idt_vectoring();
  test_triple_fault();
  (void)magic;
  (void)mbi;
  t_done();
}

/*
 * VMX conformance guest, part 2 (issue 8 item 1, event injection): the
 * VM-entry interruption-information field delivers each event type
 * through L2's IDT as if it occurred right after entry (SDM Vol. 3C 27.6):
 * external interrupt (type 0), NMI (2), hardware exception with and
 * without error code (3), software interrupt INT n with the VM-entry
 * instruction length (4), privileged software exception INT1 (5) and
 * software exception INT3 (6). L2's handlers record vector, error code
 * and the pushed return RIP; L2 then VMCALLs and L1 checks. Also: the
 * valid bit is cleared by the next VM exit (28.2), the exception bitmap
 * does not apply to injected events (26.6.1... 27.6.1), injection wakes a
 * guest in the HLT activity state, and an event whose delivery faults is
 * reported in the IDT-vectoring information (28.2.4).
 */
#include "harness.h"

L2_LABELS(l2_call[], l2_sw[], l2_sw_end[], l2_one[], l2_one_end[]);
/* Delivery returns to GUEST_RIP (+ instruction length for software events). */
L2_ASM("l2_call: vmcall\n jmp l2_call\n"
       "l2_sw: int $0x41\n l2_sw_end: vmcall\n jmp l2_sw_end\n"
       "l2_one: nop\n l2_one_end: vmcall\n jmp l2_one_end");

static bool at_vmcall(const struct xit *x, const void *rip) {
  bool good = xit_is(x, EXIT_VMCALL, rip);
  if (!good) xit_diag("expected VMCALL", x);
  return good;
}

/* Inject `info` (+ error code, length) at GUEST_RIP=rip with RFLAGS=rflags; returns the exit. */
static struct xit inject(uint32_t info, uint32_t err, uint32_t len, const void *rip, uint64_t rflags) {
  memset((void *)&l2_ev, 0, sizeof l2_ev);
  vw(ENTRY_INTR_INFO, info);
  vw(ENTRY_EXCEPTION_ERROR, err);
  vw(ENTRY_INSTRUCTION_LEN, len);
  return h_enter(rip, rflags);
}

static bool got(int vector, uint64_t error_code, const void *rip) {
  bool good = l2_ev.count == 1 && l2_ev.vector == (uint64_t)vector && l2_ev.error_code == error_code &&
              l2_ev.rip == (uintptr_t)rip;
  if (!good)
    diag("L2 handler: count %d vector 0x%lx error 0x%lx rip 0x%lx", l2_ev.count,
         (unsigned long)l2_ev.vector, (unsigned long)l2_ev.error_code, (unsigned long)l2_ev.rip);
  return good;
}

#define NO_EC (~0ull)

/* An L2 NMI handler that VMCALLs before its IRET (to look at virtual-NMI blocking). */
static volatile int nmi_in_handler;
static void nmi_vmcall(struct irq_frame *f) {
  (void)f;
  nmi_in_handler++;
  __asm__ volatile("vmcall" ::: "memory");
}

/* Virtual NMIs: an injected NMI blocks virtual NMIs until L2's IRET (SDM 25.3, 27.6.1.2). */
static void test_virtual_nmi_blocking(void) {
  if (!can_pin(PIN_NMI_EXITING | PIN_VIRTUAL_NMIS)) {
    t_skip(2, "virtual NMIs not advertised");
    return;
  }
  h_controls(PIN_NMI_EXITING | PIN_VIRTUAL_NMIS, 0, 0);
  idt_set_handler(2, nmi_vmcall);
  nmi_in_handler = 0;
  struct xit x = inject(0x80000202u, 0, 0, l2_call, 2);
  t_ok(x.fail == 0 && x.reason == EXIT_VMCALL && x.rip != (uintptr_t)l2_call && nmi_in_handler == 1 &&
           (x.interruptibility & 8),
       "injected NMI with virtual NMIs: VMCALL from inside L2's NMI handler saves virtual-NMI "
       "blocking (interruptibility 0x%x)",
       x.interruptibility);
  x = h_skip_run();
  t_ok(at_vmcall(&x, l2_call) && !(x.interruptibility & 8),
       "after the handler's IRET the blocking is gone (interruptibility 0x%x)", x.interruptibility);
  l2_record_vector(2);
  h_controls(0, 0, 0);
}

int kmain(uint32_t magic, uint32_t mbi) {
  t_plan(16);
  if (!t_ok(h_init(), "VMXON and a VMCS for a 64-bit L2")) t_done();
  outb(0x21, 0xff); /* mask the 8259s: L2 runs with IF=1 here */
  outb(0xa1, 0xff);
  for (int v = 0; v < 32; v++) l2_record_vector(v);
  l2_record_vector(0x40);
  l2_record_vector(0x41);
  h_controls(0, 0, 0);

  struct xit x = inject(0x80000040u, 0, 0, l2_call, 0x202);
  t_ok(at_vmcall(&x, l2_call) && got(0x40, NO_EC, l2_call) && (l2_ev.rflags & FLAGS_IF),
       "external interrupt 0x40 injected: L2's handler ran, return RIP = GUEST_RIP, pushed IF=1");
  t_ok(!(vmr(ENTRY_INTR_INFO) & 0x80000000u), "the VM exit cleared the valid bit of the VM-entry "
                                              "interruption information (0x%lx)",
       (unsigned long)vmr(ENTRY_INTR_INFO));

  x = inject(0x80000202u, 0, 0, l2_call, 2);
  t_ok(at_vmcall(&x, l2_call) && got(2, NO_EC, l2_call) && !(x.interruptibility & 8),
       "NMI injected: vector 2 handler ran; its IRET left no NMI blocking (interruptibility 0x%x)",
       x.interruptibility);

  x = inject(0x80000b0du, 0x1234, 0, l2_call, 2);
  t_ok(at_vmcall(&x, l2_call) && got(13, 0x1234, l2_call),
       "#GP with error code 0x1234 injected: the handler saw vector 13 and the pushed error code");

  vw(EXCEPTION_BITMAP, 0xffffffff);
  x = inject(0x80000300u, 0, 0, l2_call, 2);
  t_ok(at_vmcall(&x, l2_call) && got(0, NO_EC, l2_call),
       "#DE injected with every exception-bitmap bit set: delivered to L2, no exception exit");
  vw(EXCEPTION_BITMAP, 0);

  x = inject(0x80000441u, 0, 2, l2_sw, 2);
  t_ok(at_vmcall(&x, l2_sw_end) && got(0x41, NO_EC, l2_sw_end),
       "software interrupt INT 0x41 injected with length 2: handler's return RIP = GUEST_RIP + 2");

  x = inject(0x80000603u, 0, 1, l2_one, 2);
  t_ok(at_vmcall(&x, l2_one_end) && got(3, NO_EC, l2_one_end),
       "software exception INT3 injected with length 1: vector 3, return RIP = GUEST_RIP + 1");

  x = inject(0x80000501u, 0, 1, l2_one, 2);
  t_ok(at_vmcall(&x, l2_one_end) && got(1, NO_EC, l2_one_end),
       "privileged software exception INT1 injected with length 1: vector 1, return RIP = GUEST_RIP + 1");

  l2_record_vector(0x84);
  x = inject(0x80000484u, 0, 2, l2_sw, 2);
  t_ok(at_vmcall(&x, l2_sw_end) && got(0x84, NO_EC, l2_sw_end),
       "software interrupt INT 0x84 (a vector >= 0x80) injected");

  /* Injection wakes a guest whose activity state is HLT (27.6.1). */
  vw(GUEST_ACTIVITY, 1);
  x = inject(0x80000040u, 0, 0, l2_call, 0x202);
  t_ok(at_vmcall(&x, l2_call) && got(0x40, NO_EC, l2_call) && x.activity == 0,
       "external interrupt injected into a guest in HLT state: delivered, L2 active again");
  vw(GUEST_ACTIVITY, 0);

  /* Delivery that faults: IDT limit below vector 0x40's gate -> #GP(0x203: IDT bit and EXT, SDM 6.13), exiting by bitmap. */
  uint64_t limit = vmr(GUEST_IDTR_LIMIT);
  vw(GUEST_IDTR_LIMIT, 0x40 * 16 - 1);
  vw(EXCEPTION_BITMAP, 1u << 13);
  x = inject(0x80000040u, 0, 0, l2_call, 0x202);
  t_ok(x.fail == 0 && x.reason == EXIT_EXCEPTION_NMI && x.intr == 0x80000b0d && x.intr_err == 0x203 &&
           x.idt == 0x80000040u && x.rip == (uintptr_t)l2_call,
       "injected vector 0x40 beyond the IDT limit: #GP(0x203) exit (intr 0x%x err 0x%x) with "
       "IDT-vectoring information 0x%x",
       x.intr, x.intr_err, x.idt);
  vw(GUEST_IDTR_LIMIT, limit);
  vw(EXCEPTION_BITMAP, 0);
  /* L1 re-injects the event from the IDT-vectoring information (the usual hypervisor move). */
  x = inject(x.idt, 0, 0, l2_call, 0x202);
  t_ok(at_vmcall(&x, l2_call) && got(0x40, NO_EC, l2_call),
       "re-injecting the IDT-vectoring event with a good IDT delivers it");
  x = inject(0, 0, 0, l2_call, 2);
  t_ok(at_vmcall(&x, l2_call) && l2_ev.count == 0,
       "no injection when the valid bit is clear: L2's handlers did not run");
  test_virtual_nmi_blocking();
  (void)magic;
  (void)mbi;
  t_done();
}

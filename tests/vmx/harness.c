/* Shared L1 harness of the issue-8 conformance guests (see harness.h). */
#include "harness.h"

/* ---- TAP ---- */
static int planned = -1, count, failures, todos;

void t_plan(int n) {
  planned = n;
  printf("1..%d\n", n);
}

static void line(bool cond, const char *directive, const char *fmt, va_list ap) {
  char buf[320];
  vsnprintf(buf, sizeof buf, fmt, ap);
  count++;
  printf("%sok %d - %s%s\n", cond ? "" : "not ", count, buf, directive);
}

bool t_ok(bool cond, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  line(cond, "", fmt, ap);
  va_end(ap);
  if (!cond) failures++;
  return cond;
}

void t_skip(int n, const char *why) {
  for (int i = 0; i < n; i++) printf("ok %d - # SKIP %s\n", ++count, why);
}

bool t_todo(bool cond, const char *why, const char *fmt, ...) {
  char directive[160];
  snprintf(directive, sizeof directive, " # TODO %s", why);
  va_list ap;
  va_start(ap, fmt);
  line(cond, directive, fmt, ap);
  va_end(ap);
  todos++;
  return cond;
}

void t_done(void) {
  bool mismatch = planned != count;
  if (planned < 0) printf("1..%d\n", count);
  if (mismatch && planned >= 0) printf("# planned %d checks but ran %d\n", planned, count);
  if (failures) printf("# %d of %d checks failed\n", failures, count);
  if (todos) printf("# %d TODO checks\n", todos);
  rt_exit(failures || (mismatch && planned >= 0) ? EXIT_FAIL : EXIT_PASS);
}

/* ---- capabilities and the VMCS ---- */
uint32_t cap_pin, cap_proc, cap_proc2, cap_exit, cap_entry;
struct guest_regs g;
struct l2_controls base_ctl;
bool h_launched;
uint8_t l2_stack[16384] __attribute__((aligned(16)));

void vw(uint64_t field, uint64_t value) {
  struct vmx_result r = vmwrite(field, value);
  if (r.kind != VMX_OK)
    diag("VMWRITE 0x%lx <- 0x%lx failed (kind %d error %u)", (unsigned long)field,
         (unsigned long)value, r.kind, r.error);
}

static void l2_unused(void) { for (;;) __asm__ volatile("vmcall"); }

bool h_init(void) {
  if (!vmx_enable()) return false;
  bool t = vmx_has_true_ctls();
  cap_pin = (uint32_t)(rdmsr(t ? MSR_VMX_TRUE_PINBASED_CTLS : MSR_VMX_PINBASED_CTLS) >> 32);
  cap_proc = (uint32_t)(rdmsr(t ? MSR_VMX_TRUE_PROCBASED_CTLS : MSR_VMX_PROCBASED_CTLS) >> 32);
  cap_proc2 = cap_proc & PROC_SECONDARY ? (uint32_t)(rdmsr(MSR_VMX_PROCBASED_CTLS2) >> 32) : 0;
  cap_exit = (uint32_t)(rdmsr(t ? MSR_VMX_TRUE_EXIT_CTLS : MSR_VMX_EXIT_CTLS) >> 32);
  cap_entry = (uint32_t)(rdmsr(t ? MSR_VMX_TRUE_ENTRY_CTLS : MSR_VMX_ENTRY_CTLS) >> 32);
  void *on = vmx_alloc_region();
  if (vmxon((uintptr_t)on).kind != VMX_OK) return false;
  void *vmcs = vmx_alloc_region();
  if (vmclear((uintptr_t)vmcs).kind != VMX_OK) return false;
  if (vmptrld((uintptr_t)vmcs).kind != VMX_OK) return false;
  struct l2_config cfg = {.entry = l2_unused, .stack_top = (void *)L2_STACK_TOP};
  h_launched = false;
  return vmcs_setup_l2(&cfg, &base_ctl);
}

void h_controls(uint32_t pin, uint32_t proc, uint32_t proc2) {
  bool t = vmx_has_true_ctls();
  uint32_t p = vmx_adjust_controls(base_ctl.proc | proc | (proc2 ? PROC_SECONDARY : 0),
                                   t ? MSR_VMX_TRUE_PROCBASED_CTLS : MSR_VMX_PROCBASED_CTLS);
  vw(PIN_CONTROLS, vmx_adjust_controls(base_ctl.pin | pin,
                                       t ? MSR_VMX_TRUE_PINBASED_CTLS : MSR_VMX_PINBASED_CTLS));
  vw(PROC_CONTROLS, p);
  if (p & PROC_SECONDARY)
    vw(PROC_CONTROLS2, vmx_adjust_controls(base_ctl.proc2 | proc2, MSR_VMX_PROCBASED_CTLS2));
}

struct xit h_run(void) {
  struct xit x;
  memset(&x, 0, sizeof x);
  struct vmx_result r = vmx_run(&g, h_launched);
  if (r.kind != VMX_OK) {
    x.fail = r.kind;
    x.error = r.error;
    return x;
  }
  x.reason = (uint32_t)vmr(EXIT_REASON);
  if (!(x.reason & 0x80000000u)) h_launched = true;
  x.qual = vmr(EXIT_QUALIFICATION);
  x.len = (uint32_t)vmr(EXIT_INSTRUCTION_LEN);
  x.info = (uint32_t)vmr(EXIT_INSTRUCTION_INFO);
  x.intr = (uint32_t)vmr(EXIT_INTR_INFO);
  x.intr_err = (uint32_t)vmr(EXIT_INTR_ERROR);
  x.idt = (uint32_t)vmr(IDT_VECTORING_INFO);
  x.idt_err = (uint32_t)vmr(IDT_VECTORING_ERROR);
  x.gla = vmr(GUEST_LINEAR_ADDRESS);
  x.gpa = vmr(GUEST_PHYSICAL_ADDRESS);
  x.rip = vmr(GUEST_RIP);
  x.rsp = vmr(GUEST_RSP);
  x.rflags = vmr(GUEST_RFLAGS);
  x.interruptibility = (uint32_t)vmr(GUEST_INTERRUPTIBILITY);
  x.activity = (uint32_t)vmr(GUEST_ACTIVITY);
  return x;
}

struct xit h_enter(const void *rip, uint64_t rflags) {
  vw(GUEST_RIP, (uintptr_t)rip);
  vw(GUEST_RSP, L2_STACK_TOP);
  vw(GUEST_RFLAGS, rflags);
  return h_run();
}

struct xit h_skip_run(void) {
  vmx_skip_instruction();
  return h_run();
}

void xit_diag(const char *what, const struct xit *x) {
  if (x->fail) {
    diag("%s: VMfail kind %d error %u", what, x->fail, x->error);
    return;
  }
  diag("%s: reason 0x%x (%s) qual 0x%lx len %u info 0x%x intr 0x%x/0x%x idt 0x%x rip 0x%lx gla 0x%lx gpa 0x%lx",
       what, x->reason, exit_reason_name(x->reason & 0xffff), (unsigned long)x->qual, x->len, x->info,
       x->intr, x->intr_err, x->idt, (unsigned long)x->rip, (unsigned long)x->gla,
       (unsigned long)x->gpa);
}

/* ---- L2 event recording ---- */
struct l2_event l2_ev;
volatile uintptr_t l2_resume_at;

static void record(struct irq_frame *f) {
  l2_ev.count++;
  l2_ev.vector = f->vector;
  l2_ev.error_code = f->error_code;
  l2_ev.rip = f->rip;
  l2_ev.cr2 = read_cr2();
  l2_ev.rflags = f->rflags;
  if (l2_resume_at) {
    f->rip = l2_resume_at;
    l2_resume_at = 0;
  }
}

void l2_record_vector(int vector) { idt_set_handler(vector, record); }

/* ---- LAPIC (xAPIC MMIO, identity-mapped by the entry stub's page tables) ---- */
static inline void lapic_w(unsigned reg, uint32_t v) { mmio_write32(LAPIC_BASE + reg, v); }

void lapic_enable(void) {
  /* Mask the 8259 PICs: only the LAPIC delivers interrupts to these guests. */
  outb(0x21, 0xff);
  outb(0xa1, 0xff);
  wrmsr(MSR_IA32_APIC_BASE, (rdmsr(MSR_IA32_APIC_BASE) | (1u << 11)));
  lapic_w(0xf0, 0x1ff); /* SVR: APIC software enable, spurious vector 0xff */
  lapic_w(0x80, 0);     /* TPR 0 */
}
void lapic_eoi(void) { lapic_w(0xb0, 0); }
void lapic_self_ipi(uint8_t vector) {
  lapic_w(0x310, 0);
  lapic_w(0x300, (1u << 18) | (1u << 14) | vector); /* shorthand self, assert, fixed */
}
void lapic_self_nmi(void) {
  lapic_w(0x310, 0);
  lapic_w(0x300, (1u << 18) | (1u << 14) | (4u << 8)); /* shorthand self, NMI */
}

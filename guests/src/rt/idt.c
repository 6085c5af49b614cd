/* IDT setup, interrupt dispatch, and fault capture for rt_try. */
#include "idt.h"

extern char rt_isr_stubs[];
extern char rt_try_landing[];

#ifdef __x86_64__
struct gate {
  uint16_t off0, sel;
  uint8_t ist, type;
  uint16_t off1;
  uint32_t off2, zero;
} __attribute__((packed));
#else
struct gate {
  uint16_t off0, sel;
  uint8_t zero, type;
  uint16_t off1;
} __attribute__((packed));
#endif

static struct gate idt[256] __attribute__((aligned(16)));
static irq_handler_t handlers[256];

/* rt_try state, shared with the asm */
volatile uint8_t rt_try_armed;
struct fault_info *volatile rt_try_fi;
volatile uintptr_t rt_try_sp;

static void set_gate(int v, int dpl) {
  uintptr_t a = (uintptr_t)(rt_isr_stubs + 16 * v);
  struct gate *g = &idt[v];
  g->off0 = (uint16_t)a;
  g->sel = SEL_KCODE;
  g->type = (uint8_t)(0x8e | (dpl << 5)); /* present, interrupt gate */
  g->off1 = (uint16_t)(a >> 16);
#ifdef __x86_64__
  g->ist = v == 8 ? 1 : 0; /* #DF on its own stack */
  g->off2 = (uint32_t)(a >> 32);
  g->zero = 0;
#else
  g->zero = 0;
#endif
}

void idt_init(void) {
  for (int v = 0; v < 256; v++) set_gate(v, v == 3 || v == 4 ? 3 : 0);
  struct dtr d = {sizeof idt - 1, (ureg)(uintptr_t)idt};
  __asm__ volatile("lidt %0" ::"m"(d));
}

void idt_set_handler(int vector, irq_handler_t h) { handlers[vector & 255] = h; }
void idt_set_gate_dpl(int vector, int dpl) { set_gate(vector & 255, dpl); }

static const char *const names[32] = {
    "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "CSO", "#TS",
    "#NP", "#SS", "#GP", "#PF", "15",  "#MF", "#AC", "#MC", "#XM", "#VE", "#CP"};

void isr_dispatch(struct irq_frame *f);
void isr_dispatch(struct irq_frame *f) {
  unsigned v = (unsigned)f->vector;
  if (v < 32 && rt_try_armed) {
    struct fault_info *fi = rt_try_fi;
    rt_try_armed = 0;
    if (fi) {
      fi->vector = (int)v;
      fi->error_code = f->error_code == (ureg)-1 ? ~0ull : (uint64_t)f->error_code;
      fi->rip = f->rip;
      fi->cr2 = read_cr2();
      fi->cs = (uint16_t)f->cs;
    }
    f->rip = (uintptr_t)rt_try_landing;
    f->cs = SEL_KCODE;
    f->rflags &= ~(ureg)(FLAGS_TF | FLAGS_IF);
    f->rax = v;
#ifdef __x86_64__
    f->rsp = rt_try_sp;
    f->ss = SEL_KDATA;
#endif
    return;
  }
  if (handlers[v]) {
    handlers[v](f);
    return;
  }
  if (v >= 32) {
    printf("# spurious interrupt vector %u\n", v);
    return;
  }
  printf("Bail out! unexpected exception %s (vector %u) error 0x%lx at rip 0x%lx cs 0x%lx cr2 0x%lx\n",
         v < 22 && names[v] ? names[v] : "?", v, (unsigned long)f->error_code, (unsigned long)f->rip,
         (unsigned long)f->cs, (unsigned long)read_cr2());
  rt_exit(EXIT_FAIL);
}

/*
 * Randomized VMX test (issue 20): a 64-bit L1 that drives random VMX
 * operations and checks, after every VM exit, what the SDM fixes.
 *
 * Command line (multiboot): seed=N (default 1), ops=N steps (default 200),
 * step=N first step (default 0), block=N steps per TAP line (default 50),
 * trace=1 prints each step's kind and a signature of its outcomes.
 * Every step derives its own random stream from (seed, step) and starts
 * from a fresh baseline (VMCLEAR/VMPTRLD, a valid VMCS for a sandboxed
 * 64-bit L2, fresh sandbox memory), so `seed=S step=K ops=1` replays step
 * K alone. A failing step prints "# FAIL seed=S step=K ..." and its
 * block's TAP line is "not ok".
 *
 * Step kinds:
 *  - launch: a few random mutations (VMWRITEs of random values or bit
 *    flips to random fields, raw bytes written into the VMCS region behind
 *    VMREAD/VMWRITE's back, random EPT entries, random event injection,
 *    random guest state), L2 code of random bytes, VMLAUNCH, then VMRESUMEs
 *    with more mutations;
 *  - boundary: one known instruction (LEAVE, ENTER, POP/PUSH m, XCHG,
 *    CMPXCHG16B, string ops, far CALL/RET, IRETQ, ...) with random registers
 *    pointing at pages the EPT maps with random permissions and every
 *    exception intercepted: an exit at the instruction's RIP must save the
 *    registers as they were before it (SDM Vol. 3C 27.1);
 *  - pointers: VMPTRLD/VMCLEAR/VMPTRST with odd pointers (unaligned, beyond
 *    MAXPHYADDR, the VMXON region, wrong revision), checking the
 *    VM-instruction error numbers (SDM Vol. 3C 31.4: 2, 3, 9, 10, 11);
 *  - fields: VMREAD/VMWRITE of random encodings and values: errors 12/13
 *    or a round trip of the value truncated to the field width.
 *
 * L2 is confined: its EPT maps only the sandbox pages (random EPT entries
 * stay inside them), I/O and MSR accesses always exit, the preemption
 * timer bounds every run, and L1's MSR/host fields are restored before
 * each entry. After every VM exit L1 checks (SDM 28.5): RIP = HOST_RIP and
 * RSP = HOST_RSP (the landing), RFLAGS = 0x2, DR7 = 0x400, CR0/CR3/CR4,
 * the segment selectors, TR, LDTR = 0, GDTR/IDTR bases and limits FFFFH,
 * FS/GS bases, SYSENTER and EFER/PAT MSRs from the host-state area, a sane
 * exit reason, and that no exception or single-step reaches L1 (any L1
 * exception fails the step).
 */
#include "rt.h"
#include "vmx.h"
#include "idt.h"
#include "io.h"

/* ---------------- command line ---------------- */

/* The value of "key=" (decimal or 0x hex) at the start of the line or after a space. */
static uint64_t arg(const char *line, const char *key, uint64_t dflt) {
  for (const char *s = line; s && *s; s++) {
    if (s != line && s[-1] != ' ') continue;
    const char *p = s, *k = key;
    while (*k && *p == *k) p++, k++;
    if (*k) continue;
    uint64_t n = 0;
    if (p[0] == '0' && p[1] == 'x') {
      for (p += 2;; p++) {
        int d = *p >= '0' && *p <= '9' ? *p - '0' : *p >= 'a' && *p <= 'f' ? *p - 'a' + 10 : -1;
        if (d < 0) break;
        n = n * 16 + (uint64_t)d;
      }
    } else {
      while (*p >= '0' && *p <= '9') n = n * 10 + (uint64_t)(*p++ - '0');
    }
    return n;
  }
  return dflt;
}

/* ---------------- random numbers (splitmix64) ---------------- */

static uint64_t rs;
static uint64_t rnd(void) {
  uint64_t z = (rs += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}
static uint64_t below(uint64_t n) { return n ? rnd() % n : 0; }
static bool chance(unsigned pct) { return below(100) < pct; }

/* ---------------- failure reporting ---------------- */

static uint64_t seed, step;
static const char *kind_name = "setup";
static int step_failures;

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail(const char *fmt, ...) {
  char buf[200];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  printf("# FAIL seed=%lu step=%lu kind=%s: %s (replay: -append 'seed=%lu step=%lu ops=1')\n",
         (unsigned long)seed, (unsigned long)step, kind_name, buf, (unsigned long)seed,
         (unsigned long)step);
  step_failures++;
}

#define CHECK(cond, ...)        \
  do {                          \
    if (!(cond)) fail(__VA_ARGS__); \
  } while (0)

/* An exception in L1 is always a failure: a leaked L2 event or an emulator bug. */
static void on_l1_exception(struct irq_frame *f) {
  printf("# FAIL seed=%lu step=%lu kind=%s: L1 took exception %lu (error 0x%lx) at rip 0x%lx "
         "(replay: -append 'seed=%lu step=%lu ops=1')\n",
         (unsigned long)seed, (unsigned long)step, kind_name, (unsigned long)f->vector,
         (unsigned long)f->error_code, (unsigned long)f->rip, (unsigned long)seed,
         (unsigned long)step);
  printf("not ok 1 - L1 took an exception\nBail out! L1 state unreliable after an exception\n");
  rt_exit(EXIT_FAIL);
}

/* ---------------- the sandbox: the only memory L2 can reach ---------------- */

enum {
  SB_PML4 = 0, SB_PDPT = 1, SB_PD = 2, /* 4 PDs: 2..5 */
  SB_GDT = 6, SB_TSS = 7, SB_IDT = 8, SB_CODE = 9, /* 4 code pages 9..12 */
  SB_STACK = 13, /* 2 pages */
  SB_DATA = 15,  /* 4 data pages 15..18 */
  SB_KNOWN = 19, SB_VAPIC = 20, SB_MSRS = 21, SB_VE = 22, SB_SCRATCH = 23, /* 24..31 spare */
  SB_PAGES = 32
};
static uint8_t sb[SB_PAGES][4096] __attribute__((aligned(4096)));
#define SBA(p) ((uint64_t)(uintptr_t)sb[p])

/* EPT tables in L1 memory (not mapped for L2). */
static uint64_t ept_pml4[512] __attribute__((aligned(4096)));
static uint64_t ept_pdpt[512] __attribute__((aligned(4096)));
static uint64_t ept_pd[512] __attribute__((aligned(4096)));
static uint64_t ept_pt[2][512] __attribute__((aligned(4096)));
static uint64_t eptp;

/* MSR bitmap of all ones (every RDMSR/WRMSR exits) and scratch VMCS regions. */
static uint8_t msr_all[4096] __attribute__((aligned(4096)));
static uint8_t vmxon_region[4096] __attribute__((aligned(4096)));
static uint8_t vmcs_region[4096] __attribute__((aligned(4096)));
static uint8_t odd_region[2][4096] __attribute__((aligned(4096)));

static uint64_t *ept_leaf_of(uint64_t pa) {
  uint64_t t = (pa >> 21) - (SBA(0) >> 21);
  return &ept_pt[t][(pa >> 12) & 511];
}

static void ept_build(void) {
  memset(ept_pml4, 0, sizeof ept_pml4);
  memset(ept_pdpt, 0, sizeof ept_pdpt);
  memset(ept_pd, 0, sizeof ept_pd);
  memset(ept_pt, 0, sizeof ept_pt);
  ept_pml4[0] = (uintptr_t)ept_pdpt | 7;
  ept_pdpt[0] = (uintptr_t)ept_pd | 7;
  for (int p = 0; p < SB_PAGES; p++) {
    uint64_t a = SBA(p);
    uint64_t t = (a >> 21) - (SBA(0) >> 21);
    ept_pd[(a >> 21) & 511] = (uintptr_t)ept_pt[t] | 7;
    *ept_leaf_of(a) = a | (6u << 3) | 7;
  }
  eptp = (uintptr_t)ept_pml4 | (3u << 3) | 6u;
}

/* L2's own page tables (identity, 2 MiB pages, 4 GiB), GDT/TSS copies, an IDT, random code. */
static void sandbox_build(void) {
  memset(sb, 0, sizeof sb);
  uint64_t *pml4 = (uint64_t *)sb[SB_PML4], *pdpt = (uint64_t *)sb[SB_PDPT];
  pml4[0] = SBA(SB_PDPT) | 7;
  for (int i = 0; i < 4; i++) {
    pdpt[i] = SBA(SB_PD + i) | 7;
    uint64_t *pd = (uint64_t *)sb[SB_PD + i];
    for (int j = 0; j < 512; j++) pd[j] = ((uint64_t)i << 30) | ((uint64_t)j << 21) | 0x87;
  }
  struct dtr gdt;
  sgdt(&gdt);
  memcpy(sb[SB_GDT], (void *)(uintptr_t)gdt.base, gdt.limit + 1u > 4096 ? 4096 : gdt.limit + 1u);
  memcpy(sb[SB_TSS], rt_tss, 104);
  /* TSS descriptor in the copy: available 64-bit TSS at the sandbox copy */
  uint64_t tss = SBA(SB_TSS);
  uint64_t *d = (uint64_t *)(sb[SB_GDT] + SEL_TSS);
  d[0] = 0x67 | ((tss & 0xffffff) << 16) | (0x8bull << 40) | (((tss >> 24) & 0xff) << 56);
  d[1] = tss >> 32;
  uint64_t *code = (uint64_t *)sb[SB_CODE];
  for (int i = 0; i < 4 * 512; i++) code[i] = rnd();
  if (chance(50)) {
    /* IDT of interrupt gates into the random code */
    uint64_t *idt = (uint64_t *)sb[SB_IDT];
    for (int v = 0; v < 32; v++) {
      uint64_t h = SBA(SB_CODE) + below(4 * 4096);
      idt[2 * v] = (h & 0xffff) | ((uint64_t)SEL_KCODE << 16) | (0x8eull << 40) |
                   ((h >> 16 & 0xffff) << 48);
      idt[2 * v + 1] = h >> 32;
    }
  }
}

/* ---------------- VMX setup and the host state we expect back ---------------- */

static uint32_t cap_pin, cap_proc, cap_proc2, cap_exit, cap_entry;
static int maxphy;
static struct l2_controls base;
static bool have_current;

static const uint32_t host_fields[] = {
    HOST_CR0, HOST_CR3, HOST_CR4, HOST_CS_SEL, HOST_SS_SEL, HOST_DS_SEL, HOST_ES_SEL,
    HOST_FS_SEL, HOST_GS_SEL, HOST_TR_SEL, HOST_FS_BASE, HOST_GS_BASE, HOST_TR_BASE,
    HOST_GDTR_BASE, HOST_IDTR_BASE, HOST_SYSENTER_CS, HOST_SYSENTER_ESP, HOST_SYSENTER_EIP,
    HOST_EFER, HOST_PAT};
#define NHOST (sizeof host_fields / sizeof host_fields[0])
static uint64_t host_vals[NHOST];

static void vw(uint64_t f, uint64_t v) { vmwrite(f, v); }

/* Fields the mutator picks from: controls and guest state (host state is restored before entry). */
static const uint32_t fuzz_fields[] = {
    PIN_CONTROLS, PROC_CONTROLS, PROC_CONTROLS2, EXIT_CONTROLS, ENTRY_CONTROLS, EXCEPTION_BITMAP,
    PF_ERROR_MASK, PF_ERROR_MATCH, CR3_TARGET_COUNT, ENTRY_INTR_INFO, ENTRY_EXCEPTION_ERROR,
    ENTRY_INSTRUCTION_LEN, TPR_THRESHOLD, CR0_MASK, CR4_MASK, CR0_SHADOW, CR4_SHADOW, CR3_TARGET0,
    TSC_OFFSET, EPT_POINTER, VPID, VMCS_LINK_POINTER, GUEST_DEBUGCTL, GUEST_PAT, GUEST_EFER,
    GUEST_ES_SEL, GUEST_CS_SEL, GUEST_SS_SEL, GUEST_DS_SEL, GUEST_FS_SEL, GUEST_GS_SEL,
    GUEST_LDTR_SEL, GUEST_TR_SEL, GUEST_ES_LIMIT, GUEST_CS_LIMIT, GUEST_SS_LIMIT, GUEST_DS_LIMIT,
    GUEST_TR_LIMIT, GUEST_GDTR_LIMIT, GUEST_IDTR_LIMIT, GUEST_ES_AR, GUEST_CS_AR, GUEST_SS_AR,
    GUEST_DS_AR, GUEST_FS_AR, GUEST_GS_AR, GUEST_LDTR_AR, GUEST_TR_AR, GUEST_INTERRUPTIBILITY,
    GUEST_ACTIVITY, GUEST_SYSENTER_CS, PREEMPTION_TIMER, GUEST_CR0, GUEST_CR3, GUEST_CR4,
    GUEST_ES_BASE, GUEST_CS_BASE, GUEST_SS_BASE, GUEST_FS_BASE, GUEST_GS_BASE, GUEST_TR_BASE,
    GUEST_GDTR_BASE, GUEST_IDTR_BASE, GUEST_DR7, GUEST_RSP, GUEST_RIP, GUEST_RFLAGS,
    GUEST_PENDING_DBG, GUEST_SYSENTER_ESP, GUEST_SYSENTER_EIP, EXIT_MSR_STORE_COUNT,
    ENTRY_MSR_LOAD_COUNT};
#define NFUZZ (sizeof fuzz_fields / sizeof fuzz_fields[0])

static bool baseline(void) {
  vmclear((uintptr_t)vmcs_region);
  have_current = false;
  if (vmptrld((uintptr_t)vmcs_region).kind != VMX_OK) {
    fail("VMPTRLD of the baseline VMCS failed");
    return false;
  }
  have_current = true;
  sandbox_build();
  ept_build();
  wrmsr(MSR_KERNEL_GS_BASE, 0);
  struct l2_config cfg = {
      .entry = (void (*)(void))(uintptr_t)(SBA(SB_CODE) + below(4 * 4096 - 16)),
      .stack_top = (void *)(uintptr_t)(SBA(SB_STACK) + 8192 - 8 * below(64)),
      .pin = PIN_PREEMPTION_TIMER,
      .proc = PROC_UNCOND_IO_EXITING | PROC_HLT_EXITING, /* MSR bitmap set below (no page allocated) */
      .eptp = eptp,
  };
  if (!vmcs_setup_l2(&cfg, &base)) {
    fail("baseline VMCS setup failed");
    return false;
  }
  vw(MSR_BITMAP, (uintptr_t)msr_all);
  vw(PROC_CONTROLS, vmr(PROC_CONTROLS) | PROC_USE_MSR_BITMAPS);
  vw(GUEST_CR3, SBA(SB_PML4));
  vw(GUEST_GDTR_BASE, SBA(SB_GDT));
  vw(GUEST_GDTR_LIMIT, 0x3f);
  vw(GUEST_TR_BASE, SBA(SB_TSS));
  vw(GUEST_IDTR_BASE, SBA(SB_IDT));
  vw(GUEST_IDTR_LIMIT, chance(80) ? 0x1ff : below(0x200));
  vw(PREEMPTION_TIMER, below(400));
  vw(EXCEPTION_BITMAP, chance(50) ? 0xffffffffu : (uint32_t)rnd());
  vw(GUEST_RFLAGS, 2 | (rnd() & 0x8d5));
  for (unsigned i = 0; i < NHOST; i++) host_vals[i] = vmr(host_fields[i]);
  return true;
}

/* Keep L2 inside the sandbox whatever the mutations did (see the file comment). */
static void sanitize(void) {
  vw(PIN_CONTROLS, (vmr(PIN_CONTROLS) | PIN_PREEMPTION_TIMER) & ~(1u << 7)); /* no posted intr */
  uint64_t proc = vmr(PROC_CONTROLS);
  proc |= PROC_UNCOND_IO_EXITING | PROC_USE_MSR_BITMAPS | PROC_SECONDARY;
  proc &= ~(uint64_t)PROC_USE_IO_BITMAPS;
  vw(PROC_CONTROLS, proc);
  uint64_t proc2 = (vmr(PROC_CONTROLS2) | PROC2_ENABLE_EPT) & ~(uint64_t)((1u << 17) | (1u << 18));
  vw(PROC_CONTROLS2, proc2);
  vw(EPT_POINTER, (vmr(EPT_POINTER) & 0xfff) | (uintptr_t)ept_pml4);
  vw(MSR_BITMAP, (uintptr_t)msr_all);
  vw(0x2012, SBA(SB_VAPIC)); /* virtual-APIC page */
  vw(0x202a, SBA(SB_VE));    /* #VE information area */
  vw(EXIT_MSR_LOAD_COUNT, 0);
  vw(EXIT_MSR_STORE_ADDR, SBA(SB_MSRS));
  vw(ENTRY_MSR_LOAD_ADDR, SBA(SB_MSRS) + 2048);
  if (vmr(EXIT_MSR_STORE_COUNT) > 4) vw(EXIT_MSR_STORE_COUNT, below(4));
  if (vmr(ENTRY_MSR_LOAD_COUNT) > 3) vw(ENTRY_MSR_LOAD_COUNT, below(3));
  static const uint32_t storable[] = {0x10, 0x174, 0x175, 0x277, 0xc0000080, 0xc0000100};
  static const uint32_t loadable[] = {0x175, 0xc0000100, 0xc0000102};
  uint64_t *st = (uint64_t *)sb[SB_MSRS], *ld = (uint64_t *)(sb[SB_MSRS] + 2048);
  for (int i = 0; i < 4; i++) st[2 * i] = storable[below(6)];
  for (int i = 0; i < 3; i++) {
    ld[2 * i] = loadable[below(3)];
    ld[2 * i + 1] = chance(50) ? SBA(SB_DATA) : rnd() & 0x00007ffffffff000ull;
  }
  if (!(proc & PIN_PREEMPTION_TIMER) || vmr(PREEMPTION_TIMER) > 4000) vw(PREEMPTION_TIMER, below(400));
  for (unsigned i = 0; i < NHOST; i++) vw(host_fields[i], host_vals[i]);
}

static uint64_t field_width_mask(uint32_t f) {
  if (f & 1) return 0xffffffffull; /* high half of a 64-bit field */
  switch ((f >> 13) & 3) {
  case 0: return 0xffff;
  case 2: return 0xffffffffull;
  default: return ~0ull;
  }
}

static void mutate_field(void) {
  uint32_t f = fuzz_fields[below(NFUZZ)];
  uint64_t v = vmr(f);
  switch (below(4)) {
  case 0: v ^= 1ull << below(64); break;
  case 1: v = rnd(); break;
  case 2: v = below(16); break;
  default: v ^= rnd() & rnd(); break;
  }
  vmwrite(f, v);
}

/* Bytes of the VMCS region written behind VMREAD/VMWRITE's back (VMCLEAR first, VMPTRLD after). */
static void mutate_raw(void) {
  vmclear((uintptr_t)vmcs_region);
  have_current = false;
  int n = 1 + (int)below(8);
  for (int i = 0; i < n; i++) {
    unsigned off = chance(5) ? (unsigned)below(8) : 8 + (unsigned)below(4096 - 8);
    vmcs_region[off] = chance(50) ? (uint8_t)rnd() : vmcs_region[off] ^ (uint8_t)(1u << below(8));
  }
  struct vmx_result r = vmptrld((uintptr_t)vmcs_region);
  if (r.kind == VMX_OK) {
    have_current = true;
  } else {
    CHECK(r.kind == VMX_FAIL_INVALID, "VMPTRLD without a current VMCS: VMfailInvalid (kind %d error %u)",
          r.kind, r.error);
  }
}

static void mutate_ept(void) {
  int p = (int)below(SB_PAGES);
  uint64_t *e = ept_leaf_of(SBA(p));
  switch (below(5)) {
  case 0: *e = (*e & ~7ull) | below(8); break;                         /* permissions */
  case 1: *e = (*e & ~0x38ull) | (below(8) << 3); break;               /* memory type */
  case 2: *e ^= 1ull << (8 + below(4)); break;                          /* A/D, ignore-PAT, ... */
  case 3: *e = (*e & 0xfff) | SBA(below(SB_PAGES)); break;              /* another sandbox page */
  default: *e ^= 1ull << (52 + below(12)); break;                       /* high bits */
  }
  if (chance(10)) ept_pd[(SBA(p) >> 21) & 511] ^= 1ull << below(8);     /* a PDE */
}

static void mutate_injection(void) {
  static const uint8_t types[] = {0, 2, 3, 4, 5, 6, 7, 1};
  uint32_t type = types[below(8)], vec = (uint32_t)below(256);
  uint32_t info = 0x80000000u | (type << 8) | vec | (chance(50) ? 0x800u : 0);
  vw(ENTRY_INTR_INFO, chance(90) ? info : (uint32_t)rnd());
  vw(ENTRY_EXCEPTION_ERROR, below(0x10000));
  vw(ENTRY_INSTRUCTION_LEN, below(16));
}

static void mutate(int n) {
  for (int i = 0; i < n; i++) {
    switch (below(8)) {
    case 0: case 1: case 2: mutate_field(); break;
    case 3: mutate_raw(); break;
    case 4: mutate_ept(); break;
    case 5: mutate_injection(); break;
    case 6: vw(GUEST_RIP, SBA(SB_CODE) + below(4 * 4096)); break;
    default: vw(GUEST_RSP, SBA(below(SB_PAGES)) + below(4096)); break;
    }
  }
}

/* ---------------- entering L2 and the checks after a VM exit ---------------- */

static struct guest_regs gr;
uint64_t fz_rflags, fz_dr7, fz_rsp;
uint64_t fz_enter(struct guest_regs *regs, int launched);
__asm__(".text\n.globl fz_enter\nfz_enter:\n"
        "pushq %rbp\n pushq %rbx\n pushq %r12\n pushq %r13\n pushq %r14\n pushq %r15\n pushq %rdi\n"
        "movl $0x6c14, %eax\n vmwrite %rsp, %rax\n jbe 9f\n"
        "leaq fz_landing(%rip), %rdx\n movl $0x6c16, %eax\n vmwrite %rdx, %rax\n jbe 9f\n"
        "cmpl $0, %esi\n"
        "movq 0x00(%rdi), %rax\n movq 0x08(%rdi), %rcx\n movq 0x10(%rdi), %rdx\n"
        "movq 0x18(%rdi), %rbx\n movq 0x28(%rdi), %rbp\n movq 0x30(%rdi), %rsi\n"
        "movq 0x40(%rdi), %r8\n movq 0x48(%rdi), %r9\n movq 0x50(%rdi), %r10\n"
        "movq 0x58(%rdi), %r11\n movq 0x60(%rdi), %r12\n movq 0x68(%rdi), %r13\n"
        "movq 0x70(%rdi), %r14\n movq 0x78(%rdi), %r15\n movq 0x38(%rdi), %rdi\n"
        "jne 1f\n vmlaunch\n jmp 9f\n1: vmresume\n"
        "9: pushfq\n popq %rax\n btsq $63, %rax\n addq $8, %rsp\n jmp 8f\n"
        "fz_landing:\n pushfq\n popq fz_rflags(%rip)\n pushq %rdi\n movq %rsp, fz_rsp(%rip)\n"
        "movq 8(%rsp), %rdi\n"
        "movq %rax, 0x00(%rdi)\n movq %rcx, 0x08(%rdi)\n movq %rdx, 0x10(%rdi)\n"
        "movq %rbx, 0x18(%rdi)\n movq %rbp, 0x28(%rdi)\n movq %rsi, 0x30(%rdi)\n"
        "movq %r8, 0x40(%rdi)\n movq %r9, 0x48(%rdi)\n movq %r10, 0x50(%rdi)\n"
        "movq %r11, 0x58(%rdi)\n movq %r12, 0x60(%rdi)\n movq %r13, 0x68(%rdi)\n"
        "movq %r14, 0x70(%rdi)\n movq %r15, 0x78(%rdi)\n popq %rax\n movq %rax, 0x38(%rdi)\n"
        "movq %dr7, %rax\n movq %rax, fz_dr7(%rip)\n"
        "addq $8, %rsp\n xorl %eax, %eax\n"
        "8: popq %r15\n popq %r14\n popq %r13\n popq %r12\n popq %rbx\n popq %rbp\n ret\n");

static uint16_t sldt16(void) {
  uint16_t s;
  __asm__ volatile("sldt %0" : "=r"(s));
  return s;
}
static uint16_t read_gs16(void) {
  uint16_t s;
  __asm__ volatile("mov %%gs, %0" : "=r"(s));
  return s;
}

static uint64_t hv(uint32_t f) {
  for (unsigned i = 0; i < NHOST; i++)
    if (host_fields[i] == f) return host_vals[i];
  return 0;
}

/* Outcome counters for the summary. */
static uint64_t n_exits, n_vmfail, n_entry_fail, n_boundary;
/* Signature of one step's outcomes (exit reasons, VMfail errors) for trace=1. */
static uint64_t step_sig;
static uint64_t reasons[70];

static void check_host_state(uint32_t reason) {
  CHECK(fz_rflags == 0x2, "RFLAGS after exit 0x%lx, want 0x2", (unsigned long)fz_rflags);
  CHECK(fz_dr7 == 0x400, "DR7 after exit 0x%lx, want 0x400", (unsigned long)fz_dr7);
  CHECK(fz_rsp == vmr(HOST_RSP) - 8, "RSP at the landing 0x%lx, want HOST_RSP-8 0x%lx",
        (unsigned long)fz_rsp, (unsigned long)(vmr(HOST_RSP) - 8));
  CHECK(read_cr0() == hv(HOST_CR0), "CR0 0x%lx want 0x%lx", (unsigned long)read_cr0(),
        (unsigned long)hv(HOST_CR0));
  CHECK(read_cr3() == hv(HOST_CR3), "CR3 0x%lx want 0x%lx", (unsigned long)read_cr3(),
        (unsigned long)hv(HOST_CR3));
  CHECK(read_cr4() == hv(HOST_CR4), "CR4 0x%lx want 0x%lx", (unsigned long)read_cr4(),
        (unsigned long)hv(HOST_CR4));
  CHECK(read_cs() == hv(HOST_CS_SEL) && read_ss() == hv(HOST_SS_SEL) && read_ds() == hv(HOST_DS_SEL) &&
            read_es() == hv(HOST_ES_SEL) && read_fs() == hv(HOST_FS_SEL) &&
            read_gs16() == hv(HOST_GS_SEL),
        "selectors cs %x ss %x ds %x es %x fs %x gs %x", read_cs(), read_ss(), read_ds(), read_es(),
        read_fs(), read_gs16());
  CHECK(str() == hv(HOST_TR_SEL) && sldt16() == 0, "TR 0x%x LDTR 0x%x", str(), sldt16());
  struct dtr gdt, idt;
  sgdt(&gdt);
  sidt(&idt);
  CHECK(gdt.base == hv(HOST_GDTR_BASE) && gdt.limit == 0xffff && idt.base == hv(HOST_IDTR_BASE) &&
            idt.limit == 0xffff,
        "GDTR 0x%lx/0x%x IDTR 0x%lx/0x%x", (unsigned long)gdt.base, gdt.limit, (unsigned long)idt.base,
        idt.limit);
  CHECK(rdmsr(MSR_FS_BASE) == hv(HOST_FS_BASE) && rdmsr(MSR_GS_BASE) == hv(HOST_GS_BASE),
        "FS/GS base 0x%lx 0x%lx", (unsigned long)rdmsr(MSR_FS_BASE), (unsigned long)rdmsr(MSR_GS_BASE));
  CHECK(rdmsr(MSR_IA32_SYSENTER_CS) == (hv(HOST_SYSENTER_CS) & 0xffffffff) &&
            rdmsr(MSR_IA32_SYSENTER_ESP) == hv(HOST_SYSENTER_ESP) &&
            rdmsr(MSR_IA32_SYSENTER_EIP) == hv(HOST_SYSENTER_EIP),
        "SYSENTER MSRs");
  uint64_t exit = vmr(EXIT_CONTROLS);
  if (exit & EXIT_LOAD_EFER)
    CHECK(rdmsr(MSR_EFER) == hv(HOST_EFER), "EFER 0x%lx want 0x%lx", (unsigned long)rdmsr(MSR_EFER),
          (unsigned long)hv(HOST_EFER));
  if (exit & EXIT_LOAD_PAT)
    CHECK(rdmsr(MSR_IA32_PAT) == hv(HOST_PAT), "PAT 0x%lx", (unsigned long)rdmsr(MSR_IA32_PAT));
  uint32_t basic = reason & 0xffff;
  CHECK(basic < 70 && (reason & 0x7fff0000u) == 0, "exit reason 0x%x", reason);
  if (reason & 0x80000000u)
    CHECK(basic == 33 || basic == 34 || basic == 41, "entry-failure reason 0x%x", reason);
  /* A leaked single-step or pending event would be delivered at this boundary (fails via the IDT). */
  sti();
  __asm__ volatile("nop; nop");
  cli();
}

/* Run L2 (launch or resume); returns true after a VM exit (checked), false after VMfail. */
static bool run_l2(bool *launched, uint32_t *reason_out) {
  uint64_t r = fz_enter(&gr, *launched ? 1 : 0);
  step_sig = step_sig * 31 + (r != 0 ? 0x100000 + vmr(VM_INSTRUCTION_ERROR) : vmr(EXIT_REASON));
  if (r != 0) {
    n_vmfail++;
    uint64_t fl = r & ~(1ull << 63);
    /* The current VMCS is always vmcs_region; mutate_raw may have set its shadow-VMCS indicator
       (bit 31 of the revision identifier) before loading it, and VM entry with a shadow VMCS
       current is VMfailInvalid (SDM 24.10, 26.1). */
    bool shadow = have_current && (vmcs_region[3] & 0x80) != 0;
    if (fl & FLAGS_CF) {
      CHECK(!have_current || shadow, "VMfailInvalid with an ordinary current VMCS (rflags 0x%lx)",
            (unsigned long)fl);
    } else {
      uint32_t e = (uint32_t)vmr(VM_INSTRUCTION_ERROR);
      CHECK(have_current && !shadow && (e == 4 || e == 5 || e == 7 || e == 8 || e == 26),
            "VM%s failed with error %u", *launched ? "RESUME" : "LAUNCH", e);
    }
    return false;
  }
  uint32_t reason = (uint32_t)vmr(EXIT_REASON);
  check_host_state(reason);
  n_exits++;
  if (reason & 0x80000000u) n_entry_fail++;
  else *launched = true;
  reasons[(reason & 0xffff) < 70 ? reason & 0xffff : 69]++;
  *reason_out = reason;
  return true;
}

/* ---------------- step kinds ---------------- */

static void step_launch(void) {
  kind_name = "launch";
  memset(&gr, 0, sizeof gr);
  uint64_t *g = (uint64_t *)&gr;
  for (int i = 0; i < 16; i++) g[i] = chance(50) ? SBA(below(SB_PAGES)) + below(4096) : rnd();
  mutate((int)below(4));
  sanitize();
  bool launched = false;
  int rounds = 1 + (int)below(6);
  for (int i = 0; i < rounds; i++) {
    uint32_t reason;
    if (!run_l2(&launched, &reason)) return;
    if (reason & 0x80000000u) return;
    /* 28.2: every VM exit clears the valid bit of the VM-entry interruption information. */
    CHECK(!(vmr(ENTRY_INTR_INFO) & 0x80000000u), "exit %u left ENTRY_INTR_INFO 0x%lx valid", reason,
          (unsigned long)vmr(ENTRY_INTR_INFO));
    if (chance(10)) {
      /* A launched VMCS: VMLAUNCH fails with error 4 (SDM 31.3 VMLAUNCH). */
      bool relaunch = false;
      uint32_t r2;
      CHECK(!run_l2(&relaunch, &r2) && vmr(VM_INSTRUCTION_ERROR) == 4,
            "VMLAUNCH of a launched VMCS: error %lu", (unsigned long)vmr(VM_INSTRUCTION_ERROR));
    } else if (chance(5)) {
      /* VMCLEAR makes it clear: VMRESUME then fails with error 5. */
      vmclear((uintptr_t)vmcs_region);
      vmptrld((uintptr_t)vmcs_region);
      bool resume = true;
      uint32_t r2;
      CHECK(!run_l2(&resume, &r2) && vmr(VM_INSTRUCTION_ERROR) == 5,
            "VMRESUME of a cleared VMCS: error %lu", (unsigned long)vmr(VM_INSTRUCTION_ERROR));
      launched = false;
    }
    if (chance(30)) mutate(1 + (int)below(2));
    else if (chance(50)) vw(GUEST_RIP, vmr(GUEST_RIP) + vmr(EXIT_INSTRUCTION_LEN));
    sanitize();
  }
}

/* Known instructions for the boundary check (followed by VMCALL). */
static const struct {
  const char *name;
  uint8_t len, b[6];
} known[] = {
    {"leave", 1, {0xc9}},
    {"enter 16,2", 4, {0xc8, 0x10, 0x00, 0x02}},
    {"pop [rbx]", 2, {0x8f, 0x03}},
    {"push [rbx]", 2, {0xff, 0x33}},
    {"xchg [rbx],rax", 3, {0x48, 0x87, 0x03}},
    {"cmpxchg16b [rbx]", 4, {0x48, 0x0f, 0xc7, 0x0b}},
    {"xadd [rbx],rcx", 4, {0x48, 0x0f, 0xc1, 0x0b}},
    {"movsq", 2, {0x48, 0xa5}},
    {"rep movsb", 2, {0xf3, 0xa4}},
    {"stosq", 2, {0x48, 0xab}},
    {"lodsq", 2, {0x48, 0xad}},
    {"cmpsq", 2, {0x48, 0xa7}},
    {"ret 16", 3, {0xc2, 0x10, 0x00}},
    {"call [rbx]", 2, {0xff, 0x13}},
    {"call far [rbx]", 3, {0x48, 0xff, 0x1b}},
    {"retfq", 2, {0x48, 0xcb}},
    {"iretq", 2, {0x48, 0xcf}},
    {"popfq", 1, {0x9d}},
    {"pop rax", 1, {0x58}},
    {"push rax", 1, {0x50}},
    {"call next", 5, {0xe8, 0, 0, 0, 0}},
    {"pop fs", 2, {0x0f, 0xa1}},
};
#define NKNOWN (sizeof known / sizeof known[0])

static uint64_t pick_addr(void) {
  int p = SB_DATA + (int)below(4);
  switch (below(4)) {
  case 0: return SBA(p) + 4096 - below(24);     /* near the page end */
  case 1: return SBA(p) + below(24);            /* near the page start */
  case 2: return SBA(SB_STACK) + below(8192);
  default: return SBA(p) + below(4096);
  }
}

static void step_boundary(void) {
  kind_name = "boundary";
  unsigned k = (unsigned)below(NKNOWN);
  uint8_t *c = sb[SB_KNOWN];
  memcpy(c, known[k].b, known[k].len);
  c[known[k].len] = 0x0f, c[known[k].len + 1] = 0x01, c[known[k].len + 2] = 0xc1; /* vmcall */
  for (int p = SB_DATA; p < SB_DATA + 4; p++) {
    uint64_t *d = (uint64_t *)sb[p];
    for (int i = 0; i < 512; i++) d[i] = chance(50) ? (rnd() & 0xffff) : SBA(SB_DATA) + below(4096);
    uint64_t *e = ept_leaf_of(SBA(p));
    static const uint8_t perms[] = {7, 7, 3, 1, 0, 5};
    *e = (*e & ~7ull) | perms[below(6)];
  }
  memset(&gr, 0, sizeof gr);
  uint64_t *g = (uint64_t *)&gr;
  for (int i = 0; i < 16; i++) g[i] = i == 4 ? 0 : chance(70) ? pick_addr() : rnd();
  gr.rcx = below(40);
  uint64_t rsp = pick_addr() & ~7ull, rflags = 2 | (rnd() & 0x8d5) | (chance(20) ? 0x400 : 0);
  vw(GUEST_RIP, SBA(SB_KNOWN));
  vw(GUEST_RSP, rsp);
  vw(GUEST_RFLAGS, rflags);
  vw(EXCEPTION_BITMAP, 0xffffffffu);
  vw(PREEMPTION_TIMER, 1000);
  sanitize();
  struct guest_regs before = gr;
  bool launched = false;
  uint32_t reason;
  if (!run_l2(&launched, &reason)) {
    fail("VMLAUNCH of the boundary L2 failed");
    return;
  }
  uint64_t rip = vmr(GUEST_RIP);
  if (rip != SBA(SB_KNOWN) || (reason & 0x80000000u)) return;
  n_boundary++;
  uint64_t *a = (uint64_t *)&before, *b = (uint64_t *)&gr;
  static const char *names[16] = {"rax", "rcx", "rdx", "rbx", "-",   "rbp", "rsi", "rdi",
                                  "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15"};
  for (int i = 0; i < 16; i++) {
    if (i == 4) continue;
    /* REP MOVSB may stop between iterations: RCX/RSI/RDI then move together. */
    if (k == 8 && (i == 1 || i == 6 || i == 7)) continue;
    CHECK(a[i] == b[i], "%s: exit %u at the instruction but %s changed 0x%lx -> 0x%lx", known[k].name,
          reason & 0xffff, names[i], (unsigned long)a[i], (unsigned long)b[i]);
  }
  if (k == 8) {
    uint64_t done = before.rcx - gr.rcx;
    int64_t dir = (rflags & 0x400) ? -1 : 1;
    CHECK(gr.rcx <= before.rcx && gr.rsi == before.rsi + dir * (int64_t)done &&
              gr.rdi == before.rdi + dir * (int64_t)done,
          "rep movsb: RCX %lu->%lu with RSI/RDI moved inconsistently", (unsigned long)before.rcx,
          (unsigned long)gr.rcx);
  }
  CHECK(vmr(GUEST_RSP) == rsp, "%s: exit %u at the instruction but RSP 0x%lx -> 0x%lx", known[k].name,
        reason & 0xffff, (unsigned long)rsp, (unsigned long)vmr(GUEST_RSP));
  CHECK((vmr(GUEST_RFLAGS) & 0xcd5) == (rflags & 0xcd5), "%s: exit %u at the instruction but RFLAGS "
        "0x%lx -> 0x%lx", known[k].name, reason & 0xffff, (unsigned long)rflags,
        (unsigned long)vmr(GUEST_RFLAGS));
}

/* VMRESUME with no current VMCS: must VMfailInvalid (never enters anything). */
static struct vmx_result vmresume_probe(void) {
  uint64_t fl;
  __asm__ volatile(VMX_PRESET "vmresume; pushfq; popq %0" : "=r"(fl) : : "rax", "cc", "memory");
  return vmx_result_from(fl);
}

static uint32_t err_of(struct vmx_result r) { return r.kind == VMX_FAIL_VALID ? r.error : 0xffff; }

static void step_pointers(void) {
  kind_name = "pointers";
  uint32_t rev = (uint32_t)rdmsr(MSR_VMX_BASIC) & 0x7fffffff;
  for (int i = 0; i < 6; i++) {
    uint64_t p;
    uint32_t want_ld, want_cl;
    int which = (int)below(5);
    if (which == 0) {
      p = (uintptr_t)odd_region[0] + 1 + below(4095);
      want_ld = 9, want_cl = 2;
    } else if (which == 1) {
      p = (1ull << (maxphy + below(64 - maxphy))) | ((uintptr_t)odd_region[0] & ~0xfffull & rnd());
      p &= ~0xfffull;
      want_ld = 9, want_cl = 2;
    } else if (which == 2) {
      p = (uintptr_t)vmxon_region;
      want_ld = 10, want_cl = 3;
    } else if (which == 3) {
      p = (uintptr_t)odd_region[1];
      *(uint32_t *)odd_region[1] = rev ^ (1u + (uint32_t)below(0x7fffffff));
      want_ld = 11, want_cl = 0;
    } else {
      p = (uintptr_t)odd_region[1];
      *(uint32_t *)odd_region[1] = rev;
      want_ld = 0, want_cl = 0;
    }
    uint64_t cur = 0;
    vmptrst(&cur);
    struct vmx_result r = vmptrld(p);
    if (want_ld == 0) {
      CHECK(r.kind == VMX_OK, "VMPTRLD of a good region 0x%lx: kind %d error %u", (unsigned long)p,
            r.kind, r.error);
      uint64_t now = 0;
      vmptrst(&now);
      CHECK(now == p, "VMPTRST 0x%lx after VMPTRLD 0x%lx", (unsigned long)now, (unsigned long)p);
      vmread(GUEST_RIP, &now);
      r = vmclear(p);
      CHECK(r.kind == VMX_OK, "VMCLEAR of the current VMCS: kind %d", r.kind);
      uint64_t after = 0;
      vmptrst(&after);
      CHECK(after == ~0ull, "VMPTRST after VMCLEAR of the current VMCS: 0x%lx", (unsigned long)after);
      have_current = false;
      r = vmresume_probe();
      CHECK(r.kind == VMX_FAIL_INVALID, "VMRESUME without a current VMCS: kind %d", r.kind);
      CHECK(vmptrld((uintptr_t)vmcs_region).kind == VMX_OK, "VMPTRLD back");
      have_current = true;
    } else {
      CHECK(have_current ? err_of(r) == want_ld : r.kind == VMX_FAIL_INVALID,
            "VMPTRLD 0x%lx: kind %d error %u, want error %u", (unsigned long)p, r.kind, r.error,
            want_ld);
      uint64_t now = 0;
      vmptrst(&now);
      CHECK(now == cur, "current VMCS changed by a failed VMPTRLD: 0x%lx -> 0x%lx", (unsigned long)cur,
            (unsigned long)now);
    }
    if (want_cl != 0) {
      r = vmclear(p);
      CHECK(err_of(r) == want_cl, "VMCLEAR 0x%lx: kind %d error %u, want %u", (unsigned long)p, r.kind,
            r.error, want_cl);
    }
  }
}

static void step_fields(void) {
  kind_name = "fields";
  uint64_t misc = rdmsr(MSR_VMX_MISC);
  for (int i = 0; i < 12; i++) {
    uint32_t f = chance(70) ? fuzz_fields[below(NFUZZ)] : chance(50) ? (uint32_t)rnd() : (uint32_t)below(0x7000);
    if (chance(10)) f |= 1;
    uint64_t v = rnd();
    struct vmx_result w = vmwrite(f, v);
    uint64_t got = 0;
    struct vmx_result r = vmread(f, &got);
    if (w.kind == VMX_OK) {
      CHECK(r.kind == VMX_OK && got == (v & field_width_mask(f)),
            "VMWRITE 0x%x <- 0x%lx then VMREAD: kind %d value 0x%lx", f, (unsigned long)v, r.kind,
            (unsigned long)got);
    } else {
      CHECK(w.kind == VMX_FAIL_VALID && (w.error == 12 || w.error == 13),
            "VMWRITE 0x%x failed with kind %d error %u", f, w.kind, w.error);
      if (w.error == 13)
        CHECK(((f >> 10) & 3) == 1 && !((misc >> 29) & 1), "VMWRITE 0x%x read-only error 13", f);
      if (w.error == 12) CHECK(r.kind == VMX_FAIL_VALID && r.error == 12, "VMREAD 0x%x: error %u", f, r.error);
    }
  }
}

/* ---------------- main ---------------- */

static uint64_t mix(uint64_t a, uint64_t b) {
  rs = a ^ (b * 0xd1342543de82ef95ull);
  rnd();
  return rnd();
}

int kmain(uint32_t magic, uint32_t mbi_addr) {
  const struct multiboot_info *mbi = (const struct multiboot_info *)(uintptr_t)mbi_addr;
  const char *cmd = magic == 0x2badb002 && (mbi->flags & 4) ? (const char *)(uintptr_t)mbi->cmdline : 0;
  seed = arg(cmd, "seed=", 1);
  uint64_t first = arg(cmd, "step=", 0), ops = arg(cmd, "ops=", 200), blk = arg(cmd, "block=", 50);
  bool trace = arg(cmd, "trace=", 0) != 0;
  if (blk == 0) blk = 1;
  uint64_t blocks = (ops + blk - 1) / blk;
  printf("# vmx_fuzz seed=%lu steps %lu..%lu (%lu per TAP line)\n", (unsigned long)seed,
         (unsigned long)first, (unsigned long)(first + ops - 1), (unsigned long)blk);
  if (!vmx_enable()) {
    printf("1..0 # SKIP CPUID.1:ECX.VMX is clear\n");
    return EXIT_PASS;
  }
  bool t = vmx_has_true_ctls();
  cap_pin = (uint32_t)(rdmsr(t ? MSR_VMX_TRUE_PINBASED_CTLS : MSR_VMX_PINBASED_CTLS) >> 32);
  cap_proc = (uint32_t)(rdmsr(t ? MSR_VMX_TRUE_PROCBASED_CTLS : MSR_VMX_PROCBASED_CTLS) >> 32);
  cap_proc2 = cap_proc & PROC_SECONDARY ? (uint32_t)(rdmsr(MSR_VMX_PROCBASED_CTLS2) >> 32) : 0;
  cap_exit = (uint32_t)(rdmsr(t ? MSR_VMX_TRUE_EXIT_CTLS : MSR_VMX_EXIT_CTLS) >> 32);
  cap_entry = (uint32_t)(rdmsr(t ? MSR_VMX_TRUE_ENTRY_CTLS : MSR_VMX_ENTRY_CTLS) >> 32);
  maxphy = (int)(cpuid(0x80000008, 0).eax & 0xff);
  printf("1..%lu\n", (unsigned long)blocks);
  if (!(cap_proc2 & PROC2_ENABLE_EPT) || !(cap_pin & PIN_PREEMPTION_TIMER) ||
      (SBA(SB_PAGES - 1) >> 21) - (SBA(0) >> 21) > 1 || SBA(SB_PAGES - 1) >= (1ull << 30)) {
    printf("Bail out! needs EPT, the preemption timer and a sandbox below 1 GiB\n");
    return EXIT_FAIL;
  }
  uint32_t rev = (uint32_t)rdmsr(MSR_VMX_BASIC) & 0x7fffffff;
  *(uint32_t *)vmxon_region = rev;
  *(uint32_t *)vmcs_region = rev;
  memset(msr_all, 0xff, sizeof msr_all);
  if (vmxon((uintptr_t)vmxon_region).kind != VMX_OK) {
    printf("Bail out! VMXON failed\n");
    return EXIT_FAIL;
  }
  for (int v = 0; v < 32; v++) idt_set_handler(v, on_l1_exception);
  outb(0x21, 0xff); /* L1 sets IF briefly after each exit: keep the 8259s quiet */
  outb(0xa1, 0xff);
  int failed_blocks = 0;
  uint64_t failed_steps = 0;
  for (uint64_t b = 0; b < blocks; b++) {
    int fails = 0;
    uint64_t lo = first + b * blk, hi = lo + blk > first + ops ? first + ops : lo + blk;
    for (step = lo; step < hi; step++) {
      step_failures = 0;
      step_sig = 0;
      kind_name = "setup";
      rs = mix(seed, step);
      *(uint32_t *)vmcs_region = rev;
      if (baseline()) {
        uint64_t k = below(100);
        if (k < 50) step_launch();
        else if (k < 70) step_boundary();
        else if (k < 85) step_pointers();
        else step_fields();
      }
      if (step_failures) fails++, failed_steps++;
      if (trace)
        printf("# step %lu kind=%s outcome=0x%lx failures=%d\n", (unsigned long)step, kind_name,
               (unsigned long)step_sig, step_failures);
    }
    if (fails) failed_blocks++;
    printf("%sok %lu - seed %lu steps %lu..%lu: %d failing steps\n", fails ? "not " : "",
           (unsigned long)(b + 1), (unsigned long)seed, (unsigned long)lo, (unsigned long)(hi - 1), fails);
  }
  printf("# summary: seed=%lu ops=%lu exits=%lu vmfail=%lu entry-failures=%lu boundary-checks=%lu "
         "failing-steps=%lu\n",
         (unsigned long)seed, (unsigned long)ops, (unsigned long)n_exits, (unsigned long)n_vmfail,
         (unsigned long)n_entry_fail, (unsigned long)n_boundary, (unsigned long)failed_steps);
  printf("# exit reasons:");
  for (int r = 0; r < 70; r++)
    if (reasons[r]) printf(" %d:%lu", r, (unsigned long)reasons[r]);
  printf("\n");
  (void)cap_exit;
  (void)cap_entry;
  (void)base;
  return failed_blocks ? EXIT_FAIL : EXIT_PASS;
}

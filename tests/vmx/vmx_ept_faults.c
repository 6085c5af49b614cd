/*
 * VMX conformance guest, part 2 (issue 8 item 2, EPT): an L2 under L1's
 * EPT whose violations L1 fixes up (SDM Vol. 3C 29.3.3; qualification
 * Table 28-7: bits 2:0 the access, 5:3 the permissions of the EPT entry,
 * 7 guest-linear address valid, 8 the access was to the final translation
 * and not to a paging structure), the guest-physical and guest-linear
 * address fields (28.2.1), EPT misconfigurations (reason 49, 29.3.3.1),
 * INVEPT and INVVPID outcomes (31.3: VMfailValid 28 for unsupported types
 * or invalid operands) and their exits when executed in L2 (reasons 50 and
 * 53 with instruction information, Table 28-13).
 */
#include "harness.h"

#define X(...) L2_LABELS(__VA_ARGS__)

/* The page L2 touches: data at its start, a VMCALL at offset 0x800. */
static uint8_t epage[4096] __attribute__((aligned(4096)));
static struct ept ept;
static uint64_t caps;

static void flush(void) {
  if ((caps >> 20) & 1) invept((caps >> 25) & 1 ? 1 : 2, ept.eptp);
}

X(l2_rd[], l2_wr[], l2_fetch[], l2_rwx_end[]);
L2_ASM("l2_rd: movl (%rbx), %eax\n"
       "l2_wr: movl $7, 4(%rbx)\n"
       "lea 0x800(%rbx), %rcx\n"
       "l2_fetch: call *%rcx\n"
       "l2_rwx_end: vmcall\n jmp l2_rwx_end");
X(l2_xo[], l2_xo_end[]);
L2_ASM("l2_xo: movl 8(%rbx), %eax\n l2_xo_end: vmcall\n jmp l2_xo_end");
X(l2_walk[], l2_walk_end[]);
L2_ASM("l2_walk: nop\n l2_walk_end: vmcall\n jmp l2_walk_end");
X(l2_inv[], l2_invept[], l2_invvpid[], l2_inv_end[]);
L2_ASM("l2_inv: lea vmx_ept_desc(%rip), %rsi\n mov $1, %edx\n"
       "l2_invept: invept 0x10(%rsi), %rdx\n"
       "l2_invvpid: invvpid (%rsi,%rdx,8), %rdx\n"
       "l2_inv_end: vmcall\n jmp l2_inv_end");
uint64_t vmx_ept_desc[8];

static bool at_vmcall(const struct xit *x, const void *rip) {
  bool good = xit_is(x, EXIT_VMCALL, rip);
  if (!good) xit_diag("expected VMCALL", x);
  return good;
}

static bool violation(const struct xit *x, const void *rip, uint64_t qual, uint64_t addr) {
  bool good = xit_is(x, EXIT_EPT_VIOLATION, rip) && (x->qual & 0x1ff) == qual && x->gpa == addr &&
              x->gla == addr;
  if (!good) xit_diag("expected EPT violation", x);
  return good;
}

static void test_violations(void) {
  uint64_t page = (uintptr_t)epage;
  epage[0] = 0x11;
  epage[8] = 0x22;
  epage[0x800] = 0x0f; /* vmcall; ret */
  epage[0x801] = 0x01;
  epage[0x802] = 0xc1;
  epage[0x803] = 0xc3;
  ept_unmap_4k(&ept, page);
  flush();
  memset(&g, 0, sizeof g);
  g.rbx = page;
  struct xit x = h_enter(l2_rd, 2);
  t_ok(violation(&x, l2_rd, 0x181, page),
       "read of an unmapped page: exit 48, qualification 0x%lx (read, not present, linear valid, "
       "final translation), guest-physical = guest-linear = 0x%lx",
       (unsigned long)x.qual, (unsigned long)x.gpa);
  ept_map_4k(&ept, page, page, EPT_R);
  flush();
  x = h_run();
  t_ok(violation(&x, l2_wr, 0x18a, page + 4) && g.rax == 0x11,
       "L1 mapped it read-only and resumed: the read retried and got 0x%lx; the write exits with "
       "qualification 0x%lx (write, readable)",
       (unsigned long)g.rax, (unsigned long)x.qual);
  ept_map_4k(&ept, page, page, EPT_R | EPT_W);
  flush();
  x = h_run();
  t_ok(violation(&x, (void *)(page + 0x800), 0x19c, page + 0x800) && epage[4] == 7,
       "mapped read/write: the write landed; a call into the page exits at the target with "
       "qualification 0x%lx (fetch, readable+writable)",
       (unsigned long)x.qual);
  ept_map_4k(&ept, page, page, EPT_RWX);
  flush();
  x = h_run();
  t_ok(at_vmcall(&x, (void *)(page + 0x800)), "mapped RWX: L2 executes the VMCALL in that page");
  x = h_skip_run();
  t_ok(at_vmcall(&x, l2_rwx_end), "L2 returned from the page and finished");
  if (caps & 1) {
    ept_map_4k(&ept, page, page, EPT_X);
    flush();
    x = h_enter(l2_xo, 2);
    t_ok(violation(&x, l2_xo, 0x1a1, page + 8),
         "execute-only page (IA32_VMX_EPT_VPID_CAP[0]): a read exits with qualification 0x%lx",
         (unsigned long)x.qual);
  } else {
    t_skip(1, "execute-only EPT translations not advertised");
  }
  ept_map_4k(&ept, page, page, EPT_RWX);
  flush();
}

/* L2 with its own copy of L1's PML4 in a page that EPT does not map: the page walk faults. */
static void test_walk(void) {
  uint64_t *pml4 = alloc_page();
  memcpy(pml4, (void *)(uintptr_t)(read_cr3() & ~0xfffull), 4096);
  ept_unmap_4k(&ept, (uintptr_t)pml4);
  flush();
  vw(GUEST_CR3, (uintptr_t)pml4);
  struct xit x = h_enter(l2_walk, 2);
  uint64_t entry = (uintptr_t)pml4 + 8 * (((uintptr_t)l2_walk >> 39) & 511);
  bool good = xit_is(&x, EXIT_EPT_VIOLATION, l2_walk) && (x.qual & 0x180) == 0x80 &&
              (x.qual & 0x38) == 0 && x.gpa == entry && x.gla == (uintptr_t)l2_walk;
  if (!good) xit_diag("page walk", &x);
  t_ok(good,
       "L2's PML4 not mapped by EPT: violation during the page walk, qualification 0x%lx (bit 7 set, "
       "bit 8 clear), guest-physical = the PML4 entry",
       (unsigned long)x.qual);
  ept_map_4k(&ept, (uintptr_t)pml4, (uintptr_t)pml4, EPT_RWX);
  flush();
  x = h_run();
  t_ok(at_vmcall(&x, l2_walk_end), "L1 mapped the paging structure: L2 runs on its own CR3");
  vw(GUEST_CR3, read_cr3());
}

/* An EPT violation while delivering L2's INT 0x41 (its IDT gate is unmapped): IDT-vectoring info. */
X(l2_swint[], l2_swint_end[]);
L2_ASM("l2_swint: int $0x41\n l2_swint_end: vmcall\n jmp l2_swint_end");
static void test_delivery(void) {
  struct dtr idt;
  sidt(&idt);
  uint64_t gate = idt.base + 0x41 * 16, page = gate & ~0xfffull;
  l2_record_vector(0x41);
  memset((void *)&l2_ev, 0, sizeof l2_ev);
  ept_unmap_4k(&ept, page);
  flush();
  memset(&g, 0, sizeof g);
  struct xit x = h_enter(l2_swint, 2);
  bool good = xit_is(&x, EXIT_EPT_VIOLATION, l2_swint) && (x.qual & 0x187) == 0x181 && x.gpa == gate &&
              x.idt == 0x80000441u && x.len == 2 && l2_ev.count == 0;
  if (!good) xit_diag("INT 0x41 delivery", &x);
  t_ok(good,
       "EPT violation reading the IDT gate of L2's INT 0x41: GPA = the gate (0x%lx), IDT-vectoring "
       "0x%x (software interrupt), length %u, RIP at the INT",
       (unsigned long)x.gpa, x.idt, x.len);
  ept_map_4k(&ept, page, page, EPT_RWX);
  flush();
  x = h_run(); /* RIP is the INT itself: resuming delivers it again */
  t_ok(at_vmcall(&x, l2_swint_end) && l2_ev.count == 1 && l2_ev.vector == 0x41 &&
           l2_ev.rip == (uintptr_t)l2_swint_end,
       "L1 mapped the IDT page and resumed: L2's handler got vector 0x41, returning after the INT");
}

static void test_misconfig(void) {
  uint64_t page = (uintptr_t)epage;
  uint64_t *leaf = ept_leaf(&ept, page);
  uint64_t good_entry = *leaf;
  *leaf = (good_entry & ~7ull) | EPT_W; /* write-only: misconfigured */
  flush();
  memset(&g, 0, sizeof g);
  g.rbx = page;
  struct xit x = h_enter(l2_xo, 2);
  t_ok(xit_is(&x, EXIT_EPT_MISCONFIG, l2_xo) && x.gpa == page + 8,
       "write-only EPT entry: EPT misconfiguration, exit 49, guest-physical 0x%lx", (unsigned long)x.gpa);
  *leaf = (good_entry & ~0x38ull) | (2u << 3); /* memory type 2: reserved */
  flush();
  x = h_run();
  t_ok(xit_is(&x, EXIT_EPT_MISCONFIG, l2_xo) && x.gpa == page + 8,
       "EPT leaf with reserved memory type 2: exit 49");
  *leaf = good_entry;
  flush();
  x = h_run();
  t_ok(at_vmcall(&x, l2_xo_end) && g.rax == 0x22, "entry repaired: L2's read completes (0x%lx)", (unsigned long)g.rax);
}

static void expect(struct vmx_result r, enum vmx_kind kind, uint32_t err, const char *what) {
  t_ok(r.kind == kind && (kind != VMX_FAIL_VALID || r.error == err),
       "%s: %s%s (got kind %d error %u)", what, kind == VMX_OK ? "VMsucceed" : "VMfailValid",
       kind == VMX_OK ? "" : "(28)", r.kind, r.error);
}

static void test_invept_invvpid(void) {
  expect(invept(1, ept.eptp), (caps >> 25) & 1 ? VMX_OK : VMX_FAIL_VALID, 28, "INVEPT single-context");
  expect(invept(2, ept.eptp), (caps >> 26) & 1 ? VMX_OK : VMX_FAIL_VALID, 28, "INVEPT all-context");
  expect(invept(0, ept.eptp), VMX_FAIL_VALID, 28, "INVEPT type 0 (not defined)");
  expect(invept(3, ept.eptp), VMX_FAIL_VALID, 28, "INVEPT type 3 (not defined)");
  expect(invept(1, (ept.eptp & ~7ull) | 2), VMX_FAIL_VALID, 28,
         "INVEPT single-context with an EPTP of memory type 2");
  bool vpid = (caps >> 32) & 1;
  if (!vpid) {
    t_skip(6, "INVVPID not advertised");
  } else {
    expect(invvpid(2, 0, 0), VMX_OK, 0, "INVVPID all-context");
    expect(invvpid(1, 5, 0), VMX_OK, 0, "INVVPID single-context, VPID 5");
    expect(invvpid(1, 0, 0), VMX_FAIL_VALID, 28, "INVVPID single-context with VPID 0");
    expect(invvpid(0, 5, 0x0000800000000000ull), VMX_FAIL_VALID, 28,
           "INVVPID individual-address with a non-canonical address");
    expect(invvpid(3, 5, 0), (caps >> 43) & 1 ? VMX_OK : VMX_FAIL_VALID, 28,
           "INVVPID single-context retaining globals");
    expect(invvpid(4, 5, 0), VMX_FAIL_VALID, 28, "INVVPID type 4 (not defined)");
  }
  /* In L2 both exit unconditionally (with VPID enabled for this run). */
  if (can_proc2(PROC2_ENABLE_VPID)) {
    h_controls(0, 0, PROC2_ENABLE_EPT | PROC2_ENABLE_VPID);
    vw(VPID, 1);
  }
  memset(&g, 0, sizeof g);
  struct xit x = h_enter(l2_inv, 2);
  /* Memory operand: 1:0 scale, 9:7 asize, 10 (0), 17:15 seg, 21:18 index, 22, 26:23 base, 27; 31:28 reg2. */
  uint32_t m = 0xffff8783;
  t_ok(xit_is(&x, EXIT_INVEPT, l2_invept) && x.len == 6 && x.qual == 0x10 &&
           (x.info & m) == 0x23418100,
       "INVEPT in L2: exit 50, length 6, qualification 0x10, information 0x%x (type in RDX, base RSI)",
       x.info);
  x = h_skip_run();
  t_ok(xit_is(&x, EXIT_INVVPID, l2_invvpid) && x.len == (uint32_t)(l2_inv_end - l2_invvpid) && x.qual == 0 &&
           (x.info & m) == 0x23098103,
       "INVVPID in L2: exit 53, length 6, information 0x%x (scale 8, index RDX, base RSI)", x.info);
  x = h_skip_run();
  t_ok(at_vmcall(&x, l2_inv_end), "INVEPT/INVVPID exits: resumed");
}

int kmain(uint32_t magic, uint32_t mbi) {
  t_plan(28);
  if (!t_ok(h_init(), "VMXON and a VMCS for a 64-bit L2")) t_done();
  if (!can_proc2(PROC2_ENABLE_EPT)) {
    t_skip(27, "EPT not advertised");
    t_done();
  }
  caps = rdmsr(MSR_VMX_EPT_VPID_CAP);
  ept_identity(&ept, 4ull << 30);
  h_controls(0, 0, PROC2_ENABLE_EPT);
  vw(EPT_POINTER, ept.eptp);
  test_violations();
  test_walk();
  test_delivery();
  test_misconfig();
  test_invept_invvpid();
  (void)magic;
  (void)mbi;
  t_done();
}

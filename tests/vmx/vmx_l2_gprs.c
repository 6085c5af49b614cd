/*
 * VM entry leaves the GPRs other than RSP alone (SDM Vol. 3C 27.3: RSP,
 * RIP and RFLAGS come from the guest-state area, the rest is what L1 had),
 * and a VM exit leaves L2's GPRs for L1's exit stub to save. Before each
 * launch L1 writes to port 0xE9 in every form (OUT imm8, OUT DX with 1, 2
 * and 4 bytes, REP OUTSB over more than one REP chunk, REP INSB), which
 * nobody claims when the debug console sits elsewhere; L2 stores RAX, RCX,
 * RDX and RBX RIP-relative next to its code, inverts them and VMCALLs.
 * L1 checks what L2 stored and what its stub saved, without and with EPT.
 */
#include "harness.h"

extern uint64_t l2_seen[4];

L2_LABELS(l2_store[], l2_store_end[]);
L2_ASM(".p2align 4\nl2_seen: .quad 0, 0, 0, 0\n"
       "l2_store: mov %rax, l2_seen(%rip)\n"
       "mov %rcx, l2_seen+8(%rip)\n"
       "mov %rdx, l2_seen+16(%rip)\n"
       "mov %rbx, l2_seen+24(%rip)\n"
       "not %rax\n not %rcx\n not %rdx\n not %rbx\n"
       "l2_store_end: vmcall\n jmp l2_store_end");

static const uint64_t RAX = 0x1111222233334444ull, RCX = 0x5555666677778888ull;
static const uint64_t RDX = 0x99990000aaaabbbbull, RBX = 0xccccddddeeeeffffull;
static char buf[3000];

static void port_writes(void) {
  memset(buf, '.', sizeof buf);
  buf[sizeof buf - 1] = '\n';
  uint64_t rsi = (uintptr_t)buf, rdi = (uintptr_t)buf, rcx = sizeof buf;
  __asm__ volatile("rep outsb" : "+S"(rsi), "+c"(rcx) : "d"(0xe9) : "memory");
  rcx = 16;
  __asm__ volatile("rep insb" : "+D"(rdi), "+c"(rcx) : "d"(0xe9) : "memory");
  __asm__ volatile("outb %%al, %%dx" ::"a"(0x0a), "d"(0xe9));
  __asm__ volatile("outw %%ax, %%dx" ::"a"(0x0a0a), "d"(0xe9));
  __asm__ volatile("outl %%eax, %%dx" ::"a"(0x0a0a0a0a), "d"(0xe9));
  __asm__ volatile("outb %%al, $0xe9" ::"a"(0x0a));
}

static void run_l2(const char *how) {
  memset(l2_seen, 0, 4 * sizeof l2_seen[0]);
  port_writes();
  memset(&g, 0, sizeof g);
  g.rax = RAX;
  g.rcx = RCX;
  g.rdx = RDX;
  g.rbx = RBX;
  struct xit x = h_enter(l2_store, 2);
  if (!t_ok(xit_is(&x, EXIT_VMCALL, l2_store_end), "%s: L2 ran to its VMCALL", how)) xit_diag("expected VMCALL", &x);
  t_ok(l2_seen[0] == RAX && l2_seen[1] == RCX && l2_seen[2] == RDX && l2_seen[3] == RBX,
       "%s: L2 saw RAX 0x%llx RCX 0x%llx RDX 0x%llx RBX 0x%llx", how, (unsigned long long)l2_seen[0],
       (unsigned long long)l2_seen[1], (unsigned long long)l2_seen[2], (unsigned long long)l2_seen[3]);
  t_ok(g.rax == ~RAX && g.rcx == ~RCX && g.rdx == ~RDX && g.rbx == ~RBX,
       "%s: L1 read back L2's RAX 0x%llx RCX 0x%llx RDX 0x%llx RBX 0x%llx", how, (unsigned long long)g.rax,
       (unsigned long long)g.rcx, (unsigned long long)g.rdx, (unsigned long long)g.rbx);
}

int kmain(uint32_t magic, uint32_t mbi) {
  t_plan(7);
  if (!t_ok(h_init(), "VMXON and a VMCS for a 64-bit L2")) t_done();
  run_l2("no EPT");
  if (!can_proc2(PROC2_ENABLE_EPT)) {
    t_skip(3, "EPT not advertised");
    t_done();
  }
  static struct ept ept;
  ept_identity(&ept, 4ull << 30);
  h_controls(0, 0, PROC2_ENABLE_EPT);
  vw(EPT_POINTER, ept.eptp);
  run_l2("EPT");
  (void)magic;
  (void)mbi;
  t_done();
}

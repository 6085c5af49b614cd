/*
 * VMX conformance guest in 32-bit protected mode (paging on, PAE): VMXON,
 * VMCLEAR, VMPTRLD and the operand-size rules of VMREAD/VMWRITE outside
 * 64-bit mode (SDM Vol. 3C 31.3): the effective operand size is 32 bits, a
 * longer field written by VMWRITE has its high bits cleared, VMREAD of a
 * longer field returns its low 32 bits, and 64-bit fields' high halves are
 * reached through the "high" access encodings.
 */
#include "rt.h"

#define FLAGS_ARITH (FLAGS_CF | FLAGS_PF | FLAGS_AF | FLAGS_ZF | FLAGS_SF | FLAGS_OF)

static uint64_t pdpt[4] __attribute__((aligned(32)));
static uint64_t page_dirs[4][512] __attribute__((aligned(4096)));

static void enable_paging(void) {
  for (uint32_t g = 0; g < 4; g++) {
    pdpt[g] = (uintptr_t)page_dirs[g] | 1;
    for (uint32_t i = 0; i < 512; i++) page_dirs[g][i] = ((uint64_t)g << 30) + ((uint64_t)i << 21) + 0x83;
  }
  write_cr4(read_cr4() | CR4_PAE);
  write_cr3((uintptr_t)pdpt);
  write_cr0(read_cr0() | CR0_PG);
}

static uint32_t op_m64(int which, uint64_t *pa) {
  uint32_t fl;
  switch (which) {
  case 0: __asm__ volatile("movb $0xd5, %%ah; sahf; vmxon %1; pushfl; popl %0" : "=r"(fl) : "m"(*pa) : "eax", "cc", "memory"); break;
  case 1: __asm__ volatile("movb $0xd5, %%ah; sahf; vmclear %1; pushfl; popl %0" : "=r"(fl) : "m"(*pa) : "eax", "cc", "memory"); break;
  case 2: __asm__ volatile("movb $0xd5, %%ah; sahf; vmptrld %1; pushfl; popl %0" : "=r"(fl) : "m"(*pa) : "eax", "cc", "memory"); break;
  default: __asm__ volatile("movb $0xd5, %%ah; sahf; vmxoff; pushfl; popl %0" : "=r"(fl)::"eax", "cc", "memory");
  }
  return fl;
}

static uint32_t vmwrite32(uint32_t field, uint32_t value) {
  uint32_t fl;
  __asm__ volatile("movb $0xd5, %%ah; sahf; vmwrite %1, %2; pushfl; popl %0"
                   : "=r"(fl) : "r"(value), "r"(field) : "eax", "cc");
  return fl;
}

static uint32_t vmread32(uint32_t field, uint32_t *value) {
  uint32_t fl, v = 0;
  __asm__ volatile("movb $0xd5, %%ah; sahf; vmread %2, %1; pushfl; popl %0"
                   : "=r"(fl), "+r"(v) : "r"(field) : "eax", "cc");
  *value = v;
  return fl;
}

static uint32_t vmread_mem(uint32_t field, uint32_t *dest) {
  uint32_t fl;
  __asm__ volatile("movb $0xd5, %%ah; sahf; vmread %2, %1; pushfl; popl %0"
                   : "=r"(fl), "=m"(*dest) : "r"(field) : "eax", "cc", "memory");
  return fl;
}

static uint32_t *region(void) {
  uint32_t *p = alloc_page();
  p[0] = (uint32_t)rdmsr(0x480) & 0x7fffffff;
  return p;
}

int kmain(uint32_t magic, uint32_t mbi) {
  printf("# nestvm VMX conformance: 32-bit protected mode operand sizes\n");
  if (!(cpuid(1, 0).ecx & (1u << 5))) {
    printf("1..0 # SKIP CPUID.1:ECX.VMX is clear\n");
    rt_exit(EXIT_PASS);
  }
  enable_paging();
  uint64_t fc = rdmsr(MSR_IA32_FEATURE_CONTROL);
  if (!(fc & 1)) wrmsr(MSR_IA32_FEATURE_CONTROL, fc | 5);
  write_cr0((read_cr0() | (uint32_t)rdmsr(0x486)) & (uint32_t)rdmsr(0x487));
  write_cr4(((read_cr4() | CR4_VMXE) | (uint32_t)rdmsr(0x488)) & (uint32_t)rdmsr(0x489));
  uint64_t vmxon_pa = (uintptr_t)region(), vmcs = (uintptr_t)region();
  ok((op_m64(0, &vmxon_pa) & FLAGS_ARITH) == 0, "VMXON in 32-bit protected mode with paging");
  ok((op_m64(1, &vmcs) & FLAGS_ARITH) == 0, "VMCLEAR");
  ok((op_m64(2, &vmcs) & FLAGS_ARITH) == 0, "VMPTRLD");

  uint32_t v = 0;
  vmwrite32(0x2011, 0xaabbccdd);               /* TSC offset, high */
  uint32_t fl = vmwrite32(0x2010, 0x11223344); /* TSC offset, full: 32-bit source */
  ok((fl & FLAGS_ARITH) == 0, "VMWRITE of a 64-bit field with a 32-bit operand succeeds");
  vmread32(0x2011, &v);
  ok(v == 0, "VMWRITE outside 64-bit mode clears bits 63:32 of a 64-bit field (high half 0x%x)", v);
  vmwrite32(0x2011, 0x55667788);
  vmread32(0x2010, &v);
  ok(v == 0x11223344, "VMREAD of a 64-bit field returns bits 31:0 (0x%x)", v);
  vmread32(0x2011, &v);
  ok(v == 0x55667788, "the high access encoding reads bits 63:32 (0x%x)", v);
  vmwrite32(0x681e, 0x12345678); /* guest RIP, natural width */
  vmread32(0x681e, &v);
  ok(v == 0x12345678, "natural-width field holds the 32-bit value");
  vmwrite32(0x0800, 0xffff1234); /* guest ES selector, 16-bit */
  vmread32(0x0800, &v);
  ok(v == 0x1234, "16-bit field: VMWRITE ignores bits 31:16, VMREAD zero-extends (0x%x)", v);
  uint32_t mem[2] = {0xdeadbeef, 0xcafef00d};
  fl = vmread_mem(0x2010, mem);
  ok((fl & FLAGS_ARITH) == 0 && mem[0] == 0x11223344 && mem[1] == 0xcafef00d,
     "VMREAD to memory writes 32 bits outside 64-bit mode (0x%x 0x%x)", mem[0], mem[1]);
  fl = vmwrite32(0x7ffe, 1);
  vmread32(0x4400, &v);
  ok((fl & FLAGS_ARITH) == FLAGS_ZF && v == 12, "VMWRITE of an unsupported field: VMfailValid(12)");
  ok((op_m64(3, 0) & FLAGS_ARITH) == 0, "VMXOFF");
  (void)magic;
  (void)mbi;
  done();
}

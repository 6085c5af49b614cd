/* CPU accessors: MSRs, CPUID, control registers, flags, TSC. */
#ifndef NESTVM_CPU_H
#define NESTVM_CPU_H
#include <stdint.h>

#ifdef __x86_64__
typedef uint64_t ureg;
#else
typedef uint32_t ureg;
#endif

struct cpuid_regs {
  uint32_t eax, ebx, ecx, edx;
};

static inline struct cpuid_regs cpuid(uint32_t leaf, uint32_t sub) {
  struct cpuid_regs r;
  __asm__ volatile("cpuid" : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx) : "a"(leaf), "c"(sub));
  return r;
}
static inline uint64_t rdmsr(uint32_t msr) {
  uint32_t lo, hi;
  __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
  return ((uint64_t)hi << 32) | lo;
}
static inline void wrmsr(uint32_t msr, uint64_t v) {
  __asm__ volatile("wrmsr" ::"c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}
static inline uint64_t rdtsc(void) {
  uint32_t lo, hi;
  __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
  return ((uint64_t)hi << 32) | lo;
}
#define DEFINE_CR(n)                                                              \
  static inline ureg read_cr##n(void) {                                           \
    ureg v;                                                                       \
    __asm__ volatile("mov %%cr" #n ", %0" : "=r"(v));                             \
    return v;                                                                     \
  }                                                                               \
  static inline void write_cr##n(ureg v) { __asm__ volatile("mov %0, %%cr" #n ::"r"(v) : "memory"); }
DEFINE_CR(0)
DEFINE_CR(2)
DEFINE_CR(3)
DEFINE_CR(4)
#undef DEFINE_CR

static inline ureg read_flags(void) {
  ureg f;
  __asm__ volatile("pushf; pop %0" : "=r"(f));
  return f;
}
static inline void cli(void) { __asm__ volatile("cli" ::: "memory"); }
static inline void sti(void) { __asm__ volatile("sti" ::: "memory"); }
static inline void hlt(void) { __asm__ volatile("hlt" ::: "memory"); }
/* sti; hlt as one pair so an interrupt cannot slip in between. */
static inline void sti_hlt(void) { __asm__ volatile("sti; hlt" ::: "memory"); }
static inline void invlpg(uintptr_t a) { __asm__ volatile("invlpg (%0)" ::"r"(a) : "memory"); }

struct dtr {
  uint16_t limit;
  ureg base;
} __attribute__((packed));
static inline void sgdt(struct dtr *d) { __asm__ volatile("sgdt %0" : "=m"(*d)); }
static inline void sidt(struct dtr *d) { __asm__ volatile("sidt %0" : "=m"(*d)); }
static inline uint16_t str(void) {
  uint16_t s;
  __asm__ volatile("str %0" : "=r"(s));
  return s;
}
#define READ_SEG(name)                                                 \
  static inline uint16_t read_##name(void) {                           \
    uint16_t s;                                                        \
    __asm__ volatile("mov %%" #name ", %0" : "=r"(s));                 \
    return s;                                                          \
  }
READ_SEG(cs)
READ_SEG(ds)
READ_SEG(es)
READ_SEG(ss)
READ_SEG(fs)
READ_SEG(gs)
#undef READ_SEG

#define MSR_IA32_APIC_BASE 0x1b
#define MSR_IA32_FEATURE_CONTROL 0x3a
#define MSR_IA32_SYSENTER_CS 0x174
#define MSR_IA32_SYSENTER_ESP 0x175
#define MSR_IA32_SYSENTER_EIP 0x176
#define MSR_IA32_DEBUGCTL 0x1d9
#define MSR_IA32_PAT 0x277
#define MSR_EFER 0xc0000080
#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_CSTAR 0xc0000083
#define MSR_FMASK 0xc0000084
#define MSR_FS_BASE 0xc0000100
#define MSR_GS_BASE 0xc0000101
#define MSR_KERNEL_GS_BASE 0xc0000102

#define CR0_PE (1u << 0)
#define CR0_NE (1u << 5)
#define CR0_WP (1u << 16)
#define CR0_PG (1u << 31)
#define CR4_PSE (1u << 4)
#define CR4_PAE (1u << 5)
#define CR4_VMXE (1u << 13)
#define EFER_SCE (1u << 0)
#define EFER_LME (1u << 8)
#define EFER_LMA (1u << 10)
#define EFER_NXE (1u << 11)
#define FLAGS_CF (1u << 0)
#define FLAGS_PF (1u << 2)
#define FLAGS_AF (1u << 4)
#define FLAGS_ZF (1u << 6)
#define FLAGS_SF (1u << 7)
#define FLAGS_TF (1u << 8)
#define FLAGS_IF (1u << 9)
#define FLAGS_DF (1u << 10)
#define FLAGS_OF (1u << 11)
#endif

/*
 * VMX instruction wrappers that return the outcome as a value, VMCS field
 * encodings (SDM Vol. 3D Appendix B), exit reasons (Appendix C), capability
 * MSRs, and the VMCS/EPT helpers (vmcs.c, ept.c). 64-bit only.
 */
#ifndef NESTVM_VMX_H
#define NESTVM_VMX_H
#include "rt.h"

/* Outcome of a VMX instruction (SDM Vol. 3C 31.2 "Conventions"). */
enum vmx_kind { VMX_OK = 0, VMX_FAIL_INVALID = 1, VMX_FAIL_VALID = 2 };
struct vmx_result {
  enum vmx_kind kind;
  uint32_t error; /* VM-instruction error (field 0x4400) for VMX_FAIL_VALID */
  uint64_t flags; /* RFLAGS right after the instruction */
};

#define VMX_ARITH_FLAGS (FLAGS_CF | FLAGS_PF | FLAGS_AF | FLAGS_ZF | FLAGS_SF | FLAGS_OF)

static inline uint64_t vmx_read_error_raw(void) {
  uint64_t v = 0;
  __asm__ volatile("vmread %1, %0" : "=r"(v) : "r"((uint64_t)0x4400) : "cc");
  return v;
}

static inline struct vmx_result vmx_result_from(uint64_t fl) {
  struct vmx_result r = {VMX_OK, 0, fl};
  if (fl & FLAGS_CF) r.kind = VMX_FAIL_INVALID;
  else if (fl & FLAGS_ZF) {
    r.kind = VMX_FAIL_VALID;
    r.error = (uint32_t)vmx_read_error_raw();
  }
  return r;
}

/*
 * Every wrapper first sets SF ZF AF PF CF (MOV $0xd5, %ah; SAHF) so that a
 * VMsucceed visibly clears them and a VMfail visibly clears all but CF or ZF.
 */
#define VMX_PRESET "movb $0xd5, %%ah; sahf; "

#define VMX_MEM_OP(name, insn)                                                     \
  static inline struct vmx_result name(uint64_t pa) {                             \
    uint64_t fl;                                                                  \
    __asm__ volatile(VMX_PRESET insn " %1; pushfq; popq %0"                       \
                     : "=r"(fl) : "m"(pa) : "rax", "cc", "memory");               \
    return vmx_result_from(fl);                                                   \
  }
VMX_MEM_OP(vmxon, "vmxon")
VMX_MEM_OP(vmclear, "vmclear")
VMX_MEM_OP(vmptrld, "vmptrld")
#undef VMX_MEM_OP

static inline struct vmx_result vmxoff(void) {
  uint64_t fl;
  __asm__ volatile(VMX_PRESET "vmxoff; pushfq; popq %0" : "=r"(fl)::"rax", "cc", "memory");
  return vmx_result_from(fl);
}

static inline struct vmx_result vmptrst(uint64_t *pa) {
  uint64_t fl;
  __asm__ volatile(VMX_PRESET "vmptrst %1; pushfq; popq %0" : "=r"(fl), "=m"(*pa)::"rax", "cc", "memory");
  return vmx_result_from(fl);
}

static inline struct vmx_result vmread(uint64_t field, uint64_t *value) {
  uint64_t fl, v = 0;
  __asm__ volatile(VMX_PRESET "vmread %2, %1; pushfq; popq %0" : "=r"(fl), "+r"(v) : "r"(field) : "rax", "cc");
  *value = v;
  return vmx_result_from(fl);
}

static inline struct vmx_result vmwrite(uint64_t field, uint64_t value) {
  uint64_t fl;
  __asm__ volatile(VMX_PRESET "vmwrite %1, %2; pushfq; popq %0" : "=r"(fl) : "r"(value), "r"(field) : "rax", "cc");
  return vmx_result_from(fl);
}

/* VMREAD that returns the value (0 on failure), for fields known to exist. */
static inline uint64_t vmr(uint64_t field) {
  uint64_t v;
  vmread(field, &v);
  return v;
}

struct invept_desc {
  uint64_t eptp, reserved;
};
struct invvpid_desc {
  uint64_t vpid, linear;
};
static inline struct vmx_result invept(uint64_t type, uint64_t eptp) {
  struct invept_desc d = {eptp, 0};
  uint64_t fl;
  __asm__ volatile(VMX_PRESET "invept %1, %2; pushfq; popq %0" : "=r"(fl) : "m"(d), "r"(type) : "rax", "cc", "memory");
  return vmx_result_from(fl);
}
static inline struct vmx_result invvpid(uint64_t type, uint16_t vpid, uint64_t linear) {
  struct invvpid_desc d = {vpid, linear};
  uint64_t fl;
  __asm__ volatile(VMX_PRESET "invvpid %1, %2; pushfq; popq %0" : "=r"(fl) : "m"(d), "r"(type) : "rax", "cc", "memory");
  return vmx_result_from(fl);
}

/* Guest registers that VM entry/exit do not switch (RSP/RIP/RFLAGS live in the VMCS). */
struct guest_regs {
  uint64_t rax, rcx, rdx, rbx, rsp_unused, rbp, rsi, rdi;
  uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
};

/*
 * VMLAUNCH (launched == 0) or VMRESUME with the GPRs in *regs. Returns a
 * result with kind VMX_OK after a VM exit (the guest GPRs are saved back to
 * *regs); otherwise the VMfail outcome of the instruction. Writes HOST_RSP
 * and HOST_RIP itself.
 */
struct vmx_result vmx_run(struct guest_regs *regs, bool launched);
/* Raw entry point used by vmx_run: returns 0 after a VM exit, else RFLAGS with bit 63 set. */
uint64_t vmx_enter(struct guest_regs *regs, int launched);

/* ---- capability and control MSRs ---- */
#define MSR_VMX_BASIC 0x480
#define MSR_VMX_PINBASED_CTLS 0x481
#define MSR_VMX_PROCBASED_CTLS 0x482
#define MSR_VMX_EXIT_CTLS 0x483
#define MSR_VMX_ENTRY_CTLS 0x484
#define MSR_VMX_MISC 0x485
#define MSR_VMX_CR0_FIXED0 0x486
#define MSR_VMX_CR0_FIXED1 0x487
#define MSR_VMX_CR4_FIXED0 0x488
#define MSR_VMX_CR4_FIXED1 0x489
#define MSR_VMX_VMCS_ENUM 0x48a
#define MSR_VMX_PROCBASED_CTLS2 0x48b
#define MSR_VMX_EPT_VPID_CAP 0x48c
#define MSR_VMX_TRUE_PINBASED_CTLS 0x48d
#define MSR_VMX_TRUE_PROCBASED_CTLS 0x48e
#define MSR_VMX_TRUE_EXIT_CTLS 0x48f
#define MSR_VMX_TRUE_ENTRY_CTLS 0x490
#define MSR_VMX_VMFUNC 0x491

#define FEATURE_CONTROL_LOCK (1u << 0)
#define FEATURE_CONTROL_VMX_OUTSIDE_SMX (1u << 2)

/* ---- VMCS fields ---- */
enum vmcs_field {
  VPID = 0x0000,
  GUEST_ES_SEL = 0x0800, GUEST_CS_SEL = 0x0802, GUEST_SS_SEL = 0x0804, GUEST_DS_SEL = 0x0806,
  GUEST_FS_SEL = 0x0808, GUEST_GS_SEL = 0x080a, GUEST_LDTR_SEL = 0x080c, GUEST_TR_SEL = 0x080e,
  HOST_ES_SEL = 0x0c00, HOST_CS_SEL = 0x0c02, HOST_SS_SEL = 0x0c04, HOST_DS_SEL = 0x0c06,
  HOST_FS_SEL = 0x0c08, HOST_GS_SEL = 0x0c0a, HOST_TR_SEL = 0x0c0c,
  IO_BITMAP_A = 0x2000, IO_BITMAP_B = 0x2002, MSR_BITMAP = 0x2004,
  EXIT_MSR_STORE_ADDR = 0x2006, EXIT_MSR_LOAD_ADDR = 0x2008, ENTRY_MSR_LOAD_ADDR = 0x200a,
  TSC_OFFSET = 0x2010, EPT_POINTER = 0x201a,
  GUEST_PHYSICAL_ADDRESS = 0x2400,
  VMCS_LINK_POINTER = 0x2800, GUEST_DEBUGCTL = 0x2802, GUEST_PAT = 0x2804, GUEST_EFER = 0x2806,
  HOST_PAT = 0x2c00, HOST_EFER = 0x2c02,
  PIN_CONTROLS = 0x4000, PROC_CONTROLS = 0x4002, EXCEPTION_BITMAP = 0x4004,
  PF_ERROR_MASK = 0x4006, PF_ERROR_MATCH = 0x4008, CR3_TARGET_COUNT = 0x400a,
  EXIT_CONTROLS = 0x400c, EXIT_MSR_STORE_COUNT = 0x400e, EXIT_MSR_LOAD_COUNT = 0x4010,
  ENTRY_CONTROLS = 0x4012, ENTRY_MSR_LOAD_COUNT = 0x4014, ENTRY_INTR_INFO = 0x4016,
  ENTRY_EXCEPTION_ERROR = 0x4018, ENTRY_INSTRUCTION_LEN = 0x401a, TPR_THRESHOLD = 0x401c,
  PROC_CONTROLS2 = 0x401e,
  VM_INSTRUCTION_ERROR = 0x4400, EXIT_REASON = 0x4402, EXIT_INTR_INFO = 0x4404,
  EXIT_INTR_ERROR = 0x4406, IDT_VECTORING_INFO = 0x4408, IDT_VECTORING_ERROR = 0x440a,
  EXIT_INSTRUCTION_LEN = 0x440c, EXIT_INSTRUCTION_INFO = 0x440e,
  GUEST_ES_LIMIT = 0x4800, GUEST_CS_LIMIT = 0x4802, GUEST_SS_LIMIT = 0x4804, GUEST_DS_LIMIT = 0x4806,
  GUEST_FS_LIMIT = 0x4808, GUEST_GS_LIMIT = 0x480a, GUEST_LDTR_LIMIT = 0x480c, GUEST_TR_LIMIT = 0x480e,
  GUEST_GDTR_LIMIT = 0x4810, GUEST_IDTR_LIMIT = 0x4812,
  GUEST_ES_AR = 0x4814, GUEST_CS_AR = 0x4816, GUEST_SS_AR = 0x4818, GUEST_DS_AR = 0x481a,
  GUEST_FS_AR = 0x481c, GUEST_GS_AR = 0x481e, GUEST_LDTR_AR = 0x4820, GUEST_TR_AR = 0x4822,
  GUEST_INTERRUPTIBILITY = 0x4824, GUEST_ACTIVITY = 0x4826, GUEST_SMBASE = 0x4828,
  GUEST_SYSENTER_CS = 0x482a, PREEMPTION_TIMER = 0x482e,
  HOST_SYSENTER_CS = 0x4c00,
  CR0_MASK = 0x6000, CR4_MASK = 0x6002, CR0_SHADOW = 0x6004, CR4_SHADOW = 0x6006,
  CR3_TARGET0 = 0x6008,
  EXIT_QUALIFICATION = 0x6400, GUEST_LINEAR_ADDRESS = 0x640a,
  GUEST_CR0 = 0x6800, GUEST_CR3 = 0x6802, GUEST_CR4 = 0x6804,
  GUEST_ES_BASE = 0x6806, GUEST_CS_BASE = 0x6808, GUEST_SS_BASE = 0x680a, GUEST_DS_BASE = 0x680c,
  GUEST_FS_BASE = 0x680e, GUEST_GS_BASE = 0x6810, GUEST_LDTR_BASE = 0x6812, GUEST_TR_BASE = 0x6814,
  GUEST_GDTR_BASE = 0x6816, GUEST_IDTR_BASE = 0x6818, GUEST_DR7 = 0x681a, GUEST_RSP = 0x681c,
  GUEST_RIP = 0x681e, GUEST_RFLAGS = 0x6820, GUEST_PENDING_DBG = 0x6822,
  GUEST_SYSENTER_ESP = 0x6824, GUEST_SYSENTER_EIP = 0x6826,
  HOST_CR0 = 0x6c00, HOST_CR3 = 0x6c02, HOST_CR4 = 0x6c04, HOST_FS_BASE = 0x6c06,
  HOST_GS_BASE = 0x6c08, HOST_TR_BASE = 0x6c0a, HOST_GDTR_BASE = 0x6c0c, HOST_IDTR_BASE = 0x6c0e,
  HOST_SYSENTER_ESP = 0x6c10, HOST_SYSENTER_EIP = 0x6c12, HOST_RSP = 0x6c14, HOST_RIP = 0x6c16,
};

/* Control bits (SDM Vol. 3C 25.6, 25.7, 25.8). */
#define PIN_EXT_INTR_EXITING (1u << 0)
#define PIN_NMI_EXITING (1u << 3)
#define PIN_VIRTUAL_NMIS (1u << 5)
#define PIN_PREEMPTION_TIMER (1u << 6)
#define PROC_INTR_WINDOW (1u << 2)
#define PROC_TSC_OFFSETTING (1u << 3)
#define PROC_HLT_EXITING (1u << 7)
#define PROC_INVLPG_EXITING (1u << 9)
#define PROC_MWAIT_EXITING (1u << 10)
#define PROC_RDPMC_EXITING (1u << 11)
#define PROC_RDTSC_EXITING (1u << 12)
#define PROC_CR3_LOAD_EXITING (1u << 15)
#define PROC_CR3_STORE_EXITING (1u << 16)
#define PROC_CR8_LOAD_EXITING (1u << 19)
#define PROC_CR8_STORE_EXITING (1u << 20)
#define PROC_NMI_WINDOW (1u << 22)
#define PROC_MOV_DR_EXITING (1u << 23)
#define PROC_UNCOND_IO_EXITING (1u << 24)
#define PROC_USE_IO_BITMAPS (1u << 25)
#define PROC_MTF (1u << 27)
#define PROC_USE_MSR_BITMAPS (1u << 28)
#define PROC_MONITOR_EXITING (1u << 29)
#define PROC_PAUSE_EXITING (1u << 30)
#define PROC_SECONDARY (1u << 31)
#define PROC2_ENABLE_EPT (1u << 1)
#define PROC2_DESC_TABLE_EXITING (1u << 2)
#define PROC2_RDTSCP (1u << 3)
#define PROC2_ENABLE_VPID (1u << 5)
#define PROC2_WBINVD_EXITING (1u << 6)
#define PROC2_UNRESTRICTED (1u << 7)
#define PROC2_INVPCID (1u << 12)
#define EXIT_SAVE_DEBUG (1u << 2)
#define EXIT_HOST_ADDR_SPACE (1u << 9)
#define EXIT_ACK_INTR (1u << 15)
#define EXIT_SAVE_PAT (1u << 18)
#define EXIT_LOAD_PAT (1u << 19)
#define EXIT_SAVE_EFER (1u << 20)
#define EXIT_LOAD_EFER (1u << 21)
#define EXIT_SAVE_PREEMPTION (1u << 22)
#define ENTRY_LOAD_DEBUG (1u << 2)
#define ENTRY_IA32E_GUEST (1u << 9)
#define ENTRY_LOAD_PAT (1u << 14)
#define ENTRY_LOAD_EFER (1u << 15)

/* Basic exit reasons (SDM Vol. 3D Appendix C). */
enum exit_reason {
  EXIT_EXCEPTION_NMI = 0, EXIT_EXTERNAL_INTR = 1, EXIT_TRIPLE_FAULT = 2, EXIT_INIT = 3,
  EXIT_SIPI = 4, EXIT_INTR_WINDOW = 7, EXIT_NMI_WINDOW = 8, EXIT_TASK_SWITCH = 9,
  EXIT_CPUID = 10, EXIT_GETSEC = 11, EXIT_HLT = 12, EXIT_INVD = 13, EXIT_INVLPG = 14,
  EXIT_RDPMC = 15, EXIT_RDTSC = 16, EXIT_RSM = 17, EXIT_VMCALL = 18, EXIT_VMCLEAR = 19,
  EXIT_VMLAUNCH = 20, EXIT_VMPTRLD = 21, EXIT_VMPTRST = 22, EXIT_VMREAD = 23,
  EXIT_VMRESUME = 24, EXIT_VMWRITE = 25, EXIT_VMXOFF = 26, EXIT_VMXON = 27,
  EXIT_CR_ACCESS = 28, EXIT_DR_ACCESS = 29, EXIT_IO = 30, EXIT_RDMSR = 31, EXIT_WRMSR = 32,
  EXIT_INVALID_GUEST_STATE = 33, EXIT_MSR_LOADING = 34, EXIT_MWAIT = 36, EXIT_MTF = 37,
  EXIT_MONITOR = 39, EXIT_PAUSE = 40, EXIT_MCE_DURING_ENTRY = 41, EXIT_TPR_BELOW = 43,
  EXIT_APIC_ACCESS = 44, EXIT_GDTR_IDTR = 46, EXIT_LDTR_TR = 47, EXIT_EPT_VIOLATION = 48,
  EXIT_EPT_MISCONFIG = 49, EXIT_INVEPT = 50, EXIT_RDTSCP = 51, EXIT_PREEMPTION_TIMER = 52,
  EXIT_INVVPID = 53, EXIT_WBINVD = 54, EXIT_XSETBV = 55, EXIT_INVPCID = 58, EXIT_VMFUNC = 59,
};
const char *exit_reason_name(unsigned reason);

/* ---- helpers (vmcs.c) ---- */

/* Adjust desired control bits by a capability MSR: allowed-0 (low) must be 1, allowed-1 (high) may be 1. */
uint32_t vmx_adjust_controls(uint32_t desired, uint32_t msr);
/* Whether IA32_VMX_BASIC reports the TRUE_* capability MSRs (bit 55). */
bool vmx_has_true_ctls(void);
/* Allocate a VMCS/VMXON region with the revision id from IA32_VMX_BASIC. */
void *vmx_alloc_region(void);
/* Set CR4.VMXE, make CR0/CR4 satisfy the FIXED MSRs, lock IA32_FEATURE_CONTROL if needed. */
bool vmx_enable(void);

/* What vmcs_setup_l2 should build. */
struct l2_config {
  void (*entry)(void); /* L2 RIP */
  void *stack_top;     /* L2 RSP */
  uint32_t pin, proc, proc2, exit, entry_ctls; /* extra desired control bits */
  uint64_t eptp;       /* 0: no EPT */
  uint16_t vpid;       /* 0: no VPID */
};
/* The control values actually written (after MSR adjustment). */
struct l2_controls {
  uint32_t pin, proc, proc2, exit, entry;
};
/*
 * Fill the current VMCS: host state = the current L1 state (HOST_RIP/RSP are
 * set by vmx_run), guest state = a flat 64-bit L2 sharing L1's page tables,
 * GDT and IDT, with its own RIP/RSP; controls adjusted by the capability
 * MSRs. Returns false if a VMWRITE failed.
 */
bool vmcs_setup_l2(const struct l2_config *cfg, struct l2_controls *out);
/* Advance guest RIP by the VM-exit instruction length. */
void vmx_skip_instruction(void);

/* ---- EPT (ept.c) ---- */
struct ept {
  uint64_t *pml4;
  uint64_t eptp;
};
#define EPT_R 1u
#define EPT_W 2u
#define EPT_X 4u
#define EPT_RWX 7u
/* Identity-map guest-physical [0, bytes) with 2 MiB pages, write-back. */
void ept_identity(struct ept *e, uint64_t bytes);
/* Map (or remap) one 4 KiB page gpa -> hpa with perms; splits a 2 MiB page if needed. */
void ept_map_4k(struct ept *e, uint64_t gpa, uint64_t hpa, unsigned perms);
/* Leave the 4 KiB page at gpa unmapped (a hole). */
void ept_unmap_4k(struct ept *e, uint64_t gpa);
/* Pointer to the leaf entry for gpa, or NULL. */
uint64_t *ept_leaf(struct ept *e, uint64_t gpa);
#endif

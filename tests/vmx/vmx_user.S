/* CPL3 code for the VMX conformance guests (entered with user_roundtrip from cpu_sys.S). */
        .text
        .globl user_vmxon_code, user_vmxon_insn
user_vmxon_code:
user_vmxon_insn:
        vmxon vmxon_user_ptr(%rip)
        ud2

        .data
        .align 8
        .globl vmxon_user_ptr
vmxon_user_ptr: .quad 0

/*
 * void compat_vmxon(uint64_t *ptr): far-return into the 32-bit code segment
 * 0x40 (compatibility mode, since IA-32e mode is active) and execute VMXON
 * there, which must raise #UD (rt_try returns to 64-bit mode).
 */
        .text
        .globl compat_vmxon, compat_vmxon_insn
compat_vmxon:
        leaq 1f(%rip), %rax
        pushq $0x40
        pushq %rax
        lretq
        .code32
1:
compat_vmxon_insn:
        vmxon (%edi)
        ud2
        .code64

/* VMX instructions with memory-operand forms the conformance guest checks. */
        .globl probe_vmptrst_at, probe_vmptrst_at_insn
probe_vmptrst_at:                       /* VMPTRST to *(rdi) */
probe_vmptrst_at_insn:
        vmptrst (%rdi)
        ret
        .globl probe_vmptrld_noncanon, probe_vmptrld_noncanon_insn
probe_vmptrld_noncanon:
        movabsq $0x8000000000001000, %rax
probe_vmptrld_noncanon_insn:
        vmptrld (%rax)
        ret
        .globl vmptrld_fs_disp
vmptrld_fs_disp:                        /* VMPTRLD %fs:8(%rdi,%rsi,4); returns RFLAGS */
        vmptrld %fs:8(%rdi,%rsi,4)
        pushfq
        popq %rax
        ret

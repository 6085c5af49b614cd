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

/* Privilege-transition helpers for the CPU conformance guests. */
#ifdef __x86_64__
/*
 * uint64_t user_roundtrip(void (*user_fn)(void), void *user_stack)
 * SYSRET to user_fn at CPL3 on user_stack; returns when user code executes
 * SYSCALL (sc_* record what the kernel saw).
 */
        .text
        .globl user_roundtrip, syscall_entry, user_syscall_code, user_syscall_ret
user_roundtrip:
        pushq %rbx
        pushq %rbp
        pushq %r12
        pushq %r13
        pushq %r14
        pushq %r15
        movq %rsp, saved_ksp(%rip)
        movq %rdi, %rcx
        movl $0x2, %r11d
        movq %rsi, %rsp
        sysretq
syscall_entry:
        movq %rcx, sc_rcx(%rip)
        movq %r11, sc_r11(%rip)
        movq %rax, sc_rax(%rip)
        movq %rdx, sc_user_cs(%rip)
        movl %cs, %eax
        movq %rax, sc_cs(%rip)
        movl %ss, %eax
        movq %rax, sc_ss(%rip)
        pushfq
        popq sc_rflags(%rip)
        movq saved_ksp(%rip), %rsp
        popq %r15
        popq %r14
        popq %r13
        popq %r12
        popq %rbp
        popq %rbx
        ret
user_syscall_code:
        movl %cs, %edx
        movl $42, %eax
        syscall
user_syscall_ret:
        ud2

        .globl user_hlt_code, user_hlt_insn
user_hlt_code:
user_hlt_insn:
        hlt
        ud2

        .bss
        .align 8
saved_ksp: .quad 0
        .globl sc_rcx, sc_r11, sc_rax, sc_cs, sc_ss, sc_rflags, sc_user_cs
sc_rcx: .quad 0
sc_r11: .quad 0
sc_rax: .quad 0
sc_cs: .quad 0
sc_ss: .quad 0
sc_rflags: .quad 0
sc_user_cs: .quad 0
#else
/*
 * uint32_t user_roundtrip(void (*user_fn)(void), void *user_stack)
 * SYSEXIT to user_fn at CPL3; returns when user code executes SYSENTER.
 */
        .text
        .globl user_roundtrip, sysenter_entry, user_syscall_code, user_syscall_ret
user_roundtrip:
        pushl %ebx
        pushl %ebp
        pushl %esi
        pushl %edi
        movl %esp, saved_ksp
        movl 20(%esp), %edx             /* EIP for SYSEXIT */
        movl 24(%esp), %ecx             /* ESP for SYSEXIT */
        sysexit
sysenter_entry:
        movl %eax, sc_rax
        movl %edx, sc_user_cs
        movl %cs, %eax
        movl %eax, sc_cs
        movl %ss, %eax
        movl %eax, sc_ss
        pushfl
        popl sc_rflags
        movl saved_ksp, %esp
        popl %edi
        popl %esi
        popl %ebp
        popl %ebx
        ret
user_syscall_code:
        movl %cs, %edx
        movl $42, %eax
        sysenter
user_syscall_ret:
        ud2

        .globl user_hlt_code, user_hlt_insn
user_hlt_code:
user_hlt_insn:
        hlt
        ud2

        .bss
        .align 4
saved_ksp: .long 0
        .globl sc_rcx, sc_r11, sc_rax, sc_cs, sc_ss, sc_rflags, sc_user_cs
sc_rcx: .long 0
sc_r11: .long 0
sc_rax: .long 0
sc_cs: .long 0
sc_ss: .long 0
sc_rflags: .long 0
sc_user_cs: .long 0
#endif

/* user code that reads TEST_VA (0x40000000) at CPL3 */
        .text
        .globl user_read_code, user_read_insn
user_read_code:
user_read_insn:
        movl 0x40000000, %eax
        ud2

/*
 * uint64_t roundtrip_run(uint64_t n)
 *
 * The nested round-trip loop: VMLAUNCH the current VMCS (its guest RIP is
 * roundtrip_l2, which executes CPUID forever), and on each VM exit advance
 * the guest RIP by the VM-exit instruction length and VMRESUME, until n
 * exits have been taken (n >= 1). Returns 0 after the n-th exit (the VMCS
 * still holds its exit reason), or RFLAGS | (1 << 63) if VMLAUNCH or
 * VMRESUME failed. HOST_RSP/HOST_RIP are written here; the rest of the host
 * and guest state comes from vmcs_setup_l2.
 *
 * L2 counts its loops in R14 (VM exits do not switch general registers and
 * the L1 handler leaves R14 alone); the count is stored in roundtrip_l2_loops,
 * so the caller can check that every exit was resumed past the CPUID.
 */
        .text
        .globl roundtrip_run, roundtrip_l2, roundtrip_l2_loops
roundtrip_run:
        pushq %rbp
        pushq %rbx
        pushq %r12
        pushq %r13
        pushq %r14
        pushq %r15
        movq %rdi, %r15                 /* exits left */
        xorl %r14d, %r14d               /* L2 loop count */
        movl $0x6c14, %eax              /* HOST_RSP */
        vmwrite %rsp, %rax
        jbe 9f
        leaq 1f(%rip), %rdx
        movl $0x6c16, %eax              /* HOST_RIP */
        vmwrite %rdx, %rax
        jbe 9f
        vmlaunch
        jmp 9f
1:      decq %r15                       /* a VM exit lands here */
        jz 8f
        movl $0x440c, %eax              /* VM-exit instruction length */
        vmread %rax, %rbx
        movl $0x681e, %eax              /* guest RIP */
        vmread %rax, %rcx
        addq %rbx, %rcx
        vmwrite %rcx, %rax
        vmresume
9:      pushfq                          /* VMfail */
        popq %rax
        btsq $63, %rax
        jmp 7f
8:      movq %r14, roundtrip_l2_loops(%rip)
        xorl %eax, %eax
7:      popq %r15
        popq %r14
        popq %r13
        popq %r12
        popq %rbx
        popq %rbp
        ret

roundtrip_l2:
        incq %r14
        xorl %eax, %eax
        cpuid
        jmp roundtrip_l2

        .bss
        .align 8
roundtrip_l2_loops:
        .quad 0

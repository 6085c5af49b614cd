/*
 * uint64_t vmx_enter(struct guest_regs *regs, int launched)
 *
 * Saves the callee-saved registers, writes HOST_RSP (pointing at the saved
 * regs pointer) and HOST_RIP (vmx_exit_landing), loads the guest GPRs and
 * executes VMLAUNCH (launched == 0) or VMRESUME. If the instruction fails it
 * returns RFLAGS | (1 << 63). On a VM exit the processor loads HOST_RSP and
 * HOST_RIP: the landing saves the guest GPRs into *regs and returns 0.
 */
        .text
        .globl vmx_enter, vmx_exit_landing
vmx_enter:
        pushq %rbp
        pushq %rbx
        pushq %r12
        pushq %r13
        pushq %r14
        pushq %r15
        pushq %rdi                      /* regs pointer, at 0(HOST_RSP) */
        movl $0x6c14, %eax              /* HOST_RSP */
        vmwrite %rsp, %rax
        jbe 9f                          /* CF or ZF: VMfail */
        leaq vmx_exit_landing(%rip), %rdx
        movl $0x6c16, %eax              /* HOST_RIP */
        vmwrite %rdx, %rax
        jbe 9f
        cmpl $0, %esi                   /* flags survive the MOVs below */
        movq 0x00(%rdi), %rax
        movq 0x08(%rdi), %rcx
        movq 0x10(%rdi), %rdx
        movq 0x18(%rdi), %rbx
        movq 0x28(%rdi), %rbp
        movq 0x30(%rdi), %rsi
        movq 0x40(%rdi), %r8
        movq 0x48(%rdi), %r9
        movq 0x50(%rdi), %r10
        movq 0x58(%rdi), %r11
        movq 0x60(%rdi), %r12
        movq 0x68(%rdi), %r13
        movq 0x70(%rdi), %r14
        movq 0x78(%rdi), %r15
        movq 0x38(%rdi), %rdi
        jne 1f
        vmlaunch
        jmp 9f
1:      vmresume
9:      pushfq                          /* VMfail: report RFLAGS */
        popq %rax
        btsq $63, %rax
        addq $8, %rsp
        jmp 8f

vmx_exit_landing:
        pushq %rdi                      /* guest RDI */
        movq 8(%rsp), %rdi              /* regs pointer */
        movq %rax, 0x00(%rdi)
        movq %rcx, 0x08(%rdi)
        movq %rdx, 0x10(%rdi)
        movq %rbx, 0x18(%rdi)
        movq %rbp, 0x28(%rdi)
        movq %rsi, 0x30(%rdi)
        movq %r8, 0x40(%rdi)
        movq %r9, 0x48(%rdi)
        movq %r10, 0x50(%rdi)
        movq %r11, 0x58(%rdi)
        movq %r12, 0x60(%rdi)
        movq %r13, 0x68(%rdi)
        movq %r14, 0x70(%rdi)
        movq %r15, 0x78(%rdi)
        popq %rax
        movq %rax, 0x38(%rdi)
        addq $8, %rsp                   /* drop the regs pointer */
        xorl %eax, %eax
8:      popq %r15
        popq %r14
        popq %r13
        popq %r12
        popq %rbx
        popq %rbp
        ret

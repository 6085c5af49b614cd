/*
 * 64-bit interrupt stubs (one 16-byte slot per vector, so the stub of
 * vector n is at rt_isr_stubs + 16*n), the common path that saves the GPRs
 * into a struct irq_frame and calls isr_dispatch, and rt_try.
 */
        .text
        .macro ISR n
        .align 16
        .if (\n == 8) || ((\n >= 10) && (\n <= 14)) || (\n == 17) || (\n == 21) || (\n == 29) || (\n == 30)
        .else
        pushq $-1
        .endif
        pushq $\n
        jmp isr_common
        .endm

        .align 16
        .globl rt_isr_stubs
rt_isr_stubs:
        .altmacro
        .set i, 0
        .rept 256
        ISR %i
        .set i, i + 1
        .endr

isr_common:
        pushq %rax
        pushq %rbx
        pushq %rcx
        pushq %rdx
        pushq %rsi
        pushq %rdi
        pushq %rbp
        pushq %r8
        pushq %r9
        pushq %r10
        pushq %r11
        pushq %r12
        pushq %r13
        pushq %r14
        pushq %r15
        movq %rsp, %rdi
        cld
        call isr_dispatch
        popq %r15
        popq %r14
        popq %r13
        popq %r12
        popq %r11
        popq %r10
        popq %r9
        popq %r8
        popq %rbp
        popq %rdi
        popq %rsi
        popq %rdx
        popq %rcx
        popq %rbx
        popq %rax
        addq $16, %rsp
        iretq

/* int rt_try(try_fn fn, void *arg, struct fault_info *fi) */
        .globl rt_try, rt_try_landing
rt_try:
        pushq %rbx
        pushq %rbp
        pushq %r12
        pushq %r13
        pushq %r14
        pushq %r15
        subq $8, %rsp
        movq %rdx, rt_try_fi(%rip)
        movq %rsp, rt_try_sp(%rip)
        movb $1, rt_try_armed(%rip)
        movq %rdi, %rax
        movq %rsi, %rdi
        call *%rax
        movb $0, rt_try_armed(%rip)
        movl $-1, %eax
rt_try_out:
        addq $8, %rsp
        popq %r15
        popq %r14
        popq %r13
        popq %r12
        popq %rbp
        popq %rbx
        ret
rt_try_landing:                 /* iretq lands here; %eax = vector */
        movq rt_try_sp(%rip), %rsp
        jmp rt_try_out

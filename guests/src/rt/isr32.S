/*
 * 32-bit interrupt stubs (16-byte slots), the common path (pushal into a
 * struct irq_frame, isr_dispatch) and rt_try.
 */
        .text
        .macro ISR n
        .align 16
        .if (\n == 8) || ((\n >= 10) && (\n <= 14)) || (\n == 17) || (\n == 21) || (\n == 29) || (\n == 30)
        .else
        pushl $-1
        .endif
        pushl $\n
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
        pushal
        movl %esp, %eax
        pushl %eax
        cld
        call isr_dispatch
        addl $4, %esp
        popal
        addl $8, %esp
        iret

/* int rt_try(try_fn fn, void *arg, struct fault_info *fi) */
        .globl rt_try, rt_try_landing
rt_try:
        pushl %ebx
        pushl %ebp
        pushl %esi
        pushl %edi
        movl 28(%esp), %eax
        movl %eax, rt_try_fi
        movl %esp, rt_try_sp
        movb $1, rt_try_armed
        movl 20(%esp), %eax
        pushl 24(%esp)
        call *%eax
        addl $4, %esp
        movb $0, rt_try_armed
        movl $-1, %eax
rt_try_out:
        popl %edi
        popl %esi
        popl %ebp
        popl %ebx
        ret
rt_try_landing:                 /* iret lands here; %eax = vector */
        movl rt_try_sp, %esp
        jmp rt_try_out

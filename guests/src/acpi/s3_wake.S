/*
 * Suspend to RAM and the three ways back in (ACPI 6.x Table 5.14):
 *
 * s3_suspend(port, value) saves the callee-saved registers, RSP and IDTR,
 * writes `value` to PM1a_CNT (`port`) and, if the machine did not go to
 * sleep, counts the instructions it ran after the write and returns 0.
 * Each waking vector brings the CPU back to the runtime's 64-bit
 * environment (its GDT, page tables, IDT and TSS) and returns 1 from
 * s3_suspend with the saved registers:
 *
 *  - wake_rm_start..wake_rm_end: copied below 1 MiB and entered in real
 *    mode through Firmware_Waking_Vector. It records CS, DS, FLAGS and CR0
 *    as the firmware left them, then switches to long mode itself (its
 *    stack is in the 4 KiB the copy starts);
 *    s3.c fills wake_rm_gdt_base, wake_rm_cr3 and wake_rm_target first.
 *  - wake32: entered through X_Firmware_Waking_Vector in 32-bit protected
 *    mode (paging off); records CS, FLAGS and CR0, switches to long mode.
 *  - wake64: entered through X_Firmware_Waking_Vector with 64BIT_WAKE_F in
 *    the firmware's long mode; records CS, FLAGS and CR3, loads ours.
 */
#include "long_mode.h"
        .section .text
        .code64
        .globl s3_suspend
s3_suspend:
        movq %rbx, s3_regs+0(%rip)
        movq %rbp, s3_regs+8(%rip)
        movq %r12, s3_regs+16(%rip)
        movq %r13, s3_regs+24(%rip)
        movq %r14, s3_regs+32(%rip)
        movq %r15, s3_regs+40(%rip)
        movq %rsp, s3_regs+48(%rip)
        sidt s3_idtr(%rip)
        movq rt_gdt+0x30(%rip), %rax    /* the TSS descriptor, restored on the way back */
        movq %rax, s3_tss+0(%rip)
        movq rt_gdt+0x38(%rip), %rax
        movq %rax, s3_tss+8(%rip)
        movl %edi, %edx
        movl %esi, %eax
        outw %ax, %dx
        /* Still running: count the instructions that ran after the write. */
        movl $1, s3_after(%rip)
        movl $50000000, %ecx
1:      decl %ecx
        jnz 1b
        xorl %eax, %eax
        ret

        /* Back in the runtime's long mode: segments, TSS, IDT, registers. */
wake64_common:
        movw $0x10, %ax
        movw %ax, %ds
        movw %ax, %es
        movw %ax, %ss
        movw %ax, %fs
        movw %ax, %gs
        /* The TSS descriptor as saved, not busy (the boot's LTR marked it so). */
        movq s3_tss+0(%rip), %rax
        movq %rax, rt_gdt+0x30(%rip)
        movq s3_tss+8(%rip), %rax
        movq %rax, rt_gdt+0x38(%rip)
        andb $0xfd, rt_gdt+0x30+5(%rip)
        movw $0x30, %ax
        ltr %ax
        lidt s3_idtr(%rip)
        movq s3_regs+0(%rip), %rbx
        movq s3_regs+8(%rip), %rbp
        movq s3_regs+16(%rip), %r12
        movq s3_regs+24(%rip), %r13
        movq s3_regs+32(%rip), %r14
        movq s3_regs+40(%rip), %r15
        movq s3_regs+48(%rip), %rsp
        movl $1, %eax
        ret

        .globl wake64
wake64:
        leaq wake_stack_top(%rip), %rsp  /* the firmware leaves RSP 0 */
        movl $3, wake_entry(%rip)
        movw %cs, %ax
        movw %ax, wake_cs(%rip)
        pushfq
        popq %rax
        movl %eax, wake_flags(%rip)
        movq %cr3, %rax
        movq %rax, wake_cr3(%rip)
        movq $rt_pml4, %rax
        movq %rax, %cr3
        lgdt rt_gdt_ptr(%rip)
        pushq $0x08
        leaq wake64_common(%rip), %rax
        pushq %rax
        lretq

        .code32
        .globl wake32
wake32:
        movl $wake_stack_top, %esp
        movl $2, wake_entry
        movw %cs, %ax
        movw %ax, wake_cs
        pushfl
        popl %eax
        movl %eax, wake_flags
        movl %cr0, %eax
        movl %eax, wake_cr0
        lgdt rt_gdt_ptr                 /* limit and the low 32 bits of the base */
        ENTER_LONG_MODE $rt_pml4
        ljmp $0x08, $wake64_common

        .code16
        .globl wake_rm_start, wake_rm_end, wake_rm_gdt_base, wake_rm_cr3, wake_rm_target
        .globl wake_rm_cs, wake_rm_ds, wake_rm_flags, wake_rm_cr0
wake_rm_start:
        movw %ds, %bx
        movw %cs, %ax
        movw %ax, %ds
        movw %ax, %ss                   /* a stack in the copy's own segment */
        movw $0x0ff0, %sp
        movw %bx, (wake_rm_ds - wake_rm_start)
        movw %ax, (wake_rm_cs - wake_rm_start)
        pushfl
        popl %eax
        movl %eax, (wake_rm_flags - wake_rm_start)
        movl %cr0, %eax
        movl %eax, (wake_rm_cr0 - wake_rm_start)
        cli
        lgdtl (wake_rm_gdt - wake_rm_start)
        ENTER_LONG_MODE "(wake_rm_cr3 - wake_rm_start)"
        ljmpl *(wake_rm_target - wake_rm_start)
        .align 8
wake_rm_gdt:
        .word 0x47
wake_rm_gdt_base:
        .long 0
wake_rm_cr3:
        .long 0
wake_rm_target:
        .long 0                         /* wake_rm_long, filled by s3.c */
        .word 0x08
wake_rm_cs:
        .word 0
wake_rm_ds:
        .word 0
wake_rm_flags:
        .long 0
wake_rm_cr0:
        .long 0
wake_rm_end:

        .code64
        .globl wake_rm_long
wake_rm_long:
        movl $1, wake_entry(%rip)
        jmp wake64_common

        .section .bss
        .align 16
        .globl s3_after, wake_entry, wake_cs, wake_flags, wake_cr0, wake_cr3
s3_regs:   .skip 56
s3_idtr:   .skip 16
s3_tss:    .skip 16
s3_after:  .skip 4
wake_entry: .skip 4
wake_cs:   .skip 2
        .align 4
wake_flags: .skip 4
wake_cr0:  .skip 4
        .align 8
wake_cr3:  .skip 8
        .align 16
wake_stack: .skip 4096
wake_stack_top:

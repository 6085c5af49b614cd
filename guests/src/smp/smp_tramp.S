/*
 * AP start-up trampoline: copied to 0x8000 by smp.c and entered through a
 * startup IPI with vector 8 (real mode, CS = 0x0800, IP = 0). It loads the
 * runtime's GDT, enables PAE, EFER.LME and CR0.PG|PE with the BSP's CR3,
 * and jumps straight to 64-bit code, which takes a stack by APIC id and
 * calls ap_main(apic_id). smp.c fills tr_gdt_base and tr_cr3 before the
 * copy.
 */
#include "long_mode.h"
        .section .text
        .code16
        .globl smp_tramp_start, smp_tramp_end, tr_gdt_base, tr_cr3
smp_tramp_start:
        cli
        movw %cs, %ax
        movw %ax, %ds
        lgdtl (tr_gdt - smp_tramp_start)
        ENTER_LONG_MODE "(tr_cr3 - smp_tramp_start)"
        ljmpl *(tr_jump - smp_tramp_start)
        .align 8
tr_gdt:
        .word 0x47
tr_gdt_base:
        .long 0
tr_cr3:
        .long 0
tr_jump:
        .long ap_entry64
        .word 0x08
smp_tramp_end:

        .code64
ap_entry64:
        movw $0x10, %ax
        movw %ax, %ds
        movw %ax, %es
        movw %ax, %ss
        movw %ax, %fs
        movw %ax, %gs
        movl $1, %eax
        cpuid
        shrl $24, %ebx                  /* initial APIC id */
        movl %ebx, %edi
        leaq ap_stacks(%rip), %rsp
        movl %ebx, %eax
        incl %eax
        shll $14, %eax                  /* 16 KiB per AP */
        addq %rax, %rsp
        call ap_main
1:      cli
        hlt
        jmp 1b

        .section .bss
        .align 4096
ap_stacks:
        .skip 16 * 16384

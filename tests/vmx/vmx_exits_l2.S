/*
 * The L2 program of vmx_exits: one exiting instruction per label, in the
 * order L1's table expects them (tests/vmx/vmx_exits.c). %rbx holds the
 * address of the EPT hole, %rsi a linear address for INVLPG.
 */
        .text
        .globl l2_program
        .globl l2_cpuid, l2_hlt, l2_rdtsc, l2_rdmsr, l2_wrmsr, l2_out, l2_in, l2_cr3_read
        .globl l2_cr4_write, l2_invlpg, l2_ud, l2_int3, l2_pause, l2_vmread, l2_wbinvd
        .globl l2_ept_read, l2_done
l2_program:
        xorl %eax, %eax
l2_cpuid:
        cpuid
l2_hlt:
        hlt
l2_rdtsc:
        rdtsc
        movl $0x3a, %ecx
l2_rdmsr:
        rdmsr
        movl $0x277, %ecx
        movl $0x00070406, %eax
        movl $0x00070406, %edx
l2_wrmsr:
        wrmsr
        movb $0x55, %al
l2_out:
        outb %al, $0x80
        movw $0x81, %dx
l2_in:
        inb %dx, %al
l2_cr3_read:
        movq %cr3, %rax
        movq %cr4, %rcx
        orq $0x10, %rcx
l2_cr4_write:
        movq %rcx, %cr4
l2_invlpg:
        invlpg (%rsi)
l2_ud:
        ud2
l2_int3:
        int3
l2_pause:
        pause
        movl $0x681e, %eax
l2_vmread:
        vmread %rax, %rbx
        movq vmx_exits_hole(%rip), %rbx
l2_wbinvd:
        wbinvd
l2_ept_read:
        movl (%rbx), %ecx
        movl $0x646f6e65, %eax
l2_done:
        vmcall
        ud2

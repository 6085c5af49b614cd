/*
 * Multiboot v1 header and 32-bit entry stub that switches to long mode:
 * zeroes BSS, builds identity page tables for the first 4 GiB with 2 MiB
 * pages (user-accessible, so ring-3 tests can run anywhere), loads our GDT,
 * enables PAE, EFER.LME and CR0.PG|NE, far-jumps to 64-bit code and calls
 * rt_start(magic, mbi).
 *
 * GDT: 0x08 kernel code64, 0x10 kernel data, 0x18 user code32, 0x20 user
 * data, 0x28 user code64 (the SYSRET layout with STAR[63:48] = 0x18),
 * 0x30 64-bit TSS (filled by rt_init), 0x40 kernel code32.
 */
#include "long_mode.h"
#define MB_MAGIC 0x1BADB002
#define MB_FLAGS 0x00000003

        .section .multiboot, "a"
        .align 4
        .long MB_MAGIC
        .long MB_FLAGS
        .long -(MB_MAGIC + MB_FLAGS)

        .section .text.boot, "ax"
        .code32
        .globl _start
_start:
        cli
        cld
        movl %eax, %ebp                 /* multiboot magic */
        /* %ebx: multiboot info; keep it */
        movl $__bss_start, %edi
        movl $__bss_end, %ecx
        subl %edi, %ecx
        xorl %eax, %eax
        rep stosb
        movl $rt_stack_top, %esp

        movl $rt_pdpt, %eax
        orl $7, %eax
        movl %eax, rt_pml4
        movl $rt_pd, %eax
        orl $7, %eax
        xorl %ecx, %ecx
1:      movl %eax, rt_pdpt(,%ecx,8)
        addl $4096, %eax
        incl %ecx
        cmpl $4, %ecx
        jb 1b
        xorl %ecx, %ecx
2:      movl %ecx, %eax
        shll $21, %eax
        orl $0x87, %eax                 /* P | RW | US | PS */
        movl %eax, rt_pd(,%ecx,8)
        movl %ecx, %edx
        shrl $11, %edx
        movl %edx, rt_pd+4(,%ecx,8)
        incl %ecx
        cmpl $2048, %ecx
        jb 2b

        lgdt rt_gdt_ptr
        ENTER_LONG_MODE $rt_pml4
        ljmp $0x08, $start64

        .code64
start64:
        movw $0x10, %ax
        movw %ax, %ds
        movw %ax, %es
        movw %ax, %ss
        movw %ax, %fs
        movw %ax, %gs
        movq $rt_stack_top, %rsp
        movl %ebp, %edi
        movl %ebx, %esi
        xorl %ebp, %ebp
        call rt_start
3:      cli
        hlt
        jmp 3b

        .section .data
        .align 16
        .globl rt_gdt
rt_gdt:
        .quad 0
        .quad 0x00AF9A000000FFFF        /* 0x08 kernel code64 */
        .quad 0x00CF92000000FFFF        /* 0x10 kernel data */
        .quad 0x00CFFA000000FFFF        /* 0x18 user code32 */
        .quad 0x00CFF2000000FFFF        /* 0x20 user data */
        .quad 0x00AFFA000000FFFF        /* 0x28 user code64 */
        .quad 0, 0                      /* 0x30 TSS (rt_init) */
        .quad 0x00CF9A000000FFFF        /* 0x40 kernel code32 */
rt_gdt_end:
        .align 8
        .globl rt_gdt_ptr
rt_gdt_ptr:
        .word rt_gdt_end - rt_gdt - 1
        .quad rt_gdt

        .section .bss
        .align 4096
        .globl rt_pml4, rt_pdpt, rt_pd
rt_pml4: .skip 4096
rt_pdpt: .skip 4096
rt_pd:   .skip 4 * 4096
        .align 16
        .globl rt_stack_top
rt_stack: .skip 32768
rt_stack_top:

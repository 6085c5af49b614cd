/*
 * Multiboot v1 header and 32-bit entry stub that stays in protected mode
 * (paging off): zeroes BSS, loads our GDT and calls rt_start(magic, mbi).
 *
 * GDT: 0x08 kernel code32, 0x10 kernel data, 0x18 user code32, 0x20 user
 * data, 0x28 unused, 0x30 32-bit TSS (filled by rt_init).
 */
#define MB_MAGIC 0x1BADB002
#ifdef MB_AOUT
#define MB_FLAGS 0x00010003             /* a.out kludge: address fields valid */
#else
#define MB_FLAGS 0x00000003
#endif

        .section .multiboot, "a"
        .align 4
mb_header:
        .long MB_MAGIC
        .long MB_FLAGS
        .long -(MB_MAGIC + MB_FLAGS)
#ifdef MB_AOUT
        .long mb_header                 /* header_addr */
        .long __load_start              /* load_addr */
        .long __data_end                /* load_end_addr */
        .long __bss_end                 /* bss_end_addr */
        .long _start                    /* entry_addr */
#endif

        .section .text.boot, "ax"
        .code32
        .globl _start
_start:
        cli
        cld
        movl %eax, %ebp
        movl $__bss_start, %edi
        movl $__bss_end, %ecx
        subl %edi, %ecx
        xorl %eax, %eax
        rep stosb
        movl $rt_stack_top, %esp
        lgdt rt_gdt_ptr
        ljmp $0x08, $1f
1:      movw $0x10, %ax
        movw %ax, %ds
        movw %ax, %es
        movw %ax, %ss
        movw %ax, %fs
        movw %ax, %gs
        movl %cr0, %eax
        orl $0x20, %eax                 /* NE */
        movl %eax, %cr0
        pushl %ebx
        pushl %ebp
        xorl %ebp, %ebp
        call rt_start
2:      cli
        hlt
        jmp 2b

        .section .data
        .align 16
        .globl rt_gdt
rt_gdt:
        .quad 0
        .quad 0x00CF9A000000FFFF        /* 0x08 kernel code32 */
        .quad 0x00CF92000000FFFF        /* 0x10 kernel data */
        .quad 0x00CFFA000000FFFF        /* 0x18 user code32 */
        .quad 0x00CFF2000000FFFF        /* 0x20 user data */
        .quad 0                         /* 0x28 unused */
        .quad 0                         /* 0x30 TSS (rt_init) */
rt_gdt_end:
        .align 8
        .globl rt_gdt_ptr
rt_gdt_ptr:
        .word rt_gdt_end - rt_gdt - 1
        .long rt_gdt

        .section .bss
        .align 16
        .globl rt_stack_top
rt_stack: .skip 32768
rt_stack_top:

/*
 * ENTER_LONG_MODE cr3: from protected or real mode with paging off, turn
 * on 4-level paging and long mode: CR4.PAE, CR3 = the 32-bit operand
 * `cr3` (a PML4 address), EFER.LME, then CR0.PG|NE|PE. EFER.LMA is set by
 * the CR0 write; the caller's far jump to a 64-bit code segment follows.
 * Clobbers EAX, ECX and EDX. For .S files (GNU as macro).
 */
        .macro ENTER_LONG_MODE cr3
        movl %cr4, %eax
        orl $0x20, %eax                 /* PAE */
        movl %eax, %cr4
        movl \cr3, %eax
        movl %eax, %cr3
        movl $0xC0000080, %ecx
        rdmsr
        orl $0x100, %eax                /* EFER.LME */
        wrmsr
        movl %cr0, %eax
        orl $0x80000021, %eax           /* PG | NE | PE */
        movl %eax, %cr0
        .endm

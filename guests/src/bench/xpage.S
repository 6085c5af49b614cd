/*
 * The cross-page workload: a loop that calls a function on another 4 KiB
 * page, the shape of a vCPU spinning on a variable read by a helper:
 *
 *   1: call xpage_read; add %rax, %rdx; dec %rcx; jnz 1b   (this page)
 *   xpage_read: endbr64; mov xpage_stage(%rip), %eax; ret  (the next page)
 *
 * Seven instructions per iteration. 64-bit only.
 *
 * uint64_t xpage_loop(uint64_t n): returns n * xpage_stage.
 */
        .text
        .globl xpage_loop
        .balign 4096
xpage_loop:
        movq %rdi, %rcx
        xorl %edx, %edx
        testq %rcx, %rcx
        jz 9f
1:      call xpage_read
        addq %rax, %rdx
        decq %rcx
        jnz 1b
9:      movq %rdx, %rax
        ret

        .balign 4096
xpage_read:
        endbr64
        movl xpage_stage(%rip), %eax
        ret

        .data
        .globl xpage_stage
xpage_stage:
        .long 3

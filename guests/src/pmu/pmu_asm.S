/*
 * Measured code for the PMU guest (pmu.c). Each routine's instruction
 * count is fixed by its text; the comments give the figure the C side
 * expects, under nestvm's documented rule: an instruction counts when the
 * counting condition holds as it retires (the enabling WRMSR counts, the
 * disabling one does not; SYSRET counts at CPL 3, SYSCALL at CPL 0).
 */
#include "pmu.h"
        .text

/*
 * uint64_t pmu_count_loop(uint64_t n, uint64_t enable)
 * Enable IA32_PERF_GLOBAL_CTRL = enable, run n iterations of a 3-instruction
 * loop, disable. Counted: WRMSR + MOV + 3n + MOV + XOR + XOR = 3n + 5.
 */
        .globl pmu_count_loop
pmu_count_loop:
        movq %rsi, %rax
        movq %rsi, %rdx
        shrq $32, %rdx
        movl $0x38f, %ecx
        wrmsr                   /* 1 (counting from here) */
        movq %rdi, %rcx         /* 2 */
1:      addq $1, %rax           /* 3n */
        .globl pmu_loop_dec
pmu_loop_dec:
        decq %rcx
        jnz 1b
        movl $0x38f, %ecx       /* 3n + 3 */
        xorl %eax, %eax         /* 3n + 4 */
        xorl %edx, %edx         /* 3n + 5 */
        wrmsr                   /* not counted */
        ret

/*
 * void pmu_user_trip(uint64_t enable, void *user_stack)
 * With IA32_LSTAR = pmu_syscall_entry: enable GLOBAL_CTRL, SYSRET to
 * pmu_user_code at CPL 3, which loops PMU_USER_LOOPS times and executes
 * SYSCALL; the entry point disables the counters and returns.
 * Counted at CPL 0: WRMSR, 4 MOVs, SYSCALL, 4 more = 10.
 * Counted at CPL 3: SYSRET, MOV, 2 * PMU_USER_LOOPS, MOV = 2 * loops + 3.
 */
        .globl pmu_user_trip, pmu_syscall_entry
pmu_user_trip:
        pushq %rbx
        pushq %rbp
        movq %rsi, %rbx
        movq %rdi, %rax
        movq %rdi, %rdx
        shrq $32, %rdx
        movl $0x38f, %ecx
        wrmsr                           /* OS 1 */
        movq %rsp, pmu_saved_rsp(%rip)  /* OS 2 */
        leaq pmu_user_code(%rip), %rcx  /* OS 3 */
        movl $0x2, %r11d                /* OS 4 */
        movq %rbx, %rsp                 /* OS 5 */
        sysretq                         /* USR 1 */
pmu_syscall_entry:                      /* the SYSCALL: OS 6 */
        movq pmu_saved_rsp(%rip), %rsp  /* OS 7 */
        movl $0x38f, %ecx               /* OS 8 */
        xorl %eax, %eax                 /* OS 9 */
        xorl %edx, %edx                 /* OS 10 */
        wrmsr                           /* not counted */
        popq %rbp
        popq %rbx
        ret

        .globl pmu_user_code
pmu_user_code:
        movl $PMU_USER_LOOPS, %ecx      /* USR 2 */
2:      decl %ecx                       /* USR 2 * loops */
        jnz 2b
        movl $42, %eax                  /* USR 2 * loops + 3 */
        syscall
        ud2

/*
 * void pmu_pmi_probe(uint64_t enable)
 * IF = 1, then enable GLOBAL_CTRL with a counter preset to 2^48 - PMU_PMI_AT:
 * the WRMSR makes it 2^48 - PMU_PMI_AT + 1 and the (PMU_PMI_AT - 1)th NOP
 * after it wraps it, so the PMI is taken before the NOP at pmu_pmi_expected.
 */
        .globl pmu_pmi_probe, pmu_pmi_expected
pmu_pmi_probe:
        movq %rdi, %rax
        movq %rdi, %rdx
        shrq $32, %rdx
        movl $0x38f, %ecx
        sti
        wrmsr
        .rept PMU_PMI_AT - 1
        nop
        .endr
pmu_pmi_expected:
        .rept 64
        nop
        .endr
        movl $0x38f, %ecx
        xorl %eax, %eax
        xorl %edx, %edx
        wrmsr
        cli
        ret

        .bss
        .align 8
pmu_saved_rsp: .quad 0

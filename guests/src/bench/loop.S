/*
 * The MIPS workload: a tight integer loop of exactly 34 instructions per
 * iteration (adds, xors, shifts, rotate, imul, LEA, loads and stores to an
 * 8-entry array, two data-dependent branches whose two paths have the same
 * length, and the loop control DEC/JNZ). N iterations retire 34*N
 * instructions inside the loop. guests/src/bench/model.ts computes the
 * same result on the host.
 *
 * 64-bit: uint64_t bench_loop(uint64_t n, uint64_t *array)
 * 32-bit: uint32_t bench_loop(uint32_t n, uint32_t *array)
 */
        .text
        .globl bench_loop
#ifdef __x86_64__
bench_loop:
        pushq %rbx
        pushq %r12
        pushq %r13
        pushq %r14
        movq %rdi, %rcx
        movabsq $0x0123456789abcdef, %rax
        movabsq $0x0fedcba987654321, %rbx
        movabsq $0x1111111111111111, %rdx
        testq %rcx, %rcx
        jz 9f
1:      addq %rdx, %rax                 /*  1 */
        xorq %rax, %rbx                 /*  2 */
        movq %rbx, %r8                  /*  3 */
        shlq $3, %r8                    /*  4 */
        addq %r8, %rdx                  /*  5 */
        imulq $0x5bd1e995, %rbx, %r9    /*  6 */
        xorq %r9, %rax                  /*  7 */
        shrq $7, %r9                    /*  8 */
        addq %r9, %rbx                  /*  9 */
        movl %ecx, %r10d                /* 10 */
        andl $7, %r10d                  /* 11 */
        movq (%rsi,%r10,8), %r11        /* 12 */
        addq %rax, %r11                 /* 13 */
        movq %r11, (%rsi,%r10,8)        /* 14 */
        xorq %r11, %rdx                 /* 15 */
        rolq $13, %rdx                  /* 16 */
        testb $1, %al                   /* 17 */
        jz 2f                           /* 18 */
        addq $3, %rbx                   /* 19 */
        jmp 3f                          /* 20 */
2:      subq $5, %rbx                   /* 19' */
        nop                             /* 20' */
3:      leaq 1(%rax,%rbx,2), %r12       /* 21 */
        subq %r12, %rdx                 /* 22 */
        cmpq %rdx, %rax                 /* 23 */
        jb 4f                           /* 24 */
        xorq $0x55, %r12                /* 25 */
        jmp 5f                          /* 26 */
4:      orq $0x11, %r12                 /* 25' */
        nop                             /* 26' */
5:      movzbl %dl, %r13d               /* 27 */
        addq %r13, %rax                 /* 28 */
        movq 8(%rsi), %r14              /* 29 */
        sarq $3, %r14                   /* 30 */
        xorq %r14, %rbx                 /* 31 */
        addq %r12, %rdx                 /* 32 */
        decq %rcx                       /* 33 */
        jnz 1b                          /* 34 */
9:      xorq %rbx, %rax
        addq %rdx, %rax
        popq %r14
        popq %r13
        popq %r12
        popq %rbx
        ret
#else
bench_loop:
        pushl %ebx
        pushl %esi
        pushl %edi
        pushl %ebp
        movl 20(%esp), %ecx
        movl 24(%esp), %ebp
        movl $0x89abcdef, %eax
        movl $0x87654321, %ebx
        movl $0x11111111, %edx
        testl %ecx, %ecx
        jz 9f
1:      addl %edx, %eax                 /*  1 */
        xorl %eax, %ebx                 /*  2 */
        movl %ebx, %esi                 /*  3 */
        shll $3, %esi                   /*  4 */
        addl %esi, %edx                 /*  5 */
        imull $0x5bd1e995, %ebx, %edi   /*  6 */
        xorl %edi, %eax                 /*  7 */
        shrl $7, %edi                   /*  8 */
        addl %edi, %ebx                 /*  9 */
        movl %ecx, %esi                 /* 10 */
        andl $7, %esi                   /* 11 */
        movl (%ebp,%esi,4), %edi        /* 12 */
        addl %eax, %edi                 /* 13 */
        movl %edi, (%ebp,%esi,4)        /* 14 */
        xorl %edi, %edx                 /* 15 */
        roll $13, %edx                  /* 16 */
        testb $1, %al                   /* 17 */
        jz 2f                           /* 18 */
        addl $3, %ebx                   /* 19 */
        jmp 3f                          /* 20 */
2:      subl $5, %ebx                   /* 19' */
        nop                             /* 20' */
3:      leal 1(%eax,%ebx,2), %esi       /* 21 */
        subl %esi, %edx                 /* 22 */
        cmpl %edx, %eax                 /* 23 */
        jb 4f                           /* 24 */
        xorl $0x55, %esi                /* 25 */
        jmp 5f                          /* 26 */
4:      orl $0x11, %esi                 /* 25' */
        nop                             /* 26' */
5:      movzbl %dl, %edi                /* 27 */
        addl %edi, %eax                 /* 28 */
        movl 4(%ebp), %edi              /* 29 */
        sarl $3, %edi                   /* 30 */
        xorl %edi, %ebx                 /* 31 */
        addl %esi, %edx                 /* 32 */
        decl %ecx                       /* 33 */
        jnz 1b                          /* 34 */
9:      xorl %ebx, %eax
        addl %edx, %eax
        popl %ebp
        popl %edi
        popl %esi
        popl %ebx
        ret
#endif

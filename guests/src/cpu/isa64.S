/*
 * Instruction-semantics workloads for the 64-bit CPU conformance guest.
 * Each function is plain user-level x86-64 code (SysV ABI), so the build
 * host runs the very same instructions to produce the expected values
 * (checksums_host.c); the guest compares. Only architecturally defined
 * results and flags are folded into the hashes.
 *
 *   uint64_t isa_strings(void)   REP MOVSB/STOSQ/CMPSB/SCASB, LODS, STD/CLD
 *   uint64_t isa_atomics(void)   CMPXCHG, CMPXCHG16B-free XADD/XCHG, BT/BTS/BTR/BTC, BSF/BSR
 *   uint64_t isa_muldiv(void)    MUL/IMUL/DIV/IDIV 128-bit, ADC/SBB chains, SHLD/SHRD, RCL/RCR
 *   uint64_t isa_flags(void)     SETcc/CMOVcc over CMP results, LAHF/SAHF, PUSHF/POPF, CBW..CQO
 */
        .text
/* fold: r8 = r8 * 0x100000001b3 ^ rax  (FNV-style) */
#define FOLD(reg) \
        imulq %r11, %r8; \
        xorq reg, %r8

        .globl isa_strings
isa_strings:
        pushq %rbx
        subq $512, %rsp
        movabsq $0x100000001b3, %r11
        movabsq $0xcbf29ce484222325, %r8
        cld
        /* fill 256 bytes with a pattern via STOSQ */
        leaq (%rsp), %rdi
        movabsq $0x0706050403020100, %rax
        movl $32, %ecx
        rep stosq
        movq %rdi, %rax
        subq %rsp, %rax                 /* fold offsets, not stack addresses */
        FOLD(%rax)
        FOLD(%rcx)
        /* copy 200 bytes forward with REP MOVSB to rsp+256 */
        leaq (%rsp), %rsi
        leaq 256(%rsp), %rdi
        movl $200, %ecx
        rep movsb
        movq %rsi, %rax
        subq %rsp, %rax
        FOLD(%rax)
        movq 256+192(%rsp), %rax
        FOLD(%rax)
        /* backward copy of 16 bytes with STD; REP MOVSB */
        std
        leaq 15(%rsp), %rsi
        leaq 256+31(%rsp), %rdi
        movl $16, %ecx
        rep movsb
        cld
        movq 256+16(%rsp), %rax
        FOLD(%rax)
        /* REPE CMPSB: equal for 200 bytes, then mismatch */
        movb $0xee, 256+100(%rsp)
        leaq (%rsp), %rsi
        leaq 256(%rsp), %rdi
        movl $200, %ecx
        repe cmpsb
        FOLD(%rcx)
        setne %al
        movzbl %al, %eax
        FOLD(%rax)
        /* REPNE SCASB: find byte 0x05 */
        leaq (%rsp), %rdi
        movb $0x05, %al
        movl $64, %ecx
        repne scasb
        FOLD(%rcx)
        leaq (%rsp), %rax
        subq %rax, %rdi
        FOLD(%rdi)
        /* LODSW / LODSD */
        leaq 8(%rsp), %rsi
        lodsw
        movzwl %ax, %eax
        FOLD(%rax)
        lodsl
        FOLD(%rax)
        movq %r8, %rax
        addq $512, %rsp
        popq %rbx
        ret

        .globl isa_atomics
isa_atomics:
        pushq %rbx
        subq $16, %rsp
        movabsq $0x100000001b3, %r11
        movabsq $0xcbf29ce484222325, %r8
        movq $100, (%rsp)
        /* CMPXCHG success then failure */
        movl $100, %eax
        movl $200, %ecx
        lock cmpxchgq %rcx, (%rsp)
        setz %bl
        movzbl %bl, %ebx
        FOLD(%rbx)
        FOLD(%rax)
        movl $5, %eax
        cmpxchgq %rcx, (%rsp)
        setz %bl
        FOLD(%rbx)
        FOLD(%rax)
        /* XADD, XCHG */
        movl $7, %eax
        lock xaddq %rax, (%rsp)
        FOLD(%rax)
        movq (%rsp), %rax
        FOLD(%rax)
        movl $0x1234, %eax
        xchgq %rax, (%rsp)
        FOLD(%rax)
        /* BT family on registers and memory */
        movabsq $0x8000000100000001, %rax
        movl $32, %ecx
        btq %rcx, %rax
        setc %bl
        FOLD(%rbx)
        btsq $5, %rax
        setc %bl
        FOLD(%rbx)
        btrq $63, %rax
        setc %bl
        FOLD(%rbx)
        btcq $0, %rax
        setc %bl
        FOLD(%rbx)
        FOLD(%rax)
        movq %rax, (%rsp)
        movl $69, %ecx                  /* bit 69 of memory: qword 1 bit 5 */
        movq $0x20, 8(%rsp)
        btq %rcx, (%rsp)
        setc %bl
        FOLD(%rbx)
        btsl $3, 8(%rsp)
        movq 8(%rsp), %rax
        FOLD(%rax)
        /* BSF / BSR with non-zero inputs */
        movabsq $0x0010000000000800, %rax
        bsfq %rax, %rcx
        FOLD(%rcx)
        bsrq %rax, %rcx
        FOLD(%rcx)
        movl $0x00f00000, %eax
        bsfl %eax, %ecx
        FOLD(%rcx)
        bsrw %ax, %cx
        movzwl %cx, %ecx
        FOLD(%rcx)
        bswapq %rax
        FOLD(%rax)
        movq %r8, %rax
        addq $16, %rsp
        popq %rbx
        ret

        .globl isa_muldiv
isa_muldiv:
        pushq %rbx
        movabsq $0x100000001b3, %r11
        movabsq $0xcbf29ce484222325, %r8
        /* unsigned 64x64 -> 128 */
        movabsq $0xfedcba9876543210, %rax
        movabsq $0x0123456789abcdef, %rcx
        mulq %rcx
        setc %bl
        movzbl %bl, %ebx
        FOLD(%rax)
        FOLD(%rdx)
        FOLD(%rbx)
        /* signed 64x64 -> 128 */
        movabsq $-0x123456789abcdef, %rax
        movabsq $0x7edcba9876543210, %rcx
        imulq %rcx
        seto %bl
        FOLD(%rax)
        FOLD(%rdx)
        FOLD(%rbx)
        /* 128 / 64 unsigned and signed */
        movabsq $0x0000000012345678, %rdx
        movabsq $0x9abcdef012345678, %rax
        movabsq $0x00000001ffffffff, %rcx
        divq %rcx
        FOLD(%rax)
        FOLD(%rdx)
        movabsq $-1000000000000007, %rax
        cqto
        movl $97, %ecx
        idivq %rcx
        FOLD(%rax)
        FOLD(%rdx)
        /* imul forms with flags */
        movabsq $0x4000000000000001, %rax
        imulq $4, %rax, %rcx
        seto %bl
        FOLD(%rcx)
        FOLD(%rbx)
        movl $-7, %eax
        imull $123456, %eax, %ecx
        FOLD(%rcx)
        /* ADC/SBB chain: 192-bit add and subtract */
        movq $-1, %rax
        movq $-1, %rcx
        movq $1, %rdx
        addq $1, %rax
        adcq $0, %rcx
        adcq $0, %rdx
        FOLD(%rax)
        FOLD(%rcx)
        FOLD(%rdx)
        subq $2, %rax
        sbbq $0, %rcx
        sbbq $0, %rdx
        FOLD(%rax)
        FOLD(%rcx)
        FOLD(%rdx)
        /* SHLD/SHRD and RCL/RCR (count 1 for defined OF) */
        movabsq $0x123456789abcdef0, %rax
        movabsq $0xfedcba9876543210, %rdx
        shldq $12, %rdx, %rax
        FOLD(%rax)
        movl $20, %ecx
        shrdq %cl, %rdx, %rax
        FOLD(%rax)
        stc
        rclq $1, %rax
        setc %bl
        FOLD(%rax)
        FOLD(%rbx)
        clc
        rcrq $1, %rdx
        seto %bl
        FOLD(%rdx)
        FOLD(%rbx)
        movl $13, %ecx
        rolw %cl, %dx
        FOLD(%rdx)
        rorb $3, %dl
        FOLD(%rdx)
        sarq $63, %rdx
        FOLD(%rdx)
        negq %rax
        setc %bl
        FOLD(%rax)
        FOLD(%rbx)
        notq %rax
        FOLD(%rax)
        movq %r8, %rax
        popq %rbx
        ret

        .globl isa_flags
isa_flags:
        pushq %rbx
        pushq %r12
        pushq %r13
        movabsq $0x100000001b3, %r11
        movabsq $0xcbf29ce484222325, %r8
        leaq cmp_values(%rip), %r12
        xorl %r13d, %r13d
1:      movq (%r12,%r13,8), %rax
        movq 8(%r12,%r13,8), %rcx
        cmpq %rcx, %rax
        /* all 16 condition codes into one word */
        xorl %edx, %edx
        seto %dl
        shll $1, %edx
        setno %bl
        orb %bl, %dl
        shll $1, %edx
        setb %bl
        orb %bl, %dl
        shll $1, %edx
        setae %bl
        orb %bl, %dl
        shll $1, %edx
        sete %bl
        orb %bl, %dl
        shll $1, %edx
        setne %bl
        orb %bl, %dl
        shll $1, %edx
        setbe %bl
        orb %bl, %dl
        shll $1, %edx
        seta %bl
        orb %bl, %dl
        shll $1, %edx
        sets %bl
        orb %bl, %dl
        shll $1, %edx
        setns %bl
        orb %bl, %dl
        shll $1, %edx
        setp %bl
        orb %bl, %dl
        shll $1, %edx
        setnp %bl
        orb %bl, %dl
        shll $1, %edx
        setl %bl
        orb %bl, %dl
        shll $1, %edx
        setge %bl
        orb %bl, %dl
        shll $1, %edx
        setle %bl
        orb %bl, %dl
        shll $1, %edx
        setg %bl
        orb %bl, %dl
        FOLD(%rdx)
        cmpq %rcx, %rax
        movq %rax, %rdx
        cmovlq %rcx, %rdx
        cmovaq %r13, %rdx
        FOLD(%rdx)
        /* LAHF after an ADD (defined: SF ZF AF PF CF) */
        addq %rcx, %rax
        lahf
        movzbl %ah, %edx
        FOLD(%rdx)
        incq %r13
        cmpq $7, %r13
        jb 1b
        /* SAHF then PUSHF */
        movb $0xd5, %ah
        sahf
        pushfq
        popq %rax
        andl $0xd5, %eax
        FOLD(%rax)
        /* sign extensions */
        movl $0x80, %eax
        cbtw
        cwtl
        cltq
        FOLD(%rax)
        movq $-5, %rax
        cqto
        FOLD(%rdx)
        movw $0x8000, %ax
        cwtd
        movzwl %dx, %edx
        FOLD(%rdx)
        movq $-1, %rax
        movl $0x7f, %ecx
        movsbq %cl, %rax
        FOLD(%rax)
        movl $0xfff0, %ecx
        movswq %cx, %rax
        FOLD(%rax)
        movl $-3, %ecx
        movslq %ecx, %rax
        FOLD(%rax)
        movq %r8, %rax
        popq %r13
        popq %r12
        popq %rbx
        ret

        .section .rodata
        .align 8
cmp_values:
        .quad 5, 5, -3, 7, 0x7fffffffffffffff, -1, 0x8000000000000000, 1, 0

/*
 * mbboot: a BIOS boot sector and loader that starts a Multiboot v1 ELF32
 * kernel from a hard disk, so emulators without a Multiboot loader (Bochs)
 * can run the same images as `nestvm --kernel` and `qemu -kernel`.
 *
 * Disk layout (bench/peers/boot_disk.ts writes it):
 *   LBA 0 .. K-1  this loader (K = its size in sectors; LBA 0 is the boot
 *                 sector with the 0xAA55 signature)
 *   LBA K         parameters: "NVMB", u32 ELF size in bytes, u32 0, u32 0,
 *                 then the kernel command line, NUL-terminated
 *   LBA K+1 ...   the ELF file
 *
 * Steps: the BIOS loads LBA 0 at 0x7C00; it reads the rest of the loader and
 * the parameter sector with INT 13h AH=42h (LBA extended read), then the ELF
 * to 0x10000 (at most 512 KiB), asks INT 12h / INT 15h E801h (or 88h) for the
 * memory sizes, opens the A20 gate (port 0x92), enters 32-bit protected mode
 * with flat segments, checks the Multiboot header (magic, checksum, no a.out
 * kludge), copies each PT_LOAD segment to its physical address and zeroes
 * the rest of its memory size, and fills a Multiboot information structure
 * at 0x9000 (flags: memory sizes, command line). It then jumps to the ELF
 * entry point with EAX = 0x2BADB002 and EBX = 0x9000, interrupts off, paging
 * off, as the Multiboot specification (section 3.2) requires.
 *
 * An error prints "mbboot: <reason>" on COM1 and the BIOS console and halts.
 */
#define ELF_BUF_SEG   0x1000          /* ELF file at 0x10000 */
#define ELF_BUF       0x10000
#define ELF_MAX_SECT  1024            /* 512 KiB: 0x10000 .. 0x90000 */
#define MBI           0x9000
#define MB_MAGIC      0x1BADB002
#define MB_BOOT_MAGIC 0x2BADB002

        .code16
        .section .text
        .globl _start
_start:
        cli
        xorw %ax, %ax
        movw %ax, %ds
        movw %ax, %es
        movw %ax, %ss
        movw $0x7c00, %sp
        ljmp $0, $1f                    /* CS:IP = 0:0x7c.. whatever the BIOS used */
1:      sti
        cld
        movb %dl, boot_drive
        /* The rest of the loader and the parameter sector, to 0x7E00. */
        movl $1, %eax
        movw $(stage2_sectors + 1), %cx
        movw $0x07e0, %bx
        call read_sectors
        jmp stage2

/* Read CX (1..64) sectors from LBA EAX to BX:0000; on failure, error out. */
read_sectors:
        movw %cx, dap_count
        movw %bx, dap_seg
        movl %eax, dap_lba
        movw $dap, %si
        movb boot_drive, %dl
        movb $0x42, %ah
        int $0x13
        jc 1f
        ret
1:      movw $msg_disk, %si
        jmp fail16

/* Print the NUL-terminated string at DS:SI after "mbboot: " and halt. */
fail16:
        pushw %si
        movw $msg_prefix, %si
        call puts16
        popw %si
        call puts16
        movw $msg_nl, %si
        call puts16
2:      cli
        hlt
        jmp 2b

puts16:
        lodsb
        testb %al, %al
        jz 3f
        movw $0x3f8, %dx                /* COM1 (the BIOS has set it up) */
        outb %al, %dx
        movb $0x0e, %ah                 /* INT 10h teletype */
        movw $0x0007, %bx
        int $0x10
        jmp puts16
3:      ret

        .align 4
dap:    .byte 16, 0
dap_count: .word 0
        .word 0                         /* offset */
dap_seg: .word 0
dap_lba: .long 0, 0
boot_drive: .byte 0
msg_prefix: .asciz "mbboot: "
msg_disk: .asciz "disk read failed"
msg_nl: .asciz "\r\n"

        .org 510
        .word 0xaa55

/* ---- stage 2 (LBA 1 ..) ---- */
stage2:
        cmpl $0x424d564e, params        /* "NVMB" */
        je 1f
        movw $msg_params, %si
        jmp fail16
1:      movl params + 4, %eax           /* ELF size -> sectors */
        addl $511, %eax
        shrl $9, %eax
        cmpl $ELF_MAX_SECT, %eax
        jbe 2f
        movw $msg_big, %si
        jmp fail16
2:      movl %eax, %edi                 /* sectors left */
        movl $(stage2_sectors + 2), %ebp /* LBA of the ELF */
        movw $ELF_BUF_SEG, %bx
3:      testl %edi, %edi
        jz 5f
        movl %edi, %ecx
        cmpl $64, %ecx
        jbe 4f
        movl $64, %ecx
4:      pushl %ecx
        pushw %bx
        pushl %edi
        pushl %ebp
        movl %ebp, %eax
        call read_sectors
        popl %ebp
        popl %edi
        popw %bx
        popl %ecx
        addl %ecx, %ebp
        subl %ecx, %edi
        shlw $5, %cx                    /* sectors * 512 / 16 = paragraphs */
        addw %cx, %bx
        jmp 3b

5:      /* Memory sizes in KiB. */
        int $0x12
        movzwl %ax, %eax
        movl %eax, mem_lower
        movw $0xe801, %ax
        xorw %cx, %cx
        xorw %dx, %dx
        int $0x15
        jc 7f
        jcxz 6f                         /* some BIOSes answer in AX/BX only */
        movw %cx, %ax
        movw %dx, %bx
6:      movzwl %ax, %eax                /* KiB from 1 MiB to 16 MiB */
        movzwl %bx, %ebx                /* 64 KiB blocks above 16 MiB */
        shll $6, %ebx
        addl %ebx, %eax
        movl %eax, mem_upper
        jmp 8f
7:      movb $0x88, %ah
        int $0x15
        movzwl %ax, %eax
        movl %eax, mem_upper
8:      /* A20 through the fast gate. */
        inb $0x92, %al
        orb $2, %al
        andb $0xfe, %al
        outb %al, $0x92
        cli
        lgdtl gdt_ptr
        movl %cr0, %eax
        orl $1, %eax
        movl %eax, %cr0
        ljmpl $0x08, $pm32

        .code32
pm32:
        movw $0x10, %ax
        movw %ax, %ds
        movw %ax, %es
        movw %ax, %fs
        movw %ax, %gs
        movw %ax, %ss
        movl $0x7c00, %esp
        /* Multiboot header: in the first 8 KiB, 4-byte aligned. */
        movl $ELF_BUF, %esi
        movl params + 4, %ecx
        cmpl $8192, %ecx
        jbe 1f
        movl $8192, %ecx
1:      subl $12, %ecx
        jb no_header
        addl %esi, %ecx                 /* last possible header address */
2:      cmpl $MB_MAGIC, (%esi)
        jne 3f
        movl (%esi), %eax
        addl 4(%esi), %eax
        addl 8(%esi), %eax
        jz 4f
3:      addl $4, %esi
        cmpl %ecx, %esi
        jbe 2b
no_header:
        movl $msg_header, %esi
        jmp fail32
4:      testl $0x10000, 4(%esi)
        jz 5f
        movl $msg_aout, %esi
        jmp fail32
5:      testl $0xfffc, 4(%esi)         /* required flags we do not provide (bits 2..15) */
        jz 6f
        movl $msg_flags, %esi
        jmp fail32
6:      /* ELF32, little-endian, i386, executable. */
        cmpl $0x464c457f, ELF_BUF
        jne bad_elf
        cmpw $0x0101, ELF_BUF + 4      /* ELFCLASS32, ELFDATA2LSB */
        jne bad_elf
        cmpw $2, ELF_BUF + 16          /* ET_EXEC */
        jne bad_elf
        cmpw $3, ELF_BUF + 18          /* EM_386 */
        jne bad_elf
        movl ELF_BUF + 28, %ebx         /* e_phoff */
        addl $ELF_BUF, %ebx
        movzwl ELF_BUF + 44, %ebp       /* e_phnum */
7:      testl %ebp, %ebp
        jz 9f
        cmpl $1, (%ebx)                 /* PT_LOAD */
        jne 8f
        movl 12(%ebx), %edi             /* p_paddr */
        cmpl $0x100000, %edi
        jb bad_segment
        movl 4(%ebx), %esi              /* p_offset */
        addl $ELF_BUF, %esi
        movl 16(%ebx), %ecx             /* p_filesz */
        movl 20(%ebx), %edx             /* p_memsz */
        cmpl %ecx, %edx
        jb bad_segment
        subl %ecx, %edx
        rep movsb
        movl %edx, %ecx
        xorl %eax, %eax
        rep stosb
8:      movzwl ELF_BUF + 42, %eax       /* e_phentsize */
        addl %eax, %ebx
        decl %ebp
        jmp 7b
9:      /* Multiboot information. */
        movl $MBI, %edi
        movl $22, %ecx
        xorl %eax, %eax
        rep stosl
        movl $5, MBI                    /* flags: mem_lower/upper, cmdline */
        movl mem_lower, %eax
        movl %eax, MBI + 4
        movl mem_upper, %eax
        movl %eax, MBI + 8
        movl $(params + 16), MBI + 16
        movl ELF_BUF + 24, %ecx         /* e_entry */
        movl $MB_BOOT_MAGIC, %eax
        movl $MBI, %ebx
        jmp *%ecx

bad_elf:
        movl $msg_elf, %esi
        jmp fail32
bad_segment:
        movl $msg_segment, %esi
        jmp fail32

/* Print "mbboot: " and the string at ESI on COM1, then halt. */
fail32:
        pushl %esi
        movl $msg_prefix, %esi
        call puts32
        popl %esi
        call puts32
        movl $msg_nl, %esi
        call puts32
1:      cli
        hlt
        jmp 1b
puts32:
        lodsb
        testb %al, %al
        jz 2f
        movw $0x3f8, %dx
        outb %al, %dx
        jmp puts32
2:      ret

        .align 8
gdt:    .quad 0
        .quad 0x00CF9A000000FFFF        /* 0x08 code32 */
        .quad 0x00CF92000000FFFF        /* 0x10 data */
gdt_ptr:
        .word gdt_ptr - gdt - 1
        .long gdt
mem_lower: .long 0
mem_upper: .long 0
msg_params: .asciz "no parameter sector"
msg_big: .asciz "ELF larger than 512 KiB"
msg_header: .asciz "no Multiboot header in the first 8 KiB"
msg_aout: .asciz "a.out kludge images are not supported"
msg_flags: .asciz "the kernel requires Multiboot features this loader lacks"
msg_elf: .asciz "not an ELF32 i386 executable"
msg_segment: .asciz "PT_LOAD below 1 MiB or file size above memory size"

        .balign 512
stage2_end:
        .set stage2_sectors, (stage2_end - stage2) / 512
params:

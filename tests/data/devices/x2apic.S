.include "common.inc"
# Disables and re-enables the APIC through IA32_APIC_BASE, switches to
# x2APIC mode, runs the APIC timer (periodic, 1 ms) through the x2APIC MSRs
# and counts 10 interrupts; the original APIC_BASE is kept at COUNT+12.
.set SAVED, COUNT+12
_start:
  mov $0x170000,%esp
  lidt idtr
  mov $0xff,%al; out %al,$0x21
  mov $0xff,%al; out %al,$0xa1
  mov $0x1b,%ecx
  rdmsr
  mov %eax,SAVED
  and $~0x800,%eax; wrmsr               # EN=0: disabled (resets the APIC)
  or $0x800,%eax; wrmsr                 # EN=1: xAPIC
  or $0x400,%eax; wrmsr                 # EXTD=1: x2APIC
  xor %edx,%edx
  mov $0x80f,%ecx; mov $0x1ff,%eax; wrmsr      # SVR
  mov $0x83e,%ecx; mov $0x0b,%eax; wrmsr       # divide by 1
  mov $0x832,%ecx; mov $0x20030,%eax; wrmsr    # LVT timer: periodic, vector 0x30
  mov $0x838,%ecx; mov $1000000,%eax; wrmsr    # 1 ms
  movl $0,COUNT
1: cli
  cmpl $TARGET,COUNT
  jae 2f
  sti
  hlt
  jmp 1b
2: mov $0x838,%ecx; xor %eax,%eax; xor %edx,%edx; wrmsr
  mov COUNT,%eax
  out %al,$0xf4
3: hlt
  jmp 3b
.globl handler
handler:
  incl COUNT
  push %eax
  push %ecx
  push %edx
  mov $0x80b,%ecx; xor %eax,%eax; xor %edx,%edx; wrmsr   # EOI
  pop %edx
  pop %ecx
  pop %eax
  iret
.align 4
idtr: .word 256*8-1
      .long IDT

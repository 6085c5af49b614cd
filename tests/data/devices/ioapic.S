.include "common.inc"
.set APIC, 0xfee00000
.set IOAPIC, 0xfec00000
_start:
  mov $0x170000,%esp                    # stack below the IDT
  lidt idtr
  mov $0xff,%al; out %al,$0x21
  mov $0xff,%al; out %al,$0xa1
  movl $0x1ff, APIC+0xf0
  movl $0x14, IOAPIC                    # RTE 2 low (ISA IRQ0 -> pin 2)
  movl $0x31, IOAPIC+0x10               # vector 0x31, edge, unmasked, dest 0
  mov $0x34,%al; out %al,$0x43
  mov $0x9c,%al; out %al,$0x40
  mov $0x2e,%al; out %al,$0x40          # 100 Hz
  movl $0,COUNT
  sti
1: hlt
  cmpl $TARGET,COUNT
  jb 1b
  cli
  mov COUNT,%eax
  out %al,$0xf4
2: hlt
  jmp 2b
.globl handler
handler:
  incl COUNT
  movl $0, APIC+0xb0
  iret
.align 4
idtr: .word 256*8-1
      .long IDT

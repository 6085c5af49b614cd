.include "common.inc"
_start:
  mov $0x170000,%esp                    # stack below the IDT
  lidt idtr
  mov $0x11,%al; out %al,$0x20
  mov $0x20,%al; out %al,$0x21
  mov $0x04,%al; out %al,$0x21
  mov $0x01,%al; out %al,$0x21
  mov $0x11,%al; out %al,$0xa0
  mov $0x28,%al; out %al,$0xa1
  mov $0x02,%al; out %al,$0xa1
  mov $0x01,%al; out %al,$0xa1
  mov $0xfe,%al; out %al,$0x21
  mov $0xff,%al; out %al,$0xa1
  mov $0x34,%al; out %al,$0x43
  mov $0x9c,%al; out %al,$0x40
  mov $0x2e,%al; out %al,$0x40      # 11932: 100 Hz
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
  push %eax
  mov $0x20,%al; out %al,$0x20
  pop %eax
  iret
.align 4
idtr: .word 256*8-1
      .long IDT

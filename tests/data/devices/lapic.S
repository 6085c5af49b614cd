.include "common.inc"
.set APIC, 0xfee00000
_start:
  mov $0x170000,%esp                    # stack below the IDT
  lidt idtr
  mov $0xff,%al; out %al,$0x21          # mask the PIC entirely
  mov $0xff,%al; out %al,$0xa1
  movl $0x1ff, APIC+0xf0                # SVR: enable, spurious 0xff
  movl $0x0b, APIC+0x3e0                # divide by 1
  movl $0x20030, APIC+0x320             # LVT timer: periodic, vector 0x30
  movl $1000000, APIC+0x380             # 1e6 bus clocks = 1 ms at 1 GHz
  movl $0,COUNT
  sti
1: hlt
  cmpl $TARGET,COUNT
  jb 1b
  cli
  movl $0, APIC+0x380                   # stop the timer
  mov COUNT,%eax
  out %al,$0xf4
2: hlt
  jmp 2b
.globl handler
handler:
  incl COUNT
  movl $0, APIC+0xb0                    # EOI
  iret
.align 4
idtr: .word 256*8-1
      .long IDT

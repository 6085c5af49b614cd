.include "common.inc"
# Reads 3 bytes by interrupt, echoes each in upper case, then prints "!\n" and exits with the count.
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
  mov $0xef,%al; out %al,$0x21          # unmask IRQ4
  mov $0xff,%al; out %al,$0xa1
  mov $0x3fb,%dx; mov $0x80,%al; out %al,%dx   # DLAB
  mov $0x3f8,%dx; mov $0x01,%al; out %al,%dx   # 115200
  mov $0x3f9,%dx; mov $0x00,%al; out %al,%dx
  mov $0x3fb,%dx; mov $0x03,%al; out %al,%dx   # 8N1
  mov $0x3fa,%dx; mov $0xc7,%al; out %al,%dx   # FIFO on, clear, trigger 14
  mov $0x3fc,%dx; mov $0x0b,%al; out %al,%dx   # DTR RTS OUT2
  mov $0x3f9,%dx; mov $0x01,%al; out %al,%dx   # IER: RX data
  movl $0,COUNT
  sti
1: hlt
  cmpl $3,COUNT
  jb 1b
  cli
  mov $0x3f8,%dx
  mov $'!',%al; out %al,%dx
  mov $'\n',%al; out %al,%dx
  mov COUNT,%eax
  out %al,$0xf4
2: hlt
  jmp 2b
.globl handler
handler:
  push %eax
  push %edx
3: mov $0x3fd,%dx; in %dx,%al
  test $1,%al
  jz 4f
  mov $0x3f8,%dx; in %dx,%al
  sub $0x20,%al                          # upper case
  out %al,%dx
  incl COUNT
  jmp 3b
4: mov $0x20,%al; out %al,$0x20
  pop %edx
  pop %eax
  iret
.align 4
idtr: .word 256*8-1
      .long IDT

.include "common.inc"
# Receives 3 bytes by RX interrupts and echoes each in upper case, then
# prints "!\n" driven by THR-empty interrupts, and exits with the count.
.set TXPTR, COUNT+4
.set TXDONE, COUNT+8
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
  movl $0,COUNT
  movl $0,TXDONE
  mov $0x3f9,%dx; mov $0x01,%al; out %al,%dx   # IER: RX data
# Wait loops test-then-halt with interrupts off; STI's interrupt shadow
# makes "sti; hlt" atomic, so no wake-up is lost between test and HLT.
1: cli
  cmpl $3,COUNT
  jae 2f
  sti
  hlt
  jmp 1b
2: movl $msg,TXPTR
  mov $0x3f9,%dx; mov $0x03,%al; out %al,%dx   # IER: RX + THR empty
4: cli
  cmpl $0,TXDONE
  jne 5f
  sti
  hlt
  jmp 4b
5:
  mov COUNT,%eax
  out %al,$0xf4
3: hlt
  jmp 3b
.globl handler
handler:
  push %eax
  push %edx
  push %esi
next:
  mov $0x3fa,%dx; in %dx,%al             # IIR
  test $1,%al
  jnz done                               # nothing pending
  and $0x0e,%al
  cmp $0x02,%al
  je thre
  mov $0x3f8,%dx; in %dx,%al             # RX data (or timeout)
  sub $0x20,%al                          # upper case
  out %al,%dx
  incl COUNT
  jmp next
thre:
  mov TXPTR,%esi
  movb (%esi),%al
  test %al,%al
  jz txend
  mov $0x3f8,%dx; out %al,%dx
  incl TXPTR
  jmp next
txend:
  mov $0x3f9,%dx; mov $0x01,%al; out %al,%dx   # THRE interrupts off
  movl $1,TXDONE
  jmp next
done:
  mov $0x20,%al; out %al,$0x20
  pop %esi
  pop %edx
  pop %eax
  iret
msg: .asciz "!\n"
.align 4
idtr: .word 256*8-1
      .long IDT

.include "common.inc"
# RTC periodic interrupt at 1024 Hz on IRQ8, through the slave PIC and the
# cascade on the master's IRQ2; the handler reads register C and sends EOI
# to both PICs. Counts 10 interrupts.
_start:
  mov $0x170000,%esp
  lidt idtr
  mov $0x11,%al; out %al,$0x20
  mov $0x20,%al; out %al,$0x21
  mov $0x04,%al; out %al,$0x21
  mov $0x01,%al; out %al,$0x21
  mov $0x11,%al; out %al,$0xa0
  mov $0x28,%al; out %al,$0xa1
  mov $0x02,%al; out %al,$0xa1
  mov $0x01,%al; out %al,$0xa1
  mov $0xfb,%al; out %al,$0x21          # master: only IRQ2 (cascade)
  mov $0xfe,%al; out %al,$0xa1          # slave: only IRQ8
  mov $0x8a,%al; out %al,$0x70          # register A (NMI masked)
  mov $0x26,%al; out %al,$0x71          # 32.768 kHz, rate 6 = 1024 Hz
  mov $0x8b,%al; out %al,$0x70
  in $0x71,%al
  or $0x40,%al                          # PIE
  mov %al,%ah
  mov $0x8b,%al; out %al,$0x70
  mov %ah,%al; out %al,$0x71
  mov $0x0c,%al; out %al,$0x70          # NMI unmasked, clear pending flags
  in $0x71,%al
  movl $0,COUNT
1: cli
  cmpl $TARGET,COUNT
  jae 2f
  sti
  hlt
  jmp 1b
2: mov COUNT,%eax
  out %al,$0xf4
3: hlt
  jmp 3b
.globl handler
handler:
  push %eax
  incl COUNT
  mov $0x0c,%al; out %al,$0x70
  in $0x71,%al                          # acknowledge the RTC
  mov $0x20,%al; out %al,$0xa0          # EOI slave
  out %al,$0x20                         # EOI master
  pop %eax
  iret
.align 4
idtr: .word 256*8-1
      .long IDT

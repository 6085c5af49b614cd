.include "common.inc"
# x87 error reporting with CR0.NE = 0 (MS-DOS compatibility): an unmasked
# x87 exception pending at FWAIT asserts FERR#, the PC routes it to IRQ13
# (slave PIC IRQ5, vector 0x2d); the handler writes port 0xF0 (IGNNE#) and,
# unless the host set NOCLEX, runs FNCLEX. Results at COUNT and after it.
.set EIP_SEEN, 0x181004   # interrupted EIP recorded by the handler
.set FSW_SEEN, 0x181008   # FSW seen by the handler
.set WAIT_AT, 0x18100c    # address of the FWAIT (for the host to compare)
.set NOCLEX, 0x181010     # host: nonzero = handler leaves the exception pending
.set FSW_END, 0x181014    # FSW after both FWAITs
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
  mov $0xfb,%al; out %al,$0x21      # master: cascade only
  mov $0xdf,%al; out %al,$0xa1      # slave: IRQ13 only
  mov %cr0,%eax
  and $~0x2c,%eax                   # NE = 0, TS = 0, EM = 0
  or $0x2,%eax                      # MP
  mov %eax,%cr0
  movl $0,COUNT
  movl $waitpoint,WAIT_AT
  fninit
  fldcw cw                          # ZE unmasked
  fld1
  fldz
  .byte 0xd8,0xf9                   # fdivr %st(1),%st: 1/0, ZE pending (ES)
  sti
waitpoint:
  fwait
  fwait                             # a second waiting instruction
  cli
  fnstsw %ax
  mov %eax,FSW_END
  mov COUNT,%eax
  out %al,$0xf4
2: hlt
  jmp 2b
.globl handler
handler:
  push %eax
  incl COUNT
  mov 4(%esp),%eax
  mov %eax,EIP_SEEN
  fnstsw %ax
  mov %eax,FSW_SEEN
  out %al,$0xf0                     # IGNNE#, clears the IRQ13 request
  cmpl $0,NOCLEX
  jne 1f
  fnclex
1:
  mov $0x20,%al; out %al,$0xa0; out %al,$0x20
  pop %eax
  iret
.align 4
cw: .word 0x37b
.align 4
idtr: .word 256*8-1
      .long IDT

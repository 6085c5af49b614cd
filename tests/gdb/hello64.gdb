# Drives a GDB stub attached to guests/build/hello64-elf64.elf started stopped
# (nestvm: -S -gdb tcp::PORT; QEMU: -S -gdb tcp::PORT, same kernel). The
# caller connects first (gdb -ex "target remote HOST:PORT" -x this file).
# Only plain gdb commands: the same file works against QEMU. Checked with
# Debian's qemu-system-x86 7.2 booting guests/build/hello64.elf (QEMU's
# multiboot loader takes only the ELF32 form; same code and symbols): same
# watchpoint values, breakpoint, step, bytes and register write; QEMU stops
# first at the firmware's reset vector (0xfff0) rather than the kernel entry,
# and closes the connection at the end instead of reporting the exit code.
set pagination off
set confirm off
echo ==entry\n
info registers rip
echo ==watch\n
watch *(long *)((char *)&rt_tss + 4)
continue
delete
echo ==break\n
break kmain
continue
echo ==step\n
stepi
p/x $pc
echo ==memory\n
x/16xb kmain
echo ==register\n
set $rax = 0x1122334455667788
p/x $rax
echo ==finish\n
delete
continue

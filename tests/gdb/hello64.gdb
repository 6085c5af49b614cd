# Drives a GDB stub attached to guests/build/hello64-elf64.elf started stopped
# (nestvm: -S -gdb tcp::PORT; QEMU: -S -gdb tcp::PORT, same kernel). The
# caller connects first (gdb -ex "target remote HOST:PORT" -x this file).
# Only plain gdb commands: the same file works against QEMU.
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

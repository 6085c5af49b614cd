# nestvm only (uses its monitor command): stop in the demo's L2 guest.
set pagination off
set confirm off
monitor level l2
break l2_main
continue
echo ==l2\n
p/x $pc
x/8xb $pc
stepi
p/x $pc
echo ==finish\n
delete
continue

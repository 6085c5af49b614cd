# After --restore: break on a symbol and run the guest to its exit.
set pagination off
set confirm off
echo ==break\n
break kmain
continue
p/x $pc
delete
echo ==finish\n
continue

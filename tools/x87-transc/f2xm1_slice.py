"""F2XM1 study: the lines of `f2xm1_tiny raw` files whose |x| lies in [LO, HI).

Usage: python3 f2xm1_slice.py LO HI raw-files... > out.txt     (Python 3 only)
Used to step the joint refit out band by band (f2xm1_wide.sh).
"""
import sys

lo, hi = float(sys.argv[1]), float(sys.argv[2])
for fn in sys.argv[3:]:
    for line in open(fn):
        a = line.split()
        e = (int(a[0], 16) & 0x7FFF) - 16383
        if lo <= int(a[1], 16) / 2**63 * 2.0**e < hi:
            sys.stdout.write(line)

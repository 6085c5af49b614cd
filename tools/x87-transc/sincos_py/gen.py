import sys, random
from lib import *
# gen.py op lo hi N seed [fcws] -> runs probe, writes "op fcw x fsw st0 st1"
op, lo, hi, N, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
fcws = sys.argv[6].split(",") if len(sys.argv) > 6 else ["77f", "b7f", "37f"]
rnd = random.Random(seed)
lines = []
for i in range(N):
    e = rnd.randint(lo, hi - 1); m = rnd.getrandbits(63) | (1 << 63); s = rnd.getrandbits(1) if len(sys.argv) > 7 else 0
    for f in fcws: lines.append("%s %s %s" % (op, f, enc(s, e, m)))
res = run(lines)
for l, r in zip(lines, res): print(l, " ".join(r))

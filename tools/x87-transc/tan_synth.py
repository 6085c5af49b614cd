"""Fake probe.c output for FPTAN inputs from a known coefficient set: a
control for the fitting scripts (they must recover the known offsets).

Run: python3 tools/x87-transc/tan_synth.py COEF.txt in.txt > out.txt
"""
import sys, json
sys.path.insert(0, __file__.rsplit("/", 1)[0])
from tan_lib import *
from tan_target import rounded
L = open(sys.argv[1]).read().split("\n")
P = [tuple(c) for c in json.loads(L[0])]; Q = [tuple(c) for c in json.loads(L[1])]
for line in open(sys.argv[2]):
    f = line.split(); fcw = int(f[1], 16); x = f[2]
    se = int(x[:4], 16); m = int(x[4:], 16); neg = se >> 15
    ta = (m, (se & 0x7fff) - 16383 - 63)
    n, d = model_nd(ta, P, Q)
    rcb = fcw & 0xc00
    rc = 0 if rcb == 0 else (1 if (rcb == 0x400) != bool(neg) else 2)
    q, e = rounded(n, d, rc)
    if q >> 64: q >>= 1; e += 1
    print(f"0000 3fff8000000000000000 {(e + 63 + 16383) | (neg << 15):04x}{q:016x}")

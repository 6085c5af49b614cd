import os, subprocess, random, mpmath
from fractions import Fraction as F
mpmath.mp.prec = 300
PI66 = F((0xc90fdaa22168c234 << 2) | 3, 1 << 64)
def enc(s, e, m):  # value = m*2^(e-63)
    return "%04x%016x" % ((s << 15) | (e + 16383), m)
def dec(h):
    se = int(h[:4], 16); m = int(h[4:], 16)
    s = se >> 15; x = se & 0x7fff
    if m == 0: return F(0)
    v = F(m) * F(2) ** (x - 16383 - 63)
    return -v if s else v
def run(lines):
    out = subprocess.run([os.environ.get("X87PROBE", "/tmp/x87probe")], input="\n".join(lines) + "\n", capture_output=True, text=True).stdout.split("\n")
    return [o.split() for o in out[:len(lines)]]
def reduce(x):
    # x Fraction -> n, t exact with 66-bit pi, as engine: n = round(x/(pi66/2))
    if abs(x) < F(1, 4): return 0, x
    h = PI66 / 2
    n = (x + h / 2) // h  # floor(x/h + 1/2)
    n = int(n)
    return n, x - n * h
def mpf(fr): return mpmath.mpf(fr.numerator) / fr.denominator
def ulp(v):  # ulp of 64-bit significand at |v|
    v = abs(v)
    e = 0
    # find e with 2^e <= v < 2^(e+1)
    e = v.numerator.bit_length() - v.denominator.bit_length()
    if F(2) ** e > v: e -= 1
    return F(2) ** (e - 63)

import sys, mpmath as mp
from lib import enc, PI66
def bl(v): return v.bit_length()
def rnd(m, e, bits):
    """nearest-even round signed m*2^e to bits significant bits"""
    if m == 0: return (0, 0)
    neg = m < 0; a = -m if neg else m
    d = bl(a) - bits
    if d <= 0: return (m, e)
    q = a >> d; rem = a - (q << d); half = 1 << (d - 1)
    if rem > half or (rem == half and q & 1): q += 1
    return (-q if neg else q, e + d)
def add(a, b):
    if a[1] >= b[1]: return ((a[0] << (a[1] - b[1])) + b[0], b[1])
    return (a[0] + (b[0] << (b[1] - a[1])), a[1])
def mul(a, b): return (a[0] * b[0], a[1] + b[1])
def final(v, rc):
    """round exact v=(m,e) to 64-bit with rc (0 RN,1 RD,2 RU,3 RZ): returns (hex, up)"""
    m, e = v
    s = 1 if m < 0 else 0; a = -m if s else m
    d = bl(a) - 64
    if d <= 0:
        q = a << -d; ee = e + d; inexact = False; up = 0
    else:
        q = a >> d; rem = a - (q << d); half = 1 << (d - 1); ee = e + d
        inc = False
        if rem:
            if rc == 0: inc = rem > half or (rem == half and q & 1)
            elif rc == 1: inc = s == 1
            elif rc == 2: inc = s == 0
        if inc:
            q += 1
            if q >> 64: q >>= 1; ee += 1
        up = 1 if inc else 0
    return enc(s, ee + 63, q), up
def coef68(x, bits=68):
    m, e = mp.frexp(x)  # x = m*2^e, 0.5<=|m|<1
    M = int(mp.nint(m * mp.mpf(2) ** bits))
    return rnd(M, int(e) - bits, bits)
def parse(h):
    se = int(h[:4], 16); m = int(h[4:], 16)
    s = se >> 15; x = se & 0x7fff
    return (-m if s else m, x - 16383 - 63)
def reduce(x):
    """x=(m,e) exact -> n, t=(T,te) with the 66-bit pi, like the engine"""
    m, e = x
    a = abs(m); E = e + 63
    if E < -2: return 0, x
    xm = a << (e + 65)  # x*2^65 (e+65 >= 0 since e>=-65... )
    n = (xm + (PIM >> 1)) // PIM
    T = xm - n * PIM
    if m < 0: n, T = -n, -T
    return n, (T, -65)
PIM = (0xc90fdaa22168c234 << 2) | 3

"""Shared helpers for the FPTAN study scripts (tools/x87-transc/tan_*.py).

Reads probe.c transcripts of FPTAN cases made by tan_near.c (|x| < pi/4,
so the reduced argument t is x) and evaluates the microcode model of
cpu/fpu/transc_amd.ts (tanAmdZen) with any coefficient set, in exact
integer arithmetic. Values are pairs (m, e) meaning m * 2^e. VARIANT
switches on structural alternatives (rounded products or g); the current
model of transc_amd.ts is VARIANT g = prod = (68, "near") (environment
TV=g:68:near,prod:68:near for tan_check.py / tan_direct.py) with the
coefficients of tan_coef.txt (TAN_P / TAN_Q below are an older fused set).
Needs python3 with mpmath (and numpy, scipy for the fitting scripts).
"""
import mpmath

mpmath.mp.prec = 300
IBITS = 68

TAN_P = [
    (0x2e7c9697bbdf1e68b, -65),
    (-0xcc3a370aa4a788f94, -70),
    (0xbae23c0c0dd38a20e, -75),
    (-0xafa1f16e6f7c97a48, -82),
    (0xb6a503b05803ffec3, -92),
]
TAN_Q = [
    (0x2e7c9697bbdf1e68b, -65),
    (-0xaf0574ac9e2788a18, -68),
    (0xa36f5651e06ca354c, -72),
    (-0x9978effe487baa523, -78),
    (0x80000000000000000, -86),
]


def round_sig(m, e, bits=IBITS):
    """Round m * 2^e to `bits` significant bits, nearest-even."""
    neg = m < 0
    a = -m if neg else m
    drop = a.bit_length() - bits
    if a == 0 or drop <= 0:
        return (m, e)
    q = a >> drop
    rem = a - (q << drop)
    half = 1 << (drop - 1)
    if rem > half or (rem == half and (q & 1)):
        q += 1
    return (-q if neg else q, e + drop)


def add(a, b):
    if a[1] >= b[1]:
        return ((a[0] << (a[1] - b[1])) + b[0], b[1])
    return (a[0] + (b[0] << (b[1] - a[1])), a[1])


def mul(a, b):
    return (a[0] * b[0], a[1] + b[1])


# Structural variants for experiments (None: the model of transc_amd.ts):
# VARIANT["prod"] = (w, mode) rounds each product acc * g to w bits first
# (mode "near", "floor" or "trunc"); VARIANT["g"] = (w, mode) the same for g = t^2.
VARIANT = {"prod": None, "g": None}


def quant(v, spec):
    if spec is None:
        return v
    w, mode = spec
    m, e = v
    a = abs(m)
    drop = a.bit_length() - w
    if drop <= 0:
        return v
    if mode == "floor":
        return (m >> drop, e + drop)
    if mode == "trunc":
        return ((a >> drop) * (1 if m > 0 else -1), e + drop)
    return round_sig(m, e, w)


def horner(cs, g, bits=IBITS):
    acc = cs[-1]
    for c in reversed(cs[:-1]):
        acc = round_sig(*add(quant(mul(acc, g), VARIANT["prod"]), c), bits)
    return acc


def square(t):
    return quant(mul(t, t), VARIANT["g"])


def model_nd(t, P=TAN_P, Q=TAN_Q):
    """N and D of the model for t = (m, e): tan t ~ N / D."""
    g = square(t)
    p = horner(P, g)
    n = round_sig(*mul(t, p))
    d = horner(Q, g)
    return n, d


def parse(line):
    """`fptan FCW X FSW ONE TAN` -> (fcw, t as (m, e), hw tan as (m, e), fsw)."""
    f = line.split()
    fcw = int(f[1], 16)
    x = f[2]
    se = int(x[:4], 16)
    m = int(x[4:], 16)
    s = -1 if se & 0x8000 else 1
    t = (s * m, (se & 0x7FFF) - 16383 - 63)
    r = f[5]
    rse = int(r[:4], 16)
    rm = int(r[4:], 16)
    rs = -1 if rse & 0x8000 else 1
    return fcw, t, (rs * rm, (rse & 0x7FFF) - 16383 - 63), int(f[3], 16)


def exact_tan(t):
    return mpmath.tan(mpmath.ldexp(t[0], t[1]))


def boundary(fcw, tanv):
    """The rounding boundary B near tan (mpf) for the case's control word
    (a representable value for rounding down or up, a midpoint for
    nearest), as an exact (m, e), and the ulp exponent."""
    a = abs(tanv)
    _, ex = mpmath.frexp(a)  # a = f 2^ex, f in [1/2, 1)
    ue = ex - 64
    u = mpmath.ldexp(a, -ue)
    if fcw & 0xC00 in (0x400, 0x800):  # directed: the nearest representable value
        k = int(mpmath.nint(u))
        b = (2 * k, ue - 1)
    else:
        k = int(mpmath.floor(u))
        b = (2 * k + 1, ue - 1)
    if tanv < 0:
        b = (-b[0], b[1])
    return b, ue


def cmp_frac(n, d, b):
    """sign(n/d - b) for (m, e) values, d > 0."""
    # n/d - b = (n - b d) / d
    x = add(n, (-b[0] * d[0], b[1] + d[1]))
    return (x[0] > 0) - (x[0] < 0)


def hw_side(fcw, r, b):
    """sign(hw internal - B) from the recorded result r."""
    c = add(r, (-b[0], b[1]))[0]
    if fcw & 0xC00 == 0x400:  # round down: r >= B iff internal >= B
        return 1 if c >= 0 else -1
    return 1 if c > 0 else -1  # nearest (B a midpoint) or up: r > B iff internal > B

"""Shared pieces of the round-9 FYL2X study (README, section "FYL2X / FYL2XP1:
round 9 (ylog9)"): the engine's REM_ONE chain on one x, the two 68-bit
neighbours of R that R's last unit decides between, y values that tell those
two logarithms apart in one probe line, and a probe.c runner.

Model (`transc_amd_ylog.ts`, REM_ONE): FYL2X of x = 1 + t (k = 0, t > 0 here)

    T = R68(2t / R68(2 + t)), L1 = R68(T C66), g = R68(T^2), h = R68(L1 g),
    R = R68(h P(g)), L = R68(L1 + R)

A case is "decided by R's last unit" when the two 68-bit neighbours R_lo,
R_hi of the exact h P give different L; f in [0, 1) is the position of h P
between them (the model takes R_hi iff f > 1/2).

Python 3 (mpmath, numpy for the callers); imports ylog6_one.py for the
kernel. The probe binary is $X87PROBE (default /tmp/x87probe_ylog9).
"""
import importlib.util
import os
import random
import subprocess

_spec = importlib.util.spec_from_file_location("y1", os.path.join(os.path.dirname(os.path.abspath(__file__)), "ylog6_one.py"))
y1 = importlib.util.module_from_spec(_spec)
os.environ.setdefault("YLOG6_STRUCT", "Glp")
_spec.loader.exec_module(y1)
F, ONE, r68 = y1.F, y1.ONE, y1.r68
PROBE = os.environ.get("X87PROBE", "/tmp/x87probe_ylog9")
REM_ONE_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ylog9_rem_one.txt")


def load_q(fn=None):
    """P's coefficients times 2^140 (default: the engine's REM_ONE)."""
    return y1.load_q(fn or REM_ONE_FILE)


def chain(m, q, k=0):
    """FYL2X of x = 2^k m 2^-63 (m in [2^63, sqrt(2) 2^63)): the pieces of
    the model's chain as fixed-point integers 2^-F, and the decision data
    (Llo, Lhi: L with R_lo, R_hi; negative for k < 0)."""
    t = (m - (1 << 63)) << (F - 63)
    T, S, L1 = y1.kernel(k, t)
    g = r68(T * T >> F)
    h = r68(L1 * g >> F)
    Pg = y1.qpoly(g, q)
    hp = h * Pg >> F
    sh = hp.bit_length() - 68
    lo = hp >> sh << sh
    rl, rh = lo, lo + (1 << sh)
    return dict(m=m, k=k, t=t, S=S, T=T, L1=L1, g=g, h=h, Pg=Pg, hp=hp, sh=sh, rl=rl, rh=rh,
                f=(hp - lo) / (1 << sh), Llo=r68(S + rl), Lhi=r68(S + rh), L=r68(S + r68(hp)))


def chain_p1(m, e, q):
    """FYL2XP1 of x = t = m 2^(e - 63) (t > 0, 1 + t < sqrt(2)): the same
    chain (k = 0); xh, the probe operand."""
    t = m << (F + e - 63)
    T, S, L1 = y1.kernel(0, t)
    g = r68(T * T >> F)
    h = r68(L1 * g >> F)
    Pg = y1.qpoly(g, q)
    hp = h * Pg >> F
    sh = hp.bit_length() - 68
    lo = hp >> sh << sh
    rl, rh = lo, lo + (1 << sh)
    return dict(m=m, k=0, op="fyl2xp1", xh=xhex(m, 16383 + e), t=t, S=S, T=T, L1=L1, g=g, h=h, Pg=Pg, hp=hp,
                sh=sh, rl=rl, rh=rh, f=(hp - lo) / (1 << sh), Llo=r68(S + rl), Lhi=r68(S + rh), L=r68(S + r68(hp)))


def xhex(m, e=16383):
    return "%04x%016x" % (e, m)


def split_y(Llo, Lhi, rnd, mode):
    """A 64-bit y = Y 2^-63 (Y in [2^63, 2^64)) and a 64-bit grid point G of
    y L such that rounding y L down (mode "d") or up ("u") gives different
    results for L = Llo and L = Lhi (0 < Llo < Lhi, fixed point 2^-F).
    Returns (Y, result if Llo, result if Lhi) as fixed-point integers."""
    while True:
        Y = rnd.getrandbits(63) | (1 << 63)
        a, b = Y * Llo, Y * Lhi  # scale 2^-(F + 63)
        if a.bit_length() != b.bit_length():
            continue
        u = 1 << (a.bit_length() - 64)
        ga = (a // u) * u  # floor of y Llo
        gb = (b // u) * u
        if mode == "d":
            if gb != ga:
                return Y, ga, gb
        else:
            ca = -((-a) // u) * u
            cb = -((-b) // u) * u
            if ca != cb:
                return Y, ca, cb


def enc_fix(v, scale):
    """Positive v 2^-scale with at most 64 significant bits as an f80 hex string."""
    bl = v.bit_length()
    sh = bl - 64
    m = v >> sh if sh >= 0 else v << -sh
    assert sh < 0 or (m << sh) == v
    e = bl - 1 - scale + 16383
    return "%04x%016x" % (e, m)


def probe(lines):
    """Run probe.c on 'OP FCW A B' lines; returns its output lines."""
    out = subprocess.run([PROBE], input="\n".join(lines) + "\n", capture_output=True, text=True, check=True).stdout
    return out.split("\n")[: len(lines)]


def host_choice(cases, seed, per=3):
    """For each case (dict from chain), `per` probe lines with split y (modes
    d, u, d, ...): 1 if every line says the host's L is Lhi, 0 if every line
    says Llo, None otherwise (inconsistent or neither). Adds c["host"]."""
    rnd = random.Random(seed)
    lines, exp = [], []
    for c in cases:
        for i in range(per):
            mode = "d" if i % 2 == 0 else "u"
            # y takes L's sign, so that y L > 0
            Y, rlo, rhi = split_y(abs(c["Llo"]), abs(c["Lhi"]), rnd, mode)
            fcw = "77f" if mode == "d" else "b7f"
            ys = 16383 | (0x8000 if c["Llo"] < 0 else 0)
            xh = c.get("xh") or xhex(c["m"], 16383 + c.get("k", 0))
            lines.append("%s %s %s %s" % (c.get("op", "fyl2x"), fcw, xh, xhex(Y, ys)))
            exp.append((enc_fix(rlo, F + 63), enc_fix(rhi, F + 63)))
    out = probe(lines)
    for j, c in enumerate(cases):
        votes = set()
        for i in range(per):
            r = out[j * per + i].split()[1]
            lo, hi = exp[j * per + i]
            votes.add(1 if r == hi else 0 if r == lo else None)
        c["host"] = votes.pop() if len(votes) == 1 else None
    return cases

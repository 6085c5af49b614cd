"""Small ratios on the direct path (x = 1, y = r): cases aimed at d's own 68-bit grid (d = atan(r) -
r, the host's correction term), where the (7,7) rational predicts d, so that round down / up show
the host's d before its rounding to within half a unit of d (atan5_dmap.py, which aims at the
exact d, cannot reach small r: the rational differs from atan(r) - r by about 100 units of d).

gen: for each centre r (SPEC as atan5_emap), N cases r = r0 + k 2^-(64+s), |k| < 2^W, with pd
(the position of m = g - r against the rational's d, in units of d) within DD of 0, found by
solving the linear congruence of pd in k. check: per case r, pd and the host's kind (lt: host d <
m, eq, gt); with --fit, the models of atan5_model.py named after it, as violations.

Run: python3 tools/x87-transc/atan5_tiny.py gen SPEC N W DD SEED COEF > t.in
     /tmp/x87probe_atan5 < t.in > t.out
     python3 tools/x87-transc/atan5_tiny.py check t.in t.out COEF
"""
import sys
import random
import mpmath as mp

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from atan5_lib import Window, S, f80  # noqa: E402
from atan5_emap import centres  # noqa: E402
from atan5_direct import rpos, yhex  # noqa: E402

mp.mp.prec = 300


def rat_d(Y, s, coef):
    """The rational's d at r = Y 2^-(64+s), times 2^S (floor)."""
    p, q = coef
    r = mp.ldexp(mp.mpf(Y), -(64 + s))
    g = r * r
    return int(mp.floor(mp.ldexp(r**3 * mp.polyval(p[::-1], g) / mp.polyval(q[::-1], g), S)))


def load_coef(fn):
    return [[mp.mpf(v) for v in ln.split()] for ln in open(fn)]


def geom(t, dS):
    """(grid unit exponent ge of the 64-bit result, d's unit exponent ude) for atan = t 2^-S."""
    return t.bit_length() - S - 64, (-dS).bit_length() - S - 68


def gen(spec, n, w, dd, seed, coef):
    rng = random.Random(seed)
    for r in centres(spec):
        Y0, s = rpos(r)
        win = Window(Y0, s)
        t0 = win.atan(0)
        rS0 = Y0 << (S - 64 - s)
        ge, ude = geom(t0, t0 - rS0)
        G = 1 << (ge - ude)  # the 64-bit grid in units of d
        # the rational's d minus the exact d, in units of d (constant over the window)
        off = (rat_d(Y0, s, coef) - (t0 - rS0)) / 2.0 ** (S + ude)

        sh = S + ge

        def pd_of(k):  # (g - atan(r_k)) / ud - off, g the nearest grid point
            T = win.atan(k)
            gS = ((T + (1 << (sh - 1))) >> sh) << sh
            return (gS - T) / 2.0 ** (S + ude) - off

        def wrap(v):
            return v - G * round(v / G)
        Bp = wrap(pd_of(1) - pd_of(0))  # pd advances by Bp per step of k (mod G)
        got = tries = 0
        mmax = int(abs(Bp) * (1 << w) / G)
        p0 = pd_of(0)
        while got < n and tries < 50 * n and mmax > 0:
            tries += 1
            target = rng.uniform(-dd, dd)
            m = rng.randint(-mmax, mmax)
            k = round((target - p0 + m * G) / Bp)
            for _ in range(3):
                k += round(wrap(target - pd_of(k)) / Bp)
            pd = pd_of(k)
            if abs(pd) > dd or abs(k) >= 1 << w or (Y0 + k) >> 63 != 1:
                continue
            for fcw in ("77f", "b7f"):
                print(f"fpatan {fcw} 3fff8000000000000000 {yhex(Y0 + k, s)}")
            got += 1


def check(inf, outf, coef):
    """Per case: r, pd (m against the rational's d, units of d) and kind."""
    lines = list(zip(open(inf), open(outf)))
    out = []
    for i in range(0, len(lines), 2):
        (ld, od), (lu, ou) = lines[i], lines[i + 1]
        _, ye, Y = f80(ld.split()[3])
        s = -ye - 64
        r = mp.ldexp(mp.mpf(Y), -(64 + s))
        t = int(mp.floor(mp.ldexp(mp.atan(r), S)))
        rS = Y << (S - 64 - s)
        ge, ude = geom(t, t - rS)
        sh = S + ge
        gnear = (t + (1 << (sh - 1))) >> sh
        m_minus_r = (gnear << sh) - rS
        pd = (m_minus_r - rat_d(Y, s, coef)) / 2.0 ** (S + ude)
        vals = []
        for o in (od, ou):
            _, st0, _ = o.split()
            _, he, hm = f80(st0)
            vals.append(hm << (he - ge) if he >= ge else hm >> (ge - he))
        kind = {(gnear, gnear): "eq", (gnear, gnear + 1): "gt", (gnear - 1, gnear): "lt"}.get(
            tuple(vals), "?")
        out.append((Y, s, pd, kind))
    return out


if __name__ == "__main__":
    if sys.argv[1] == "gen":
        gen(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]),
            int(sys.argv[6], 0), load_coef(sys.argv[7]))
    else:
        for Y, s, pd, kind in check(sys.argv[2], sys.argv[3], load_coef(sys.argv[4])):
            print(f"{Y:016x} {s} {pd:+.3f} {kind}")

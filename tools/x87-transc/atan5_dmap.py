"""The host's atan(r) is r + d, d a 68-bit value (README "FPATAN: structure of the atan step
(round 5)"); on the direct path (x = 1, y = r, result atan(r)) the exact sum r + d is rounded
once. This measures d's error: cases where the exact d = atan(r) - r lies within DD units of
d's own 68-bit grid (ud) of m = g - r, g a 64-bit grid point of the result; round down and up
then show whether the host's d is below m, equal to it, or above. With d = R68(X), each case
bounds eps = (X - d_exact) / ud: eq -> |eps - pd| <= 1/2, lt -> eps < pd - 1/2, gt -> eps >
pd + 1/2, where pd = (m - d_exact) / ud.

gen: windows around centres (SPEC as atan5_emap: lin:R0:R1:COUNT or list:R,...), offsets
|k| < 2^W of r's last bit, N cases each. check: per window the eps interval (or the best eps and
its violations) and counts; --cases prints every case (r, pd, kind).

Run: python3 tools/x87-transc/atan5_dmap.py gen SPEC N W DD SEED [COEF] > dm.in
       (COEF: an atan5_remez.py coefficient file; aim at that rational's d instead)
     /tmp/x87probe_atan5 < dm.in > dm.out
     python3 tools/x87-transc/atan5_dmap.py check dm.in dm.out W
"""
import sys
import random
import collections

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from atan5_lib import Window, S, atan_exact, f80, grid_side  # noqa: E402
from atan5_emap import centres  # noqa: E402
from atan5_direct import rpos, yhex  # noqa: E402


def dpos(Y, s, t):
    """For r = Y 2^-(64+s) and atan(r) = t 2^-S: (g, ge, pd, ude) with g 2^ge the 64-bit grid
    point of atan nearest to... r + d_exact, pd = (g 2^ge - r - d) / 2^ude, ude d's unit."""
    ge = t.bit_length() - S - 64
    sh = S + ge
    g = (t + (1 << (sh - 1))) >> sh
    rS = Y << (S - 64 - s)
    dS = t - rS  # negative
    ude = (-dS).bit_length() - S - 68
    pd = ((g << sh) - t) / float(1 << (S + ude)) if ude + S >= 0 else 0.0
    return g, ge, pd, ude


def rat_offset(Y0, s, coef):
    """(d_rat - d_exact) / ud at r = Y0 2^-(64+s) for the rational in `coef` (atan5_remez.py)."""
    import mpmath as mp
    p, q = [[mp.mpf(v) for v in ln.split()] for ln in open(coef)]
    r = mp.ldexp(mp.mpf(Y0), -(64 + s))
    g = r * r
    d_rat = r**3 * mp.polyval(p[::-1], g) / mp.polyval(q[::-1], g)
    d_ex = mp.atan(r) - r
    ude = int(mp.floor(mp.log(-d_ex, 2))) - 67
    return float((d_rat - d_ex) / mp.ldexp(1, ude))


def gen(spec, n, w, dd, seed, coef=None):
    """coef: aim at the rational's d (atan5_remez.py file) instead of the exact one."""
    rng = random.Random(seed)
    for r in centres(spec):
        Y0, s = rpos(r)
        win = Window(Y0, s)
        off = rat_offset(Y0, s, coef) if coef else 0.0
        got = tries = 0
        while got < n and tries < 20000 * n:
            tries += 1
            k = rng.randint(-(1 << w) + 1, (1 << w) - 1)
            if abs(dpos(Y0 + k, s, win.atan(k))[2] - off) > dd:
                continue
            for fcw in ("77f", "b7f"):
                print(f"fpatan {fcw} 3fff8000000000000000 {yhex(Y0 + k, s)}")
            got += 1


def genb(spec, n, bits, dd, seed, span=12):
    """Like gen, but r has at most `bits` significant bits (r^2, r^3 then exact in 68 bits when
    bits <= 22), r within 2^-span (relative) of the centre; exact atan per candidate."""
    rng = random.Random(seed)
    for r in centres(spec):
        Y0, s = rpos(r)
        sh = 64 - bits
        got = tries = 0
        while got < n and tries < 2000 * n:
            tries += 1
            Y = ((Y0 >> sh) + rng.randint(-(1 << (bits - span)), 1 << (bits - span))) << sh
            if abs(dpos(Y, s, atan_exact(Y, s))[2]) > dd:
                continue
            for fcw in ("77f", "b7f"):
                print(f"fpatan {fcw} 3fff8000000000000000 {yhex(Y, s)}")
            got += 1


def load(inf, outf, w=36):
    """Yields (window, Y, s, pd, kind) per case (two probe lines)."""
    lines = list(zip(open(inf), open(outf)))
    win, nw = None, -1
    for i in range(0, len(lines), 2):
        (ld, od), (lu, ou) = lines[i], lines[i + 1]
        _, ye, Y = f80(ld.split()[3])
        s = -ye - 64
        if win is None or s != win.s or abs(Y - win.X0) > 2 << w:
            win, nw = Window(Y, s), nw + 1
        # beyond 2^36 steps the window's Taylor expansion is not accurate enough
        t = win.atan(Y - win.X0) if w <= 36 else atan_exact(Y, s)
        g, ge, pd, ude = dpos(Y, s, t)
        kind = grid_side(od, ou, g, ge)
        yield nw, Y, s, pd, kind


def eps_interval(rows):
    """rows (pd, kind): (lo, hi, violations) for eps with d = R68(d_exact + eps ud)."""
    cons = []  # (lo, hi) per case
    for pd, k in rows:
        if k == "eq":
            cons.append((pd - 0.5, pd + 0.5))
        elif k == "lt":
            cons.append((-99.0, pd - 0.5))
        elif k == "gt":
            cons.append((pd + 0.5, 99.0))
    lo = max(c[0] for c in cons)
    hi = min(c[1] for c in cons)
    if lo <= hi:
        return lo, hi, 0
    pts = sorted({c[0] for c in cons} | {c[1] for c in cons})
    best = None
    for a, b in zip(pts, pts[1:]):
        e = (a + b) / 2
        bad = sum(not (c[0] <= e <= c[1]) for c in cons)
        if best is None or bad < best[0]:
            best = (bad, e)
    return best[1], best[1], best[0]


def check(inf, outf, w=36, cases=False):
    per = collections.OrderedDict()
    for nw, Y, s, pd, kind in load(inf, outf, w):
        per.setdefault(nw, (Y, s, []))[2].append((pd, kind))
        if cases:
            print(f"{Y * 2.0 ** -(64 + s):.12f} {pd:+.4f} {kind}")
    if cases:
        return
    for Y, s, rows in per.values():
        c = collections.Counter(k for _, k in rows)
        lo, hi, viol = eps_interval(rows)
        r = Y * 2.0 ** -(64 + s)
        print(f"r {r:.9f} n {len(rows):4d} eps in [{lo:+.3f}, {hi:+.3f}] viol {viol:3d}"
              f"  lt {c['lt']} eq {c['eq']} gt {c['gt']} ? {c['?']}")


if __name__ == "__main__":
    if sys.argv[1] == "genb":
        genb(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]),
             int(sys.argv[6], 0))
    elif sys.argv[1] == "gen":
        gen(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]),
            int(sys.argv[6], 0), *sys.argv[7:8])
    else:
        cs = "--cases" in sys.argv
        args = [a for a in sys.argv[2:] if a != "--cases"]
        check(args[0], args[1], *(int(v) for v in args[2:3]), cases=cs)

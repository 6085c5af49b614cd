"""Measures the host's atan error e(r) (before its 68-bit rounding, in 68-bit units of a) in
small windows of r, with exact ratios r = X 2^-(64+s) (x in [1, 2), y = 2^(1+s); atan5_lib).

gen: one window per centre; in each, random offsets k with |k| < 2^W (r moves by k 2^-(64+s)),
kept when a's cell decides the result, N per window. check: per window the interval of e
consistent with all its cases (lo, hi) and how many cases no single e explains.

Run: python3 tools/x87-transc/atan5_emap.py gen SPEC N W SEED > em.in
       SPEC: lin:R0:R1:COUNT (centres evenly spaced in [R0, R1)), or list:R,R,...
     /tmp/x87probe_atan5 < em.in > em.out
     python3 tools/x87-transc/atan5_emap.py check em.in em.out W
"""
import sys
import random
import collections

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from atan5_lib import Window, cell, decisive, host_side, interval, xhex, yhex, FCW, RC_OF, f80  # noqa


def centre(r):
    """(X0, s) with X0 2^-(64+s) = r rounded to a 64-bit significand (r in [2^-8, 1))."""
    s = 0
    while r * (1 << s) < 0.5:
        s += 1
    return int(r * (1 << s) * 2.0**64) & ~0x7FF | (1 << 63), s


def centres(spec):
    kind, rest = spec.split(":", 1)
    if kind == "lin":
        r0, r1, n = rest.split(":")
        r0, r1, n = float(r0), float(r1), int(n)
        return [r0 + (r1 - r0) * i / n for i in range(n)]
    return [float(v) for v in rest.split(",")]


def gen(spec, n, w, seed, out=sys.stdout):
    rng = random.Random(seed)
    for r in centres(spec):
        X0, s = centre(r)
        win = Window(X0, s)
        got = tries = 0
        while got < n and tries < 100 * n:
            tries += 1
            k = rng.randint(-(1 << w) + 1, (1 << w) - 1)
            A, ue, af = cell(win.atan(k))
            rc = decisive(A, ue)
            if rc is None:
                continue
            out.write(f"fpatan {FCW[rc]} {xhex(X0 + k)} {yhex(s)}\n")
            got += 1


def load(inf, outf, w=36):
    """Yields (window number, X, s, rc, A, ue, af, side) per case; a new window starts when X
    moves by more than 2^(w+1) from the window's first case or s changes."""
    win, nw = None, -1
    for li, lo in zip(open(inf), open(outf)):
        _, fcw, xh, yh = li.split()
        fsw, st0, _ = lo.split()
        _, _, X = f80(xh)
        s = f80(yh)[1] + 63 - 1
        if win is None or s != win.s or abs(X - win.X0) > 2 << w:
            win, nw = Window(X, s), nw + 1
        A, ue, af = cell(win.atan(X - win.X0))
        rc = RC_OF[fcw]
        yield nw, X, s, rc, A, ue, af, host_side(A, ue, rc, fsw, st0)


def check(inf, outf, w=36):
    per = collections.OrderedDict()
    for nw, X, s, rc, A, ue, af, side in load(inf, outf, w):
        per.setdefault(nw, (X, s, []))[2].append((af, side))
    for X, s, rows in per.values():
        bad = sum(sd is None for _, sd in rows)
        rows = [(a, sd) for a, sd in rows if sd is not None]
        lo, hi, viol = interval(rows)
        r = X * 2.0 ** -(64 + s)
        print(f"r {r:.9f} n {len(rows):4d} e in [{lo:+.4f}, {hi:+.4f}] viol {viol} none {bad}")


if __name__ == "__main__":
    if sys.argv[1] == "gen":
        gen(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5], 0))
    else:
        check(sys.argv[2], sys.argv[3], *(int(v) for v in sys.argv[4:5]))

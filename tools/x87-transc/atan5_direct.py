"""FPATAN's direct path (x = ST(0) = 1, y = ST(1) = r in (0, 1), result atan(r) itself): cases
where the exact atan(r) lies within D 68-bit units (u, of atan) of a 64-bit grid point g. The
host's result in round-down and round-up (two probe lines per case) shows whether its internal
atan is below, equal to, or above g, i.e. compares its error e (units u) with p = (g - atan)/u.

gen: windows of r around each centre (|k| < 2^W steps of r's last bit), N cases per window.
check: per case kind 'lt' (host < g), 'eq' (host == g exactly: both modes return g, C1 clear),
'gt'; per window the e interval and counts, and a table of kinds against p.

With a first argument "p" the same for x = r, y = 1 (result pi66/2 - atan(r); e and p are then
in 68-bit units of atan(r) and refer to a = pi66/2 - g).

Run: python3 tools/x87-transc/atan5_direct.py gen SPEC N W D SEED > d.in   (SPEC as atan5_emap)
     /tmp/x87probe_atan5 < d.in > d.out
     python3 tools/x87-transc/atan5_direct.py check d.in d.out W
"""
import sys
import random
import collections

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from atan5_lib import Window, S, PI66, f80, grid_side  # noqa: E402

# PATH "d": x = 1, y = r, result atan(r); PATH "p": x = r, y = 1, result pi66/2 - atan(r).
PATH = "d"
P2 = PI66 << (S - 65)


def value(t):
    """The exact value the result rounds: atan(r) or pi66/2 - atan(r), times 2^S."""
    return t if PATH == "d" else P2 - t


def operands(yh):
    return f"3fff8000000000000000 {yh}" if PATH == "d" else f"{yh} 3fff8000000000000000"
from atan5_emap import centres  # noqa: E402


def rpos(r):
    """(Y0, s): r ~ Y0 2^-(64+s) with a 64-bit Y0."""
    s = 0
    while r * (1 << s) < 0.5:
        s += 1
    return int(r * (1 << s) * 2.0**64) & ~0x7FF | (1 << 63), s


def near(t, d):
    """For atan = t 2^-S: (g, ge, p) with g 2^ge the nearest 64-bit grid point and p = (g 2^ge
    - atan) in 68-bit units of atan, or None if |p| > d."""
    ge = t.bit_length() - S - 64
    sh = S + ge
    g = (t + (1 << (sh - 1))) >> sh
    p = ((g << sh) - t) / float(1 << (sh - 4))
    return (g, ge, p) if abs(p) <= d else None


def yhex(Y, s):
    return f"{0x3fff - 1 - s:04x}{Y:016x}"


def gen(spec, n, w, d, seed):
    rng = random.Random(seed)
    for r in centres(spec):
        Y0, s = rpos(r)
        win = Window(Y0, s)
        got = tries = 0
        while got < n and tries < 1000 * n:
            tries += 1
            k = rng.randint(-(1 << w) + 1, (1 << w) - 1)
            if near(value(win.atan(k)), d) is None:
                continue
            for fcw in ("77f", "b7f"):
                print(f"fpatan {fcw} {operands(yhex(Y0 + k, s))}")
            got += 1


def load(inf, outf, w=36):
    """Yields (window, Y, s, p, kind) per case (two probe lines)."""
    lines = list(zip(open(inf), open(outf)))
    win, nw = None, -1
    for i in range(0, len(lines), 2):
        (ld, od), (lu, ou) = lines[i], lines[i + 1]
        yh = ld.split()[3 if PATH == "d" else 2]
        _, ye, Y = f80(yh)
        s = -ye - 64
        if win is None or s != win.s or abs(Y - win.X0) > 2 << w:
            win, nw = Window(Y, s), nw + 1
        t = value(win.atan(Y - win.X0))
        g, ge, p = near(t, 64)
        if PATH == "p":  # p in units of atan's 68-bit cell, sign as for a: (a_g - atan)
            p = -p * (1 << (t.bit_length() - win.atan(Y - win.X0).bit_length()))
        kind = grid_side(od, ou, g, ge)
        if PATH == "p":  # kinds as for a: host v > g means host a < pi66/2 - g
            kind = {"lt": "gt", "gt": "lt"}.get(kind, kind)
        yield nw, Y, s, p, kind


def check(inf, outf, w=36):
    tab = collections.defaultdict(collections.Counter)
    per = collections.OrderedDict()
    for nw, Y, s, p, kind in load(inf, outf, w):
        tab[round(p * 8) / 8][kind] += 1
        per.setdefault(nw, (Y, s, []))[2].append((p, kind))
    print("p (68-bit units, g - atan) : lt eq gt ?")
    for p in sorted(tab):
        c = tab[p]
        print(f"{p:+6.3f}: {c['lt']:5d} {c['eq']:5d} {c['gt']:5d} {c['?']:3d}")
    for Y, s, rows in per.values():
        # host < g: e < p; host > g: e > p; eq: |e - p| small
        lo = max([p for p, k in rows if k == "gt"], default=-9)
        hi = min([p for p, k in rows if k == "lt"], default=9)
        eqs = [p for p, k in rows if k == "eq"]
        eqr = f"eq p in [{min(eqs):+.3f}, {max(eqs):+.3f}]" if eqs else "no eq"
        r = Y * 2.0 ** -(64 + s)
        print(f"r {r:.9f} n {len(rows)} e in ({lo:+.4f}, {hi:+.4f}) {eqr}")


def emap(inf, outf, w=36):
    """Per window: the error e (units u of atan) that the fewest cases contradict (gt: e > p,
    lt: e < p, eq: |e - p| < 0.05), with the number contradicting it."""
    per = collections.OrderedDict()
    for nw, Y, s, p, kind in load(inf, outf, w):
        per.setdefault(nw, (Y, s, []))[2].append((p, kind))
    out = []
    for Y, s, rows in per.values():
        cands = sorted(p for p, _ in rows)
        best = None
        for i in range(len(cands) + 1):
            lo = cands[i - 1] if i else cands[0] - 0.1
            hi = cands[i] if i < len(cands) else cands[-1] + 0.1
            e = (lo + hi) / 2
            bad = sum((k == "gt" and e <= p) or (k == "lt" and e >= p) or
                      (k == "eq" and abs(e - p) > 0.05) for p, k in rows)
            if best is None or bad < best[0]:
                best = (bad, e)
        out.append((Y * 2.0 ** -(64 + s), len(rows), best[1], best[0]))
    return out


if __name__ == "__main__":
    if sys.argv[1] in ("d", "p"):
        PATH = sys.argv.pop(1)
    if sys.argv[1] == "emap":
        for r, n, e, bad in emap(sys.argv[2], sys.argv[3], int(sys.argv[4])):
            print(f"{r:.6f} {n:4d} {e:+.3f} {bad:3d}")
    elif sys.argv[1] == "gen":
        gen(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]),
            int(sys.argv[6], 0))
    else:
        check(sys.argv[2], sys.argv[3], *(int(v) for v in sys.argv[4:5]))

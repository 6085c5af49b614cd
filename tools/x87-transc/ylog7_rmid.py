"""Cases aimed at the rounding midpoints of R (README, section "FYL2X /
FYL2XP1: one structure (round 7)").

In g = R68(T^2), h = R68(|L1| g), R = R68(h P(g)), L = R68(S + R) the host's
P is known only to about one unit of R's 68th bit. Here x is chosen so
that (1) the two 68-bit neighbours of the modelled h P give different L
(L's rounding boundary lies between S + R_lo and S + R_hi) and (2) h P lies
within DIST units of R's last bit of their midpoint. The pinned L then says
which neighbour the host's R is, i.e. on which side of the midpoint the
host's h P lies: a reading of P's value at a small fraction of R's unit.

  aim KIND N SEED LO HI DIST QFILE > xs.txt
      KIND p1, k0 or k as ylog6_aim.py; prints the x (20 hex digits).
  read QFILE FILES...
      per case: the model's position f of h P between R_lo (0) and R_hi
      (1), and the host's choice; prints how often the host picks R_hi per
      bin of f (a step at f = 1/2 if the model's h P is right), and the
      agreement of evaluation variants of P (ylog7_peval.py's specs).

FILES are OP:PATH (ylog_scan.ts output). QFILE: P's coefficients (times
2^140, REM_ONE: /tmp/ylog6/qall_Glp_d9.txt or the engine's list).
"""
import importlib.util
import os
import random
import sys

here = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("pe", os.path.join(here, "ylog7_peval.py"))
pe = importlib.util.module_from_spec(spec)
spec.loader.exec_module(pe)
y1, F, ONE, r68 = pe.y1, pe.F, pe.ONE, pe.r68


def neighbours(v):
    """The 68-bit values just below and above |v| > 0 (same sign as v), and
    the position of |v| between them (0 ... 1)."""
    a = abs(v)
    sh = a.bit_length() - 68
    lo = a >> sh << sh
    f = (a - lo) / (1 << sh)
    s = -1 if v < 0 else 1
    return s * lo, s * (lo + (1 << sh)), f


def parts(k, t, q):
    T, S, L1 = y1.kernel(k, t)
    g = r68(T * T >> F)
    h = r68(L1 * g >> F)
    hp = h * y1.qpoly(g, q) >> F
    return T, S, L1, g, h, hp


def aim(kind, n, seed, lo, hi, dist, q):
    rnd = random.Random(seed)
    for _ in range(n):
        a = rnd.uniform(lo, hi) * (1 if rnd.random() < 0.5 else -1)
        if not (0.5**0.5 <= 1 + a < 2**0.5):
            continue
        if kind == "p1":
            ex = int(abs(a).hex().split("p")[1])
            m = (int(abs(a) * 2 ** (63 - ex)) & ~0x7FF) | rnd.getrandbits(11)
            t = (-1 if a < 0 else 1) * (m << (F + ex - 63))
            xh = "%04x%016x" % (((1 if a < 0 else 0) << 15) | (ex + 16383), m)
            k = 0
        else:
            k = 0 if kind == "k0" else rnd.choice([i for i in range(-3, 4) if i])
            if a >= 0:
                m = int((1 + a) * 2**63) | rnd.getrandbits(11)
                t = (m - (1 << 63)) << (F - 63)
                xh = "%04x%016x" % (k + 16383, m)
            else:
                m = int((1 + a) * 2**64) | rnd.getrandbits(11)
                t = (m - (1 << 64)) << (F - 64)
                xh = "%04x%016x" % (k - 1 + 16383, m)
        if t == 0:
            continue
        T, S, L1, g, h, hp = parts(k, t, q)
        rl, rh, f = neighbours(hp)
        if abs(f - 0.5) < dist and r68(S + rl) != r68(S + rh):
            print(xh)


def read(q, specs):
    rows = y1.prep(y1.load(specs), 0.015625)
    cases = []
    for r in rows:
        T, S, L1 = r["T"], r["S"], r["L1"]
        g = r68(T * T >> F)
        h = r68(L1 * g >> F)
        hp = h * y1.qpoly(g, q) >> F
        rl, rh, f = neighbours(hp)
        ll, lh = r68(S + rl), r68(S + rh)
        if ll == lh:
            continue  # not a midpoint case for this P
        hw = 1 if r["G"] == lh else 0 if r["G"] == ll else None
        cases.append(dict(r=r, g=g, h=h, rl=rl, rh=rh, f=f, hw=hw))
    print("%d cases, %d whose host L is neither neighbour's" % (len(cases), sum(c["hw"] is None for c in cases)))
    bins = {}
    for c in cases:
        if c["hw"] is None:
            continue
        b = min(9, int(c["f"] * 10))
        n, up = bins.get(b, (0, 0))
        bins[b] = (n + 1, up + c["hw"])
    for b in sorted(bins):
        n, up = bins[b]
        print("  f in [%.1f, %.1f): %5d cases, host takes R_hi in %5d (%.2f)" % (b / 10, b / 10 + 0.1, n, up, up / n))
    return cases


def agree(cases, q, spec, d0=0):
    """How many cases an evaluation variant of P predicts right."""
    ok = 0
    rows = [c["r"] for c in cases]
    for c in rows:
        c["g"] = r68(c["T"] * c["T"] >> F)
        c["h"] = r68(c["L1"] * c["g"] >> F)
    tl = pe.tails(rows, q, spec)
    p0, u = pe.p0cells(q, spec)
    kind, w = pe.parse_spec(spec)
    for c, t in zip(cases, tl):
        if c["hw"] is None:
            continue
        P = p0 + d0 * u + t
        if kind in ("f", "u"):
            P = r68(P, w)
        R = r68(c["h"] * P >> F)
        ok += R == (c["rh"] if c["hw"] else c["rl"])
    return ok


def main():
    mode = sys.argv[1]
    if mode == "aim":
        kind, n, seed, lo, hi, dist, qf = sys.argv[2:9]
        aim(kind, int(n), int(seed, 0), float(lo), float(hi), float(dist), y1.load_q(qf))
    elif mode == "read":
        q = y1.load_q(sys.argv[2])
        cases = read(q, sys.argv[3:])
        n = sum(c["hw"] is not None for c in cases)
        for spec in os.environ.get("YLOG7_SPECS", "u200 fix72 fix73 fix74 fix75 fix76 fix78 fix80 u69 u70 u72").split():
            print("  %-6s agrees with the host on %d of %d" % (spec, agree(cases, q, spec), n), flush=True)


if __name__ == "__main__":
    main()

"""FYL2X round 9 (README, section "FYL2X / FYL2XP1: round 9 (ylog9)"): is the
host's periodic deviation a function of the model's own roundings?

The model's 68-bit roundings of T, L1, g, h, R (and P, if it were rounded)
have errors periodic in the operand's index n with frequencies nu_X = dX/dn
/ cell(X) (full, not reduced). A deviation that depends on several of them
(e.g. a product array whose error depends on h's and P's low bits, or a
rounding of a product of rounded values) has frequencies a nu_T + b nu_L1 +
c nu_g + d nu_h + e nu_R + f nu_P with small integers. The measured
frequency of a window is known up to the aliases +-nu + j rho (rho = dR/dn
/ cell(L), the rate of the decided cases' lattice). This lists the integer
combinations that match in EVERY window given.

  python3 tools/x87-transc/ylog9_combo.py bits FILE@E [FILE@E ...]
      the same for one bit of one quantity's significand (bit k above the
      last: frequency rate / 2^k), k = 0 ... 39.
  python3 tools/x87-transc/ylog9_combo.py pow MAXC NZ FILE@E [FILE@E ...]
      every combination of at most NZ quantities with |c| <= MAXC: the
      periodogram power at its frequency in each window (all families, no
      alias bookkeeping); the best by the smallest power over the windows.
  python3 tools/x87-transc/ylog9_combo.py MAXC FILE@E [FILE@E ...]
      FILE from ylog9_period.py genp1; MAXC the largest |coefficient|.
"""
import itertools
import sys

import numpy as np
from mpmath import mp, mpf

import ylog9_lib as L
import ylog9_period as YP

mp.prec = 200
Q = L.load_q()
C = mpf(L.y1.C66) / 2**65


def smooth(t):
    T = 2 * t / (2 + t)
    g = T * T
    P = mpf(L.y1.qpoly(int(g * 2**L.F), Q)) / 2**L.F
    R = T * C * g * P
    return dict(T=T, L1=T * C, g=g, h=T**3 * C, R=R, P=P, L=T * C + R)


def cell68(v):
    e = int(mp.floor(mp.log(abs(v), 2)))
    return mpf(2) ** (e - 67)


def measure(path, e):
    rows = YP.read(path)
    ev, _ = YP.residual(rows)
    m0 = min(r[0] for r in rows)
    pos = np.array([r[0] - m0 for r in rows])
    span = int(pos.max()) + 1
    nfft = 1 << (4 * span - 1).bit_length()
    p = YP.spectrum(pos, ev, nfft)
    i = int(np.argmax(p))
    grid = np.linspace((i - 1) / nfft, (i + 1) / nfft, 81)
    pw = [abs(np.sum(ev * np.exp(2j * np.pi * x * pos))) for x in grid]
    nu = float(grid[int(np.argmax(pw))])
    unit = mpf(2) ** (e - 63)
    tc = mpf(m0 + span // 2) * unit
    d = unit * 2**10
    a, b = smooth(tc - d), smooth(tc + d)
    c = smooth(tc)
    rates = {k: float((b[k] - a[k]) / (2 * d) * unit / cell68(c[k])) for k in ("T", "L1", "g", "h", "R", "P")}
    rho = float((b["R"] - a["R"]) / (2 * d) * unit / cell68(c["L"]))
    return dict(path=path, nu=nu, rho=rho, rates=rates, tol=1.5 / nfft, p=p, nfft=nfft)


def match(ws, fun):
    """Does fun(window) = +-nu + j rho (mod 1), |j| <= 12, in every window?"""
    for w in ws:
        f = fun(w)
        good = False
        for j in range(-12, 13):
            for s in (1, -1):
                d = (f - s * w["nu"] - j * w["rho"]) % 1
                if min(d, 1 - d) < w["tol"]:
                    good = True
        if not good:
            return False
    return True


def powscan(maxc, nz, specs):
    """Power at each combination's predicted frequency in every window (no
    alias bookkeeping: the periodogram itself is looked up); combinations
    of at most nz quantities with |c| <= maxc; prints the best by the
    smallest power over the windows."""
    ws = [measure(*(lambda s: (s[0], int(s[1])))(spec.rsplit("@", 1))) for spec in specs]
    keys = ("T", "L1", "g", "h", "R", "P")

    def power(w, nu):
        nu = nu % 1.0
        nu = min(nu, 1 - nu)
        i = int(round(nu * w["nfft"]))
        return max(w["p"][max(0, i - 1): i + 2])

    res = []
    for co in itertools.product(range(-maxc, maxc + 1), repeat=len(keys)):
        if not any(co) or sum(1 for c in co if c) > nz:
            continue
        pw = [power(w, sum(c * w["rates"][k] for c, k in zip(co, keys))) for w in ws]
        res.append((min(pw), co, pw))
    res.sort(reverse=True)
    print("%d combinations (|c| <= %d, at most %d quantities); best by the smallest power over %d windows:" % (
        len(res), maxc, nz, len(ws)))
    for sc, co, pw in res[:8]:
        print("  %-30s min %.1f (%s)" % (" ".join("%+d %s" % (c, k) for c, k in zip(co, keys) if c), sc,
                                         " ".join("%.0f" % v for v in pw)))


def main():
    if sys.argv[1] == "pow":
        return powscan(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:])
    if sys.argv[1] == "bits":
        # one bit of one quantity's 68-bit significand: frequency rate / 2^k
        ws = [measure(*(lambda s: (s[0], int(s[1])))(spec.rsplit("@", 1))) for spec in sys.argv[2:]]
        for key in ("T", "L1", "g", "h", "R", "P"):
            for k in range(0, 40):
                if match(ws, lambda w: w["rates"][key] / 2**k):
                    print("  %s bit %d above the last (frequency %s)" % (key, k, " ".join("%.5f" % (w["rates"][key] / 2**k) for w in ws)))
        return
    maxc = int(sys.argv[1])
    ws = [measure(*(lambda s: (s[0], int(s[1])))(spec.rsplit("@", 1))) for spec in sys.argv[2:]]
    for w in ws:
        print("%s: peak nu %.7f, rho %.6f, rates %s" % (w["path"], w["nu"], w["rho"],
              " ".join("%s %.4f" % kv for kv in w["rates"].items())))
    keys = ("T", "L1", "g", "h", "R", "P")
    hits = []
    for co in itertools.product(range(-maxc, maxc + 1), repeat=len(keys)):
        if not any(co):
            continue
        ok = True
        for w in ws:
            f = sum(c * w["rates"][k] for c, k in zip(co, keys))
            # is f = +-nu + j rho (mod 1) for an integer j with |j| <= 12?
            good = False
            for j in range(-12, 13):
                for s in (1, -1):
                    d = (f - s * w["nu"] - j * w["rho"]) % 1
                    if min(d, 1 - d) < w["tol"]:
                        good = True
            if not good:
                ok = False
                break
        if ok:
            hits.append(co)
    print("%d combinations with |c| <= %d match every window:" % (len(hits), maxc))
    for co in hits[:40]:
        print("  " + " ".join("%+d %s" % (c, k) for c, k in zip(co, keys) if c))


if __name__ == "__main__":
    main()

"""Compares the host's measured atan error (atan5_direct.py emap output: r n e bad, e in 68-bit
units of atan) with the error of rational approximations r + r^3 P(g)/Q(g) (atan5_remez.py
coefficient files), both as relative errors in 2^-68 units.

Run: python3 tools/x87-transc/atan5_curve.py EMAP.txt COEF_FILE [COEF_FILE ...]
"""
import sys
import math
import mpmath as mp

mp.mp.prec = 200


def load_coef(fn):
    p, q = [[mp.mpf(v) for v in l.split()] for l in open(fn)]
    return p, q


def rel_err(p, q, r):
    r = mp.mpf(r)
    g = r * r
    ev = lambda c: mp.polyval(c[::-1], g)  # noqa: E731
    a = mp.atan(r)
    return float((r + r**3 * ev(p) / ev(q) - a) / a * mp.mpf(2) ** 68)


if __name__ == "__main__":
    rows = [l.split() for l in open(sys.argv[1])]
    coefs = [load_coef(f) for f in sys.argv[2:]]
    tot = [0.0] * len(coefs)
    for r, n, e, bad in rows:
        r, e = float(r), float(e)
        a = math.atan(r)
        u = 2.0 ** (math.floor(math.log2(a)) - 67)
        meas = e * u / a / 2.0**-68
        preds = [rel_err(p, q, r) for p, q in coefs]
        for i, v in enumerate(preds):
            tot[i] += (v - meas) ** 2
        print(f"{r:.4f} {meas:+.3f} " + " ".join(f"{v:+.3f}" for v in preds) + f" ({bad})")
    print("rms:", " ".join(f"{math.sqrt(t / len(rows)):.3f}" for t in tot))

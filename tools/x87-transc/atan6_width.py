"""FPATAN round 6: how wide is the host's scatter of d around the base model (g = R(r r),
t = R(r g), d = t P / Q from a COEF file, exact)? Per window (atan5_tiny.py or atan5_dmap.py
cases, atan6_fit.py's loader) the smallest W such that one offset c satisfies every case with
the tolerance W (eq |x + c| <= 1/2 + W, lt x + c < -1/2 + W, gt x + c > 1/2 - W; x in units of
d): W = 0 is an exact model up to a constant, W = 1/2 is what a quotient correct to within
one unit of d ("faithful") would leave. Also the share of cases outside W = 0 and W = 1/2 at the
best offset.

Run: python3 tools/x87-transc/atan6_width.py COEF GROUP in,out [in,out ...]
  GROUP: decimals of r that identify a window (3 for atan5_tiny.py centres)
"""
import sys
import collections
from fractions import Fraction as F
import numpy as np

sys.path.insert(0, __file__.rsplit("/", 1)[0])
import atan6_fit as A  # noqa: E402


def lohi(x, k):
    """Interval of c satisfying the case with tolerance W, as functions of W: (a - W, b + W)."""
    if k == "eq":
        return -0.5 - x, 0.5 - x
    if k == "lt":
        return -99.0, -0.5 - x
    return 0.5 - x, 99.0


def main():
    P, Q = A.read_coef(sys.argv[1])
    nd = int(sys.argv[2])
    per = collections.OrderedDict()
    for c in A.load(sys.argv[3:]):
        per.setdefault(round(float(c[0]), nd), []).append(c)
    tot = collections.Counter()
    for key, win in per.items():
        iv = []
        for r, m, ude, k in win:
            g = A.R(r * r)
            t = A.R(r * g)
            x = float((t * A.horner_x(P, g) / A.horner_x(Q, g) - m) / F(2) ** ude)
            iv.append(lohi(x, k))
        a = np.array([v[0] for v in iv])
        b = np.array([v[1] for v in iv])
        # smallest W with max(a) - W <= min(b) + W over all pairs: W = (max a - min b) / 2
        W = max(0.0, (a.max() - b.min()) / 2)
        cs = np.arange(-3, 2, 0.01)
        out0 = min(((a[None, :] > cs[:, None]) | (b[None, :] < cs[:, None])).sum(1))
        out5 = min(((a[None, :] - 0.5 > cs[:, None]) | (b[None, :] + 0.5 < cs[:, None])).sum(1))
        tot["n"] += len(win)
        tot["o0"] += out0
        tot["o5"] += out5
        print(f"r {key} n {len(win)} W {W:.2f}  outside W=0 {out0}  outside W=1/2 {out5}")
    print(f"total {tot['n']}: outside W=0 {tot['o0']}, outside W=1/2 {tot['o5']}")


if __name__ == "__main__":
    main()

"""FPATAN round 8: does one relative offset of d explain a case set? For each c (units of 2^-68,
relative to d), the committed model's d before its rounding times (1 + c 2^-68), misses counted;
then the misses at the best c split by d's significand (quartiles) and by the case's kind.

Run: python3 tools/x87-transc/atan8_offset.py in,out [in,out ...]   (any x: atan8_tiny.load)
  env BINS=n: also the best c per bin of r (n bins of equal counts).
"""
import os
import sys
from fractions import Fraction as F
import numpy as np

sys.path.insert(0, __file__.rsplit("/", 1)[0])
import atan6_fit as A  # noqa: E402
import atan8_tiny as T  # noqa: E402


def main():
    cases = T.load(sys.argv[1:])
    ev = A.VARIANTS["x_xqg"]
    x0, K, kind, md = [], [], [], []
    for c in cases:
        x, t, g, q, X = A.position(ev, c, T.PF, T.QF)
        ud = F(2) ** c[2]
        x0.append(x)
        K.append(float(X / ud) * 2.0 ** -68)
        kind.append({"lt": -1, "eq": 0, "gt": 1}[c[3]])
        md.append(float(-X / ud) / 2.0 ** 67)  # d's significand in [1, 2)
    x0, K, kind, md = (np.array(v) for v in (x0, K, kind, md))
    cs = np.arange(-4, 4.001, 0.01)
    x = x0[None, :] + cs[:, None] * K[None, :]
    bad = np.where(kind < 0, x >= -0.5, np.where(kind > 0, x <= 0.5, np.abs(x) > 0.5))
    mc = bad.sum(axis=1)
    i0 = int(np.argmin(np.abs(cs)))
    ib = int(np.argmin(mc))
    print(f"{len(cases)} cases: c = 0 {mc[i0]} misses; best c = {cs[ib]:+.2f}: {mc[ib]}")
    q = np.quantile(md, [0.25, 0.5, 0.75])
    bins = np.digitize(md, q)
    print("misses at best c by quartile of d's significand: " + ", ".join(
        f"{bad[ib][bins == k].sum()} of {(bins == k).sum()}" for k in range(4)))
    print("kinds lt / eq / gt: " + ", ".join(
        f"{bad[ib][kind == k].sum()} of {(kind == k).sum()}" for k in (-1, 0, 1)))
    z = cs[mc == mc[ib]]
    print(f"c with the fewest misses: {z.min():+.2f} .. {z.max():+.2f}")
    nb = int(os.environ.get("BINS", "0"))
    if nb:
        # per bin of r (equal counts, ratio order): the c range with the bin's fewest misses
        rs = np.array([float(c[0]) for c in cases])
        order = np.argsort(rs)
        for b in np.array_split(order, nb):
            mb = bad[:, b].sum(axis=1)
            zb = cs[mb == mb.min()]
            print(f"  r {rs[b].min():.4e} .. {rs[b].max():.4e} ({len(b)}): {mb.min()} misses "
                  f"for c in {zb.min():+.2f} .. {zb.max():+.2f}")
    for c in (-2, -1, -0.5, 0.5, 1, 2):
        j = int(np.argmin(np.abs(cs - c)))
        print(f"  c = {c:+}: {mc[j]}")


if __name__ == "__main__":
    main()

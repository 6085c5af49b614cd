"""F2XM1 study: exact feasible region of one pair of coefficients (README, "F2XM1 model").

Usage: python3 f2xm1_region.py COEFS J IN.pkl|- OUT.pkl raw-files...
  COEFS  coefficient file (f2xm1_coefs.txt format): the values held fixed
  J      1 or 2: the free pair is (P_J, Q_J), the coefficients of g^J
  IN     a region saved by an earlier run, or - to start from a box of
         +-3e-10 relative around the COEFS values (J = 1: about +-1e-12)
  raw    output of `f2xm1_tiny raw` (x, then the RD, RU, RN results)

For each recorded case the 68-bit cells of P and Q that the free pair can
reach are enumerated; a pair of cells is kept if N = R68(x P),
D = R68(Q - N/2) and N / D rounded in the three modes give the recorded
results. The cells are taken from the exact polynomial values (the inner
Horner roundings move them by less than 2^-20 of a cell for |x| < 2^-7).
The region is a union of rectangles in the (P_J, Q_J) plane, merged where
possible; it is printed after each file and saved. An empty region means
the fixed coefficients (or the structure) are wrong for that case.
Needs Python 3 only.
"""
from fractions import Fraction as Fr
from decimal import Decimal, getcontext
import pickle
import sys
from f2xm1_model import K, Q0, loadraw, mul, add, r, same, div_round64, read_coefs

UP = Fr(1, 2**67)  # P's cell (P in [1, 2))
UQ = Fr(1, 2**66)  # Q's cell (Q in [2, 4))
KF = Fr(K[0], 2**67)
QF = Fr(Q0[0], 2**66)


getcontext().prec = 60


def fl(v):
    return v.numerator // v.denominator


def ok(N, D, res):
    return all(same(div_round64(N, D, mo), rv) for mo, rv in zip("dun", res))


def step(region, x, res, J, P, Q, maxpairs=400):
    gF = Fr(x[0] * x[0]) * Fr(2) ** (2 * x[1])
    h = gF**J
    # fixed part of the polynomial values
    pb = KF + sum(P[j] * gF ** (j + 1) for j in range(3) if j + 1 != J)
    qb = QF + sum(Q[j] * gF ** (j + 1) for j in range(3) if j + 1 != J)
    out = []
    for a, b, c, d in region:
        jp0, jp1 = fl((pb + a * h) / UP + Fr(1, 2)), fl((pb + b * h) / UP + Fr(1, 2))
        jq0, jq1 = fl((qb + c * h) / UQ + Fr(1, 2)), fl((qb + d * h) / UQ + Fr(1, 2))
        if (jp1 - jp0 + 1) * (jq1 - jq0 + 1) > maxpairs:
            return None
        for jp in range(jp0, jp1 + 1):
            lo1 = max(a, ((jp - Fr(1, 2)) * UP - pb) / h)
            hi1 = min(b, ((jp + Fr(1, 2)) * UP - pb) / h)
            if lo1 > hi1:
                continue
            N = r(*mul(x, (jp, -67)))
            for jq in range(jq0, jq1 + 1):
                if not ok(N, r(*add((jq, -66), (-N[0], N[1] - 1))), res):
                    continue
                lo2 = max(c, ((jq - Fr(1, 2)) * UQ - qb) / h)
                hi2 = min(d, ((jq + Fr(1, 2)) * UQ - qb) / h)
                if lo2 <= hi2:
                    out.append((lo1, hi1, lo2, hi2))
    return out


def compact(region):
    """Merge rectangles with the same extent in one coordinate and touching in the other."""
    for key in (0, 1):
        region.sort(key=lambda t: (t[2], t[3], t[0]) if key == 0 else (t[0], t[1], t[2]))
        out = []
        for t in region:
            if out:
                u = out[-1]
                if key == 0 and u[2:] == t[2:] and u[1] >= t[0]:
                    out[-1] = (u[0], max(u[1], t[1]), u[2], u[3])
                    continue
                if key == 1 and u[:2] == t[:2] and u[3] >= t[2]:
                    out[-1] = (u[0], u[1], u[2], max(u[3], t[3]))
                    continue
            out.append(t)
        region = out
    return region


def main():
    co = read_coefs(sys.argv[1])
    J = int(sys.argv[2])
    P = [Fr(Decimal(v)) for v in co["P"]]
    Q = [Fr(Decimal(v)) for v in co["Q"]]
    if sys.argv[3] == "-":
        w = {1: Fr(1, 10**12) / P[0], 2: Fr(3, 10**10), 3: Fr(1, 100)}[J]
        p, q = P[J - 1], Q[J - 1]
        region = [(p * (1 - w), p * (1 + w), q * (1 - w), q * (1 + w))]
    else:
        region = pickle.load(open(sys.argv[3], "rb"))
    for fn in sys.argv[5:]:
        for i, (x, res) in enumerate(loadraw(fn)):
            new = step(region, x, res, J, P, Q)
            if new is None:
                print("too many cell pairs", fn, i)
                return
            if not new:
                print("EMPTY at", fn, "case", i)
                return
            region = compact(new)
        lo1 = min(t[0] for t in region)
        hi1 = max(t[1] for t in region)
        lo2 = min(t[2] for t in region)
        hi2 = max(t[3] for t in region)
        print(f"{fn}: {len(region)} rectangles, P{J} {float(lo1):.17g} .. {float(hi1):.17g}, "
              f"Q{J} {float(lo2):.17g} .. {float(hi2):.17g}", flush=True)
        mid = lambda u, v: Decimal((u + v).numerator) / Decimal(2 * (u + v).denominator)
        print(f"  middle: P{J} {mid(lo1, hi1):.40g} Q{J} {mid(lo2, hi2):.40g}")
        pickle.dump(region, open(sys.argv[4], "wb"))


if __name__ == "__main__":
    main()

"""FPATAN round 7: the rounding of d itself (d = rnd(t P / Q), the committed P / Q, exact-g,
exact-t cases or g, t = R68 as committed): nearest-even n, toward zero z, away a, down, up, and
nearest with the model's X shifted by c units of d (the refit absorbed a mean shift).

Run: python3 tools/x87-transc/atan7_dmode.py COEF in,out [in,out ...]
"""
import sys
import math
from fractions import Fraction as F

sys.path.insert(0, __file__.rsplit("/", 1)[0])
import atan6_fit as A  # noqa: E402


def main():
    P, Q = A.read_coef(sys.argv[1])
    shifts = [-0.5, -0.25, 0.25, 0.5]
    cnt = dict.fromkeys(["n", "z", "a", "down", "up"] + [f"n{c:+}" for c in shifts], 0)
    for (r, m, ude, kind) in A.load(sys.argv[2:]):
        g = A.R(r * r)
        t = A.R(r * g)
        x = (t * A.horner_x(P, g) / A.horner_x(Q, g)) / F(2) ** ude  # negative
        mu = m / F(2) ** ude  # an integer
        fl = math.floor(x)
        fr = x - fl
        cands = {"n": fl + (fr > F(1, 2) or (fr == F(1, 2) and fl % 2 == 1)), "z": fl + (fr != 0),
                 "a": fl, "down": fl, "up": fl + (fr != 0)}
        for c in shifts:
            cands[f"n{c:+}"] = mu + math.floor(float(x - mu) + c + 0.5)
        for k, dv in cands.items():
            got = "lt" if dv < mu else ("gt" if dv > mu else "eq")
            cnt[k] += got != kind
    print(" ".join(f"{k}:{v}" for k, v in cnt.items()))


if __name__ == "__main__":
    main()

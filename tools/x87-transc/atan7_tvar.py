"""FPATAN round 7: how g = r^2 and t = r g are rounded, counted without offsets or windows
(the committed P / Q from COEF, exact; d = R68(t P / Q)). Forms NAME:GBITS:GMODE:TBITS:TMODE
(bits 0 = exact; mode n nearest-even, z toward zero, a away from zero).

Run: python3 tools/x87-transc/atan7_tvar.py COEF FORMS in,out [in,out ...]
     e.g. FORMS = 68:n:68:n,0:n:0:n,68:n:0:n,68:n:69:n,68:n:67:n,68:z:68:z
"""
import sys
from fractions import Fraction as F

sys.path.insert(0, __file__.rsplit("/", 1)[0])
import atan6_fit as A  # noqa: E402
from atan6_rsteps import rnd  # noqa: E402


def main():
    P, Q = A.read_coef(sys.argv[1])
    forms = [f.split(":") for f in sys.argv[2].split(",")]
    cases = A.load(sys.argv[3:])
    cnt = [0] * len(forms)
    for (r, m, ude, kind) in cases:
        ud = F(2) ** ude
        for i, (gb, gm, tb, tm) in enumerate(forms):
            g = rnd(r * r, int(gb), gm)
            t = rnd(r * g, int(tb), tm)
            X = t * A.horner_x(P, g) / A.horner_x(Q, g)
            cnt[i] += not A.ok(float((X - m) / ud), kind)
    print(f"{len(cases)} cases: " + " ".join(f"{':'.join(f)}={c}" for f, c in zip(forms, cnt)))


if __name__ == "__main__":
    main()

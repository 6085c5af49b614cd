"""FSIN / FCOS round 7: turn a fitted shift D(g) of the Horner sum s2 (sincos7_lp.py output, in
cells of A2; D(g) = sum_j a_j g^j) into moves of S's or C's coefficients c2, c3, ... (c_{2+j}
moves by a_j g^j, i.e. by a_j cells of A2 scaled to its own exponent), each rounded to a
68-bit cell. Prints the new coefficient file (sincos6 format).

Run: python3 tools/x87-transc/sincos7_apply.py COEF sin|cos a0 a1 a2 ... > new.txt
"""
import os
import sys
from fractions import Fraction as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sincos6_lib as L  # noqa: E402


def cell(m, e):
    return e + abs(m).bit_length() - 68


def main():
    s, c = L.read_coef(sys.argv[1])
    kind = sys.argv[2]
    a = [F(v) for v in sys.argv[3:]]
    cs = list(s if kind == "sin" else c)
    # A2's cell: the cell of c2 (A2 stays in c2's binade on |t| <= pi/4)
    a2cell = cell(*cs[2])
    for j, v in enumerate(a):
        k = 2 + j
        m, e = cs[k]
        val = F(m) * F(2) ** e + v * F(2) ** a2cell  # moves A2 by v cells at g = 1 via g^j
        ce = cell(m, e)
        cs[k] = L.rnd(round(val / F(2) ** (ce - 8)), ce - 8, 68)
    print("# sincos7_apply.py", " ".join(sys.argv[1:]))
    print(L.write_coef(cs, c) if kind == "sin" else L.write_coef(s, cs), end="")


if __name__ == "__main__":
    main()

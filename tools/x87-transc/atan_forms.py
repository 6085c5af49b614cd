"""Scores forms of the host's atan(r) with one inner 68-bit rounding against probe data.

Data as in atan_table.py (atan_target.py cases: y = 2, r = x/2 exact, the host's 68-bit
cell of a known). Forms, all ending in a = R68(...):
  prod:   r * R68(atan(r)/r)            (the polynomial's value rounded, then times r)
  corr:   r + R68(atan(r) - r)          (the correction term rounded)
  corr3:  r + R68(r * R68((atan(r) - r)/r))
  corrg:  r + R68(r * R68(g * R68((atan(r) - r)/(r g))))   with g = R68(r^2)
Run: python3 tools/x87-transc/atan_forms.py tg.in tg.out [more.in more.out ...]
"""
import sys
import mpmath as mp

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from atan_table import load, r68  # noqa: E402

mp.mp.prec = 200


def forms(r):
    a = mp.atan(r)
    g = r68(r * r)
    return {
        "nearest": a,
        "prod": r * r68(a / r),
        "corr": r + (-r68(r - a)),
        "corr3": r - r68(r * r68((r - a) / r)),
        "corrg": r - r68(r * r68(g * r68((r - a) / (r * g)))),
        "corrg2": r - r68(r * r68(g * r68((r - a) / (r * r)))),
    }


if __name__ == "__main__":
    rows = []
    for i in range(1, len(sys.argv), 2):
        rows += load(sys.argv[i], sys.argv[i + 1])
    score = {}
    for m, ge, k, side in rows:
        r = mp.ldexp(m, -64)
        for name, a in forms(r).items():
            score[name] = score.get(name, 0) + (int(mp.nint(mp.ldexp(a, -ge))) == k + side)
    print(len(rows), "cases")
    for name, s in score.items():
        print(f"{name:8} {s}")

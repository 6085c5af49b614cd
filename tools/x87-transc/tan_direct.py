"""Direct check of FPTAN probe transcripts (|x| < pi/4, no reduction) against
the model of tan_lib.py: the model's N / D rounded with the case's rounding
control must equal the recorded 64-bit result. Works for any cases (random,
near-boundary or cell-boundary ones from tan_target*.py).

Run: [TV=prod:68:near,g:68:near] python3 tools/x87-transc/tan_direct.py COEF.txt in.txt,out.txt ...
Output per half-binade of |t|: bin:failed/cases; with -v the failing lines.
"""
import sys, math, json, os

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from tan_lib import *
from tan_fit import load
from tan_target import rounded

for _v in filter(None, os.environ.get("TV", "").split(",")):
    _k, _w, _m = _v.split(":")
    VARIANT[_k] = (int(_w), _m)


def check(cases, P, Q):
    bins, bad = {}, []
    for fcw, t, r, fsw in cases:
        ta = (abs(t[0]), t[1])
        n, d = model_nd(ta, P, Q)
        rc = (fcw >> 10) & 3
        if t[0] < 0 and rc in (1, 2):
            rc = 3 - rc
        m, e = rounded(n, d, rc)
        if t[0] < 0:
            m = -m
        ok = (m, e) == r or (m << 1, e - 1) == r or (m, e) == (r[0] << 1, r[1] - 1)
        ok = ok or (m * 2 ** max(0, e - r[1]) == r[0] * 2 ** max(0, r[1] - e))
        lt = math.log2(abs(t[0])) + t[1]
        k = max(-12, math.floor(lt * 2) / 2)
        s = bins.setdefault(k, [0, 0])
        s[0] += 1
        if not ok:
            s[1] += 1
            bad.append((t, fcw))
    return bins, bad


if __name__ == "__main__":
    L = open(sys.argv[1]).read().split("\n")
    P = [tuple(c) for c in json.loads(L[0])]
    Q = [tuple(c) for c in json.loads(L[1])]
    files = [a for a in sys.argv[2:] if a != "-v"]
    bins, bad = check(load(files), P, Q)
    print(" ".join(f"{k}:{s[1]}/{s[0]}" for k, s in sorted(bins.items())), "total", len(bad))

"""Does the host's atan cell depend on bits of the ratio below its 68-bit rounding?

For atan_family.py data (check output lines joined with the inputs), predicts the
host's 68-bit cell of a from atan(q_b) with q_b = x/y rounded to nearest at b bits
(b = 64 .. 76, or exact), optionally shifted by `bias` units, and counts matches.
Run: python3 tools/x87-transc/atan_ratio.py fam.in fam.out [filter]
     (filter: 'half' keeps x = 1/2 (r next to 1/2), 'twothirds' x in [1, 2) (r next to 2/3))
"""
import sys
import mpmath as mp

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from atan_near import f80  # noqa: E402
from atan_family import cellinfo, res  # noqa: E402

mp.mp.prec = 300


def rb(q, b):
    if b is None:
        return q
    _, ex = mp.frexp(q)
    g = ex - b
    return mp.ldexp(mp.nint(mp.ldexp(q, -g)), g)


if __name__ == "__main__":
    ins = [l.split() for l in open(sys.argv[1]) if l.strip()]
    outs = [l.split() for l in open(sys.argv[2]) if l.strip()]
    filt = sys.argv[3] if len(sys.argv) > 3 else None
    bits = [64, 66, 67, 68, 69, 70, 72, 76, None]
    score = {b: 0 for b in bits}
    n = 0
    for (op, fcw, xh, yh), (fsw, st0, _) in zip(ins, outs):
        _, xe, xm = f80(xh)
        _, ye, ym = f80(yh)
        if filt == "half" and not (xh[:4] == "3ffe"):
            continue
        if filt == "twothirds" and not (xh[:4] == "3fff"):
            continue
        R, g, A, ae, af = cellinfo(xh, yh)
        rc = {"37f": 0, "77f": 1, "b7f": 2}[fcw]
        r0, E, _ = res(A, ae, rc)
        r1, _, _ = res(A + 1, ae, rc)
        hs, he, hm = f80(st0)
        hv = hm << (he - E)
        side = 0 if hv == r0 else (1 if hv == r1 else None)
        if side is None:
            continue
        n += 1
        q = mp.mpf(xm) / ym * mp.ldexp(1, xe - ye)
        for b in bits:
            a = mp.atan(rb(q, b))
            cell = int(mp.floor(mp.ldexp(a, -ae) + mp.mpf(0.5)))
            score[b] += cell == A + side
    print(n, "cases")
    for b in bits:
        print("ratio bits", b if b else "exact", score[b])

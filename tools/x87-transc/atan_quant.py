"""Scores quantizations of the host's internal a = atan(R) on probe data (x > 0, |y| > |x|).

Model: R = x/y rounded to nearest at 68 bits; a = atan(R) rounded to nearest on a grid:
  "sig68":  68 significant bits (the committed model, without the near-1/2 bias)
  "bias":   sig68 with atan lowered by 0.3 unit for |R - 1/2| < 2^-28 (the committed model)
  "fixK":   a multiple of 2^-K (fixed point, K = 66 .. 70)
  "pi4_*":  v = pi66/4 + R68(atan(z)), z = R68((y - x)/(y + x)) or R68((1 - R)/(1 + R))
v = pi66/2 - a exact, rounded once with the rounding control; result and C1 compared
(positive x and y only; AMIN / AMAX in the environment keep cases with a in [AMIN, AMAX)).
Run: python3 tools/x87-transc/atan_quant.py in.txt out.txt [in2 out2 ...]
"""
import sys
import mpmath as mp

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from atan_near import PI66, f80  # noqa: E402

mp.mp.prec = 300


def final(v, E, rc):
    """Round v 2^E (v > 0) to 64 bits; (value in units 2^E, C1)."""
    drop = v.bit_length() - 64
    q = v >> drop
    rem = v - (q << drop)
    h = 1 << (drop - 1)
    up = {0: rem > h or (rem == h and q & 1), 1: False, 2: rem != 0, 3: False}[rc]
    return (q + up) << drop, int(bool(up))


def predict(xh, yh, rc, grid):
    _, xe, xm = f80(xh)
    _, ye, ym = f80(yh)
    q = mp.mpf(xm) / ym * mp.ldexp(1, xe - ye)
    _, ex = mp.frexp(q)
    g = ex - 68
    u = mp.ldexp(q, -g)
    R = int(mp.floor(u))
    fr = u - R
    if fr > 0.5 or (fr == 0.5 and R & 1):
        R += 1
    a = mp.atan(mp.ldexp(R, g))
    if AMIN is not None and not (AMIN <= a < AMAX):
        return None, None
    if grid == "bias":
        _, ea = mp.frexp(a)
        if abs(mp.ldexp(R, g) - 0.5) < mp.ldexp(1, -28):
            a -= mp.ldexp(0.3, ea - 68)
        grid = "sig68"
    if grid == "sig68":
        _, ea = mp.frexp(a)
        ae = ea - 68
    else:
        ae = -int(grid[3:])
    A = int(mp.nint(mp.ldexp(a, -ae)))
    E = min(ae, -65)
    v = (PI66 << (-65 - E)) - (A << (ae - E))
    return final(v, E, rc), E


def r68(v):
    _, ex = mp.frexp(v)
    return mp.ldexp(mp.nint(mp.ldexp(v, 68 - ex)), ex - 68)


def predict_pi4(xh, yh, rc, zmode):
    """v = pi66/4 + R68(atan(z)), z = (y - x)/(y + x) (from the operands, R68) or
    (1 - R)/(1 + R) from the 68-bit ratio; every sum exact, one final rounding."""
    _, xe, xm = f80(xh)
    _, ye, ym = f80(yh)
    x = mp.ldexp(xm, xe)
    y = mp.ldexp(ym, ye)
    if zmode == "ops":
        z = r68((y - x) / (y + x))
    else:
        R = r68(x / y)
        z = r68((1 - R) / (1 + R))
    t = r68(mp.atan(z))
    _, et = mp.frexp(t)
    te = et - 68
    T = int(mp.nint(mp.ldexp(t, -te)))
    E = min(te, -66)
    v = (PI66 << (-66 - E)) + (T << (te - E))
    return final(v, E, rc), E


GRIDS = ["sig68", "bias", "fix66", "fix67", "fix68", "fix69", "fix70", "pi4_ops", "pi4_ratio"]
# Optional a-range filter: AMIN=0.25 AMAX=0.5 in the environment.
import os  # noqa: E402
AMIN = float(os.environ["AMIN"]) if "AMIN" in os.environ else None
AMAX = float(os.environ.get("AMAX", "1e9"))

if __name__ == "__main__":
    score = {gname: 0 for gname in GRIDS}
    n = 0
    for i in range(1, len(sys.argv), 2):
        ins = [l.split() for l in open(sys.argv[i]) if l.strip()]
        outs = [l.split() for l in open(sys.argv[i + 1]) if l.strip()]
        for (op, fcw, xh, yh), (fsw, st0, _) in zip(ins, outs):
            if int(xh[:4], 16) & 0x8000:
                continue
            rc = (int(fcw, 16) >> 10) & 3
            c1 = (int(fsw, 16) >> 9) & 1
            hs, he, hm = f80(st0)
            if predict(xh, yh, rc, "sig68")[0] is None:
                continue
            n += 1
            for gname in GRIDS:
                if gname.startswith("pi4"):
                    (val, pc1), E = predict_pi4(xh, yh, rc, gname[4:])
                else:
                    (val, pc1), E = predict(xh, yh, rc, gname)
                score[gname] += (hm << (he - E) == val) and pc1 == c1
    print(n, "cases")
    for gname in GRIDS:
        print(gname, score[gname])

"""FPTAN round 5: misses of model variants per band of |t| on probe
transcripts (tan_near.c cases, |x| < pi/4), counted exactly: the model's
N / D rounded with the case's control word against the recorded result.

Run: python3 tools/x87-transc/tan5_count.py SPEC ... -- in.txt,out.txt ...
  SPEC: a coefficient file (one set for all t), "bands" (the per-band sets
  of cpu/fpu/transc_amd.ts) or "cr" (correct rounding); a variant of the
  evaluation can be chosen with SPEC:VARIANT (tan5_lib.VARIANTS).
Bands: [2^-3, 2^-2) [2^-2, 2^-1) [2^-1, 0.6) [0.6, 2^-0.5) [2^-0.5, 0.745) [0.745, pi/4].
"""
import sys, math
from fractions import Fraction

sys.path.insert(0, __file__.rsplit("/", 1)[0])
import tan5_lib as L5
import tan5_var  # noqa: registers the variants

EDGES = [2**-3, 2**-2, 2**-1, 0.6, 2**-0.5, 0.745, math.pi / 4 + 1e-9]


def band_of(tv):
    for i in range(len(EDGES) - 1):
        if EDGES[i] <= tv < EDGES[i + 1]:
            return i
    return None


def main():
    i = sys.argv.index("--")
    specs, files = sys.argv[1:i], sys.argv[i + 1 :]
    cases = L5.load(files)
    n = [0] * 6
    miss = {s: [0] * 6 for s in specs}
    parsed = {}
    for s in specs:
        name, _, var = s.partition(":")
        if name in ("bands", "cr"):
            parsed[s] = (name, var or None)
        else:
            parsed[s] = (L5.read_coef(name), var or None)
    for fcw, t, r in cases:
        tv = abs(t[0]) * 2.0 ** t[1]
        b = band_of(tv)
        if b is None:
            continue
        n[b] += 1
        for s in specs:
            if not L5.matches(parsed[s][0], fcw, t, r, parsed[s][1]):
                miss[s][b] += 1
    print("cases      ", " ".join(f"{v:7d}" for v in n), f"{sum(n):8d}")
    for s in specs:
        print(f"{s[-40:]:40s}", " ".join(f"{v:7d}" for v in miss[s]), f"{sum(miss[s]):8d}", f"(>=2^-1: {sum(miss[s][2:])})")


if __name__ == "__main__":
    main()

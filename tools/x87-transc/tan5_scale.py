"""FPTAN round 5: scan the ratio-preserving directions of a coefficient set.
Multiplying P and Q by (1 + s3 g^3 + s4 g^4) leaves t P / Q unchanged; to
degree 4 in g that is P += s3 (p0 g^3 + p1 g^4) + s4 p0 g^4 and the same for Q
(so q4 moves with s3 and s4). For each (s3, s4) on a grid (units of 2^-67)
count the misses on probe transcripts (tan5_count.py's bands from BMIN on).

Run: python3 tools/x87-transc/tan5_scale.py COEF.txt S3LIST S4LIST in.txt,out.txt ...
  S3LIST / S4LIST: comma lists (or lo:hi:step); env BMIN (first band, default 2),
  KEEPQ4=1 (leave q4 alone), OUT=file (write the best set there).
"""
import sys, os, json
from fractions import Fraction

sys.path.insert(0, __file__.rsplit("/", 1)[0])
import tan5_lib as L5
from tan5_count import band_of


def rng(s):
    if ":" in s:
        a, b, c = (float(v) for v in s.split(":"))
        out, v = [], a
        while v <= b + 1e-12:
            out.append(v)
            v += c
        return out
    return [float(v) for v in s.split(",")]


def moved(P, Q, s3, s4, keepq4=False):
    def fr(c):
        return Fraction(c[0]) * Fraction(2) ** c[1]

    def back(v, like):
        e = like[1]
        return L5.rsig_s(int(round(v * Fraction(2) ** (-e + 8))), e - 8, 68)

    s3f, s4f = Fraction(s3) * Fraction(2) ** -67, Fraction(s4) * Fraction(2) ** -67
    out = []
    for cs, isq in ((P, False), (Q, True)):
        c = [fr(x) for x in cs]
        c[3] += s3f * c[0]
        if not (isq and keepq4):
            c[4] += s3f * c[1] + s4f * c[0]
        out.append([back(c[k], cs[k]) if k in (3, 4) else cs[k] for k in range(5)])
    return out


def main():
    P, Q = L5.read_coef(sys.argv[1])
    s3s, s4s = rng(sys.argv[2]), rng(sys.argv[3])
    bmin = int(os.environ.get("BMIN", "2"))
    keepq4 = os.environ.get("KEEPQ4") == "1"
    cases = [c for c in L5.load(sys.argv[4:]) if (band_of(abs(c[1][0]) * 2.0 ** c[1][1]) or -1) >= bmin]
    print("cases", len(cases), file=sys.stderr)
    best = None
    for s3 in s3s:
        for s4 in s4s:
            P2, Q2 = moved(P, Q, s3, s4, keepq4)
            per = [0] * 6
            for fcw, t, r in cases:
                if not L5.matches((P2, Q2), fcw, t, r):
                    per[band_of(abs(t[0]) * 2.0 ** t[1])] += 1
            tot = sum(per)
            print(f"s3 {s3:+8.3f} s4 {s4:+8.3f} misses {tot:6d} per band {per[bmin:]}", flush=True)
            if best is None or tot < best[0]:
                best = (tot, P2, Q2)
    if os.environ.get("OUT"):
        with open(os.environ["OUT"], "w") as f:
            f.write(json.dumps(best[1]) + "\n" + json.dumps(best[2]) + "\n")


if __name__ == "__main__":
    main()

"""F2XM1 study: structural variants of the model on recorded bands (README, "F2XM1 model").

Usage: python3 f2xm1_variants.py COEFS raw-files...
  COEFS  coefficient file (f2xm1_coefs.txt format)
  raw    output of `f2xm1_tiny raw` (x, then the RD, RU, RN results)
Prints, per file, how many cases each variant gets wrong:
  fused     every Horner step R68(acc g + c) (the committed model)
  unfP/unfQ/unfPQ  Horner steps R68(R68(acc g) + c) in P, Q, or both
  g68       g = R68(x^2) instead of exact (x^2 has up to 128 bits)
  Pexact/Qexact/PQexact  P's (Q's, both) last Horner step not rounded
            (N = R68(x P), D = R68(Q - N/2) from the exact sum)
Needs Python 3 only.
"""
import sys
from f2xm1_model import r, mul, add, loadraw, same, div_round64, model_from


def horner(C, g, fused, last=True):
    acc = C[-1]
    for i, c in enumerate(reversed(C[:-1])):
        if not last and i == len(C) - 2:
            return add(mul(acc, g), c)  # the last step left unrounded
        acc = r(*add(mul(acc, g), c)) if fused else r(*add(r(*mul(acc, g)), c))
    return acc


def wrong(m, x, res, fp, fq, g68=False, rp=True, rq=True):
    g = mul(x, x)
    if g68:
        g = r(*g)
    P = horner(m.P, g, fp, rp)
    Q = horner(m.Q, g, fq, rq)
    N = r(*mul(x, P))
    D = r(*add(Q, (-N[0], N[1] - 1)))
    return any(not same(div_round64(N, D, mo), rv) for mo, rv in zip("dun", res))


VARIANTS = {
    "fused": dict(fp=True, fq=True),
    "unfP": dict(fp=False, fq=True),
    "unfQ": dict(fp=True, fq=False),
    "unfPQ": dict(fp=False, fq=False),
    "g68": dict(fp=True, fq=True, g68=True),
    "Pexact": dict(fp=True, fq=True, rp=False),
    "Qexact": dict(fp=True, fq=True, rq=False),
    "PQexact": dict(fp=True, fq=True, rp=False, rq=False),
}

if __name__ == "__main__":
    m = model_from(sys.argv[1])
    for fn in sys.argv[2:]:
        d = loadraw(fn)
        out = {k: sum(wrong(m, x, res, **v) for x, res in d) for k, v in VARIANTS.items()}
        print(fn, len(d), " ".join(f"{k}={n}" for k, n in out.items()), flush=True)

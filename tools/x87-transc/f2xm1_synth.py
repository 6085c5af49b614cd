"""F2XM1 study: synthetic `f2xm1_tiny raw` lines computed by the model itself.

Usage: python3 f2xm1_synth.py COEFS raw-files... > synth.txt     (Python 3 only)
Replaces the recorded RD, RU, RN results of each x by those of the model with
COEFS: data that a fitting method must reproduce exactly when started from
other coefficients (README, "F2XM1 over the whole domain": the joint refit
fails on such data when the start is too far off, so it is stepped out in
small bands).
"""
import sys
from f2xm1_model import model_from, loadraw, div_round64


def enc(v):
    M, E = v
    return "%04x %016x" % ((0x8000 if M < 0 else 0) | (E + 63 + 16383), abs(M))


m = model_from(sys.argv[1])
for fn in sys.argv[2:]:
    for x, _ in loadraw(fn):
        N, D = m.nd(x)
        print(enc(x), " ".join(enc(div_round64(N, D, mo)) for mo in "dun"))

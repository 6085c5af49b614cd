"""F2XM1 study: arguments whose P or Q cell is nearly undecided (README, "F2XM1 beyond 2^-9").

Usage: python3 f2xm1_target.py COEFS SEED N E EPS > in.txt
Prints probe.c input lines (f2xm1 FCW X, for FCW = 0x77f, 0xb7f, 0x37f: RD, RU, RN
at 64 bits) for N random x of exponent E (both signs) whose unrounded last Horner
step of P or Q lies within EPS of a cell of a rounding midpoint in the model
COEFS: the cases where the recorded result shows on which side the host's P or Q
lies. Convert the probe output to `f2xm1_tiny raw` lines with --raw:
  paste -d' ' in.txt out.txt | python3 f2xm1_target.py --raw > band.txt
Needs Python 3 only.
"""
import random
import sys
from f2xm1_model import mul, add, model_from


def near(v, eps):
    M, E = v
    a = abs(M)
    d = a.bit_length() - 68
    f = (a & ((1 << d) - 1)) / (1 << d)
    return abs(f - 0.5) < eps


def last(C, g):
    from f2xm1_model import r
    acc = C[-1]
    for c in reversed(C[1:-1]):
        acc = r(*add(mul(acc, g), c))
    return add(mul(acc, g), C[0])


def main():
    if sys.argv[1] == "--raw":
        rows = [l.split() for l in sys.stdin if l.strip()]
        for i in range(0, len(rows) - 2, 3):
            x = rows[i][2]
            res = [rows[i + k][4] for k in range(3)]  # fcw order 77f, b7f, 37f
            print(x[:4], x[4:], *(f"{v[:4]} {v[4:]}" for v in res))
        return
    m = model_from(sys.argv[1])
    rnd = random.Random(int(sys.argv[2], 0))
    n, e, eps = int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
    k = 0
    while k < n:
        mant = rnd.getrandbits(63) | (1 << 63)
        s = rnd.getrandbits(1)
        x = (-mant if s else mant, e - 63)
        g = mul(x, x)
        if near(last(m.P, g), eps) or near(last(m.Q, g), eps):
            se = (s << 15) | (e + 16383)
            for fcw in ("77f", "b7f", "37f"):
                print(f"f2xm1 {fcw} {se:04x}{mant:016x}")
            k += 1


if __name__ == "__main__":
    main()

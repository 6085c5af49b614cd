"""Relative minimax check / refit of FPTAN's rational approximation.

tan t ~ t P(g) / Q(g), g = t^2, degree 4/4, P(0) = Q(0) = C fixed (the
measured constant), Q's g^4 coefficient fixed at 2^-19. Starting from a
coefficient set, solves the linearized minimax problem (max relative error
over g in [0, GMAX]) as a linear program, in units of 2^-64 relative, and
prints the error of the start and of the refit plus the refit coefficients
rounded to 68 bits.

Run: python3 tools/x87-transc/tan_minimax.py [GMAX] [ITER]
"""
import sys
import mpmath as mp
import numpy as np
from scipy.optimize import linprog

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from tan_lib import TAN_P, TAN_Q, round_sig

mp.mp.prec = 200
GMAX = mp.mpf(sys.argv[1]) if len(sys.argv) > 1 else (mp.pi / 4) ** 2
ITER = int(sys.argv[2]) if len(sys.argv) > 2 else 3
U = mp.mpf(2) ** -64


def val(cs):
    return [mp.ldexp(m, e) for m, e in cs]


def rel_err(P, Q, g):
    t = mp.sqrt(g)
    p = sum(c * g**k for k, c in enumerate(P))
    q = sum(c * g**k for k, c in enumerate(Q))
    return t * p / q / mp.tan(t) - 1, p, q


def solve(P, Q, n=1500):
    gs = [GMAX * (1 - mp.cos(mp.pi * (i + 0.5) / n)) / 2 for i in range(n)]
    gs = [g for g in gs if g > 0]
    A, b = [], []
    sc = [mp.mpf(1) / GMAX**k for k in range(5)]
    for g in gs:
        e, p, q = rel_err(P, Q, g)
        # d(rel) = (dP/p - dQ/q) (1 + e); dP = sum x_k sc_k U g^k (k = 1..4), dQ k = 1..3
        row = [float(sc[k] * g**k / p * (1 + e)) for k in range(1, 5)]
        row += [float(-sc[k] * g**k / q * (1 + e)) for k in range(1, 4)]
        eu = float(e / U)
        # |eu + row.x| <= eps
        A.append(row + [-1.0]); b.append(-eu)
        A.append([-r for r in row] + [-1.0]); b.append(eu)
    c = [0.0] * 7 + [1.0]
    res = linprog(c, A_ub=np.array(A), b_ub=np.array(b), bounds=[(None, None)] * 8, method="highs")
    x = res.x
    P2 = list(P); Q2 = list(Q)
    for k in range(1, 5):
        P2[k] = P[k] + x[k - 1] * sc[k] * U
    for k in range(1, 4):
        Q2[k] = Q[k] + x[3 + k] * sc[k] * U
    return P2, Q2, x[7]


def maxerr(P, Q, n=400):
    return max(abs(rel_err(P, Q, GMAX * i / n)[0]) for i in range(1, n + 1)) / U


def to68(v):
    m, e = mp.frexp(v)
    return round_sig(int(mp.ldexp(m, 200)), e - 200, 68)


if __name__ == "__main__":
    P, Q = val(TAN_P), val(TAN_Q)
    print("start max rel err (2^-64 units):", mp.nstr(maxerr(P, Q), 6))
    for it in range(ITER):
        P, Q, eps = solve(P, Q)
        print("iter", it, "LP eps", eps, "check", mp.nstr(maxerr(P, Q), 6))
    for name, cs in (("P", P), ("Q", Q)):
        for k, c in enumerate(cs):
            m, e = to68(c)
            print(name, k, mp.nstr(c, 25), hex(m), e)

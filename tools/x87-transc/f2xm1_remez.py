"""F2XM1 study: relative minimax (3,3) approximation of 2 tanh(x ln2 / 2) / x in g = x^2
(README, "F2XM1 model"), printed scaled to the measured Q(0).

Usage: python3 f2xm1_remez.py X [X ...]     (g in [0, X]; X = 1.0128047 gives P1 = the measured one)
Rational Remez: the 8 equations P(g_i) - f(g_i) (1 + (-1)^i E) Q(g_i) = 0 solved by Newton
(mpmath findroot) from the Pade (3,3) coefficients, then the extrema of the relative error
exchanged until they stop moving. Needs Python 3 with mpmath.
"""
import sys
from mpmath import mp, mpf, tanh, log, sqrt, findroot, cos, pi, taylor, pade

mp.dps = 50
L = log(2)
Q0M = mpf(196211177351547792685) / 2**66  # the measured Q(0)


def f(g):
    if g == 0:
        return L
    x = sqrt(g)
    return 2 * tanh(x * L / 2) / x


def ev(c, g):
    return sum(c[j] * g**j for j in range(len(c)))


def remez(X, n=3, m=3):
    N = n + m + 2
    t = taylor(lambda z: tanh(z) / z if z != 0 else 1, 0, 20)
    pp, qq = pade([t[2 * i] for i in range(10)], n, m)
    s = L * L / 4
    p = [L * pp[i] / qq[0] * s**i for i in range(n + 1)]
    q = [qq[i] / qq[0] * s**i for i in range(m + 1)]
    pts = [X * (1 - cos(pi * i / (N - 1))) / 2 for i in range(N)]
    E = mpf(0)
    for _ in range(40):
        def F(*v):
            pc, qc, e = list(v[:n + 1]), [mpf(1)] + list(v[n + 1:n + 1 + m]), v[-1]
            return [ev(pc, g) - f(g) * (1 + (-1)**i * e) * ev(qc, g) for i, g in enumerate(pts)]
        sol = findroot(F, p + q[1:] + [E])
        p = [sol[j] for j in range(n + 1)]
        q = [mpf(1)] + [sol[n + 1 + j] for j in range(m)]
        E = sol[N - 1]
        err = lambda g: ev(p, g) / ev(q, g) / f(g) - 1
        M = 3000
        G = [X * (1 - cos(pi * i / M)) / 2 for i in range(M + 1)]
        e = [err(g) for g in G]
        ext = [0] + [i for i in range(1, M) if (e[i] - e[i - 1]) * (e[i + 1] - e[i]) <= 0] + [M]
        sel = []
        for i in ext:
            if sel and (e[i] > 0) == (e[sel[-1]] > 0):
                if abs(e[i]) > abs(e[sel[-1]]):
                    sel[-1] = i
            else:
                sel.append(i)
        while len(sel) > N:
            sel = sel[1:] if abs(e[sel[0]]) < abs(e[sel[-1]]) else sel[:-1]
        if len(sel) < N:
            break
        new = []
        for i in sel:
            if i in (0, M):
                new.append(G[i])
                continue
            a, b = G[i - 1], G[i + 1]
            for _ in range(60):
                c1, c2 = a + (b - a) * 0.382, a + (b - a) * 0.618
                if abs(err(c1)) > abs(err(c2)):
                    b = c2
                else:
                    a = c1
            new.append((a + b) / 2)
        if max(abs(new[i] - pts[i]) for i in range(N)) < X * mpf(10)**-30:
            break
        pts = new
    return p, q, E


if __name__ == "__main__":
    for X in sys.argv[1:]:
        p, q, E = remez(mpf(X))
        sc = Q0M / q[0]
        print(f"X {X}: relative error {mp.nstr(E, 6)}; Q3 / 2^-20 = {mp.nstr(q[3] * sc * 2**20, 15)}")
        print("  P", [mp.nstr(c * sc, 22) for c in p])
        print("  Q", [mp.nstr(c * sc, 22) for c in q])

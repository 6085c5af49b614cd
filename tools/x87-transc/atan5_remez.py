"""Minimax rational approximations atan(r) ~ r + r^3 P(g)/Q(g), g = r^2, r in [0, 1], with
the relative error of atan weighted equally (Remez exchange), for comparing their error curves
(extrema, zero crossings) with the host's measured atan error (atan5_direct.py emap).

Run: python3 tools/x87-transc/atan5_remez.py M N [ITER [COEF_FILE [GMAX]]]
     prints the level (in 2^-68 relative units), the alternation points and zero crossings in r
"""
import sys
import mpmath as mp

mp.mp.prec = 240


def S(g):
    """(atan(sqrt g)/sqrt g - 1) / g."""
    if g < mp.mpf(2) ** -40:
        return -mp.mpf(1) / 3 + g / 5 - g * g / 7
    s = mp.sqrt(g)
    return (mp.atan(s) / s - 1) / g


def W(g):
    s = mp.sqrt(g)
    return g * s / mp.atan(s) if g > 0 else mp.mpf(0)


def solve(pts, m, n, Qold):
    N = m + n + 2
    A = mp.matrix(N, N)
    b = mp.matrix(N, 1)
    for i, g in enumerate(pts):
        sg = (-1) ** i
        Si, Wi = S(g), W(g)
        for j in range(m + 1):
            A[i, j] = g ** j
        for k in range(1, n + 1):
            A[i, m + k] = -Si * g ** k
        A[i, m + n + 1] = -sg * Qold(g) / Wi
        b[i] = Si
    x = mp.lu_solve(A, b)
    p = [x[j] for j in range(m + 1)]
    q = [mp.mpf(1)] + [x[m + k] for k in range(1, n + 1)]
    return p, q, x[m + n + 1]


def ev(c, g):
    v = mp.mpf(0)
    for a in reversed(c):
        v = v * g + a
    return v


def err(p, q, g):
    return W(g) * (ev(p, g) / ev(q, g) - S(g))


GMAX = mp.mpf(1)  # the interval is g in [0, GMAX] (argv[5])


def grid():
    # dense in r near 0 and over [0, sqrt(GMAX)]
    rs = [mp.sqrt(GMAX) * i / 4000 for i in range(1, 4001)]
    return [r * r for r in rs]


def extrema(p, q, N):
    gs = grid()
    es = [err(p, q, g) for g in gs]
    # local extrema of e (by sign runs: max |e| in each run of constant sign)
    runs = []
    cur = None
    for g, e in zip(gs, es):
        s = e >= 0
        if cur is None or s != cur[0]:
            cur = [s, g, e]
            runs.append(cur)
        elif abs(e) > abs(cur[2]):
            cur[1], cur[2] = g, e
    # keep N runs with the largest extrema, preserving alternation (drop smallest ends)
    while len(runs) > N:
        if abs(runs[0][2]) < abs(runs[-1][2]):
            runs.pop(0)
        else:
            runs.pop()
    return [x[1] for x in runs], [x[2] for x in runs], gs, es


def remez(m, n, iters=12):
    N = m + n + 2
    pts = [GMAX * ((1 - mp.cos(mp.pi * (i + 0.5) / N)) / 2) ** 2 for i in range(N)]
    Q = lambda g: mp.mpf(1)  # noqa: E731
    for it in range(iters):
        for _ in range(4):
            p, q, E = solve(pts, m, n, Q)
            Q = lambda g, q=q: ev(q, g)  # noqa: E731
        newpts, vals, gs, es = extrema(p, q, N)
        if len(newpts) == N:
            pts = newpts
        lev = max(abs(v) for v in vals)
        print(f"it {it} E {mp.nstr(E * 2**68, 6)} max {mp.nstr(lev * 2**68, 6)} runs {len(newpts)}",
              file=sys.stderr)
    return p, q, E, pts, gs, es


if __name__ == "__main__":
    m, n = int(sys.argv[1]), int(sys.argv[2])
    if len(sys.argv) > 5:
        GMAX = mp.mpf(sys.argv[5])
    it = int(sys.argv[3]) if len(sys.argv) > 3 else 12
    p, q, E, pts, gs, es = remez(m, n, it)
    print(f"M {m} N {n} level {mp.nstr(abs(E) * 2**68, 5)} (2^-68 relative)")
    print("extrema r:", " ".join(mp.nstr(mp.sqrt(g), 4) for g in pts))
    zs = [mp.sqrt(gs[i]) for i in range(1, len(gs)) if (es[i] >= 0) != (es[i - 1] >= 0)]
    print("zeros r:", " ".join(mp.nstr(z, 4) for z in zs))
    print("p:", [mp.nstr(c, 25) for c in p])
    print("q:", [mp.nstr(c, 25) for c in q])
    if len(sys.argv) > 4:  # save the coefficients (60 digits) for atan5_curve.py
        with open(sys.argv[4], "w") as f:
            f.write(" ".join(mp.nstr(c, 60) for c in p) + "\n")
            f.write(" ".join(mp.nstr(c, 60) for c in q) + "\n")

import mpmath as mp, sys
mp.mp.dps = 60
def remez(deg, G, f, wt, npts=None, iters=30):
    # approximate f(g) by S(g)=sum s_k g^k minimizing max |wt(g)*(S(g)-f(g))|
    n = deg + 1
    # chebyshev reference points on (0, G]
    ref = [G * (1 - mp.cos(mp.pi * (i + 0.5) / (n + 1))) / 2 for i in range(n + 1)]
    ref[-1] = G
    for it in range(iters):
        A = mp.matrix(n + 1, n + 1); b = mp.matrix(n + 1, 1)
        for i, g in enumerate(ref):
            for k in range(n): A[i, k] = g ** k
            A[i, n] = (-1) ** i / wt(g)
            b[i] = f(g)
        sol = mp.lu_solve(A, b)
        s = [sol[k] for k in range(n)]; E = sol[n]
        err = lambda g: wt(g) * (sum(s[k] * g ** k for k in range(n)) - f(g))
        # find extrema on grid then refine
        N = 4000
        grid = [G * mp.mpf(j) / N for j in range(1, N + 1)]
        vals = [err(g) for g in grid]
        ext = []
        for j in range(len(grid)):
            l = vals[j - 1] if j > 0 else None; r = vals[j + 1] if j + 1 < len(grid) else None
            v = vals[j]
            if (l is None or abs(v) >= abs(l)) and (r is None or abs(v) >= abs(r)):
                ext.append(grid[j])
        # keep alternating extrema
        alt = []
        for g in ext:
            v = err(g)
            if alt and mp.sign(err(alt[-1])) == mp.sign(v):
                if abs(v) > abs(err(alt[-1])): alt[-1] = g
            else: alt.append(g)
        while len(alt) > n + 1:
            if abs(err(alt[0])) < abs(err(alt[-1])): alt.pop(0)
            else: alt.pop()
        if len(alt) < n + 1: break
        ref = alt
    return s, E
if __name__ == "__main__":
    deg = int(sys.argv[1]); G = mp.mpf(sys.argv[2]) if len(sys.argv) > 2 else (mp.pi / 4) ** 2
    def f(g):
        t = mp.sqrt(g)
        return (t - mp.sin(t)) / t ** 3 if g > 0 else mp.mpf(1) / 6
    wt = lambda g: mp.sqrt(g) ** 3 / mp.sin(mp.sqrt(g))  # relative error of sin
    s, E = remez(deg, G, f, wt)
    print("E*2^64 = %s" % mp.nstr(E * 2 ** 64, 8))
    for k, c in enumerate(s):
        print(k, mp.nstr(c, 30), "dev*2^64:", mp.nstr((c - (-1) ** k / mp.factorial(2 * k + 3)) * 2 ** 64, 10))

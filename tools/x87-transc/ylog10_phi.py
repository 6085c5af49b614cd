"""FYL2X round 10 (README, section "FYL2X / FYL2XP1: the components' frequencies
(round 10, ylog10)"): what is the dominant component's hidden quantity W?

Input: tracked frequencies ("t nu" lines, nu per 2^-65 unit of t, one alias
branch of one component, from ylog10_track.py; files /tmp/ylog10/nu1r.txt
for t > 0 and nuneg.txt for t < 0 in round 10). The true frequency is F(t) =
s nu + j rho(t) + N for unknown s = +-1, alias index j and integer N (rho:
the lattice rate of the decided cases, 16 R'(t) per 2^-65 unit). A rounding
of W on a fixed grid G has F = W'(t) u / G, so F / W' is constant.

  python3 tools/x87-transc/ylog10_phi.py search FILE [FILE ...]
      for each candidate W (functions of the REM_ONE chain: P, g A(g), g P,
      R, the log, g, g / P, ...) and each FILE: the (s, j, N) with the
      smallest relative spread of F / W' (|j| <= 8, |N| <= 200), and the
      constant K = F / W'. A real W gives a spread at the measurement's
      precision (about 1e-7) and the same K on every FILE.
  python3 tools/x87-transc/ylog10_phi.py gfit DEG FILE:s:j:N [FILE:s:j:N ...]
      F / g' (g = T^2, T = 2t / (2 + t)) against g, pooled over the files
      with the given branch each: a polynomial of degree DEG; prints its
      coefficients normalised to 1 at g = 0 (phi'(g) / phi'(0) for W =
      phi(g)), K = its value at g = 0, and the residuals. One curve through
      points of both signs of t means W depends on g alone.
  python3 tools/x87-transc/ylog10_phi.py predict K c1,c2,... T FILE@E
      the frequency W = phi(g) predicts at t = T (F = K g' (1 + c1 g + c2
      g^2 + ...), folded per the window's unit 2^(E - 63)) and the
      periodogram's strongest local peak within 2e-4 of it, with its power
      and the window's highest peak: an out-of-sample check of the curve.
  python3 tools/x87-transc/ylog10_phi.py measure K c1,c2,... T:FILE@E ...
      prints "t F p": the measured frequency per 2^-65 unit (the strongest
      local peak within $YLOG10_TOL (2e-4) of the prediction, unfolded with the
      prediction) and its power; input for gfit with branch 1:0:0.
Needs numpy (and ylog10_track.py for predict and measure).
"""
import os
import sys

import numpy as np

C = 1.4426950408889634
TOL = float(os.environ.get("YLOG10_TOL", "2e-4"))  # measure: search half-width around the prediction
QFILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ylog9_rem_one.txt")
Q = [int(v, 16) / 2**140 for v in open(QFILE)]


def rho(t):
    """The decided cases' lattice rate per 2^-65 unit: R'(t) u / cell(L), cell(L) = 2^-69."""
    return 16 * (1 / ((1 + t) * np.log(2)) - C * 4 / (2 + t) ** 2)


def tT(t):
    return 2 * t / (2 + t)


def poly(g, k=0):
    return sum(Q[i] * g ** (i - k) for i in range(k, len(Q)))


def gq(t):
    return tT(t) ** 2


CANDS = {
    "P": lambda t: poly(gq(t)),
    "gA": lambda t: poly(gq(t)) - Q[0],
    "gP": lambda t: gq(t) * poly(gq(t)),
    "g2A2": lambda t: poly(gq(t)) - Q[0] - Q[1] * gq(t),
    "R": lambda t: C * tT(t) ** 3 * poly(gq(t)),
    "Rexact": lambda t: np.log2(1 + t) - C * tT(t),
    "log2": lambda t: np.log2(1 + t),
    "g": gq,
    "TA": lambda t: tT(t) * (poly(gq(t)) - Q[0]),
    "A": lambda t: (poly(gq(t)) - Q[0]) / gq(t),
    "g/P": lambda t: gq(t) / poly(gq(t)),
    "1/P": lambda t: 1 / poly(gq(t)),
    "ln(1+gP)": lambda t: np.log(1 + gq(t) * poly(gq(t))),
    "t^2": lambda t: t * t,
    "ln^2": lambda t: np.log1p(t) ** 2,
}


def load(fn):
    d = np.loadtxt(fn, ndmin=2)
    return d[:, 0], d[:, 1]


def branches(t, nu, jmax=8, nmax=200):
    ns = np.arange(-nmax, nmax + 1)
    out, keys = [], []
    for s in (1, -1):
        for j in range(-jmax, jmax + 1):
            out.append((s * nu + j * rho(t))[None, :] + ns[:, None])
            keys += [(s, j, int(n)) for n in ns]
    return np.concatenate(out), keys


def search(files):
    sides = [load(f) for f in files]
    h = 1e-6
    for name, f in CANDS.items():
        cols = []
        for t, nu in sides:
            wp = (f(t + h) - f(t - h)) / (2 * h)
            F, keys = branches(t, nu)
            r = F / wp
            m = r.mean(1)
            sp = r.std(1) / np.abs(m)
            k = int(np.argmin(sp))
            cols.append("spread %.1e (s,j,N) %s K %.5g" % (sp[k], keys[k], m[k]))
        print("%-9s | %s" % (name, " | ".join(cols)))


def gfit(deg, specs):
    gs, rs, ts = [], [], []
    for spec in specs:
        fn, s, j, n = spec.rsplit(":", 3)
        t, nu = load(fn)
        F = int(s) * nu + int(j) * rho(t) + int(n)
        gp = 16 * t / (2 + t) ** 3  # dg/dt
        gs.append(gq(t))
        rs.append(F / gp)
        ts.append(t)
    g, r, t = np.concatenate(gs), np.concatenate(rs), np.concatenate(ts)
    c = np.polyfit(g, r, deg)
    res = np.polyval(c, g) - r
    k0 = c[-1]
    print("K = %.7f; phi'(g)/phi'(0) = %s" % (k0, " ".join("%+.6f g^%d" % (v / k0, i) for i, v in enumerate(c[::-1]))))
    print("residual of F / g': rms %.2e, max %.2e (relative %.1e)" % (np.sqrt(np.mean(res**2)), abs(res).max(),
                                                                       abs(res).max() / abs(k0)))
    for a, b, e in sorted(zip(g, t, res)):
        print("  g %.5f  t %+.4f  residual %+.1e" % (a, b, e))


def predict(K, cs, t, spec):
    import ylog10_track as YT

    path, e = spec.rsplit("@", 1)
    e = int(e)
    g = gq(t)
    gp = 16 * t / (2 + t) ** 3
    F65 = K * gp * (1 + sum(c * g ** (i + 1) for i, c in enumerate(cs)))
    F = F65 * 2.0 ** (e + 2)  # per unit of this window
    nu = F % 1.0
    nu = min(nu, 1 - nu)
    w = YT.window(path + "@-2")  # raw periodogram (no unit conversion)
    p, nf = w["p"], w["nfft"]
    i = int(round(nu * nf))
    half = int(2e-4 * nf)
    seg = p[max(1, i - half): i + half]
    k = int(np.argmax(seg))
    at = (max(1, i - half) + k) / nf
    print("t %+.4f: F %.6f per window unit, predicted nu %.7f; strongest peak within 2e-4 at %.7f (off %+.1e), "
          "power %.0f; window's highest %.0f (%d cases)" % (t, F, nu, at, at - nu, seg[k], p.max(), w["n"]))


def measure(K, cs, specs):
    """For each T:FILE@E: the measured F per 2^-65 unit (the local peak nearest
    the prediction, unfolded with the prediction's integer part and sign)."""
    import ylog10_track as YT

    for spec in specs:
        t, rest = spec.split(":", 1)
        t = float(t)
        path, e = rest.rsplit("@", 1)
        e = int(e)
        g = gq(t)
        gp = 16 * t / (2 + t) ** 3
        Fw = K * gp * (1 + sum(c * g ** (i + 1) for i, c in enumerate(cs))) * 2.0 ** (e + 2)
        w = YT.window(path + "@-2")
        best = None
        for v, pw in zip(w["nu"], w["pw"]):
            for sg in (1, -1):
                cand = sg * v + round(Fw - sg * v)
                if abs(cand - Fw) < TOL and (best is None or pw > best[1]):
                    best = (cand, pw)
        if best:
            print("%.6f %.9f %.0f" % (t, best[0] * 2.0 ** (-e - 2), best[1]))
        else:
            print("# %.6f: no peak near %.7f" % (t, Fw), file=sys.stderr)


def main():
    cmd = sys.argv[1]
    if cmd == "search":
        search(sys.argv[2:])
    elif cmd == "gfit":
        gfit(int(sys.argv[2]), sys.argv[3:])
    elif cmd == "measure":
        measure(float(sys.argv[2]), [float(v) for v in sys.argv[3].split(",")], sys.argv[4:])
    elif cmd == "predict":
        predict(float(sys.argv[2]), [float(v) for v in sys.argv[3].split(",")], float(sys.argv[4]), sys.argv[5])


if __name__ == "__main__":
    main()

"""FYL2X round 9 (README, section "FYL2X / FYL2XP1: round 9 (ylog9)"): which
smooth quantity, rounded at which scale, makes the host's periodic deviation?

In a window of consecutive FYL2XP1 operands t (ylog9_period.py genp1), the
host's residual choices are periodic with a frequency nu (cycles per unit
of t's grid). A quantity W(t) rounded to B significant bits at an unknown
scale s (a constant factor that the microcode carries, as FPATAN's Q(0) =
1.4738) has frequency nu(s) = frac(s W'(t) / cell(s W(t))), cell = 2^(e -
B + 1) for s W in [2^e, 2^(e+1)). For each s of a fine grid over [1, 2) this
looks up the periodogram power at nu(s) in every window; a real (W, s)
gives a high power in all windows at once, while any one window alone has
many aliases (the decided cases lie on a lattice of x).

  python3 tools/x87-transc/ylog9_scale.py scan W B FILE@E [FILE@E ...]
      W: P (the remainder polynomial at g = T^2, exact T), GP (g P),
      OPG (1 + g P), R (L1 g P, exact), T, G (T^2), H (T^3 C), L1 (T C),
      RC (1 / (2 + t)), Z (t / (2 + t)), TP (T P), LG (the log, T C (1 +
      g P)), TT (t), T2 (t^2), D (2 + t), X (1 + t), LN (ln(1 + t)); any
      constant factor is the scale s, so L1 = T, Z = T; G2 (g^2), T5
      (T^5), GA (g A(g) = P - p0), A (P's tail A(g)), IP (1 / P), POW:a:b:c
      (t^a (1 + t)^b (2 + t)^c, e.g. POW:3:0:-3 = T^3 / 8); B: bits; E: t's binary exponent
      (-2 for t in [1/4, 1/2)). Prints the 15 best s (score: the smallest
      power over the windows, then their sum).
  python3 tools/x87-transc/ylog9_scale.py fam W[,W...] B THRESH FILE@E [FILE@E ...]
      the same test, fast: candidate scales from window 1's peaks above
      THRESH (every alias of every strong family) and each integer part.
  python3 tools/x87-transc/ylog9_scale.py plant W B S FILE@E
      writes FILE.plant: the same cases with the host's choice replaced by
      R = R68(h R_B(s W) / s)-style rounding of W (only W = P: P's value
      rounded at scale S), plus uniform noise of +-0.5 units of R's last bit;
      a control for `scan`.
"""
import sys

import numpy as np
from mpmath import log, mp, mpf

import ylog9_lib as L
import ylog9_period as YP

mp.prec = 200
F, r68 = L.F, L.r68
Q = None


def wval(name, t):
    """W(t) for a smooth (unrounded) chain, as mpf; "POW:a:b:c" is
    t^a (1 + t)^b (2 + t)^c."""
    global Q
    if name.startswith("POW:"):
        a, b, c = (int(v) for v in name.split(":")[1:])
        return t**a * (1 + t) ** b * (2 + t) ** c
    if Q is None:
        Q = L.load_q()
    T = 2 * t / (2 + t)
    g = T * T
    C = mpf(L.y1.C66) / 2**65

    def P():
        return mpf(L.y1.qpoly(int(g * 2**F), Q)) / 2**F

    return {
        "P": P, "GP": lambda: g * P(), "OPG": lambda: 1 + g * P(), "R": lambda: T * C * g * P(),
        "T": lambda: T, "G": lambda: g, "H": lambda: T**3 * C, "L1": lambda: T * C,
        "RC": lambda: 1 / (2 + t), "Z": lambda: t / (2 + t),
        "TP": lambda: T * P(), "LG": lambda: T * C * (1 + g * P()), "TT": lambda: t, "T2": lambda: t * t,
        "D": lambda: 2 + t, "X": lambda: 1 + t, "LN": lambda: mp.log(1 + t),
        "G2": lambda: g * g, "T5": lambda: T**5, "GA": lambda: P() - mpf(Q[0]) / 2**140,
        "A": lambda: (P() - mpf(Q[0]) / 2**140) / g, "IP": lambda: 1 / P(),
    }[name]()


def window(path, e):
    rows = YP.read(path)
    ev, _ = YP.residual(rows)
    m0 = min(r[0] for r in rows)
    pos = np.array([r[0] - m0 for r in rows])
    span = int(pos.max()) + 1
    nfft = 1 << (4 * span - 1).bit_length()
    p = YP.spectrum(pos, ev, nfft)
    tc = mpf(m0 + span // 2) * mpf(2) ** (e - 63)
    return dict(p=p, nfft=nfft, tc=tc, unit=mpf(2) ** (e - 63), n=len(rows))


def scan(wname, bits, specs):
    ws = []
    for spec in specs:
        path, e = spec.rsplit("@", 1)
        w = window(path, int(e))
        d = w["unit"] * 2**10
        W0 = wval(wname, w["tc"])
        W1 = (wval(wname, w["tc"] + d) - wval(wname, w["tc"] - d)) / (2 * d) * w["unit"]  # per unit
        w["W0"], w["W1"] = W0, W1
        ws.append(w)
        print("%s: %d cases, W %.12f, dW per unit %.6e" % (path, w["n"], float(W0), float(W1)))
    # nu(s) = frac(s W1 / 2^(floor(log2(s W0)) - bits + 1)); needs s to about 1 / (8 nfft |W1| / cell)
    rate = max(float(abs(w["W1"]) / (mpf(2) ** (int(np.floor(float(log(abs(w["W0"]), 2)))) - bits + 1))) * w["nfft"] for w in ws)
    nstep = int(rate * 8) + 1
    print("s grid: %d steps over [1, 2)" % nstep)
    best = []
    chunk = 1 << 22
    for c0 in range(0, nstep, chunk):
        s = 1 + (np.arange(c0, min(nstep, c0 + chunk), dtype=np.float64) + 0.5) / nstep
        score = np.full(s.shape, np.inf)
        total = np.zeros(s.shape)
        for w in ws:
            W0, W1 = float(w["W0"]), w["W1"]
            ex = np.floor(np.log2(s * abs(W0)))
            # frac(s W1 2^(bits - 1 - ex)) with W1 split for precision
            e0 = int(np.floor(np.log2(abs(W0))))
            base = W1 * mpf(2) ** (bits - 1 - e0)  # at s in [1, 2): ex = e0 or e0 + 1
            bi = float(base - int(base))
            bint = int(base)
            nu = np.mod(s * bint, 1.0) + s * bi
            nu = np.where(ex > e0, nu / 2 + np.mod(np.floor(s * bint) / 2, 1.0), nu)
            nu = np.mod(nu, 1.0)
            nu = np.minimum(nu, 1 - nu)
            idx = np.rint(nu * w["nfft"]).astype(np.int64)
            pw = w["p"][idx]
            score = np.minimum(score, pw)
            total += pw
        top = np.argsort(score)[-400:]
        best += [(score[i], total[i], s[i]) for i in top]
        best = sorted(best)[-400:]
    shown = []
    for sc, tot, s in sorted(best, reverse=True):
        if all(abs(s - v) > 1e-5 for v in shown):  # one line per peak
            shown.append(s)
            print("  s %.9f  min power %.1f  sum %.1f" % (s, sc, tot))
        if len(shown) == 15:
            break


def famscan(wnames, bits, thresh, specs):
    """As scan, but the candidate scales come from window 1's strong peaks
    (every local maximum of its periodogram above THRESH, i.e. every alias
    of every strong family): for each peak nu1 and integer N, s = (N + nu1)
    / rate (or twice that, if s W lies one binade up); then the power at
    the predicted frequency in every other window. Fast for any W."""
    ws = []
    for spec in specs:
        path, e = spec.rsplit("@", 1)
        ws.append(window(path, int(e)))
    p1, n1 = ws[0]["p"], ws[0]["nfft"]
    loc = np.where((p1[1:-1] > thresh) & (p1[1:-1] >= p1[:-2]) & (p1[1:-1] >= p1[2:]))[0] + 1
    peaks = [i / n1 for i in loc]
    print("window 1: %d peaks above %.0f" % (len(peaks), thresh))

    def power(w, nu):
        nu = nu % 1.0
        nu = min(nu, 1 - nu)
        i = int(round(nu * w["nfft"]))
        return max(w["p"][max(0, i - 1): i + 2])

    for wname in wnames.split(","):
        res = []
        for w in ws:
            d = w["unit"] * 2**10
            w["W0"] = wval(wname, w["tc"])
            w["W1"] = (wval(wname, w["tc"] + d) - wval(wname, w["tc"] - d)) / (2 * d) * w["unit"]
            e0 = int(mp.floor(mp.log(abs(w["W0"]), 2)))
            w["e0"] = e0
            w["rate"] = float(abs(w["W1"]) / mpf(2) ** (e0 - bits + 1))
        r1 = ws[0]["rate"]
        for nu in peaks:
            for a in (nu, -nu):
                for up in (0, 1):
                    for N in range(int(r1 / 2) - 1, int(2 * r1) + 2):
                        s = (N + a) / r1 * (2 if up else 1)
                        if not 1 <= s < 2:
                            continue
                        if (s * abs(float(ws[0]["W0"])) >= 2 ** (ws[0]["e0"] + 1)) != bool(up):
                            continue
                        pw = []
                        for w in ws:
                            upw = s * abs(float(w["W0"])) >= 2 ** (w["e0"] + 1)
                            pw.append(power(w, s * w["rate"] / (2 if upw else 1)))
                        res.append((min(pw), s, pw))
        res.sort(reverse=True)
        print("== %s at %d bits: %d candidate scales; best:" % (wname, bits, len(res)))
        for sc, s, pw in res[:6]:
            print("  s %.10f  min power %.1f  (%s)" % (s, sc, " ".join("%.0f" % v for v in pw)))


def plant(wname, bits, sval, spec):
    path, e = spec.rsplit("@", 1)
    e = int(e)
    q = L.load_q()
    import random

    rnd = random.Random(3)
    sn, sd = float(sval).as_integer_ratio()
    with open(path + ".plant", "w") as out:
        for m, f, _, k in YP.read(path):
            c = L.chain_p1(m, e, q)
            sp = r68(c["Pg"] * sn // sd, bits)
            hp = c["h"] * (sp * sd // sn) >> F
            x = (hp - c["rl"]) / (1 << c["sh"]) + 0.5 * (2 * rnd.random() - 1)
            out.write("%016x %.6f %d %d\n" % (m, f, 1 if x > 0.5 else 0, k))


def main():
    if sys.argv[1] == "fam":
        famscan(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), sys.argv[5:])
    elif sys.argv[1] == "scan":
        scan(sys.argv[2], int(sys.argv[3]), sys.argv[4:])
    elif sys.argv[1] == "plant":
        plant(sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5])


if __name__ == "__main__":
    main()

"""FYL2X round 10 (README, section "FYL2X / FYL2XP1: the components' frequencies
(round 10, ylog10)"): follow the periodic components of the host's deviation
over the whole range of t, to measure their frequency as a function of t.

Windows come from `ylog9_period.py genp1 T 20 SEED` (FYL2XP1 of 2^20
consecutive t from T on, t in [1/4, 1/2): t's grid u = 2^-65). In each
window the residual choices have periodogram peaks at nu = frac(F(t)) and
at its aliases +-nu + j rho (rho = dR/dn / cell(L), the lattice rate of
the decided cases), where F(t) = W'(t) u / cell(W) is the hidden rounding's
frequency per unit of t's grid. The tracker starts from every strong peak
of the first window, takes the slope from the next two windows (close in t)
and extrapolates (quadratically once three points exist) to each further
window, accepting the nearest local peak within a tolerance.

  python3 tools/x87-transc/ylog10_track.py peaks FILE@E
      the local maxima of one window (frequency, power), strongest first
  python3 tools/x87-transc/ylog10_track.py track THRESH TOL T:FILE@E T:FILE@E ...
      windows in order of t (the first three close together); prints each
      track that reaches the last window: nu per window, power per window
  python3 tools/x87-transc/ylog10_track.py rho T ...
      rho, its derivative and R's frequency at each T (the lattice rate)

Frequencies are in cycles per unit of t's grid at exponent -2 (u = 2^-65);
windows with E = -3 (|t| < 1/4, u = 2^-66) are converted: F per 2^-65 is
twice F per 2^-66, so their peaks nu3 are listed as frac(2 nu3) (folded).
YLOG10_SUB=FILE,...: before the periodogram, subtract the folded waveform of
each component listed in FILE ("t nu" lines, nu per 2^-65 unit, for windows
given with their t) to expose the next one.
Needs numpy, mpmath.
"""
import sys

import numpy as np
from mpmath import mp, mpf

import os

import ylog9_period as YP

MINLEN = int(os.environ.get("YLOG10_MINLEN", "0")) or 10**9

mp.prec = 200


def known(t):
    """Frequencies (per 2^-65 unit) of components already identified at t,
    from YLOG10_SUB=FILE,FILE (lines "t nu", as ylog10 writes them)."""
    out = []
    for fn in filter(None, os.environ.get("YLOG10_SUB", "").split(",")):
        for line in open(fn):
            v = line.split()
            if abs(float(v[0]) - t) < 1e-9:
                out.append(float(v[1]))
    return out


def subtract(pos, ev, nu, bins=32):
    """The residual minus its folded waveform at frequency nu."""
    ph = ((nu * pos) % 1.0 * bins).astype(int)
    tab = np.array([ev[ph == b].mean() if np.any(ph == b) else 0.0 for b in range(bins)])
    return ev - tab[ph]


def window(spec, t=None):
    path, e = spec.rsplit("@", 1)
    e = int(e)
    rows = YP.read(path)
    ev, _ = YP.residual(rows)
    m0 = min(r[0] for r in rows)
    pos = np.array([r[0] - m0 for r in rows])
    if t is not None:
        for nu in known(t):
            # known frequencies are per 2^-65 unit; this window's unit is 2^(e - 63)
            ev = subtract(pos, ev, nu * 2.0 ** (e + 2))
    span = int(pos.max()) + 1
    nfft = 1 << (4 * span - 1).bit_length()
    p = YP.spectrum(pos, ev, nfft).astype(np.float32)
    loc = np.where((p[1:-1] >= p[:-2]) & (p[1:-1] >= p[2:]) & (p[1:-1] > 30))[0] + 1
    # refine each local peak by a parabola through the three bins
    a, b, c = p[loc - 1], p[loc], p[loc + 1]
    den = a - 2 * b + c
    off = np.where(den != 0, 0.5 * (a - c) / np.where(den != 0, den, 1), 0)
    nu = (loc + off) / nfft
    if e == -3:
        # frequency per 2^-66 unit -> per 2^-65 unit: F65 = 2 F66, so nu65 = frac(2 nu66), folded
        nu2 = (2 * nu) % 1
        nu = np.minimum(nu2, 1 - nu2)
        pw = b
    else:
        pw = b
    o = np.argsort(-pw)
    return dict(nu=nu[o], pw=pw[o], n=len(rows), nfft=nfft, p=p, e=e)


def peaks(spec, t=None):
    w = window(spec, t)
    print("%d cases; %d local peaks above 30" % (w["n"], len(w["nu"])))
    for nu, pw in list(zip(w["nu"], w["pw"]))[:60]:
        print("  %.7f %.0f" % (nu, pw))


def fold(v):
    v = v % 1.0
    return min(v, 1 - v)


def track(thresh, tol, specs):
    ts = [float(s.split(":", 1)[0]) for s in specs]
    ws = [window(s.split(":", 1)[1], float(s.split(":", 1)[0])) for s in specs]
    for i, w in enumerate(ws):
        print("# t %.4f: %d cases, top peak %.0f" % (ts[i], w["n"], w["pw"][0]), file=sys.stderr)
    starts = [nu for nu, pw in zip(ws[0]["nu"], ws[0]["pw"]) if pw > thresh]
    out = []
    for nu0 in starts:
        # the unwrapped track may leave [0, 1/2]: keep a signed, unwrapped value
        best = None
        for s0 in (nu0, -nu0):
            tr, pws = [s0], [None]
            ok = True
            for k in range(1, len(ws)):
                if k == 1:
                    cands = [tr[0]]
                    tl = 0.02
                else:
                    if k == 2:
                        ex = tr[1] + (tr[1] - tr[0]) / (ts[1] - ts[0]) * (ts[2] - ts[1])
                        tl = 0.002
                    else:
                        c = np.polyfit(ts[:k], tr, min(2, k - 1))
                        ex = np.polyval(c, ts[k])
                        tl = tol
                    cands = [ex]
                ex = cands[0]
                w = ws[k]
                # nearest peak to ex (mod 1, either sign)
                d = np.array([min(abs(((ex - v) + 0.5) % 1 - 0.5), abs(((ex + v) + 0.5) % 1 - 0.5)) for v in w["nu"][:400]])
                if k == 1:
                    near = np.where(d < 0.006)[0]
                    j = int(near[np.argmax(w["pw"][:400][near])]) if len(near) else 0
                else:
                    j = int(np.argmin(d))
                if d[j] > tl:
                    ok = len(tr) >= MINLEN
                    break
                v = w["nu"][j]
                # unwrap: the representative of +-v + N nearest ex
                opts = [s * v + n for s in (1, -1) for n in range(int(np.floor(ex)) - 1, int(np.floor(ex)) + 3)]
                tr.append(min(opts, key=lambda o: abs(o - ex)))
                pws.append(w["pw"][j])
            if ok:
                best = (tr, pws)
                break
        if best:
            out.append(best)
    out.sort(key=lambda b: -len(b[0]))
    seen = set()
    for tr, pws in out:
        key = tuple(round(fold(v), 5) for v in tr[-3:])
        if key in seen:
            continue
        seen.add(key)
        sl = np.polyfit(ts[:len(tr)], tr, 2)
        print("track: " + " ".join("%.6f" % v for v in tr))
        print("   power: " + " ".join("-" if v is None else "%.0f" % v for v in pws))
        print("   fit nu = %.4f + %.4f (t - t0) + %.4f (t - t0)^2 (t0 = 0)" % (sl[2], sl[1], sl[0]))


def rho(ts):
    from ylog9_lib import F, load_q
    import ylog9_lib as L
    q = load_q()
    for t in ts:
        e = -2 if t >= 0.25 else -3
        m = int(mpf(t) * mpf(2) ** (63 - e))
        vals = []
        for d in (0, 1 << 30):
            c = L.chain_p1(m + d, e, q)
            vals.append(c)
        dR = (vals[1]["hp"] - vals[0]["hp"]) / (1 << 30)  # per unit, fixed 2^-F
        cellL = 1 << (abs(vals[0]["L"]).bit_length() - 68)
        cellR = 1 << vals[0]["sh"]
        print("t %.4f: rho %.6f (per 2^%d unit), R's own rate %.4f" % (t, dR / cellL, e - 63, dR / cellR))


def main():
    cmd = sys.argv[1]
    if cmd == "peaks":
        peaks(sys.argv[2], float(sys.argv[3]) if len(sys.argv) > 3 else None)
    elif cmd == "track":
        track(float(sys.argv[2]), float(sys.argv[3]), sys.argv[4:])
    elif cmd == "rho":
        rho([float(v) for v in sys.argv[2:]])


if __name__ == "__main__":
    main()

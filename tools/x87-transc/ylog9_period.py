"""FYL2X round 9 (README, section "FYL2X / FYL2XP1: round 9 (ylog9)"): is the
host's deviation from the model's h P periodic in x?

Any rounding (at any scale, any grid, any mode) of a quantity V that is a
smooth function of x over a window of consecutive x (P's value or one of its
Horner sums at an unknown scale, a divisor, a reciprocal, a Newton or
Goldschmidt step's product, a second evaluation path from t) leaves an error
that depends on frac(V / cell) only, and over the window V / cell is linear
in x's integer significand n to far below one cell (the quadratic term over
2^20 units is about 2^-20 cells): the error is periodic in n, with a
frequency nu = dV/dn / cell (mod 1), whatever the scale. So if such a
rounding causes the host's choices, the residual choices (host's choice
minus the pooled rate at the same model position f) show a peak in their
periodogram at nu. A Goldschmidt or Newton division built from such
products gives a sum of such peaks. What it cannot see: an error that
depends on the bits of already rounded operands (h, g) in a non-smooth
way, e.g. a product array that drops partial products.

  python3 tools/x87-transc/ylog9_period.py gen LO LOG2W SEED [K,K...] > cases.txt
      FYL2X x = 2^k (1 + t), each k listed (default 0): every x of the 2^LOG2W consecutive 64-bit
      significands from floor((1 + LO) 2^63) on whose L is decided by R's
      last unit; the host's choice from 3 probe lines each (ylog9_lib);
      prints "m f host k" (m hex significand, f the model's position, host
      1 = R_hi, 0 = R_lo, - = inconsistent).
  python3 tools/x87-transc/ylog9_period.py genp1 LO LOG2W SEED > cases.txt
      the same for FYL2XP1 of x = t (t's 64-bit grid: 4 times finer than
      x = 1 + t's for t in [1/4, 1/2), which breaks the aliasing of the
      periodogram; "m" is then t's significand, k printed as 0)
  python3 tools/x87-transc/ylog9_period.py fft cases.txt [PLANT]
      the periodogram of the residual choices (4x oversampled FFT), its five
      highest peaks (nu in cycles per unit of x, power normalised to mean 1
      under no signal), and the highest peak of 20 shuffles of the residuals
      over the same positions (the null). PLANT replaces the host's choices
      by a synthetic host, to show what a real hidden rounding would give:
        scale:S     R = R68(h R68(S P) / S) (P's value rounded at scale S)
        scale:S:N   the same plus uniform noise of +-N units of R's last bit
        noise:N     the model's h P plus uniform noise of +-N units (no
                    structure: the control)
        trunc:K     h P's product truncated onto 2^-K relative (a product
                    array dropping columns), then R68
  python3 tools/x87-transc/ylog9_period.py ramp cases.txt
      how often the host takes R_hi per bin of f
"""
import random
import sys

import numpy as np

import ylog9_lib as L

F, r68 = L.F, L.r68


def gen(lo, log2w, seed, ks=(0,)):
    q = L.load_q()
    m0 = int((1 + lo) * 2**63)
    cs = []
    for n in range(1 << log2w):
        for k in ks:
            c = L.chain(m0 + n, q, k)
            if c["Llo"] != c["Lhi"]:
                cs.append(c)
        if len(cs) >= 4000:
            flush(cs, seed + n)
            cs = []
    flush(cs, seed + 7)


def gen_p1(lo, log2w, seed):
    """FYL2XP1 of x = t: every t of 2^log2w consecutive 64-bit values from lo
    on (t's grid is 4 times finer than x = 1 + t's in [1/4, 1/2))."""
    q = L.load_q()
    e = int(np.floor(np.log2(lo)))
    m0 = int(lo * 2.0 ** (63 - e))
    cs = []
    for n in range(1 << log2w):
        c = L.chain_p1(m0 + n, e, q)
        if c["Llo"] != c["Lhi"]:
            cs.append(c)
        if len(cs) >= 4000:
            flush(cs, seed + n)
            cs = []
    flush(cs, seed + 7)


def flush(cs, seed):
    if not cs:
        return
    L.host_choice(cs, seed, 3)
    for c in cs:
        h = "-" if c["host"] is None else str(c["host"])
        print("%016x %.6f %s %d" % (c["m"], c["f"], h, c["k"]), flush=False)
    sys.stdout.flush()


def read(fn):
    rows = []
    for line in open(fn):
        v = line.split()
        if v[2] == "-":
            continue
        rows.append((int(v[0], 16), float(v[1]), int(v[2]), int(v[3]) if len(v) > 3 else 0))
    return rows


def residual(rows):
    nb = 20
    cnt = np.zeros(nb)
    up = np.zeros(nb)
    for _, f, h, _ in rows:
        b = min(nb - 1, int(f * nb))
        cnt[b] += 1
        up[b] += h
    rate = up / np.maximum(cnt, 1)
    return np.array([h - rate[min(nb - 1, int(f * nb))] for _, f, h, _ in rows]), rate


def spectrum(pos, e, nfft):
    a = np.zeros(nfft)
    np.add.at(a, pos, e)
    p = np.abs(np.fft.rfft(a)) ** 2 / np.sum(e * e)
    p[0] = 0
    return p


def peaks(p, nfft, k=5):
    idx = np.argsort(p)[::-1]
    out = []
    for i in idx:
        if all(abs(i - j) > 8 for j, _ in out):
            out.append((i, p[i]))
        if len(out) == k:
            break
    return [(i / nfft, v) for i, v in out]


def plant(rows, spec):
    q = L.load_q()
    kind, *args = spec.split(":")
    rnd = random.Random(99)
    out = []
    for m, f, _, k in rows:
        c = L.chain(m, q, k)
        if kind == "scale":
            s = float(args[0])
            sn, sd = s.as_integer_ratio()
            sp = r68(c["Pg"] * sn // sd)
            hp = c["h"] * (sp * sd // sn) >> F
            noise = float(args[1]) if len(args) > 1 else 0.0
        elif kind == "trunc":
            k = int(args[0])
            hp = c["h"] * c["Pg"] >> F
            sh = hp.bit_length() - k
            hp = hp >> sh << sh
            noise = 0.0
        elif kind == "noise":
            hp = c["hp"]
            noise = float(args[0])
        else:
            raise ValueError(spec)
        x = (hp - c["rl"]) / (1 << c["sh"]) + noise * (2 * rnd.random() - 1)
        out.append((m, f, 1 if x > 0.5 else 0, k))
    return out


def fft(fn, spec=None):
    rows = read(fn)
    if spec:
        rows = plant(rows, spec)
    e, rate = residual(rows)
    n0 = min(r[0] for r in rows)
    pos = np.array([r[0] - n0 for r in rows])
    span = int(pos.max()) + 1
    nfft = 1 << (4 * span - 1).bit_length()
    p = spectrum(pos, e, nfft)
    print("%d cases over %d consecutive x (%s); model agrees with %d" % (
        len(rows), span, spec or "host", sum((f > 0.5) == (h == 1) for _, f, h, _ in rows)))
    print("  rate of R_hi per f bin: " + " ".join("%.2f" % v for v in rate))
    print("  highest peaks (nu, power): " + "  ".join("%.6f %.1f" % pk for pk in peaks(p, nfft)))
    rnd = np.random.default_rng(5)
    null = [spectrum(pos, rnd.permutation(e), nfft).max() for _ in range(20)]
    print("  shuffled residuals, highest peak: median %.1f, max %.1f" % (np.median(null), max(null)))


def ramp(fn):
    rows = read(fn)
    _, rate = residual(rows)
    print(len(rows), " ".join("%.2f" % v for v in rate))


def main():
    cmd = sys.argv[1]
    if cmd == "gen":
        ks = tuple(int(v) for v in sys.argv[5].split(",")) if len(sys.argv) > 5 else (0,)
        gen(float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4], 0), ks)
    elif cmd == "genp1":
        gen_p1(float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4], 0))
    elif cmd == "fft":
        fft(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None)
    elif cmd == "ramp":
        ramp(sys.argv[2])


if __name__ == "__main__":
    main()

"""F2XM1 study: P(0) from tiny arguments (README, "F2XM1 model").

For tiny x the hardware's result is R68(x P0) / Q0: its error against x ln2, read from
rounding down (is the result below the representable value just under x ln2?), is a
sawtooth of the phase m c (m the significand, c = P0 / (the 68-bit unit of m P0)).
Stepping m by a stride s for which 2 s ln2 is nearly an integer keeps x ln2 at the same
place against the grid, so the sign of the error is a square wave of frequency frac(s c).
Each stride's frequency (FFT, then a fit of the sawtooth model) narrows c; every candidate
c consistent with all strides is kept (frac(s c) is only known up to its sign).
The result: c = 272006448751145499096 / 2^64, i.e. P0 = c / 8 = 0xebed907fcbb85b9d8 * 2^-67.

Usage: python3 f2xm1_p0.py      (runs f2xm1_tiny wave on this CPU; F2XM1_TINY = its path,
                                 default /tmp/f2xm1_tiny; about a minute)
Needs Python 3 with mpmath and numpy.
"""
import os
import subprocess
import numpy as np
from mpmath import mp, log, mpf, frac, floor, ceil

mp.dps = 80
L = log(2)
TINY = os.environ.get("F2XM1_TINY", "/tmp/f2xm1_tiny")
# strides with 2 s ln2 within 1e-9 .. 1e-16 of an integer (continued fraction of 2 ln2)
PLAN = [(717140287, 4096), (34933029871, 4096), (1007760087583, 4096), (16413504057361, 4096),
        (208012476621874, 4096), (2243252046704767, 1024)]
# the frequency doubles below m = 1.08507686685 * 2^63 (bisected): m P0 crosses a power of two
C0 = mpf(16) / mpf("1.08507686685")


def start(mu, lo=0.003, hi=0.004):
    """First m >= mu 2^63 with x ln2 just above a representable value (low binade)."""
    m = int(mpf(mu) * 2**63)
    while not lo < float(frac(2 * m * L)) < hi:
        m += 1
    return m


def wave(m, s, n):
    out = subprocess.run([TINY, "wave", "%x" % m, str(s), str(n)], capture_output=True, text=True).stdout
    return np.array([[float(v) for v in line.split()] for line in out.splitlines()]).T


def fit(k, f, y, nu0, span, w=0.094, b=-0.0074, steps=400, th=256):
    """Best (mismatches, nu, phase) of the sign model sign(w (round(t) - t) + b + f)."""
    best = (1 << 30, 0, 0)
    ths = np.arange(th) / th
    for nu in nu0 + np.linspace(-span, span, steps):
        t = (ths[:, None] + nu * k[None, :]) % 1.0
        pred = np.where(w * (np.round(t) - t) + b + f[None, :] < 0, -1, 1)
        mis = (pred != y[None, :]).sum(1)
        j = mis.argmin()
        if mis[j] < best[0]:
            best = (mis[j], nu, ths[j])
    return best


def measure(s, n):
    k, f, rd, _ = wave(start(1.12), s, n)
    y = np.where(rd == -1, -1, 1)
    F = np.abs(np.fft.rfft(y - y.mean()))
    nu = (F[1:].argmax() + 1) / n
    r1 = fit(k, f, y, nu, 2.0 / n)
    return fit(k, f, y, r1[1], 0.03 / n, steps=200, th=512)


def main():
    cands = [(C0, mpf("4e-10"))]
    for s, n in PLAN:
        mis, nu, _ = measure(s, n)
        nu = mpf(float(nu))
        new = []
        for c, tol in cands:
            for v in (nu, 1 - nu):
                for i in range(int(floor(s * (c - tol) - v)), int(ceil(s * (c + tol) - v)) + 1):
                    cc = (i + v) / s
                    if c - tol <= cc <= c + tol:
                        new.append((cc, mpf("3e-5") / s))
        cands = new
        print(f"stride {s}: frequency {float(nu):.7f} ({mis} of {n} off the model); "
              f"candidates c * 2^64: {[mp.nstr(c * 2**64, 25) for c, _ in cands]}")


if __name__ == "__main__":
    main()

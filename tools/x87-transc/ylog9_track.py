"""FYL2X round 9 (README, section "FYL2X / FYL2XP1: round 9 (ylog9)"): how do
the periodic components' frequencies move with t?

  python3 tools/x87-transc/ylog9_track.py T:FILE T:FILE ...

FILEs from ylog9_period.py genp1 at t = T (equally spaced), in order. For
every periodogram peak of the first window above 0.6 of its highest, follows
the nearest peak of each next window along a straight line and prints the
tracks with their slope (cycles per unit of t's grid, per unit of t). Two
tracks are aliases of one component when their frequencies at a window add
up to rho (or differ by j rho) and their slopes to j times rho's slope
(rho = dR/dn / cell(L), ylog9_combo.py prints it). A rounding of a quantity
that is linear in x (x times a constant, e.g. a table's reciprocal) would
keep one frequency at every t of the table's cell.
"""
import sys

import numpy as np

import ylog9_period as YP


def main():
    wins = [(float(a.split(":", 1)[0]), a.split(":", 1)[1]) for a in sys.argv[1:]]
    peaks = []
    for _, fn in wins:
        rows = YP.read(fn)
        e, _ = YP.residual(rows)
        m0 = min(r[0] for r in rows)
        pos = np.array([r[0] - m0 for r in rows])
        nfft = 1 << (4 * (int(pos.max()) + 1) - 1).bit_length()
        p = YP.spectrum(pos, e, nfft)
        thr = 0.6 * p.max()
        loc = np.where((p[1:-1] > thr) & (p[1:-1] >= p[:-2]) & (p[1:-1] >= p[2:]))[0] + 1
        peaks.append(sorted(set(round(i / nfft, 6) for i in loc)))
    for a in peaks[0]:
        tr = [a]
        for k in range(1, len(peaks)):
            exp = tr[-1] if len(tr) < 2 else 2 * tr[-1] - tr[-2]
            c = min(peaks[k], key=lambda v: abs(v - exp))
            if abs(c - exp) > (0.006 if len(tr) < 2 else 0.0008):
                break
            tr.append(c)
        if len(tr) == len(peaks):
            sl = np.polyfit([w[0] for w in wins], tr, 1)[0]
            print(" ".join("%.6f" % v for v in tr), " slope %.3f per unit t" % sl)


if __name__ == "__main__":
    main()

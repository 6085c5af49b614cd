"""FYL2X round 9 (README, section "FYL2X / FYL2XP1: round 9 (ylog9)"): how
much of the host's deviation do a window's periodic components explain?

  python3 tools/x87-transc/ylog9_pred.py cases.txt K [next.txt]

cases.txt from ylog9_period.py gen / genp1 (one window of consecutive x).
The cases are split at random into halves; on the first half, K times: the
highest periodogram peak of the residual choices (host's choice minus the
pooled rate at the same model position f), its folded waveform (32 phase
bins), subtracted. The second half is then predicted from the pooled rate
plus the K waveforms at each case's phases; prints the held-out agreement
after each component, against the model alone (f > 1/2). A per-window
predictor, not a model: it shows that the deviation is a deterministic
function of a few phases linear in x. With next.txt (the window that
follows, recorded after this one), all of cases.txt is the fit half and
next.txt is predicted: the phases carried on over 2^20 more units.
"""
import sys

import numpy as np

import ylog9_period as YP

fn = sys.argv[1]
K = int(sys.argv[2])
rows = YP.read(fn)
rng = np.random.default_rng(1)
if len(sys.argv) > 3:
    nxt = YP.read(sys.argv[3])
    train = np.array([True] * len(rows) + [False] * len(nxt))
    rows = rows + nxt
else:
    train = rng.random(len(rows)) < 0.5
test = ~train
m0 = min(r[0] for r in rows)
pos = np.array([r[0] - m0 for r in rows])
f = np.array([r[1] for r in rows])
h = np.array([r[2] for r in rows])
nb = 20
def ramp(mask):
    rate = np.zeros(nb)
    for b in range(nb):
        s = mask & (np.minimum(nb-1,(f*nb).astype(int))==b)
        rate[b] = h[s].mean() if s.any() else 0.5
    return rate
rate = ramp(train)
base = rate[np.minimum(nb-1,(f*nb).astype(int))]
e = np.where(train, h - base, 0.0)
span = int(pos.max())+1; nfft = 1 << (4*span-1).bit_length()
pred = base.copy()
for k in range(K):
    a = np.zeros(nfft); np.add.at(a, pos[train], e[train])
    p = np.abs(np.fft.rfft(a))**2; p[0]=0
    i = int(np.argmax(p)); nu = i/nfft
    # refine
    grid = np.linspace((i-1)/nfft,(i+1)/nfft,41)
    nu = grid[np.argmax([abs(np.sum(e[train]*np.exp(2j*np.pi*x*pos[train]))) for x in grid])]
    ph = ((nu*pos) % 1 * 32).astype(int)
    tab = np.array([e[train & (ph==b)].mean() for b in range(32)])
    e = e - np.where(train, tab[ph], 0)
    pred = pred + tab[ph]
    acc = np.mean((pred[test] > 0.5) == (h[test]==1))
    print("family %d nu %.7f: held-out agreement %.3f (model alone %.3f)" % (k+1, nu, acc, np.mean((f[test]>0.5)==(h[test]==1))))

"""FPATAN round 9: what atan9_nsig.py's fit returns on outcomes simulated from Q's and N's
roundings alone (plus Gaussian noise 0, 0.2, 0.3), against the host's: shows that about 0.3 of
scatter is left beside the two roundings.

Run: python3 tools/x87-transc/atan9_simfit.py SEED in,out [in,out ...]
"""
import sys, numpy as np
sys.path.insert(0, __file__.rsplit("/", 1)[0])
import atan9_forms as G, atan9_nsig as N
d = G.prep(sys.argv[2:])
x0 = d["x0"] - d["K"] * G.e_q(d, G.S3)
mn = N.sig(d["mt"] * 1.9650441)
rng = np.random.default_rng(int(sys.argv[1]))
for noise in (0.0, 0.2, 0.3):
    xs = x0 + d["K"] * (-0.15 + rng.uniform(-1, 1, len(mn)) / mn + rng.normal(0, noise, len(mn)))
    kind = np.where(xs < -0.5, -1, np.where(xs > 0.5, 1, 0))
    b = N.best_fit(x0, d["K"], kind, mn, np.arange(0, 1.01, 0.1))
    b0 = N.best_fit(x0, d["K"], kind, None, [0])
    print(f"planted N rounding + Gaussian {noise}: fit sigma0 {b[2]:.2f} w {b[3]:.2f} c {b[1]:+.2f} ll {b[0]:.1f}; "
          f"no product term: sigma {b0[2]:.2f} ll {b0[0]:.1f}")
real = N.best_fit(x0, d["K"], d["kind"], mn, np.arange(0, 1.01, 0.1))
print(f"host: sigma0 {real[2]:.2f} w {real[3]:.2f} c {real[1]:+.2f} ll {real[0]:.1f}")

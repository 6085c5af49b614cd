"""FPATAN round 8: scan the common scale s of P and Q over [1, 2) at tiny ratios.

At r ~ 2^-28 (g ~ 2^-56) the phases of P's and Q's last 68-bit sums are frac(s g A1 / cell(P))
and frac(s g A1q / cell(Q)) with A1, A1q known from the function to far below what matters
(atan8_null.py: the coefficients' free moves shift them by 2^-22 of a cell), so for the design
"P and Q rounded once at their last sums, X = t P / Q exact, d = R68(X)" (form xq; also P only,
Q only) the only unknowns are s (to about 2^-19) and a relative offset c of d (which absorbs
the 68-bit roundings of s p0 and s q0). Each case's outcome is predicted for every s of a grid
and every c of [-1.5, 1.5] (step 0.1); the fewest misses per s are reported.

Run: python3 tools/x87-transc/atan8_sscan.py STEPLOG2 TOP in,out [in,out ...]
  s = 1 + k 2^-STEPLOG2; TOP best scales printed per form. env S0, W: scan s in S0 +- W/2
  instead (refinement at smaller steps on sets of larger g). SQ: Q's scale fixed at SQ, the scan
  then moves P's scale alone (a design with separate scales and a constant factor). env SYNTH=s (a decimal): outcomes
  replaced by the xq design at that s with c = 0 (the scan must find it).
"""
import os
import sys
from fractions import Fraction as F
import numpy as np

sys.path.insert(0, __file__.rsplit("/", 1)[0])
import atan6_fit as A  # noqa: E402
import atan8_tiny as T  # noqa: E402


def prep(cases):
    cols = {k: [] for k in ("x0", "K", "uP", "uQ", "P", "Q", "kind")}
    for c in cases:
        r, m, ude, kind = c
        x, t, g, q, X = A.position(A.VARIANTS["x_xqg"], c, T.PF, T.QF)
        a1 = A.horner_x(T.PF[1:], g)
        a1q = A.horner_x(T.QF[1:], g)
        cols["x0"].append(x)
        cols["K"].append(float(X / F(2) ** ude) * 2.0 ** -68)
        cols["uP"].append(float(g * a1 * F(2) ** 69))
        cols["uQ"].append(float(g * a1q * F(2) ** 67))
        cols["P"].append(float(A.horner_x(T.PF, g)))
        cols["Q"].append(float(q))
        cols["kind"].append({"lt": -1, "eq": 0, "gt": 1}[kind])
    return {k: np.array(v) for k, v in cols.items()}


def xvals(d, s, form):
    """x per (s, case) for scales s (array), c = 0."""
    s = s[:, None]
    big = s >= 1.5  # s |p0| >= 1/2: P's cell doubles
    cp = np.where(big, 2.0 ** -68, 2.0 ** -69)
    phP = s * d["uP"][None, :] / np.where(big, 2.0, 1.0)
    sq = float(os.environ["SQ"]) if os.environ.get("SQ") else s
    phQ = sq * d["uQ"][None, :]
    x = np.repeat(d["x0"][None, :], s.shape[0], axis=0)
    if form in ("xq", "p"):
        x = x + d["K"][None, :] * 2.0 ** 68 * cp / (s * d["P"][None, :]) * (np.rint(phP) - phP)
    if form in ("xq", "q"):
        x = x - d["K"][None, :] * 2.0 ** 68 * 2.0 ** -67 / (sq * d["Q"][None, :]) * (
            np.rint(phQ) - phQ)
    return x


def main():
    step, top = int(sys.argv[1]), int(sys.argv[2])
    cases = T.load(sys.argv[3:])
    d = prep(cases)
    if os.environ.get("SYNTH"):
        xs = xvals(d, np.array([float(os.environ["SYNTH"])]), "xq")[0]
        d["kind"] = np.where(xs < -0.5, -1, np.where(xs > 0.5, 1, 0))
        print(f"planted s = {os.environ['SYNTH']}")
    cs = np.arange(-1.5, 1.501, 0.1)
    print(f"{len(cases)} cases; committed model {A.count(A.VARIANTS['x_xqg'], cases, T.PF, T.QF)}"
          " misses", flush=True)
    k = d["kind"][None, None, :]
    for form in os.environ.get("FORMS", "xq,p,q").split(","):
        best = []
        s0 = float(os.environ.get("S0", "1"))
        n = int(float(os.environ.get("W", "1")) * 2.0 ** step)
        lo = s0 - (n // 2) * 2.0 ** -step if "S0" in os.environ else 1.0
        for i0 in range(0, n, 2048):
            s = lo + np.arange(i0, min(n, i0 + 2048)) * 2.0 ** -step
            x = xvals(d, s, form)[:, None, :] + cs[None, :, None] * d["K"][None, None, :]
            bad = np.where(k < 0, x >= -0.5, np.where(k > 0, x <= 0.5, np.abs(x) > 0.5))
            mc = bad.sum(axis=2)
            j = mc.argmin(axis=1)
            m = mc[np.arange(len(s)), j]
            for ii in np.argsort(m)[:top]:
                best.append((int(m[ii]), float(s[ii]), float(cs[j[ii]])))
            best = sorted(best)[:top]
        print(f"{form}: " + "; ".join(f"{m} (s={s:.12f}, c={c:+.1f})" for m, s, c in best),
              flush=True)


if __name__ == "__main__":
    main()

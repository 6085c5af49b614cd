"""FPATAN round 10: the phases of Q's and P's last 68-bit Horner sums, band by band, with exact
phases and a second coefficient.

Round 9 rounded Q's last sum q0' + g A1q' at 68 bits (cell 2^-67, q0' on that grid) below r =
2^-19 with A1q' = s A1q (s = 1.473783082012, A1q from the minimax Q). The phase
frac(s g A1q 2^67) grows with g (about 2^36 cycles at r ~ 2^-16), and round 10 finds that one
scale does not hold from 2^-19 to 2^-11: the effective scale drifts linearly with g. So the
host's sum is modelled as (s + beta g) g A1 2^(cell), i.e. q1' = s q1 and q2' = s q2 + beta q1
(the higher terms, weighted by g^3 and more, as the minimax's times s). The same for P's last
sum p0' + g A1p' (cell 2^-69, p0' on that grid; sP, betaP); round 9 took P's scale to be s and
found P unrounded at r ~ 2^-20, where its phase needs p1' to about 1e-10.

Per case the phases at the base scales are exact (Fractions) and only the offsets' parts are
floats. For every grid point and every relative offset c of d (step 0.05 in CR, default
[-1.5, 1.5]): misses = cases whose interval the committed model's d times
1 + (e_P - e_Q + c) 2^-68 misses (X = t s P / Q otherwise exact, d = R68(X): N = R68(t P) and
the rest are not modelled).

Run: python3 tools/x87-transc/atan10_qscan.py WHICH S0 STEP N in,out [in,out ...]
  WHICH = q: scan Q's s over S0 + k STEP (k in -N..N), with beta = B0 + b BSTEP (env BETA=BSTEP,NB,
    default 0,0; B0 default 0); P's sum rounded too if env PS is set (its scale; PB: its beta).
  WHICH = p: scan P's scale the same way (BETA / B0 for P's beta), Q's sum rounded at env QS
    (default 1.473783082012737) and QB (default -2.3e-7); WHICH = n: nothing scanned (S0 is
    ignored; QS / QB and, if set, PS / PB as given: hold-outs).
  WHICH = h: both sums rounded, the host's polynomials sigma (1 + kappa g + lambda g^2) times the
    model's (env HL: lambda's base, default 0; LAMBDA=LSTEP,NL scans it), i.e. coefficients
    q_k' = sigma (q_k + kappa q_(k-1) + lambda q_(k-2)), p_k' likewise; scanned through sQ =
    S0 + k STEP and sP = PS0 + b BSTEP (env PS0; BETA=BSTEP,NB), the scales of the first-order
    phases, which give sigma and kappa; env HS, HK: the base of the exact phases (near them).
  env TOP (default 8); RLO, RHI: only ratios in [2^RLO, 2^RHI); CR=lo:hi: c's range; CFIX=c.
  e.g. atan10_qscan.py q 1.473783082012737 1e-15 15 q13.in,q13.out   (BETA=5e-9,10 B0=-2.3e-7)
"""
import os
import sys
from fractions import Fraction as F
import numpy as np

sys.path.insert(0, __file__.rsplit("/", 1)[0])
import atan6_fit as A  # noqa: E402
import atan8_tiny as T  # noqa: E402

RLO = float(os.environ.get("RLO", "-99"))  # log2 of the ratios kept: [2^RLO, 2^RHI)
RHI = float(os.environ.get("RHI", "0"))
QS0 = "1.473783082012737"
HS = F(os.environ.get("HS", "1.4737832216"))  # mode h: sigma, kappa (base values)
HK = F(os.environ.get("HK", "-3.314e-7"))
HL = F(os.environ.get("HL", "0"))  # mode h: lambda, the factor's g^2 term (fixed)
QB0 = "-2.3e-7"


def prep(pairs, SQ, SP):
    """Per case: x0, K, kind, g, and for Q and P: the base phase (exact mod 1) at scale SQ / SP,
    the s-free sum u = g A1 2^cell, and the polynomial's value / its scale (Qg, Pg)."""
    cols = {k: [] for k in ("x0", "K", "kind", "g", "phq", "uq", "qg", "php", "up", "pg", "vq",
                            "vp", "hq", "hp")}
    PF, QF = T.PF, T.QF
    assert QF[0] == 1
    for pr in pairs:
        for c in T.load([pr]):
            if not (2.0 ** RLO <= float(c[0]) < 2.0 ** RHI):
                continue
            x, t, g, q, X = A.position(A.VARIANTS["x_xqg"], c, PF, QF)
            gq = g * A.horner_x(QF[1:], g) * F(2) ** 67
            gp = g * A.horner_x(PF[1:], g) * F(2) ** 69
            cols["x0"].append(x)
            cols["K"].append(float(X / F(2) ** c[2]) * 2.0 ** -68)
            cols["kind"].append({"lt": -1, "eq": 0, "gt": 1}[c[3]])
            cols["g"].append(float(g))
            cols["phq"].append(float((SQ * gq) % 1))
            cols["uq"].append(float(gq))
            cols["qg"].append(float(QF[0] + gq / F(2) ** 67))
            cols["php"].append(float((SP * gp) % 1))
            cols["up"].append(float(gp))
            cols["pg"].append(float(PF[0] + gp / F(2) ** 69))
            vq = g * (1 + gq / F(2) ** 67) * F(2) ** 67
            vp = g * (PF[0] + gp / F(2) ** 69) * F(2) ** 69
            cols["vq"].append(float(vq))
            cols["vp"].append(float(vp))
            # mode h: exact phases at (HS, HK): sigma (g A1 + kappa g V(g)) 2^cell
            cols["hq"].append(float((HS * (gq + HK * vq + HL * g * vq)) % 1))
            cols["hp"].append(float((HS * (gp + HK * vp + HL * g * vp)) % 1))
    return {k: np.array(v) for k, v in cols.items()}


def hsk(sq, sp):
    """sigma, kappa from the low-band scales: sigma (q1 + kappa) = sq q1, sigma (p1 + kappa p0)
    = sp p1 (exact)."""
    q1, p1, p0 = T.QF[1], T.PF[1], T.PF[0]
    R = sq * q1 / (sp * p1)
    kp = (R * p1 - q1) / (1 - R * p0)
    return sq * q1 / (q1 + kp), kp


def misses(x, kind):
    bad = np.where(kind < 0, x >= -0.5, np.where(kind > 0, x <= 0.5, np.abs(x) > 0.5))
    return bad.sum(axis=-1)


def err(d, which, ds, beta, s):
    """Relative error (2^-68 units) of Q's (which q) or P's (p) last sum rounded, at scale
    base + ds, beta (s: the scale's value, for the division)."""
    if which == "q":
        ph = d["phq"] + (ds + beta * d["g"]) * d["uq"]
        return 2.0 * (np.rint(ph) - ph) / (s * d["qg"])
    ph = d["php"] + (ds + beta * d["g"]) * d["up"]
    return 0.5 * (np.rint(ph) - ph) / (s * d["pg"])


def main():
    which = sys.argv[1]
    S0 = F(sys.argv[2]) if which != "n" else F(QS0)
    step, n = float(sys.argv[3]), int(sys.argv[4])
    top = int(os.environ.get("TOP", "8"))
    QS = F(os.environ.get("QS", QS0))
    QB = float(os.environ.get("QB", QB0))
    PS = os.environ.get("PS")
    PB = float(os.environ.get("PB", "0"))
    SQ = S0 if which == "q" else QS
    SP = S0 if which == "p" else (F(PS) if PS else QS)
    d = prep(sys.argv[5:], SQ, SP)
    x0, K, kind = d["x0"], d["K"], d["kind"]
    clo, chi = (float(v) for v in os.environ.get("CR", "-1.5:1.5").split(":"))
    cs = (np.array([float(os.environ["CFIX"])]) if os.environ.get("CFIX")
          else np.arange(clo, chi + 0.001, 0.05))
    bstep, nb = (float(v) for v in os.environ.get("BETA", "0,0").split(","))
    nb = int(nb)
    b0 = float(os.environ.get("B0", "0"))
    mc = misses(x0[None, :] + K[None, :] * cs[:, None], kind)
    print(f"{len(x0)} cases; committed model c=0 {int(misses(x0, kind))}, best c {int(mc.min())} "
          f"(c={cs[mc.argmin()]:+.2f})", flush=True)
    # the fixed part of the error
    if which == "q":
        fixed = err(d, "p", 0.0, PB, float(SP)) if PS else 0.0
    else:
        fixed = -err(d, "q", 0.0, QB, float(QS))
        if which == "n" and PS:
            fixed = fixed + err(d, "p", 0.0, PB, float(SP))
    if which == "n":
        n, nb = 0, 0
    if which == "h":
        # one factor (1 + kappa g) on both: sums sigma (V(g) - v0 + kappa g V(g)); scanned
        # through the low-band scales sQ = S0 + k STEP (Q's sum ~ sQ q1 g) and sP = PS0 + b BSTEP
        # (P's ~ sP p1 g), which fix sigma and kappa (hsk)
        hs, hk = float(HS), float(HK)
        ps0 = F(os.environ.get("PS0", "1.4737830531314"))
        lstep, nl = (float(v) for v in os.environ.get("LAMBDA", "0,0").split(","))
        res = []
        for li in range(-int(nl), int(nl) + 1):
            for b in range(-nb, nb + 1):
                for k in range(-n, n + 1):
                    sg, kp = hsk(S0 + F(k * step), ps0 + F(b * bstep))
                    ds, dk, dl = float(sg - HS), float(kp - HK), li * lstep
                    hl = float(HL) + dl
                    phq = (d["hq"] + ds * (d["uq"] + (hk + hl * d["g"]) * d["vq"])
                           + hs * (dk + dl * d["g"]) * d["vq"])
                    php = (d["hp"] + ds * (d["up"] + (hk + hl * d["g"]) * d["vp"])
                           + hs * (dk + dl * d["g"]) * d["vp"])
                    e = (0.5 * (np.rint(php) - php) / (hs * d["pg"])
                         - 2.0 * (np.rint(phq) - phq) / (hs * d["qg"]))
                    m = misses(x0[None, :] + K[None, :] * (cs[:, None] + e), kind)
                    j = int(m.argmin())
                    res.append((int(m[j]), k, float(cs[j]), b, li))
        res.sort()
        for m, k, c, b, li in res[:top]:
            sg, kp = hsk(S0 + F(k * step), ps0 + F(b * bstep))
            print(f"  {m} misses at sQ = S0 {k * step:+.3e} (k {k}), sP = PS0 {b * bstep:+.3e} "
                  f"(b {b}), lambda = HL {li * lstep:+.3e}, c {c:+.2f}: sigma {float(sg):.16f}, "
                  f"kappa {float(kp):.6e}", flush=True)
        return
    res = []
    for b in range(-nb, nb + 1):
        for k in range(-n, n + 1):
            beta = b0 + b * bstep
            if which == "n":
                e = fixed
            elif which == "q":
                e = fixed - err(d, "q", k * step, beta, float(S0) + k * step)
            else:
                e = fixed + err(d, "p", k * step, beta, float(S0) + k * step)
            m = misses(x0[None, :] + K[None, :] * (cs[:, None] + e), kind)
            j = int(m.argmin())
            res.append((int(m[j]), k, float(cs[j]), b))
    res.sort()
    for m, k, c, b in res[:top]:
        print(f"  {m} misses at s = S0 {k * step:+.3e} (k {k}), beta {b0 + b * bstep:+.3e} "
              f"(b {b}), c {c:+.2f}", flush=True)
    if nb == 0 and n > 0:
        ks = sorted(res, key=lambda v: v[1])
        print("profile (k: misses): " + " ".join(f"{v[1]}:{v[0]}" for v in ks), flush=True)


if __name__ == "__main__":
    main()

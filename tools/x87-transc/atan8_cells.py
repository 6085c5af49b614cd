"""FPATAN round 8: cell-level search of q1 (p1 slaved) at structural scales, on short-ratio
direct-path cases (atan7_gen.py; g = r^2 exact for ratios of up to 34 bits, t = R68(r g)).

Model (FPTAN's design carried over): P and Q are the (7,7) coefficients (P of atan6_gt.txt, Q of
the minimax) times a scale s, each rounded to 68 bits; P(g) and Q(g) by Horner's rule with 68-bit
steps; X = t P / Q ("xq") or R68(t P) / Q ("nq"); d = R68(X). At small ratios only the LAST
step of P and of Q rounds visibly, and its phase is frac(g A1 / cell) with A1 = c1 + R68(g A2...):
it depends on s and on c1 to about a hundred cells (one cell of c1 moves it by g cells), not on
c0 (on the same grid). So for each scale the search scans the cell of q1 (delta q1 = D cells,
p1 moved by (p0 / q0) D q1-cells so that P / Q keeps its first-order term) and the cells of p0
(K) and q0 (J), vectorized: per case the base phases of P's and Q's last sums (and of N = t P)
are computed exactly (Fractions) and the scan works on them in doubles.

CAVEAT (found with atan8_null.py after this scan was run): p1, q1 and the higher coefficients
can move by up to about 10^9 cells along near-null directions of the (7,7) family without
changing the rational by one unit, and the g^2, g^3 terms of such moves shift these phases too;
a scan of q1 alone over +-2^16 cells therefore covers a small part of the possible designs at
r ~ 2^-6. atan8_tiny.py tests the same designs where the phases are predictable.

x = (X - m) / ud per case (atan6_fit.py's loader): lt x < -1/2, eq |x| <= 1/2, gt x > 1/2.

Run: python3 tools/x87-transc/atan8_cells.py SCALES FORM DMAX DSTEP K J in,out [in,out ...]
  SCALES: comma list of names: one (q0 = 1), p0 (p0 = -1 up to 2^k), pI / qI (that coefficient a
  power of two, as atan7_pow2.py), or a decimal s; FORM xq (t P / Q) | nq (R68(t P) / Q) | qt (t R68(P / Q)) | rc (t P R68(1 / Q)) |
  nrc (R68(t P) R68(1 / Q)) | prc (t R68(P R68(1 / Q))); D in [-DMAX, DMAX] step DSTEP.
  env COEF: coefficient file (default atan6_gt.txt; e.g. atan5_remez.py 6 8 10 r68.txt for the
  (6,8) design, whose q1 differs from the (7,7)'s in its 10th bit). SYNTH=D,K,J: outcomes replaced by the model's own at that configuration (a planted
  truth: the scan must find it). TOP (default 5): best configurations printed per scale; CHECK=1: also recount the best
  exactly with Fractions (atan6_fit's Horner, unfused steps).
"""
import os
import sys
import math
from fractions import Fraction as F
import numpy as np

sys.path.insert(0, __file__.rsplit("/", 1)[0])
import atan6_fit as A  # noqa: E402

R = A.R
HERE = __file__.rsplit("/", 1)[0]


def ulp68(v):
    """The 68-bit cell of v (non-zero)."""
    v = abs(v)
    e = v.numerator.bit_length() - v.denominator.bit_length()
    if F(2) ** e > v:
        e -= 1
    return F(2) ** (e - 67)


def scales(names, P, Q):
    out = {}
    for nm in names.split(","):
        if nm == "one":
            out[nm] = F(1)
        elif nm[0] in "pq" and nm[1:].isdigit():
            c = (P if nm[0] == "p" else Q)[int(nm[1:])]
            e = math.floor(math.log2(abs(float(c))))
            s = F(2) ** (e + 1) / abs(c)
            out[nm] = F(1) if s == 2 else s
        else:
            out[nm] = F(nm)
    return out


def frac(v):
    """(floor, fractional part) of a Fraction."""
    fl = v.numerator // v.denominator
    return fl, v - fl


def prep(cases, P, Q):
    """Per case the exact base values; returns numpy arrays."""
    cols = {k: [] for k in ("x0", "aP", "aQ", "aN", "fP", "fQ", "fN", "psi", "gP", "gQ", "kind",
                                  "fq", "alq", "beq", "aq", "fr", "gar", "ar", "fm", "alm",
                                  "bem", "am")}
    for (r, m, ude, kind) in cases:
        g = R(r * r)
        t = R(r * g)
        a1p = A.horner_u(P[1:], g)
        a1q = A.horner_u(Q[1:], g)
        pp = P[0] + g * a1p
        qp = Q[0] + g * a1q
        cP, cQ = ulp68(pp), ulp68(qp)
        X0 = t * pp / qp
        ud = F(2) ** ude
        K = X0 / ud
        IP, fP = frac(pp / cP)
        _, fQ = frac(qp / cQ)
        # N = R68(t P_round), P_round = cP (IP + j): phase fN + j psi.
        nb = t * cP * IP
        cN = ulp68(nb)
        _, fN = frac(nb / cN)
        _, psi = frac(t * cP / cN)
        # quotient forms: R68(P / Q), R68(1 / Q), R68(P R68(1 / Q)); base at jP = jQ = jR = 0,
        # linear in the integer moves (second-order terms below 2^-120).
        IQ = frac(qp / cQ)[0]
        qb = IP * cP / (IQ * cQ)
        cq = ulp68(qb)
        cols["fq"].append(float(frac(qb / cq)[1]))
        cols["alq"].append(float(frac(cP / (IQ * cQ * cq))[1]))
        cols["beq"].append(float(frac(qb / (IQ * cq))[1]))
        cols["aq"].append(float(K * cq / qb))
        rb = 1 / (IQ * cQ)
        cr = ulp68(rb)
        Ir, fr = frac(rb / cr)
        cols["fr"].append(float(fr))
        cols["gar"].append(float(rb / (IQ * cr)))
        cols["ar"].append(float(K * cr / rb))
        mb = IP * cP * Ir * cr
        cm = ulp68(mb)
        cols["fm"].append(float(frac(mb / cm)[1]))
        cols["alm"].append(float(frac(cP * Ir * cr / cm)[1]))
        cols["bem"].append(float(frac(IP * cP * cr / cm)[1]))
        cols["am"].append(float(K * cm / mb))
        cols["x0"].append(float((X0 - m) / ud))
        cols["aP"].append(float(K * cP / pp))
        cols["aQ"].append(float(K * cQ / qp))
        cols["aN"].append(float(K * cN / (t * pp)))
        cols["fP"].append(float(fP))
        cols["fQ"].append(float(fQ))
        cols["fN"].append(float(fN))
        cols["psi"].append(float(psi))
        # one cell of p1 / q1 moves the last sum by g cells(c1) / cell(P).
        cols["gP"].append(float(g * ulp68(P[1]) / cP))
        cols["gQ"].append(float(g * ulp68(Q[1]) / cQ))
        cols["kind"].append({"lt": -1, "eq": 0, "gt": 1}[kind])
    return {k: np.array(v) for k, v in cols.items()}


def misses(d, form, dq, dp1, kp, jq):
    """Chunked over dq (memory)."""
    return np.concatenate([misses1(d, form, dq[i:i + 2048], dp1[i:i + 2048], kp, jq)
                           for i in range(0, len(dq), 2048)])


def misses1(d, form, dq, dp1, kp, jq):
    """Miss counts for arrays dq (q1 cells), dp1 (p1 cells), scalar p0 / q0 cell moves kp, jq
    (the constant terms are on their sums' grids: they move the sums by whole cells)."""
    phP = d["fP"][None, :] + kp + dp1[:, None] * d["gP"][None, :]
    phQ = d["fQ"][None, :] + jq + dq[:, None] * d["gQ"][None, :]
    jP = np.rint(phP)
    jQ = np.rint(phQ)
    x = d["x0"][None, :] + d["aP"][None, :] * (jP - d["fP"][None, :]) \
        - d["aQ"][None, :] * (jQ - d["fQ"][None, :])
    def rnd(ph, a):
        ph = ph - np.floor(ph)
        return a[None, :] * (np.rint(ph) - ph)

    if form in ("nq", "nrc"):  # N = R68(t P)
        x = x + rnd(d["fN"][None, :] + jP * d["psi"][None, :], d["aN"])
    if form == "qt":  # t R68(P / Q)
        x = x + rnd(d["fq"][None, :] + jP * d["alq"][None, :] - jQ * d["beq"][None, :],
                    d["aq"])
    if form in ("rc", "nrc", "prc"):  # R68(1 / Q)
        ph = d["fr"][None, :] - jQ * d["gar"][None, :]
        jR = np.floor(ph) + np.rint(ph - np.floor(ph))
        x = x + d["ar"][None, :] * (jR - ph)
        if form == "prc":  # t R68(P R68(1 / Q))
            x = x + rnd(d["fm"][None, :] + jP * d["alm"][None, :] + jR * d["bem"][None, :],
                        d["am"])
    if os.environ.get("XVALS"):
        return x
    k = d["kind"][None, :]
    bad = np.where(k < 0, x >= -0.5, np.where(k > 0, x <= 0.5, np.abs(x) > 0.5))
    return bad.sum(axis=1)


def exact_form(form):
    """An exact evaluator of FORM (unfused 68-bit Horner steps, g and t rounded)."""
    def ev(r, P, Q):
        g = R(r * r)
        t = R(r * g)
        p, q = A.horner_u(P, g), A.horner_u(Q, g)
        X = {"xq": lambda: t * p / q, "nq": lambda: R(t * p) / q, "qt": lambda: t * R(p / q),
             "rc": lambda: t * p * R(1 / q), "nrc": lambda: R(t * p) * R(1 / q),
             "prc": lambda: t * R(p * R(1 / q))}[form]()
        return t, g, p, q, X
    return ev


def main():
    names, form = sys.argv[1], sys.argv[2]
    dmax, dstep, K, J = (int(v) for v in sys.argv[3:7])
    P0, Q0 = A.read_coef(os.environ.get("COEF", f"{HERE}/atan6_gt.txt"))
    cases = A.load(sys.argv[7:])
    top = int(os.environ.get("TOP", "5"))
    print(f"{len(cases)} cases; exact P / Q (committed model): "
          f"{A.count(A.VARIANTS['x_xqg'], cases, P0, Q0)} misses", flush=True)
    dq = np.arange(-dmax, dmax + 1, dstep, dtype=np.float64)
    for nm, s in scales(names, P0, Q0).items():
        P = [R(s * c) for c in P0]
        Q = [R(s * c) for c in Q0]
        d = prep(cases, P, Q)
        if os.environ.get("SYNTH"):
            # Replace the host's outcomes by this model's at (D, K, J) = SYNTH: checks that the
            # scan finds a planted configuration and how low chance alone gets.
            sd, sk, sj = (int(v) for v in os.environ["SYNTH"].split(","))
            kap0 = float(P[0] / Q[0] * ulp68(Q[1]) / ulp68(P[1]))
            os.environ["XVALS"] = "1"
            xs = misses1(d, form, np.array([float(sd)]), np.array([float(round(sd * kap0))]),
                         sk, sj)[0]
            del os.environ["XVALS"]
            d["kind"] = np.where(xs < -0.5, -1, np.where(xs > 0.5, 1, 0))
        # p1 moves with q1: delta p1 = (p0 / q0) delta q1, in p1's cells.
        kap = float(P[0] / Q[0] * ulp68(Q[1]) / ulp68(P[1]))
        dp1 = np.rint(dq * kap)
        res = []
        for kp in range(-K, K + 1):
            for jq in range(-J, J + 1):
                mc = misses(d, form, dq, dp1, kp, jq)
                for i in np.argsort(mc)[:top]:
                    res.append((int(mc[i]), int(dq[i]), kp, jq))
                base = int(mc[np.argmin(np.abs(dq))])
                res.append((base, 0, kp, jq, "at D=0"))
        res.sort(key=lambda v: v[0])
        at0 = min(v[0] for v in res if len(v) == 5)
        print(f"{nm} s={float(s):.12f} {form}: best D=0 {at0}; best "
              + "; ".join(f"{v[0]} (D={v[1]}, K={v[2]}, J={v[3]})" for v in res[:top]), flush=True)
        if os.environ.get("CHECK"):
            mc, D, kp, jq = res[0][:4]
            Pc = list(P)
            Qc = list(Q)
            Pc[0] += kp * ulp68(P[0])
            Qc[0] += jq * ulp68(Q[0])
            Qc[1] += D * ulp68(Q[1])
            Pc[1] += round(D * kap) * ulp68(P[1])
            ev = exact_form(form)
            print(f"  exact recount of the best: {A.count(ev, cases, Pc, Qc)}", flush=True)


if __name__ == "__main__":
    main()

"""FPATAN round 9: rounding designs of P / Q at tiny ratios, with the unknown constant phases
scanned instead of guessed.

At r ~ 2^-20 (g ~ 2^-40) every quantity that depends on g alone is V(g) = V0 + (V(g) - V0), where
the variation is known from the function to far below a cell (atan8_null.py) and V0 is a host
constant. A 68-bit rounding of V then has the phase phi0 + (V(g) - V0) / cell(V): phi0 =
frac(V0 / cell) is ONE unknown number in [0, 1) per rounded quantity, so it can be scanned (round
8's `atan8_tiny.py check` moved p0 and q0 by whole cells at 16 guessed scales, i.e. tried a few
dozen pseudo-random phi0). Sums whose constant term is itself a 68-bit constant (Q's and P's last
Horner sums, q0' + g A1q and p0' + g A1) have phi0 = 0 and a phase fixed by the scale (round 8:
Q's at s = 1.473783082012). Quantities (their relative errors, units of 2^-68, add up; x moves by
K times the total, K = X / ud 2^-68; plus a constant relative offset c of d, step 0.05 in [-1.5,
1.5], which absorbs the model's p0' / q0' against the host's):

  Q: Q's last sum at scale SQ (cell 2^-67 for SQ in [1, 2))
  P: P's last sum at scale SP (cell by s p0's binade)
  W: R68(P / Q) (phase phi0W + the variation of P / Q + the effect of P's and Q's roundings)
  R: R68(1 / Q) (phi0R); M: R68(P R68(1 / Q)) (phi0M, with R)

FORM is a string of these letters (e.g. `q`, `pq`, `qw`, `qr`, `qrm`, `pqw`); each W, R, M adds
a phase scanned in NPH steps (default 64; M with R: NPH^2 pairs). N = R68(t P) is not testable
this way: its phase needs every bit of p0' (s p0 is known to about 1e-11, 2^31 cells).

Run: python3 tools/x87-transc/atan9_forms.py FORM in,out [in,out ...]
  env SQ, SP: a decimal or a range lo:hi:n (scanned; default SQ = SP = 1.473783082012);
  RBITS, WBITS: widths of R and of W / M (default 68); PBITS: P's sum rounded to that many bits (default 68); NPH: phase steps; TOP: best configurations printed (default 3); FIX="phiW[,phiR,phiM]": phases
  fixed instead of scanned (hold-outs); CFIX: c fixed.
  Per-case values are cached in /tmp/atan9_cache (delete it after changing the model files).
"""
import os
import sys
import hashlib
from fractions import Fraction as F
import numpy as np

sys.path.insert(0, __file__.rsplit("/", 1)[0])
import atan6_fit as A  # noqa: E402
import atan8_tiny as T  # noqa: E402

CACHE = "/tmp/atan9_cache"
S3 = 1.473783082012


def prep1(pair):
    """Per-case arrays for one in,out pair (cached)."""
    os.makedirs(CACHE, exist_ok=True)
    fi, fo = pair.split(",")
    key = hashlib.sha1(open(fi, "rb").read() + open(fo, "rb").read()).hexdigest()[:16]
    fn = f"{CACHE}/{key}.npz"
    if os.path.exists(fn):
        return dict(np.load(fn))
    cols = {k: [] for k in ("x0", "K", "uP1", "uQ1", "Pg", "Qg", "uW", "uR", "kind", "r", "mt")}
    PF, QF = T.PF, T.QF
    assert QF[0] == 1
    for c in T.load([pair]):
        x, t, g, q, X = A.position(A.VARIANTS["x_xqg"], c, PF, QF)
        a1 = A.horner_x(PF[1:], g)
        a1q = A.horner_x(QF[1:], g)
        pg = PF[0] + g * a1
        qg = QF[0] + g * a1q
        cols["x0"].append(x)
        cols["K"].append(float(X / F(2) ** c[2]) * 2.0 ** -68)
        cols["uP1"].append(float(g * a1 * F(2) ** 69))
        cols["uQ1"].append(float(g * a1q * F(2) ** 67))
        cols["Pg"].append(float(pg))
        cols["Qg"].append(float(qg))
        cols["uW"].append(float((pg / qg - PF[0]) * F(2) ** 69))
        cols["uR"].append(float((1 / qg - 1) * F(2) ** 68))
        cols["kind"].append({"lt": -1, "eq": 0, "gt": 1}[c[3]])
        cols["r"].append(float(c[0]))
        ts = float(t)
        cols["mt"].append(ts / 2.0 ** np.floor(np.log2(ts)))  # t's significand
    d = {k: np.array(v) for k, v in cols.items()}
    np.savez(fn, **d)
    return d


def prep(pairs):
    ds = [prep1(p) for p in pairs]
    return {k: np.concatenate([d[k] for d in ds]) for k in ds[0]}


def saw(ph):
    return np.rint(ph) - ph


def e_q(d, sq):
    """Q's last sum rounded at scale sq: relative error, 2^-68 units."""
    return 2.0 * saw(sq * d["uQ1"]) / (sq * d["Qg"])


def e_p(d, sp, ph0=0.0):
    """P's last sum rounded at scale sp (phase offset ph0: 0 when p0' is on the sum's grid)."""
    p0 = float(T.PF[0])
    cp = 2.0 ** (np.floor(np.log2(abs(sp * p0))) - (int(os.environ.get("PBITS", "68")) - 1))
    return cp * 2.0 ** 68 * saw(ph0 + sp * d["uP1"] * 2.0 ** -69 / cp) / (sp * d["Pg"])


def parse(v):
    if ":" in v:
        lo, hi, n = v.split(":")
        return np.linspace(float(lo), float(hi), int(n))
    return np.array([float(v)])


def count(d, x):
    """Misses of x (..., n) against the outcomes."""
    k = d["kind"]
    bad = np.where(k < 0, x >= -0.5, np.where(k > 0, x <= 0.5, np.abs(x) > 0.5))
    return bad.sum(axis=-1)


def scan_e(d, form, sq, sp):
    """A function of the phases (o, r, m, w order) giving the relative error per case."""
    w0 = float(T.PF[0])
    e = np.zeros_like(d["x0"])
    if "q" in form:
        eq = e_q(d, sq)
        e = e - eq
    else:
        eq = np.zeros_like(e)
    if "p" in form:
        e = e + e_p(d, sp)
    sqq = sq if "q" in form else S3
    grids = []
    if "o" in form:  # P's last sum with a scanned phase offset
        grids.append("O")
    if "r" in form:
        grids.append("R")
    if "m" in form:
        grids.append("M")
    if "w" in form:
        grids.append("W")
    def total(ph):
        E = e.copy()
        for nm, p0 in zip(grids, ph):
            if nm == "O":
                E = E + e_p(d, sp, p0)
            elif nm == "R":
                # RBITS / WBITS: widths of R and W / M (default 68; cells scale by 2^(68 - bits))
                f = 2.0 ** (int(os.environ.get("RBITS", "68")) - 68)
                phr = p0 + f * (d["uR"] / sqq - eq / sqq)
                er = sqq * saw(phr) / f
                E = E + er
            elif nm == "M" or nm == "W":
                f = 2.0 ** (int(os.environ.get("WBITS", "68")) - 68)
                phm = p0 + f * (d["uW"] + 2 * w0 * E)
                E = E + saw(phm) / (2 * w0 * f)
        return E
    total.n = len(grids)
    return total


def scan(d, form, sq, sp, phs, cs, fix):
    """Best (misses, c, phases) for one (sq, sp)."""
    import itertools
    total = scan_e(d, form, sq, sp)
    x0, K = d["x0"], d["K"]
    best = []
    lists = [([fix[i]] if fix else phs) for i in range(total.n)]
    for ph in itertools.product(*lists):
        E = total(ph)
        x = x0[None, :] + K[None, :] * (E[None, :] + cs[:, None])
        mc = count(d, x)
        j = int(mc.argmin())
        best.append((int(mc[j]), float(cs[j]), tuple(float(v) for v in ph)))
    best.sort()
    return best


def total_e(d, form, sq, sp, ph):
    """Relative error (2^-68) of one configuration (phases ph in the order r, m, w)."""
    return scan_e(d, form, sq, sp)(ph)


def sigma_fit(x0, K, kind, label):
    """atan8_sigma's fit over |c| <= 1 and sigma <= 1.5."""
    import atan8_sigma
    atan8_sigma.fit(x0, K, kind, "  " + label, cmax=1.0, smax=1.5)


def main():
    form = sys.argv[1].lower()
    d = prep(sys.argv[2:])
    sqs = parse(os.environ.get("SQ", str(S3)))
    sps = parse(os.environ.get("SP", str(S3)))
    nph = int(os.environ.get("NPH", "64"))
    phs = np.arange(nph) / nph
    cs = (np.array([float(os.environ["CFIX"])]) if os.environ.get("CFIX")
          else np.arange(-1.5, 1.501, 0.05))
    fix = [float(v) for v in os.environ["FIX"].split(",")] if os.environ.get("FIX") else None
    top = int(os.environ.get("TOP", "3"))
    if os.environ.get("SYNTH"):
        # planted truth: SYNTH=form,phases(/-separated),c; plus a simulated N = R68(t s p0)
        # rounding of random phase (uniform +-1 / m_N) and Gaussian noise NOISE (default 0.3)
        sf, sph, sc = os.environ["SYNTH"].split(",")
        ph = [float(v) for v in sph.split("/")] if sph else []
        rng = np.random.default_rng(1)
        v = d["mt"] * 1.9650441
        mn = v / 2.0 ** np.floor(np.log2(v))
        E = total_e(d, sf, S3, S3, ph) + float(sc) + rng.uniform(-1, 1, len(mn)) / mn \
            + rng.normal(0, float(os.environ.get("NOISE", "0.3")), len(mn))
        xs = d["x0"] + d["K"] * E
        d["kind"] = np.where(xs < -0.5, -1, np.where(xs > 0.5, 1, 0))
        print(f"planted {os.environ['SYNTH']}")
    x = d["x0"][None, :] + d["K"][None, :] * cs[:, None]
    mc = count(d, x)
    print(f"{len(d['x0'])} cases; committed model c=0 {int(count(d, d['x0']))}, best c "
          f"{int(mc.min())} (c={cs[mc.argmin()]:+.2f})", flush=True)
    res = []
    for sq in (sqs if "q" in form else [S3]):
        for sp in (sps if "p" in form else [S3]):
            b = scan(d, form, sq, sp, phs, cs, fix)
            res += [(m, sq, sp, c, ph) for m, c, ph in b[:top]]
    res.sort(key=lambda v: v[0])
    if os.environ.get("SIGMA"):
        # the scatter left by the best configuration: c and sigma by maximum likelihood
        m, sq, sp, c, ph = res[0]
        E = total_e(d, form, sq, sp, ph)
        sigma_fit(d["x0"] + d["K"] * E, d["K"], d["kind"], f"{form} best")
        sigma_fit(d["x0"], d["K"], d["kind"], "committed")
        if os.environ.get("SPLIT"):
            # by the significand of V = t * SPLIT (e.g. SPLIT = s p0 for N = t P): a rounding
            # of V has a relative error inversely proportional to it
            v = d["mt"] * abs(float(os.environ["SPLIT"]))
            v = v / 2.0 ** np.floor(np.log2(v))
            x1 = d["x0"] + d["K"] * E
            for lo in (1.0, 1.25, 1.5, 1.75):
                sel = (v >= lo) & (v < lo + 0.25)
                sigma_fit(x1[sel], d["K"][sel], d["kind"][sel],
                          f"significand of t*{os.environ['SPLIT']} in [{lo}, {lo + 0.25}) "
                          f"({sel.sum()})")
    for m, sq, sp, c, ph in res[:top]:
        print(f"{form}: {m} misses; SQ={sq:.13f} SP={sp:.13f} c={c:+.2f} phases="
              + ",".join(f"{v:.4f}" for v in ph), flush=True)


if __name__ == "__main__":
    main()

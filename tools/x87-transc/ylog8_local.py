"""FYL2X / FYL2XP1, round 7 second helper (README, section "FYL2X / FYL2XP1:
the noise is not local (round 7, tan7)"): is the host's deviation from the
model's h P (about half a unit of R's last bit, symmetric) a smooth
function of t, or does it change from one operand to the next?

  python3 tools/x87-transc/ylog8_local.py vars QFILE FILES...
      on pinned cases aimed at R's midpoints (ylog7_rmid.py aim with DIST
      0.5, so every case is decided by R's last unit), how many cases each
      variant of the chain gets right; variants not in ylog7_vars.py:
      h or g left exact (no 68-bit rounding), both, R from h P with
      h = R68(T R68(g C)) ...
  python3 tools/x87-transc/ylog8_local.py track QFILE FILES...
      for the cases R's last unit decides: at the same model position f,
      does the host's choice depend on the rounding direction of an
      intermediate (T, L1, g, h; P, g P, L1 P as if rounded) or on the low
      bits of T, L1, g, h? With a calibration: the same statistic for
      variants that skip or add one rounding.

Clusters: ylog7_rmid.py aim k0 N SEED LO LO+1e-14 0.5 QFILE gives x within
about 2^17 units of one another; ylog7_rmid.py read on the pinned output
shows how often the host takes R's upper neighbour per bin of the model's
position f: a sharp step if the deviation is locally constant, a ramp if
it changes from one x to the next.

  python3 tools/x87-transc/ylog8_local.py window N SEED LO HI QFILE > xs.txt
      FYL2X x = 1 + t, t in [LO, HI): for N random t, all x sharing t's
      top 53 bits (2,048 neighbours) whose L R's last unit decides
  python3 tools/x87-transc/ylog8_local.py inv QFILE FILES...
      per window of 2,048 neighbours: can one threshold on the model's
      position f explain every host choice (a locally constant deviation)?
      Against the count expected if each case's choice were drawn from
      the pooled ramp.

FILES as for ylog6_one.py (OP:PATH, ylog_scan.ts output); QFILE P's
coefficients times 2^140 (REM_ONE: /tmp/ylog6/qall_Glp_d9.txt).
"""
import importlib.util
import os
import sys

here = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("pe", os.path.join(here, "ylog7_peval.py"))
pe = importlib.util.module_from_spec(spec)
spec.loader.exec_module(pe)
y1, F, ONE, r68 = pe.y1, pe.F, pe.ONE, pe.r68
C = y1.C66 << (F - 65)


def variant(name, r, q):
    T, L1 = r["T"], r["L1"]
    g = r68(T * T >> F)
    ge = T * T >> F

    def P(x):
        return y1.qpoly(x, q)

    if name == "model":
        return r68(r68(L1 * g >> F) * P(g) >> F)
    if name == "h_exact":
        return r68((L1 * g >> F) * P(g) >> F)
    if name == "g_exact":
        return r68(r68(L1 * ge >> F) * P(ge) >> F)
    if name == "gh_exact":
        return r68((L1 * ge >> F) * P(ge) >> F)
    if name == "g_exact_Pg68":  # h from exact g, P at the 68-bit g
        return r68(r68(L1 * ge >> F) * P(g) >> F)
    if name == "g68_Pgexact":
        return r68(r68(L1 * g >> F) * P(ge) >> F)
    if name == "hP_one":  # R = R68(L1 R68(g P)) exact g
        return r68(L1 * r68(ge * P(ge) >> F) >> F)
    raise ValueError(name)


def offset(v):
    """(R68(v) - v) in units of R68(v)'s last bit, signed toward larger magnitude."""
    w = r68(v)
    u = 1 << max(0, abs(w).bit_length() - 68)
    d = (abs(w) - abs(v)) / u
    return d


def decided(q, rows):
    """The cases R's last unit decides: (f, host takes R_hi, pieces), f the
    model's position of h P between R's two neighbours."""
    out = []
    for r in rows:
        t, T, L1, S = r["t"], r["T"], r["L1"], r["S"]
        g = r68(T * T >> F)
        h = r68(L1 * g >> F)
        Pg = y1.qpoly(g, q)
        hp = h * Pg >> F
        a = abs(hp)
        sh = a.bit_length() - 68
        lo = a >> sh << sh
        s = -1 if hp < 0 else 1
        rl, rh = s * lo, s * (lo + (1 << sh))
        ll, lh = r68(S + rl), r68(S + rh)
        if ll == lh or r["G"] not in (ll, lh):
            continue
        f = (a - lo) / (1 << sh)
        ge = T * T >> F
        D = r68(2 * ONE + t)
        pc = dict(T=T, L1=L1, g=g, h=h, Pg=Pg, ge=ge, Tq=(2 * t << F) // D, sh=sh, lo=lo, a=a, t=t, D=D)
        out.append((f, r["G"] == lh, pc))
    return out


def strat(cases, key, yfun=lambda c: c[1]):
    """Difference of the rate of yfun between cases with key(c) true and
    false, within bins of f (0.1 wide), weighted; and its standard error."""
    num = den = 0.0
    for b in range(10):
        c = [x for x in cases if min(9, int(x[0] * 10)) == b]
        c1 = [x for x in c if key(x)]
        c0 = [x for x in c if not key(x)]
        if not c1 or not c0:
            continue
        p1 = sum(yfun(x) for x in c1) / len(c1)
        p0 = sum(yfun(x) for x in c0) / len(c0)
        w = len(c1) * len(c0) / (len(c1) + len(c0))
        num += w * (p1 - p0)
        den += w
    return num / den, 0.5 / den**0.5


def track(q, rows):
    """Does the host's choice, at the same model position f, depend on the
    rounding direction of an intermediate (T, L1, g, h, and P, g P, L1 P as
    if rounded to 68 bits) or on the low bits of T, L1, g, h? Prints the
    f-stratified difference of the host's R_hi rate, and for calibration
    the same statistic when the host's R is replaced by a variant that
    skips or adds one rounding."""
    cs = decided(q, rows)
    print("%d cases decided by R's last unit" % len(cs))

    def low(v, k):
        a = abs(v)
        return (a >> (a.bit_length() - 68 + k)) & 1

    offs = {
        "T": lambda p: offset(p["Tq"]),
        "L1": lambda p: offset(p["T"] * C >> F),
        "g": lambda p: offset(p["ge"]),
        "h": lambda p: offset(p["L1"] * p["g"] >> F),
        "P": lambda p: offset(p["Pg"]),
        "gP": lambda p: offset(p["g"] * p["Pg"] >> F),
        "L1P": lambda p: offset(p["L1"] * p["Pg"] >> F),
        # quantities a different path could round (not in the model)
        "t^2": lambda p: offset(p["t"] * p["t"] >> F),
        "z": lambda p: offset((p["t"] << F) // (2 * ONE + p["t"])),
        "1/D": lambda p: offset((ONE << F) // p["D"]),
        "Tg": lambda p: offset(p["T"] * p["g"] >> F),
        "T^3": lambda p: offset(p["T"] * p["ge"] >> F),
        "CP": lambda p: offset(C * p["Pg"] >> F),
        "g^2": lambda p: offset(p["g"] * p["g"] >> F),
    }
    for name, fn in offs.items():
        d, se = strat(cs, lambda c, fn=fn: fn(c[2]) > 0)
        print("  %-4s rounded up vs down: host R_hi rate %+.3f (se %.3f)" % (name, d, se))
    for name in ("T", "L1", "g", "h"):
        for k in (0, 1, 2):
            d, se = strat(cs, lambda c, name=name, k=k: low(c[2][name], k) == 1)
            print("  %-4s bit %d set vs clear:     host R_hi rate %+.3f (se %.3f)" % (name, k, d, se))

    def var_hi(c, kind):
        p = c[2]
        if kind == "h exact":
            v = (p["L1"] * p["g"] >> F) * p["Pg"] >> F
        elif kind == "g exact in h":
            v = r68(p["L1"] * p["ge"] >> F) * p["Pg"] >> F
        else:  # P rounded to 68 bits
            v = p["h"] * r68(p["Pg"]) >> F
        return abs(v) - p["lo"] >= (1 << p["sh"]) // 2

    print("calibration (the statistic if the host's R were a variant):")
    for kind, name in (("h exact", "h"), ("g exact in h", "g"), ("P rounded", "P")):
        d, _ = strat(cs, lambda c, fn=offs[name]: fn(c[2]) > 0, lambda c, kind=kind: var_hi(c, kind))
        print("  %-13s: %s rounded up vs down: R_hi rate %+.3f" % (kind, name, d))


def window(n, seed, lo, hi, q):
    """FYL2X x = 1 + t (k = 0, t > 0): for n random t in [lo, hi), every one
    of the 2,048 x that share t's top 53 bits and whose L is decided by R's
    last unit (the two 68-bit neighbours of h P give different L)."""
    import random

    rnd = random.Random(seed)
    for _ in range(n):
        a = rnd.uniform(lo, hi)
        m0 = int((1 + a) * 2**63) & ~0x7FF
        for low in range(2048):
            m = m0 | low
            t = (m - (1 << 63)) << (F - 63)
            T, S, L1 = y1.kernel(0, t)
            g = r68(T * T >> F)
            h = r68(L1 * g >> F)
            hp = h * y1.qpoly(g, q) >> F
            sh = abs(hp).bit_length() - 68
            rl = hp >> sh << sh
            if r68(S + rl) != r68(S + rl + (1 << sh)):
                print("%04x%016x" % (16383, m))


def inversions(q, rows, sims=2000):
    """Per window of 2,048 x (same top 53 bits), the decided cases' model
    position f of h P between R's neighbours and the host's choice: can one
    threshold (a deviation constant over the window) explain them all?
    Compared with the same windows when each case's choice is drawn from
    the pooled ramp P(host takes R_hi | f) (a deviation that changes from
    one x to the next)."""
    import random

    win = {}
    for r in rows:
        T, L1, S = r["T"], r["L1"], r["S"]
        g = r68(T * T >> F)
        h = r68(L1 * g >> F)
        hp = h * y1.qpoly(g, q) >> F
        sh = abs(hp).bit_length() - 68
        rl = hp >> sh << sh
        rh = rl + (1 << sh)
        ll, lh = r68(S + rl), r68(S + rh)
        if ll == lh or r["G"] not in (ll, lh):
            continue
        f = (hp - rl) / (1 << sh)
        win.setdefault(r["xh"][:17], []).append((f, 1 if r["G"] == lh else 0))
    ws = [sorted(v) for v in win.values() if len(v) >= 2]
    allc = [c for v in ws for c in v]
    bins = [[0, 0] for _ in range(10)]
    for f, up in allc:
        b = bins[min(9, int(f * 10))]
        b[0] += 1
        b[1] += up
    ramp = [b[1] / b[0] if b[0] else 0.5 for b in bins]

    def consistent(v):  # host choices monotone in f: all 0s below all 1s
        seen1 = False
        for _, up in v:
            if up:
                seen1 = True
            elif seen1:
                return False
        return True

    obs = sum(consistent(v) for v in ws)
    rnd = random.Random(1)
    tot = 0
    for _ in range(sims):
        tot += sum(consistent([(f, 1 if rnd.random() < ramp[min(9, int(f * 10))] else 0) for f, _ in v]) for v in ws)
    print("%d windows with >= 2 decided cases (%d cases); pooled ramp %s" % (len(ws), len(allc), " ".join("%.2f" % p for p in ramp)))
    print("one threshold explains %d windows; per-case noise drawn from the ramp: %.1f expected" % (obs, tot / sims))


def main():
    if sys.argv[1] == "window":
        n, seed, lo, hi = sys.argv[2:6]
        return window(int(n), int(seed, 0), float(lo), float(hi), y1.load_q(sys.argv[6]))
    if sys.argv[1] == "inv":
        q = y1.load_q(sys.argv[2])
        return inversions(q, y1.prep(y1.load(sys.argv[3:]), 0.015625))
    if sys.argv[1] == "track":
        q = y1.load_q(sys.argv[2])
        return track(q, y1.prep(y1.load(sys.argv[3:]), 0.015625))
    q = y1.load_q(sys.argv[2])
    rows = y1.prep(y1.load(sys.argv[3:]), 0.015625)
    names = os.environ.get("YLOG8_VARS", "model h_exact g_exact gh_exact g_exact_Pg68 g68_Pgexact hP_one").split()
    for name in names:
        bad = sum(r68(r["S"] + variant(name, r, q)) != r["G"] for r in rows)
        print("%-14s %d of %d missed" % (name, bad, len(rows)), flush=True)


if __name__ == "__main__":
    main()

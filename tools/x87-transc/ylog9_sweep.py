"""FYL2X round 9, first measurement (README, section "FYL2X / FYL2XP1: round 9
(ylog9)"): which operand does the host's deviation follow?

  python3 tools/x87-transc/ylog9_sweep.py y NX NY SEED
      NX x (FYL2X, k = 0, t in [0.125, 0.41)) whose L is decided by R's last
      unit; for each, NY values of y that tell the two candidate logarithms
      apart (half rounded down, half up, random significands): does every y
      give the same logarithm? (If the product used a logarithm finer than
      68 bits, e.g. a high part plus an unrounded low part, some y would
      see one neighbour and some the other.)
  python3 tools/x87-transc/ylog9_sweep.py x NBASE SEED
      NBASE random bases; for each, the 4,096 x that differ in the low 12
      bits, at one fixed y (random significand, RN, RD and RU): the host's
      result against the model's (REM_ONE), and where they differ whether
      the case is one R's last unit decides.
"""
import random
import sys

import ylog9_lib as L

F, r68 = L.F, L.r68


def rnd_mode(v, u, mode):
    """v > 0 (integer) rounded onto multiples of u: n(earest-even), d(own), u(p)."""
    qv, rem = divmod(v, u)
    if mode == "d" or rem == 0:
        return qv * u
    if mode == "u":
        return (qv + 1) * u
    if 2 * rem > u or (2 * rem == u and qv & 1):
        qv += 1
    return qv * u


def ysweep(nx, ny, seed):
    q = L.load_q()
    rnd = random.Random(seed)
    cs = []
    while len(cs) < nx:
        t = rnd.uniform(0.125, 0.41)
        c = L.chain(int((1 + t) * 2**63), q)
        if c["Llo"] != c["Lhi"]:
            cs.append(c)
    L.host_choice(cs, seed + 1, ny)
    bad = [c for c in cs if c["host"] is None]
    print("%d x decided by R's last unit, %d y each (split, RD and RU): %d x with y-dependent answers; "
          "host takes R_hi in %d, R_lo in %d; the model (f > 1/2) agrees in %d" % (
              nx, ny, len(bad), sum(c["host"] == 1 for c in cs), sum(c["host"] == 0 for c in cs),
              sum((c["host"] == 1) == (c["f"] > 0.5) for c in cs if c["host"] is not None)))


def xsweep(nbase, seed):
    q = L.load_q()
    rnd = random.Random(seed)
    tot = dict(n=0, dec=0, diff=0, diff_dec=0, diff_two=0, diff_other=0)
    for _ in range(nbase):
        t = rnd.uniform(0.125, 0.41)
        m0 = int((1 + t) * 2**63) & ~0xFFF
        Y = rnd.getrandbits(63) | (1 << 63)
        cs = [L.chain(m0 | lo, q) for lo in range(4096)]
        lines, exp = [], []
        for c in cs:
            for fcw, mode in (("37f", "n"), ("77f", "d"), ("b7f", "u")):
                lines.append("fyl2x %s %s %s" % (fcw, L.xhex(c["m"]), L.xhex(Y)))
                res = []
                u2 = 1 << c["sh"]
                for Lv in (c["L"], c["Llo"], c["Lhi"], r68(c["S"] + c["rl"] + 2 * u2), r68(c["S"] + c["rl"] - u2)):
                    v = Y * Lv
                    u = 1 << (v.bit_length() - 64)
                    w = rnd_mode(v, u, mode)
                    res.append(L.enc_fix(w, F + 63) if w.bit_length() == v.bit_length() or w != v else None)
                exp.append(res)
        out = L.probe(lines)
        for i, c in enumerate(cs):
            dec = c["Llo"] != c["Lhi"]
            tot["n"] += 1
            tot["dec"] += dec
            differs = False
            kind = "other"
            for j in range(3):
                r = out[3 * i + j].split()[1]
                e = exp[3 * i + j]
                if r != e[0]:
                    differs = True
                    if r in e[1:3] and dec:
                        kind = "dec"
                    elif r in e[3:] and kind != "dec":
                        kind = "two"
            if differs:
                tot["diff"] += 1
                tot["diff_" + kind] += 1
    print("%d x (%d bases x 4,096 low-bit values, one y each, RN/RD/RU): %d decided by R's last unit; "
          "host differs from the model at %d x: %d decided cases where the host took R's other "
          "neighbour, %d where it took R_lo + 2 or R_lo - 1 units, %d other" % (
              tot["n"], nbase, tot["dec"], tot["diff"], tot["diff_dec"], tot["diff_two"], tot["diff_other"]))


def main():
    if sys.argv[1] == "y":
        ysweep(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4], 0))
    else:
        xsweep(int(sys.argv[2]), int(sys.argv[3], 0))


if __name__ == "__main__":
    main()

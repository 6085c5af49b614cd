"""FPTAN round 5: rounding rules of single Horner steps of P or Q against
the host's 68-bit cells (targets as in tan5_cellfit.py, reference = the
coefficient set given), cases with |t| >= TLO. A spec lists, for each step
from the top (c_{n-1} + g c_n first, the last step c0 + g A1 last), the
product's and the sum's rounding: "ee" = both nearest-even at 68 bits;
product letters: e (nearest-even), t (truncated), x (exact); sum letters:
e (nearest-even), a (ties away from zero), z (ties toward zero);
product widths other than 68 as e.g. "e70e" (product to 70 bits).

Run: python3 tools/x87-transc/tan5_stepvar.py Q COEF.txt 'ee,ee,ee,ee;ee,ee,ea,ee;ee,ee,te,ee' in.txt,out.txt ...
"""
import sys, os, re

sys.path.insert(0, __file__.rsplit("/", 1)[0])
import tan5_cellfit as C
import tan5_lib as L5
from tan5_lib import add, mul


def rnd(v, mode, bits=68):
    m, e = v
    a = abs(m)
    d = a.bit_length() - bits
    if mode == "x" or a == 0 or d <= 0:
        return v
    q = a >> d
    rem, half = a - (q << d), 1 << (d - 1)
    up = {"e": rem > half or (rem == half and q & 1), "a": rem >= half, "z": rem > half, "t": False}[mode]
    q += up
    return (q if m > 0 else -q, e + d)


def ev(cs, g, spec):
    acc = cs[-1]
    for i, c in enumerate(reversed(cs[:-1])):
        pm, pw, sm = spec[i]
        acc = rnd(add(rnd(mul(acc, g), pm, pw), c), sm)
    return acc


def parse(s):
    out = []
    for part in s.split(","):
        m = re.fullmatch(r"([etx])(\d*)([eaz])", part)
        out.append((m.group(1), int(m.group(2) or 68), m.group(3)))
    return out


if __name__ == "__main__":
    which = sys.argv[1]
    P, Q = L5.read_coef(sys.argv[2])
    tg = C.targets(which, L5.load(sys.argv[4:]), (P, Q))
    tg = [x for x in tg if x[0] >= float(os.environ.get("TLO", "0.5"))]
    cs = P if which == "P" else Q
    for name in sys.argv[3].split(";"):
        spec = parse(name)
        n = sum(1 for tv, g, want in tg if ev(cs, g, spec) != want)
        print(which, name, n, len(tg), flush=True)

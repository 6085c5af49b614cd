"""FPTAN round 5: structural variants of the final steps, evaluated with a
fixed coefficient set (not refitted), for tan5_count.py as SPEC:VARIANT.
Importing this module registers them in tan5_lib.VARIANTS.

  n67 / n69 / n70   N = t P rounded to 67 / 69 / 70 bits (68: the model)
  ntrunc            N = t P truncated at 68 bits
  d67 / d69         D's last step rounded to 67 / 69 bits
  q68               the quotient N / D rounded to 68 bits first, then to 64
  recip             N * R68(1 / D) instead of N / D
  all70             g, every Horner step and N at 70 bits
  sincos68          R68(sin t) / R68(cos t) (exact sin, cos; no P, Q)

Run: python3 tools/x87-transc/tan5_count.py COEF.txt COEF.txt:n69 ... -- in.txt,out.txt
"""
import sys
from fractions import Fraction
import mpmath

sys.path.insert(0, __file__.rsplit("/", 1)[0])
import tan5_lib as L5
from tan5_lib import rsig, rsig_s, add, mul


def trunc(m, e, bits=68):
    d = m.bit_length() - bits
    return (m, e) if d <= 0 else (m >> d, e + d)


def horner_w(cs, g, w, last_w=None):
    acc = cs[-1]
    for i, c in enumerate(reversed(cs[:-1])):
        bits = last_w if (last_w and i == len(cs) - 2) else w
        acc = rsig_s(*add(rsig_s(*mul(acc, g), w), c), bits)
    return acc


def parts(t, P, Q, gw=68, w=68, dlast=None):
    g = rsig(*mul(t, t), gw)
    return g, horner_w(P, g, w), horner_w(Q, g, w, dlast)


def v_n(bits):
    def f(t, P, Q):
        g, p, d = parts(t, P, Q)
        return rsig(*mul(t, p), bits), d
    return f


def v_ntrunc(t, P, Q):
    g, p, d = parts(t, P, Q)
    return trunc(*mul(t, p)), d


def v_d(bits):
    def f(t, P, Q):
        g, p, d = parts(t, P, Q, dlast=bits)
        return rsig(*mul(t, p)), d
    return f


def frac(v):
    return Fraction(v[0]) * Fraction(2) ** v[1]


def v_q68(t, P, Q):
    n, d = L5.model_nd(t, P, Q)
    q = frac(n) / frac(d)
    # round q to 68 significant bits, nearest-even
    e = q.numerator.bit_length() - q.denominator.bit_length() - 68
    k = q / Fraction(2) ** e
    fl = k.numerator // k.denominator
    r = k - fl
    if r > Fraction(1, 2) or (r == Fraction(1, 2) and fl % 2):
        fl += 1
    return ("q", fl * Fraction(2) ** e)


def v_recip(t, P, Q):
    n, d = L5.model_nd(t, P, Q)
    # R68(1 / D)
    inv = Fraction(1) / frac(d)
    e = inv.numerator.bit_length() - inv.denominator.bit_length() - 68
    k = inv / Fraction(2) ** e
    fl = k.numerator // k.denominator
    r = k - fl
    if r > Fraction(1, 2) or (r == Fraction(1, 2) and fl % 2):
        fl += 1
    return ("q", frac(n) * fl * Fraction(2) ** e)


def v_all70(t, P, Q):
    g, p, d = parts(t, P, Q, gw=70, w=70)
    return rsig(*mul(t, p), 70), d


def v_sincos(t, P, Q):
    x = mpmath.ldexp(t[0], t[1])
    def r68(v):
        m, e = mpmath.frexp(v)
        return rsig(int(mpmath.ldexp(m, 120)), e - 120)
    return r68(mpmath.sin(x)), r68(mpmath.cos(x))


L5.VARIANTS.update({
    "n67": v_n(67), "n69": v_n(69), "n70": v_n(70), "ntrunc": v_ntrunc,
    "d67": v_d(67), "d69": v_d(69), "q68": v_q68, "recip": v_recip,
    "all70": v_all70, "sincos68": v_sincos,
})

"""FSIN / FCOS round 6: shared model code (python3; no extra packages).

The committed model of cpu/fpu/transc_amd_sincos.ts (coefficients read from
that file, so the two stay the same), with hooks for coefficient sets and
evaluation variants, the per-step detail used to aim cases at rounding
boundaries, and loading of probe lines. Imported by sincos6_aim.py,
sincos6_count.py and sincos6_node.py; not run by itself.

Values are (m, e) = m * 2^e with signed integer m (as in sincos_py/sim.py).
"""
import os, re, sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "sincos_py"))
from sim import rnd, add, mul, final, parse, reduce  # noqa: E402

RC = {"37f": 0, "77f": 1, "b7f": 2, "f7f": 3}


def ts_coefs(name):
    """SIN_S or COS_C as written in cpu/fpu/transc_amd_sincos.ts."""
    src = open(os.path.join(HERE, "../../cpu/fpu/transc_amd_sincos.ts")).read()
    body = src[src.index("export const " + name):]
    body = body[: body.index("];")]
    return [(int(m.replace("n", ""), 16) * (-1 if s else 1), int(e))
            for s, m, e in re.findall(r"\[(-?)0x([0-9a-f]+n), (-\d+)\]", body)]


SIN = ts_coefs("SIN_S")
COS = ts_coefs("COS_C")


def read_coef(fn):
    """A coefficient file: two lines `S m,e m,e ...` and `C m,e ...` (either may be absent)."""
    s, c = list(SIN), list(COS)
    for line in open(fn):
        p = line.split()
        if not p or p[0] not in ("S", "C"):
            continue
        cs = [tuple(int(v, 0) for v in w.split(",")) for w in p[1:]]
        if p[0] == "S":
            s = cs
        else:
            c = cs
    return s, c


def write_coef(s, c):
    return "S " + " ".join("%d,%d" % v for v in s) + "\nC " + " ".join("%d,%d" % v for v in c) + "\n"


def r68(v):
    return rnd(*v, 68)


def horner(cs, g, var=None):
    """Unfused Horner R68(R68(acc g) + c); var may replace the step (see VARIANTS)."""
    if var and "horner" in var:
        return var["horner"](cs, g)
    acc = cs[-1]
    for c in reversed(cs[:-1]):
        acc = r68(add(r68(mul(acc, g)), c))
    return acc


def poly(t, kind, s=None, c=None, var=None):
    """Unrounded sin t or cos t of the model (exact (m, e))."""
    var = var or {}
    g = r68(mul(t, t))
    if kind == "cos":
        corr = r68(mul(g, horner(c or COS, g, var)))
        return add((1, 0), (-corr[0], corr[1]))
    h = horner(s or SIN, g, var)
    if "sincorr" in var:
        corr = var["sincorr"](t, g, h)
    else:
        corr = r68(mul(r68(mul(t, g)), h))
    return add(t, (-corr[0], corr[1]))


def value(n, t, op, s=None, c=None, var=None):
    """Unrounded result of FSIN (op "fsin") or FCOS of x = n pi66/2 + t."""
    q = n % 4
    kind = "sin" if (op == "fsin") == (q % 2 == 0) else "cos"
    w = poly(t, kind, s, c, var)
    neg = (op == "fsin" and q >= 2) or (op != "fsin" and q in (1, 2))
    return (-w[0], w[1]) if neg else w


def kind_of(n, op):
    return "sin" if (op == "fsin") == ((n % 4) % 2 == 0) else "cos"


def load(files, tmin=0.0, tmax=1.0):
    """Probe lines `op fcw x fsw st0 st1` (or `op fcw x => fsw st0 st1`), FSIN / FCOS only
    (FSINCOS lines are split into the two), reduced; |t| in [tmin, tmax). Only 64-bit precision
    control words (RC keys) are kept: other precisions are checked through the engine
    (sincos_check.ts)."""
    out = []
    for fn in files:
        if "," in fn:
            fi, fo = fn.split(",")
            pairs = zip(open(fi), open(fo))
            lines = (a.split() + b.split() for a, b in pairs)
        else:
            lines = (l.replace("=>", " ").split() for l in open(fn))
        for p in lines:
            if len(p) < 6:
                continue
            op, fcw, xh, fsw, st0, st1 = p[:6]
            if fcw not in RC:
                continue
            n, t = reduce(parse(xh))
            if t[0] == 0:
                continue
            tv = abs(t[0]) * 2.0 ** t[1]
            if not (tmin <= tv < tmax):
                continue
            c1 = (int(fsw, 16) >> 9) & 1
            if op == "fsincos":
                # ST(1) is the sine, ST(0) the cosine; C1 is the sine's rounding
                out.append(("fsin", fcw, n, t, st1, c1, xh))
                out.append(("fcos", fcw, n, t, st0, None, xh))
            elif op in ("fsin", "fcos"):
                out.append((op, fcw, n, t, st0, c1, xh))
    return out


def ok(case, s=None, c=None, var=None):
    op, fcw, n, t, want, c1, _ = case
    h, up = final(value(n, t, op, s, c, var), RC[fcw])
    return h == want and (c1 is None or up == c1)


def misses(cases, s=None, c=None, var=None):
    return sum(1 for k in cases if not ok(k, s, c, var))


def frac_mid(u, bits=68):
    """Signed distance of unrounded u from the nearest rounding midpoint at `bits`, in cells
    (0 = on a midpoint; None when u fits in `bits`)."""
    a = abs(u[0])
    d = a.bit_length() - bits
    if d <= 0:
        return None
    r = (a & ((1 << d) - 1)) / 2.0 ** d
    return r - 0.5


def steps(t, kind, s=None, c=None):
    """The unrounded intermediates of one evaluation, in order, as (name, unrounded)."""
    cs = (s or SIN) if kind == "sin" else (c or COS)
    out = []
    gu = mul(t, t)
    out.append(("g", gu))
    g = r68(gu)
    acc = cs[-1]
    for i in range(len(cs) - 2, -1, -1):
        pu = mul(acc, g)
        out.append(("p%d" % i, pu))
        su = add(r68(pu), cs[i])
        out.append(("s%d" % i, su))
        acc = r68(su)
    if kind == "sin":
        tgu = mul(t, g)
        out.append(("tg", tgu))
        cu = mul(r68(tgu), acc)
    else:
        cu = mul(g, acc)
    out.append(("corr", cu))
    return out


def flipped(t, kind, name, d, s=None, c=None):
    """The unrounded sin t / cos t with rounding `name` moved by d cells IN MAGNITUDE (d = +1: the
    cell of larger magnitude), the direction frac_mid measures. (Round 7: up to round 6 d moved
    the signed value, so for the negative sums, A1 of both polynomials, sincos6_aim.py with
    STEPS=s1 kept cases where the cell one step further away changes the result, not the other
    rounding: README "FSIN, FCOS: A2's level (round 7)".)"""
    cs = (s or SIN) if kind == "sin" else (c or COS)

    def fl(nm, v):
        v = r68(v)
        return (v[0] + (d if v[0] > 0 else -d), v[1]) if nm == name else v

    g = fl("g", mul(t, t))
    acc = cs[-1]
    for i in range(len(cs) - 2, -1, -1):
        acc = fl("s%d" % i, add(fl("p%d" % i, mul(acc, g)), cs[i]))
    if kind == "sin":
        corr = fl("corr", mul(fl("tg", mul(t, g)), acc))
        return add(t, (-corr[0], corr[1]))
    corr = fl("corr", mul(g, acc))
    return add((1, 0), (-corr[0], corr[1]))

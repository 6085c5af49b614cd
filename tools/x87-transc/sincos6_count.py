"""FSIN / FCOS round 6: mismatches of coefficient sets / variants per band of |t|.

Each MODEL is `base` (cpu/fpu/transc_amd_sincos.ts), a sincos6 coefficient
file (sincos6_node.py output), optionally `FILE:VARIANT` or `base:VARIANT`
with a variant of sincos6_var.py, or `cr` (correctly rounded). Counts probe
lines (FSIN / FCOS; FSINCOS lines count as the two) whose result or C1
differ, per band of the reduced |t| and by which polynomial (sin / cos)
gives the result.

Run: python3 tools/x87-transc/sincos6_count.py MODEL ... -- in.txt,out.txt|joined.txt ...
  env TMIN (0), TMAX (1)
"""
import os, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sincos6_lib as L

BANDS = [0, 2.0**-10, 2.0**-6, 2.0**-4, 2.0**-3, 2.0**-2, 2.0**-1, 0.6, 2.0**-0.5, 0.79]


def model(spec):
    if spec == "cr":
        return "cr"
    name, _, var = spec.partition(":")
    s, c = (L.SIN, L.COS) if name == "base" else L.read_coef(name)
    v = None
    if var:
        import sincos6_var as V
        v = V.VARIANTS[var]
    return s, c, v


def cr_ok(case):
    import mpmath as mp
    from sim import final
    mp.mp.prec = 200
    op, fcw, n, t, want, c1, xh = case
    xm, xe = L.parse(xh)  # the operand itself (correct rounding of sin x / cos x)
    x = mp.mpf(xm) * mp.mpf(2) ** xe
    v = mp.sin(x) if op == "fsin" else mp.cos(x)
    m, e = mp.frexp(v)
    h, up = final((int(m * 2**150), int(e) - 150), L.RC[fcw])
    return h == want and (c1 is None or up == c1)


def main():
    i = sys.argv.index("--")
    specs, files = sys.argv[1:i], sys.argv[i + 1:]
    cases = L.load(files, float(os.environ.get("TMIN", "0")), float(os.environ.get("TMAX", "1")))
    print("cases", len(cases))
    hdr = ["band"] + ["%g-%g" % (BANDS[j], BANDS[j + 1]) for j in range(len(BANDS) - 1)]
    tot = [0] * (len(BANDS) - 1)
    for k in cases:
        tv = abs(k[3][0]) * 2.0 ** k[3][1]
        tot[sum(1 for b in BANDS[1:-1] if tv >= b)] += 1
    print(" ".join(hdr))
    print("cases", tot, sum(tot))
    for spec in specs:
        m = model(spec)
        per = {"sin": [0] * len(tot), "cos": [0] * len(tot)}
        for k in cases:
            good = cr_ok(k) if m == "cr" else L.ok(k, *m)
            if not good:
                tv = abs(k[3][0]) * 2.0 ** k[3][1]
                per[L.kind_of(k[2], k[0])][sum(1 for b in BANDS[1:-1] if tv >= b)] += 1
        for kd in ("sin", "cos"):
            print(spec, kd, per[kd], sum(per[kd]), flush=True)


if __name__ == "__main__":
    main()

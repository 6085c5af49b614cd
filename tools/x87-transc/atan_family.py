"""FPATAN cases along structured families (one operand a power of two, the other a tiny
perturbation of 1 or 1.5) where the host's 68-bit atan cell decides the result.

For r = x/y (|y| > |x| > 0, x > 0) the model rounds the ratio to 68 bits (R), then
a = atan(R) to a 68-bit cell; this keeps the cases where a = floor and a = floor + 1
(in 68-bit units) give different 64-bit results for some rounding control, so the
host's result shows its cell. `check` prints, per case, r - c (c the family's centre),
the exact position of atan(R) in its cell (af) and the host's cell (0 floor, 1 ceiling).

Run: python3 tools/x87-transc/atan_family.py gen > fam.in
     /tmp/x87probe < fam.in > fam.out
     python3 tools/x87-transc/atan_family.py check fam.in fam.out
"""
import sys
import mpmath as mp

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from atan_near import PI66, f80  # noqa: E402

mp.mp.prec = 300
FCW = {0: "37f", 1: "77f", 2: "b7f"}


def cellinfo(xh, yh):
    _, xe, xm = f80(xh)
    _, ye, ym = f80(yh)
    q = mp.mpf(xm) / ym * mp.ldexp(1, xe - ye)
    _, ex = mp.frexp(q)
    g = ex - 68
    u = mp.ldexp(q, -g)
    R = int(mp.floor(u))
    fr = u - R
    if fr > 0.5 or (fr == 0.5 and R & 1):
        R += 1
    a = mp.atan(mp.ldexp(R, g))
    _, ea = mp.frexp(a)
    ae = ea - 68
    ua = mp.ldexp(a, -ae)
    A = int(mp.floor(ua))
    return R, g, A, ae, float(ua - A)


def res(A, ae, rc):
    E = min(ae, -65)
    v = (PI66 << (-65 - E)) - (A << (ae - E))
    drop = v.bit_length() - 64
    q = v >> drop
    rem = v - (q << drop)
    h = 1 << (drop - 1)
    if rc == 0:
        q += rem > h or (rem == h and q & 1)
    elif rc == 2:
        q += rem != 0
    return (q << drop, E, rem == 0 or rem == h)


def decisive(xh, yh):
    R, g, A, ae, af = cellinfo(xh, yh)
    for rc in (0, 1, 2):
        if res(A, ae, rc)[0] != res(A + 1, ae, rc)[0]:
            return rc
    return None


def pow2family(ks=range(0, 8)):
    """x = 2^-k, y = 1 + p 2^-63 or 1 - p 2^-64: r next to 2^-k on either side."""
    one = 1 << 63
    for k in ks:
        for j in range(1, 1 << 10):
            for sh in (0, 10, 20, 30):
                p = j << sh
                yield f"{0x3fff - k:04x}{one:016x}", f"3fff{one + p:016x}", f"2^-{k}-"
                if k > 0:
                    yield f"{0x3fff - k:04x}{one:016x}", f"3ffe{(1 << 64) - p:016x}", f"2^-{k}+"


def halfholdout(n, seed):
    """Random cases with r = |x/y| next to 1/2 (x = 2^e (1 + q), y = -+2^(e+1) (1 + p),
    p and q of random sizes 2^-63 ... 2^-29, either sign), kept when decisive."""
    import random
    rng = random.Random(seed)
    got = 0
    while got < n:
        e = rng.randint(-20, 20)
        def pert():
            if rng.random() < 0.3:
                return 0
            return rng.randint(1, 1 << rng.randint(1, 34)) * rng.choice((1, -1))
        p, q = pert(), pert()
        def enc(ex, d):
            m = (1 << 63) + d if d >= 0 else (1 << 64) + 2 * d
            ex2 = ex if d >= 0 else ex - 1
            return f"{0x3fff + ex2:04x}{m:016x}"
        xh, yh = enc(e, q), enc(e + 1, p)
        rc = decisive(xh, yh)
        if rc is None:
            continue
        if rng.random() < 0.5:
            yh = f"{int(yh[:4], 16) | 0x8000:04x}" + yh[4:]
        print(f"fpatan {FCW[rc]} {xh} {yh}")
        got += 1


def family():
    """(xh, yh, centre label) candidates."""
    one, onehalf = 1 << 63, 3 << 62
    for k in range(1, 1 << 12):
        for sh in (0, 8, 16, 24, 32, 40, 48):
            kk = k << sh
            if kk >= 1 << 62:
                continue
            yield f"3ffe{one:016x}", f"3fff{one + kk:016x}", "x=1/2,y=1+"  # r just below 1/2
            yield f"3ffe{one:016x}", f"3ffe{(1 << 64) - kk:016x}", "x=1/2,y=1-"  # r above 1/2
            yield f"3fff{one + kk:016x}", f"3fff{onehalf:016x}", "x=1+,y=3/2"
            yield f"3fff{one:016x}", f"3fff{onehalf + kk:016x}", "x=1,y=3/2+"


if __name__ == "__main__":
    if sys.argv[1] == "genhalf":
        halfholdout(int(sys.argv[2]), int(sys.argv[3], 0))
    elif sys.argv[1] in ("gen", "genpow2"):
        n = 0
        for xh, yh, lab in (family() if sys.argv[1] == "gen" else pow2family()):
            rc = decisive(xh, yh)
            if rc is not None:
                print(f"fpatan {FCW[rc]} {xh} {yh}")
                n += 1
        print(n, file=sys.stderr)
    else:
        ins = [l.split() for l in open(sys.argv[2]) if l.strip()]
        outs = [l.split() for l in open(sys.argv[3]) if l.strip()]
        for (op, fcw, xh, yh), (fsw, st0, _) in zip(ins, outs):
            R, g, A, ae, af = cellinfo(xh, yh)
            rc = {"37f": 0, "77f": 1, "b7f": 2}[fcw]
            hs, he, hm = f80(st0)
            r0, E, _ = res(A, ae, rc)
            r1, _, _ = res(A + 1, ae, rc)
            hv = hm << (he - E)
            side = 0 if hv == r0 else (1 if hv == r1 else "?")
            model = 1 if af > 0.5 else 0
            print(xh, yh, f"af={af:.4f}", "host", side, "model", model, "DIFF" if side != model else "")

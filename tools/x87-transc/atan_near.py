"""FPATAN cases whose model value v = pi66/2 - a68 lands next to a 64-bit grid point.

The model (cpu/fpu/transc_amd.ts) for |y| > |x|, x > 0: R = x/y rounded to nearest at
68 bits, a68 = atan(R) rounded to nearest at 68 bits, v = pi66/2 - a68 exact, then one
rounding. This script prints, per case, the model internals so that probe results can be
grouped by them.

Run:
  python3 tools/x87-transc/atan_near.py gen KIND N SEED > in.txt   (KIND: rand | near)
  /tmp/x87probe < in.txt > out.txt
  python3 tools/x87-transc/atan_near.py check in.txt out.txt       (table of mismatches by class)
"""
import sys, random
import mpmath as mp

mp.mp.prec = 300
PI66 = (0xC90FDAA22168C234 << 2) | 3  # pi * 2^64 truncated to 66 bits


def f80(h):
    h = int(h, 16)
    return (h >> 79, ((h >> 64) & 0x7FFF) - 16383 - 63, h & ((1 << 64) - 1))


def rnd(v, e, bits):
    """v*2^e (v>0 int) to nearest-even at bits; returns (q, e', rem-class)."""
    drop = v.bit_length() - bits
    if drop <= 0:
        return v, e
    q = v >> drop
    rem = v - (q << drop)
    h = 1 << (drop - 1)
    if rem > h or (rem == h and q & 1):
        q += 1
    return q, e + drop


def model(xh, yh):
    """Internals for the |y| > |x|, x > 0 path: (R, re, rfrac, a68, ae, afrac, v, E)."""
    _, xe, xm = f80(xh)
    _, ye, ym = f80(yh)
    # R = xm/ym * 2^(xe-ye) to 68 bits
    sh = 68 + ym.bit_length() - xm.bit_length() + 1
    num = xm << sh
    Rq = num // ym
    R, re = rnd(Rq, xe - ye - sh, 68) if Rq.bit_length() > 68 else (Rq, xe - ye - sh)
    # exact remainder matters for nearest: redo properly with the exact rational
    q = mp.mpf(xm) / ym * mp.ldexp(1, xe - ye)
    _, ex = mp.frexp(q)
    g = ex - 68
    u = mp.ldexp(q, -g)
    R = int(mp.floor(u))
    fr = u - R
    if fr > 0.5 or (fr == 0.5 and R & 1):
        R += 1
    re = g
    a = mp.atan(mp.ldexp(R, re))
    _, ea = mp.frexp(a)
    ae = ea - 68
    ua = mp.ldexp(a, -ae)
    A = int(mp.floor(ua))
    af = ua - A
    a68 = A + (1 if af > 0.5 else 0)
    E = min(ae, -65)
    v = (PI66 << (-65 - E)) - (a68 << (ae - E))
    return R, re, float(fr), a68, ae, float(af), v, E


def vclass(v, E):
    """Offset of v from the nearest 64-bit grid point, in units of 2^E (v's last bit)."""
    drop = v.bit_length() - 64
    q = v >> drop
    rem = v - (q << drop)
    full = 1 << drop
    off = rem if rem <= full // 2 else rem - full
    return off, drop


def gen(kind, n, seed):
    rng = random.Random(seed)
    fcws = ["37f", "77f", "b7f", "f7f"]
    out = 0
    while out < n:
        if kind in ("rand", "near"):
            xm = rng.getrandbits(63) | 1 << 63
            ym = rng.getrandbits(63) | 1 << 63
            xe, ye = rng.randint(-3, 0), 1
        xh = f"{16383 + xe:04x}{xm:016x}"
        yh = f"{16383 + ye:04x}{ym:016x}"
        if int(xh[:4], 16) >= int(yh[:4], 16) and xm >= ym:
            continue
        fcw = fcws[rng.randrange(4)]
        if kind == "near":
            R, re, fr, a68, ae, af, v, E = model(xh, yh)
            off, drop = vclass(v, E)
            if abs(off) > 2:
                continue
        print(f"fpatan {fcw} {xh} {yh}")
        out += 1


def check(inf, outf):
    ins = [l.split() for l in open(inf) if l.strip()]
    outs = [l.split() for l in open(outf) if l.strip()]
    stats = {}
    for (op, fcw, xh, yh), (fsw, st0, _) in zip(ins, outs):
        R, re, fr, a68, ae, af, v, E = model(xh, yh)
        off, drop = vclass(v, E)
        rc = (int(fcw, 16) >> 10) & 3
        # host: result and C1
        hs, he, hm = f80(st0)
        hv = hm << (he - E) if he >= E else None
        c1 = (int(fsw, 16) >> 9) & 1
        # host internal relative to our v: exact match of value?
        key = (off if abs(off) <= 2 else "far", rc)
        diff = None
        if hv is not None:
            # host's grid point vs our v: host value position classes
            d = hv - v  # in units of 2^E
            diff = (d, c1)
        s = stats.setdefault(key, {})
        # classify by agreement: our result/C1 from v
        q, e2 = v >> drop, E + drop
        rem = v - (q << drop)
        h = 1 << (drop - 1)
        up = {0: rem > h or (rem == h and q & 1), 1: False, 2: rem != 0, 3: False}[rc]
        ours = (q + up) << drop
        oc1 = 1 if up else 0
        ok = hv == ours and c1 == oc1
        tag = "ok" if ok else f"hostgrid-v={diff[0] if diff else '?'} c1={c1} ourc1={oc1}"
        s[tag] = s.get(tag, 0) + 1
    for k in sorted(stats, key=str):
        print(k, stats[k])




def afrac_table(inf, outf):
    """Per case with |off| <= 1: off, rc, the atan fraction af (exact atan(R) in 68-bit units), ok?"""
    ins = [l.split() for l in open(inf) if l.strip()]
    outs = [l.split() for l in open(outf) if l.strip()]
    for (op, fcw, xh, yh), (fsw, st0, _) in zip(ins, outs):
        R, re, fr, a68, ae, af, v, E = model(xh, yh)
        off, drop = vclass(v, E)
        if abs(off) > 1:
            continue
        hs, he, hm = f80(st0)
        c1 = (int(fsw, 16) >> 9) & 1
        print(off, (int(fcw, 16) >> 10) & 3, f"{af:.4f}", drop, f"{fr:.3f}", st0, c1, xh, yh)


if __name__ == "__main__":
    if sys.argv[1] == "gen":
        gen(sys.argv[2], int(sys.argv[3]), int(sys.argv[4], 0))
    elif sys.argv[1] == "fracs":
        afrac_table(sys.argv[2], sys.argv[3])
    else:
        check(sys.argv[2], sys.argv[3])

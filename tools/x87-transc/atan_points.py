"""Looks for the table points of the host's atan: ratios r next to c = k/32 (k = 1 .. 32).

For each c: x = c (exact), y = 1 + p 2^-63 or 1 - p 2^-64 with random p in [2^23, 2^35]
(|r/c - 1| in [2^-40, 2^-28]); cases kept when the host's 68-bit cell of a decides the result
(atan_family.py `decisive`). `check` fits one shift delta of atan(R) (in 68-bit units of a)
per c and prints how many cells the best delta and delta = 0 explain: near a table point
the host's error should be nearly constant (as next to 1/2: delta -0.3 explains 448 of 454).
Run: python3 tools/x87-transc/atan_points.py gen 100 0x77 [M [K0 K1]] > pt.in
     (c = k/2^M, default M = 5, k from K0 (1) to K1 - 1 (2^M - 1))
     /tmp/x87probe < pt.in > pt.out
     python3 tools/x87-transc/atan_points.py check pt.in pt.out
"""
import sys
import random
import collections

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from atan_family import cellinfo, decisive, res, FCW  # noqa: E402
from atan_near import f80  # noqa: E402


def enc(v_num, v_den_log2):
    """f80 hex of k / 2^m (k > 0 int)."""
    k, m = v_num, v_den_log2
    bl = k.bit_length()
    mant = k << (64 - bl)
    e = bl - 1 - m
    return f"{0x3fff + e:04x}{mant:016x}"


def gen(n, seed, m=5, k0=1, k1=None):
    rng = random.Random(seed)
    for k in range(k0, k1 if k1 is not None else 1 << m):
        xh = enc(k, m)
        got = 0
        tries = 0
        while got < n and tries < 200000:
            tries += 1
            p = rng.randint(1 << 23, 1 << 35)
            if rng.random() < 0.5:
                yh = f"3fff{(1 << 63) + p:016x}"
            else:
                yh = f"3ffe{(1 << 64) - p:016x}"
            rc = decisive(xh, yh)
            if rc is None:
                continue
            print(f"fpatan {FCW[rc]} {xh} {yh}")
            got += 1


def check(inf, outf):
    ins = [l.split() for l in open(inf) if l.strip()]
    outs = [l.split() for l in open(outf) if l.strip()]
    per = collections.defaultdict(list)
    for (op, fcw, xh, yh), (fsw, st0, _) in zip(ins, outs):
        R, g, A, ae, af = cellinfo(xh, yh)
        rc = {"37f": 0, "77f": 1, "b7f": 2}[fcw]
        r0, E, _ = res(A, ae, rc)
        r1, _, _ = res(A + 1, ae, rc)
        hs, he, hm = f80(st0)
        hv = hm << (he - E)
        side = 0 if hv == r0 else (1 if hv == r1 else None)
        if side is not None:
            per[xh].append((af, side))
    deltas = [d / 40 for d in range(-24, 25)]
    for xh in sorted(per, key=lambda h: (int(h[:4], 16), h)):
        rows = per[xh]
        sc = [sum((1 if af + d > 0.5 else 0) == s for af, s in rows) for d in deltas]
        best = max(range(len(deltas)), key=lambda i: sc[i])
        # the range of deltas reaching the best score (its middle is the local error estimate)
        top = [deltas[i] for i in range(len(deltas)) if sc[i] == sc[best]]
        _, xe, xm = f80(xh)
        c = xm * 2.0**xe
        print(f"c = {c:.5f} n {len(rows)} delta0 {sc[24]} best {deltas[best]:+.2f} -> {sc[best]}"
              f" range [{min(top):+.2f}, {max(top):+.2f}]")


if __name__ == "__main__":
    if sys.argv[1] == "gen":
        # optional: M, then the first and the end k (c = k/2^M for k0 <= k < k1)
        a = [int(v) for v in sys.argv[4:]]
        gen(int(sys.argv[2]), int(sys.argv[3], 0), *a)
    else:
        check(sys.argv[2], sys.argv[3])

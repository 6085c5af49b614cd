"""Tests table-reduction forms of the host's 68-bit atan against atan_target.py cases.

Each case (y = 2, x = m 2^-63, r = m 2^-64 in [1/2, 1) exact) tells in which 68-bit cell
(floor or floor + 1 of atan(r) in 68-bit units) the host's internal a lies. A hypothesis
computes a from a table point c (r truncated or rounded to k fraction bits):
d = (r - c) / (1 + r c) (exact or rounded to nearest at 68 bits), T = atan(c) (exact or
rounded at 68 bits), a = R68(T + atan(d)); it is scored by how many cells it reproduces.

Run: python3 tools/x87-transc/atan_target.py 600 0x5151 0.25 > tg.in
     /tmp/x87probe < tg.in > tg.out
     python3 tools/x87-transc/atan_table.py tg.in tg.out
"""
import sys
import mpmath as mp

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from atan_target import cells, result  # noqa: E402

mp.mp.prec = 200


def r68(v):
    """Round v > 0 to nearest at 68 significant bits."""
    _, ex = mp.frexp(v)
    g = ex - 68
    return mp.ldexp(mp.nint(mp.ldexp(v, -g)), g)


def load(inf, outf):
    rows = []
    for li, lo in zip(open(inf).read().split("\n"), open(outf).read().split("\n")):
        if not li.strip():
            continue
        _, fcw, xs, _ = li.split()
        m = int(xs[4:], 16)
        rc = {0x37F: 0, 0x77F: 1, 0xB7F: 2}[int(fcw, 16)]
        a, ge, k, fr = cells(m)
        hw = lo.split()[1]
        hq = (int(hw[4:], 16), (int(hw[:4], 16) & 0x7FFF) - 16383 - 63)
        r0, r1 = result(0, ge, k, rc), result(1, ge, k, rc)
        side = 0 if hq == r0 else (1 if hq == r1 else None)
        if side is not None:
            rows.append((m, ge, k, side))
    return rows


def score(rows, kb, cround, dround, tround):
    ok = 0
    for m, ge, k, side in rows:
        r = mp.ldexp(m, -64)
        s = mp.ldexp(r, kb)
        c = mp.ldexp(mp.nint(s) if cround else mp.floor(s), -kb)
        d = (r - c) / (1 + r * c)
        if dround and d != 0:
            d = r68(abs(d)) * (1 if d > 0 else -1)
        t = mp.atan(c)
        if tround == 1 and c != 0:
            t = r68(t)
        elif tround == 2 and c != 0:
            _, ex = mp.frexp(t)
            t = mp.ldexp(mp.floor(mp.ldexp(t, 68 - ex)), ex - 68)
        a = t + mp.atan(d)
        cell = int(mp.nint(mp.ldexp(a, -ge)))  # 68-bit nearest, in grid units
        ok += cell == k + side
    return ok


if __name__ == "__main__":
    rows = load(sys.argv[1], sys.argv[2])
    base = sum(1 for m, ge, k, side in rows if side == (1 if cells(m)[3] > 0.5 else 0))
    print(len(rows), "cases; R68(exact atan) matches", base)
    for kb in range(1, 11):
        for cround in (0, 1):
            for dround in (0, 1):
                for tround in (0, 1, 2):
                    print(kb, "c:", "round" if cround else "trunc", "d68" if dround else "dexact",
                          ["Texact", "T68", "T68trunc"][tround], score(rows, kb, cround, dround, tround))

"""Shared helpers of the round-5 FPATAN study (atan5_*.py): exact-ratio cases and their cells.

Cases: x = ST(0) = X 2^-63 (X a 64-bit significand, x in [1, 2)), y = ST(1) = 2^(1+s), so the
ratio r = x / y = X 2^-(64+s) is exact and the host takes the path v = pi66/2 - a. a is the
host's atan(r) on the 68-bit grid of its binade (unit u = 2^-68 for a in [1/2, 1), 2^-69 in
[1/4, 1/2), ...). For a rounding control that makes the 64-bit result depend on a's cell, the
host's result and C1 tell whether its a is the cell below or above the exact atan(r), i.e.
whether e + af > 1/2, where af is the position of atan(r) in its cell (0..1) and e the host's
error before its 68-bit rounding, in units u.
"""
import mpmath as mp

mp.mp.prec = 260
S = 200  # fixed-point scale of the exact atan values
PI66 = (0xC90FDAA22168C234 << 2) | 3  # pi * 2^64 truncated to 66 bits
FCW = {0: "37f", 1: "77f", 2: "b7f"}  # nearest, down, up (64-bit precision)
RC_OF = {v: k for k, v in FCW.items()}


def f80(h):
    """(sign, exponent, significand) with value significand * 2^exponent."""
    h = int(h, 16)
    return (h >> 79, ((h >> 64) & 0x7FFF) - 16383 - 63, h & ((1 << 64) - 1))


def grid_side(od, ou, g, ge):
    """Where the host's unrounded value lies against the grid point g * 2^ge, from
    its probe outputs rounded down (od) and up (ou): "eq", "gt", "lt" or "?"."""
    vals = []
    for o in (od, ou):
        _, st0, _ = o.split()
        _, he, hm = f80(st0)
        vals.append(hm << (he - ge) if he >= ge else hm >> (ge - he))
    return {(g, g): "eq", (g, g + 1): "gt", (g - 1, g): "lt"}.get(tuple(vals), "?")


def xhex(X):
    return f"3fff{X:016x}"


def yhex(s):
    return f"{0x3fff + 1 + s:04x}{1 << 63:016x}"


class Window:
    """atan(r) for r = (X0 + k) 2^-(64+s), |k| < 2^20, from a second-order Taylor expansion."""

    def __init__(self, X0, s):
        self.X0, self.s = X0, s
        self.sh = 64 + s
        r0 = mp.ldexp(mp.mpf(X0), -self.sh)
        one = mp.mpf(1)
        self.t0 = int(mp.floor(mp.ldexp(mp.atan(r0), S)))
        self.d1 = int(mp.floor(mp.ldexp(one / (1 + r0 * r0), S)))
        self.d2 = int(mp.floor(mp.ldexp(-r0 / (1 + r0 * r0) ** 2, S)))

    def atan(self, k):
        """atan(r) * 2^S (error far below 2^-120 relative)."""
        return self.t0 + ((self.d1 * k) >> self.sh) + ((self.d2 * k * k) >> (2 * self.sh))


def atan_exact(X, s):
    return int(mp.floor(mp.ldexp(mp.atan(mp.ldexp(mp.mpf(X), -(64 + s))), S)))


def cell(t):
    """(A, ue, af): atan = t 2^-S lies in [A, A+1) * 2^ue, 68-bit cells; af its position."""
    ue = t.bit_length() - S - 68
    sh = S + ue
    A = t >> sh
    return A, ue, (t - (A << sh)) / float(1 << sh)


def outcome(A, ue, rc):
    """(64-bit result * 2^100, C1) of v = pi66/2 - A 2^ue, rounded with rc (0 n, 1 down, 2 up)."""
    v = (PI66 << 35) - (A << (ue + 100))
    drop = v.bit_length() - 64
    q = v >> drop
    rem = v - (q << drop)
    h = 1 << (drop - 1)
    if rc == 0:
        q += rem > h or (rem == h and q & 1)
    elif rc == 2:
        q += rem != 0
    return (q << drop, int((q << drop) > v))


def decisive(A, ue):
    """First rounding control whose (result, C1) differs between cells A and A + 1, or None."""
    for rc in (0, 1, 2):
        if outcome(A, ue, rc) != outcome(A + 1, ue, rc):
            return rc
    return None


def host_side(A, ue, rc, fsw, st0):
    """0 or 1: which cell the host's (result, C1) matches; None if neither."""
    _, he, hm = f80(st0)
    hv = hm << (he + 100)
    got = (hv, (int(fsw, 16) >> 9) & 1)
    if got == outcome(A, ue, rc):
        return 0
    if got == outcome(A + 1, ue, rc):
        return 1
    return None


def interval(rows):
    """rows (af, side): the e-interval (lo, hi) consistent with all, and the number of cases
    violating the best single e (0 when lo < hi)."""
    lo = max([0.5 - af for af, sd in rows if sd == 1], default=-1.0)
    hi = min([0.5 - af for af, sd in rows if sd == 0], default=1.0)
    if lo < hi:
        return lo, hi, 0
    # best single e: minimise violations over candidate thresholds
    cands = sorted(0.5 - af for af, _ in rows)
    best = None
    for c in cands:
        for e in (c - 1e-9, c + 1e-9):
            bad = sum((af + e > 0.5) != (sd == 1) for af, sd in rows)
            if best is None or bad < best[0]:
                best = (bad, e)
    return best[1], best[1], best[0]

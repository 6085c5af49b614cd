"""F2XM1 study: joint refit of (P1, P2, P3, Q1, Q2, Q3) letting cases change cells.

Usage: python3 f2xm1_joint.py COEFS OUT raw-files...
  COEFS  starting coefficients (f2xm1_coefs.txt format); OUT gets the result
  raw    output of `f2xm1_tiny raw` (x, then the RD, RU, RN results)

Each case allows a set of (P, Q) 68-bit cell pairs (those whose N / D
rounds to the recorded RD, RU, RN results; searched within +-W cells of
the current model's cells). A cell pair is a box in (P(g), Q(g)), which is
linear in the six coefficient offsets, so choosing one box per case gives a
linear program. The box of a case is the largest rectangle of allowed cells
around the current cell (or the nearest allowed one); an elastic LP
(minimum total violation) then moves the coefficients, cases still
violated switch to the allowed box nearest the LP point, and so on until
no case is violated. The inner Horner roundings are ignored (they move the
cells by < 2^-20 of a cell for |x| < 2^-6); the result is checked exactly
with f2xm1_model.py. Needs python3 with numpy and scipy.

Environment: ITERS (LP rounds, 12), W (cell window, 2), G0LOG (the LP's g
scale 2^-G0LOG, 14; use about -log2 of the largest g fitted), RAND_AT (the
round from which violated cases take random boxes, 3), FIXQ3=1 (hold Q3 as
given), MODELPQ=1 (start the boxes from the model's own 68-bit last Horner
steps instead of the exact polynomials; UNFUSED=1: steps R68(R68(acc g) + c)), DEG (4: adds P4,
Q4).
"""
import sys
from fractions import Fraction as Fr
from decimal import Decimal, getcontext
import numpy as np
from scipy.optimize import linprog
from f2xm1_model import K, Q0, loadraw, mul, add, r, same, div_round64, read_coefs, c68

getcontext().prec = 50
UP = Fr(1, 2**67)
UQ = Fr(1, 2**66)
G0 = Fr(1, 2 ** int(__import__("os").environ.get("G0LOG", "14")))  # g scale for the LP variables (G0LOG=k: 2^-k)
W = int(__import__("os").environ.get("W", "2"))  # window of cells searched around the model
FIXQ3 = __import__("os").environ.get("FIXQ3") == "1"  # keep Q's top coefficient (2^-20) as given
RAND_AT = int(__import__("os").environ.get("RAND_AT", "3"))  # LP round from which violated cases take random boxes
DEG = int(__import__("os").environ.get("DEG", "3"))  # degree of P and Q in g (4: adds P4, Q4 = 0)


MODELPQ = __import__("os").environ.get("MODELPQ") == "1"  # start from the model's rounded steps
UNFUSED = __import__("os").environ.get("UNFUSED") == "1"  # ... with unfused steps R68(R68(acc g) + c)


def _last(C, g):
    """Horner's last step unrounded (inner steps at 68 bits), as a Fraction."""
    acc = C[-1]
    for c in reversed(C[1:-1]):
        acc = r(*add(r(*mul(acc, g)), c)) if UNFUSED else r(*add(mul(acc, g), c))
    M, E = add(r(*mul(acc, g)) if UNFUSED else mul(acc, g), C[0])
    return Fr(M) * Fr(2) ** E


def allowed(x, res, jp0, jq0):
    out = set()
    for jp in range(jp0 - W, jp0 + W + 1):
        N = r(*mul(x, (jp, -67)))
        for jq in range(jq0 - W, jq0 + W + 1):
            D = r(*add((jq, -66), (-N[0], N[1] - 1)))
            if all(same(div_round64(N, D, mo), rv) for mo, rv in zip("dun", res)):
                out.add((jp - jp0, jq - jq0))
    return out


def box(al, c):
    """Largest-ish rectangle of allowed cells containing cell c (greedy growth)."""
    p0 = p1 = c[0]
    q0 = q1 = c[1]
    grow = True
    while grow:
        grow = False
        for d in ("p-", "p+", "q-", "q+"):
            if d == "p-" and all((p0 - 1, q) in al for q in range(q0, q1 + 1)):
                p0 -= 1; grow = True
            if d == "p+" and all((p1 + 1, q) in al for q in range(q0, q1 + 1)):
                p1 += 1; grow = True
            if d == "q-" and all((p, q0 - 1) in al for p in range(p0, p1 + 1)):
                q0 -= 1; grow = True
            if d == "q+" and all((p, q1 + 1) in al for p in range(p0, p1 + 1)):
                q1 += 1; grow = True
    return (p0, p1, q0, q1)


def main():
    co = read_coefs(sys.argv[1])
    P = [Fr(K[0], 2**67)] + [Fr(Decimal(v)) for v in co["P"]]
    Q = [Fr(Q0[0], 2**66)] + [Fr(Decimal(v)) for v in co["Q"]]
    P += [Fr(0)] * (DEG + 1 - len(P))
    Q += [Fr(0)] * (DEG + 1 - len(Q))
    Pm = [c68(v) for v in P]
    Qm = [c68(v) for v in Q]
    cases = []
    for fn in sys.argv[3:]:
        for x, res in loadraw(fn):
            g = Fr(x[0] * x[0]) * Fr(2) ** (2 * x[1])
            if MODELPQ:
                # the model's own last Horner step (68-bit coefficients, inner steps rounded)
                pv = _last(Pm, mul(x, x)) / UP
                qv = _last(Qm, mul(x, x)) / UQ
            else:
                pv = sum(P[k] * g**k for k in range(DEG + 1)) / UP
                qv = sum(Q[k] * g**k for k in range(DEG + 1)) / UQ
            jp0 = (pv + Fr(1, 2)).__floor__()
            jq0 = (qv + Fr(1, 2)).__floor__()
            al = allowed(x, res, jp0, jq0)
            if not al:
                print("no allowed cell pair near the model for", x, file=sys.stderr)
                continue
            gs = float(g / G0)
            cases.append((gs, float(pv - jp0), float(qv - jq0), al))
        print("loaded", fn, len(cases), flush=True)
    n = len(cases)
    # variables u1..u3 (P), v1..v3 (Q): Delta p = sum u_k gs^k, Delta q = sum v_k gs^k (cells)
    D = DEG
    A = np.array([[c[0] ** k for k in range(1, D + 1)] for c in cases])
    fp = np.array([c[1] for c in cases])
    fq = np.array([c[2] for c in cases])

    rng = np.random.default_rng(1)

    def pick(i, pt, rand=False):
        al = cases[i][3]
        if rand:
            return box(al, sorted(al)[rng.integers(len(al))])
        tgt = (round(pt[0]), round(pt[1]))
        c = min(al, key=lambda a: (a[0] - pt[0]) ** 2 + (a[1] - pt[1]) ** 2)
        return box(al, c)

    boxes = [pick(i, (fp[i], fq[i])) for i in range(n)]
    u = np.zeros(2 * D)
    for it in range(int(__import__('os').environ.get('ITERS', '12'))):
        lo_p = np.array([b[0] - 0.5 for b in boxes]) - fp
        hi_p = np.array([b[1] + 0.5 for b in boxes]) - fp
        lo_q = np.array([b[2] - 0.5 for b in boxes]) - fq
        hi_q = np.array([b[3] + 0.5 for b in boxes]) - fq
        eps = 1e-6
        # variables: 6 coefficients, then n slacks s_i >= 0 (shared by the four bounds)
        from scipy.sparse import hstack, vstack, csr_matrix, identity
        Ap = csr_matrix(np.hstack([A, np.zeros((n, D))]))
        Aq = csr_matrix(np.hstack([np.zeros((n, D)), A]))
        I = identity(n, format="csr")
        Aub = vstack([hstack([Ap, -I]), hstack([-Ap, -I]), hstack([Aq, -I]), hstack([-Aq, -I])])
        bub = np.concatenate([hi_p - eps, -(lo_p + eps), hi_q - eps, -(lo_q + eps)])
        cost = np.concatenate([np.zeros(2 * D), np.ones(n)])
        bounds = [(None, None)] * (2 * D) + [(0, None)] * n
        if FIXQ3:
            bounds[2 * D - 1] = (0, 0)
        sol = linprog(cost, A_ub=Aub, b_ub=bub, bounds=bounds, method="highs")
        u = sol.x[:2 * D]
        s = sol.x[2 * D:]
        bad = np.nonzero(s > 1e-9)[0]
        print(f"iter {it}: total violation {sol.fun:.4g}, {len(bad)} cases violated, u {u}", flush=True)
        if len(bad) == 0:
            break
        dp = A @ u[:D]
        dq = A @ u[D:]
        for i in bad:
            boxes[i] = pick(i, (fp[i] + dp[i], fq[i] + dq[i]), rand=it >= RAND_AT)
    if len(bad):
        # cases no box choice satisfied: dropped (listed), the rest centred
        print("dropped (no consistent cell found):", [float(cases[i][0]) for i in bad], flush=True)
        keep = np.setdiff1d(np.arange(n), bad)
        A, fp, fq = A[keep], fp[keep], fq[keep]
        boxes = [boxes[i] for i in keep]
        n = len(keep)
        lo_p = np.array([b[0] - 0.5 for b in boxes]) - fp
        hi_p = np.array([b[1] + 0.5 for b in boxes]) - fp
        lo_q = np.array([b[2] - 0.5 for b in boxes]) - fq
        hi_q = np.array([b[3] + 0.5 for b in boxes]) - fq
        bad = []
    if len(bad) == 0:
        # centre: maximise t with every bound kept at distance t * |row| (Chebyshev centre)
        norms = np.linalg.norm(A, axis=1)
        M = np.vstack([np.hstack([A, np.zeros((n, D))]), -np.hstack([A, np.zeros((n, D))]),
                       np.hstack([np.zeros((n, D)), A]), -np.hstack([np.zeros((n, D)), A])])
        nn = np.concatenate([norms] * 4)
        b = np.concatenate([hi_p, -lo_p, hi_q, -lo_q])
        sol = linprog(np.concatenate([np.zeros(2 * D), [-1.0]]), A_ub=np.hstack([M, nn[:, None]]), b_ub=b,
                      bounds=[(None, None)] * (2 * D - 1) + [(0, 0) if FIXQ3 else (None, None), (0, 1)],
                      method="highs")
        if sol.status == 0:
            u = sol.x[:2 * D]
            print(f"centred: radius {sol.x[2 * D]:.4g}, u {u}", flush=True)
    # back to coefficients
    newP = [P[k] + Fr(u[k - 1]) * UP / G0**k for k in range(1, D + 1)]
    newQ = [Q[k] + Fr(u[k + D - 1]) * UQ / G0**k for k in range(1, D + 1)]
    with open(sys.argv[2], "w") as f:
        f.write("# f2xm1_joint.py output\n")
        f.write("P " + " ".join(f"{Decimal(v.numerator) / Decimal(v.denominator):.40g}" for v in newP) + "\n")
        f.write("Q " + " ".join(f"{Decimal(v.numerator) / Decimal(v.denominator):.40g}" for v in newQ) + "\n")
    print(open(sys.argv[2]).read())


if __name__ == "__main__":
    main()

"""F2XM1 study: coordinate search for a coefficient set used only at 2^-1 <= |x| < 1 (README,
"F2XM1: g = R68(x^2)"), on the exact miss count of f2xm1_eval (unfused steps, VARIANT=2).

Usage: python3 f2xm1_high_search.py START OUT raw-files...      (STEP=cells, QFREE=1, SEED=n)
  START  a line of f2xm1_eval input (six 68-bit coefficients as "hex exponent"), e.g. F2XM1_TOP
  OUT    gets the result in the same form
Needs ./f2xm1_eval in the current directory (gcc -O2 -o f2xm1_eval f2xm1_eval.c -lgmp -lm);
GR=68 in the environment for g = R68(x^2).
Moves P1, P2, P3 and Q1, Q2 (and Q3 with QFREE=1) in the basis "change of P(g) and Q(g) at
g = 0.3, 0.6, 1, in 68-bit cells of P (2^-67) and Q (2^-66)", along the axes and eight random
directions per round; keeps any move that lowers the number of cases whose RD, RU or RN result
differs and halves the step when none does (from STEP, default 0.05, down to 0.002).
"""
import os, sys, subprocess, random
import numpy as np
from fractions import Fraction as Fr

a = open(sys.argv[1]).read().split()
base = [(int(a[2 * k], 16), int(a[2 * k + 1])) for k in range(6)]
files = sys.argv[3:]
QFREE = os.environ.get("QFREE") == "1"
G = [0.3, 0.6, 1.0]
ND = 6 if QFREE else 5
env = dict(os.environ, VARIANT="2")
ev = subprocess.Popen(["./f2xm1_eval"] + files, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                      text=True, env=env)


def line(off):
    V = np.array([[g, g * g, g ** 3] for g in G])
    dp = np.linalg.solve(V, off[:3])
    if QFREE:
        dq = list(np.linalg.solve(V, off[3:6]))
    else:
        W = np.array([[g, g * g] for g in G[1:]])
        dq = list(np.linalg.solve(W, off[3:5])) + [0.0]
    out = []
    for k in range(6):
        m, e = base[k]
        d = (dp[k] if k < 3 else dq[k - 3])
        cell = Fr(2) ** (-67 if k < 3 else -66)
        out.append(f"{m + round(Fr(d) * cell / Fr(2) ** e):x} {e}")
    return " ".join(out)


def f(off):
    ev.stdin.write(line(off) + "\n")
    ev.stdin.flush()
    return int(ev.stdout.readline())


x = np.zeros(ND)
best = f(x)
print("start", best, flush=True)
step = float(os.environ.get("STEP", "0.05"))
rng = random.Random(int(os.environ.get("SEED", "1")))
while step > 0.002:
    improved = False
    dirs = list(np.eye(ND)) + [np.array([rng.gauss(0, 1) for _ in range(ND)]) for _ in range(8)]
    for d in dirs:
        for sg in (1, -1):
            y = x + sg * step * d
            v = f(y)
            if v < best:
                best, x, improved = v, y, True
                print(best, step, np.round(x, 4), flush=True)
                break
    if not improved:
        step /= 2
        print("step", step, flush=True)
print("final", best, np.round(x, 5))
print(line(x))
open(sys.argv[2], "w").write(line(x) + "\n")

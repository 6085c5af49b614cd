"""F2XM1 study: coordinate search in raw coefficient units on the exact miss count (README,
"F2XM1: one set (round 5)").

Usage: python3 f2xm1_cell_search.py START OUT RAW-FILES...
  START  a model line of f2xm1_eval (switches, then six "hex exponent" coefficients), e.g.
         "variant=2 gr=68 e87d... -73 ..."; OUT gets the best line found.
Needs ./f2xm1_eval (gcc -O2 -o f2xm1_eval tools/x87-transc/f2xm1_eval.c -lgmp -lm).
Moves P1, P2, P3, Q1, Q2 (Q3 stays 2^-20; QFREE=1 moves it too) by integer numbers of their own
68-bit cells: a move is kept when it lowers the number of fit cases whose RD, RU or RN result
differs; each coordinate's step starts at STEPS (comma-separated, in cells, P1..Q3) and halves
when neither direction helps, down to one cell. Pairs of coordinates are tried too (PAIRS=1).
RANDSEC=SECONDS instead: random moves of P1 ... Q2 together (each coordinate with probability 0.6,
uniform within +-STEPS), kept when they lower the count, for that long (this found the last
round-5 step, a joint P2 / P3 move that single and paired steps miss).
Prints every improvement. Needs Python 3 only.
"""
import os
import random
import subprocess
import sys
import time

line = open(sys.argv[1]).read().split()
sw = [t for t in line if "=" in t]
co = [t for t in line if "=" not in t]
coef = [[int(co[2 * k], 16), int(co[2 * k + 1])] for k in range(6)]
ev = subprocess.Popen(["./f2xm1_eval"] + sys.argv[3:], stdin=subprocess.PIPE,
                      stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)


def text(c):
    return " ".join(sw + [f"{m:x} {e}" for m, e in c])


def f(c):
    ev.stdin.write(text(c) + "\n")
    ev.stdin.flush()
    return int(ev.stdout.readline())


def moved(c, k, d):
    out = [list(v) for v in c]
    out[k][0] += d
    return out


steps = [int(s, 0) for s in os.environ.get("STEPS", "0x40,0x400,0x100000,0x40,0x20,0").split(",")]
if os.environ.get("QFREE") == "1" and steps[5] == 0:
    steps[5] = 0x1000
best = f(coef)
print("start", best, flush=True)
if os.environ.get("RANDSEC"):
    rng, t0 = random.Random(7), time.time()
    while time.time() - t0 < float(os.environ["RANDSEC"]):
        c = [list(v) for v in coef]
        for k in range(5):
            if rng.random() < 0.6:
                c[k][0] += rng.randint(-steps[k], steps[k])
        v = f(c)
        if v < best:
            best, coef = v, c
            print(best, text(c), flush=True)
    steps = [0] * 6
while any(s >= 1 for s in steps):
    improved = False
    for k in range(6):
        if steps[k] < 1:
            continue
        for d in (steps[k], -steps[k]):
            c = moved(coef, k, d)
            v = f(c)
            if v < best:
                best, coef, improved = v, c, True
                print(best, "coef", k, "by", hex(d), flush=True)
                break
    if os.environ.get("PAIRS") == "1" and not improved:
        for a in range(6):
            for b in range(a + 1, 6):
                if steps[a] < 1 or steps[b] < 1:
                    continue
                for da in (steps[a], -steps[a]):
                    for db in (steps[b], -steps[b]):
                        c = moved(moved(coef, a, da), b, db)
                        v = f(c)
                        if v < best:
                            best, coef, improved = v, c, True
                            print(best, "pair", a, b, flush=True)
    if not improved:
        steps = [s // 2 for s in steps]
        print("steps", [hex(s) for s in steps], flush=True)
print("final", best)
print(text(coef))
open(sys.argv[2], "w").write(text(coef) + "\n")

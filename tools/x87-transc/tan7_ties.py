"""FPTAN round 7: the host's tie rule at each Horner step, from tan6_eval.c
dumps (`tan6_eval dump MODEL in.txt out.txt`). A case is a tie test of a
step when the step's unrounded sum lies exactly on a midpoint (|offset| =
1/2) and taking the other cell there changes the result (flag "f" or "x").
The model rounds ties to even: the host agrees when the model matches and
the other cell breaks it ("x"), and took the odd cell when the model misses
and the other cell fixes it ("f").

Run: python3 tools/x87-transc/tan7_ties.py DUMP [DUMP ...]
"""
import sys

cnt = {}
for fn in sys.argv[1:]:
    rows = [l.split() for l in open(fn)]
    h, rows = rows[0], rows[1:]
    for st in ["p0", "p1", "p2", "p3", "q0", "q1", "q2", "q3"]:
        c = h.index(st)
        ev = od = 0
        for r in rows:
            o, f, ok = float(r[c]), r[c + 1], int(r[1])
            if abs(abs(o) - 0.5) < 1e-6 and f != "-":
                if ok and f == "x":
                    ev += 1
                elif not ok and f == "f":
                    od += 1
        e0, o0 = cnt.get(st, (0, 0))
        cnt[st] = (e0 + ev, o0 + od)
for st, (ev, od) in cnt.items():
    print(f"{st}: exact ties that decide the result: host even {ev}, host odd {od}")

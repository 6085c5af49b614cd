"""FPTAN round 6: the host's rounding threshold at one Horner step, from a
tan6_eval.c dump of cases aimed at that step. For every case where taking
the step's other cell changes the result, the host's result says on which
side of the midpoint its own unrounded sum lay, so s = host sum - model sum
(in cells of the step's rounding, positive toward larger magnitude) obeys
s > 1/2 - x (host took the larger cell) or s < 1/2 - x (smaller cell), x
the model's unrounded sum above the smaller cell. Prints per band of t the
tightest bounds and, for a constant s, how many cases contradict it.
Cases the step does not decide (flag "-") are skipped; ties count as
decided by s alone (a tie taken as the larger cell needs s >= 0).

Run: python3 tools/x87-transc/tan6_thresh.py DUMP STEP [NBINS]    (STEP q0..q3, p0..p3)
"""
import sys

rows = [l.split() for l in open(sys.argv[1])]
head, rows = rows[0], rows[1:]
col = head.index(sys.argv[2])
nb = int(sys.argv[3]) if len(sys.argv) > 3 else 8
data = []
for r in rows:
    t, ok, o, f = float(r[0]), int(r[1]), float(r[col]), r[col + 1]
    if f == "-":
        continue
    x = o if o >= 0 else 1 + o  # unrounded above the smaller-magnitude cell
    model_up = o < 0
    host_up = model_up if ok else not model_up
    if f == "x" and not ok:
        continue  # neither cell matches: something else differs
    data.append((t, x, host_up))
data.sort()
print(f"{len(data)} decided cases of {len(rows)}")
if not data:
    sys.exit()
per = max(1, len(data) // nb)
for i in range(0, len(data), per):
    ch = data[i : i + per]
    lo = max([0.5 - x for _, x, up in ch if up], default=-1)
    hi = min([0.5 - x for _, x, up in ch if not up], default=1)
    print(f"t {ch[0][0]:.4f} .. {ch[-1][0]:.4f}: s in ({lo:+.5f}, {hi:+.5f}){'  CONFLICT' if lo >= hi else ''}  n={len(ch)}")
for s in [k / 256 for k in range(-8, 17)]:
    bad = sum(1 for _, x, up in data if (x + s > 0.5) != up)
    print(f"s = {s:+.5f} ({s*128:+.1f}/128): {bad} contradict")

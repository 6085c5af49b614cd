"""FPTAN round 6: pattern search over the inner part of P or Q in node
coordinates. The free coefficients c_k (k in FREE, e.g. 2,3,4) move so that
the inner polynomial A2(g) = c2 + g c3 + g^2 c4 (the value whose product
with g enters the A1 step) moves by x_i units of 2^-80 at the nodes g_i;
coefficients keep 24 bits below their 68-bit cell (so moves may be
fractions of a cell). The cost is tan6_eval.c's miss count over all files.

Run: python3 tools/x87-transc/tan6_node.py BASE.txt P|Q 2,3,4 0.2,0.4,0.6 STEP EVALS in,out ... > new.txt
  (BASE.txt: a tan6_eval model line; EVAL env: path of tan6_eval, default /tmp/tan6_eval;
  R68=1: every moved coefficient rounded to 68 bits, i.e. a search over whole cells)
"""
import os, subprocess, sys, tempfile
from fractions import Fraction as F
import numpy as np

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from tan_lib import round_sig  # noqa: E402
from node_search import pattern_search  # noqa: E402

EVAL = os.environ.get("EVAL", "/tmp/tan6_eval")


def parse(fn):
    tok = open(fn).read().split()
    sw = [t for t in tok if "=" in t]
    nums = [int(t) for t in tok if "=" not in t]
    cs = [(nums[i], nums[i + 1]) for i in range(0, 20, 2)]
    return sw, cs


def line(sw, cs):
    return " ".join(sw + [f"{m} {e}" for m, e in cs])


def main():
    base, poly = sys.argv[1], sys.argv[2]
    free = [int(v) for v in sys.argv[3].split(",")]
    nodes = [float(v) for v in sys.argv[4].split(",")]
    step0, evals = float(sys.argv[5]), int(sys.argv[6])
    files = []
    for p in sys.argv[7:]:
        files += p.split(",")
    sw, cs0 = parse(base)
    off = 0 if poly == "P" else 5
    # A2 = c2 + g c3 + g^2 c4: coefficient k enters with g^(k-2)
    minv = np.linalg.inv(np.array([[g ** (k - 2) for k in free] for g in nodes]))
    tmp = tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False)

    def mk(x):
        cs = list(cs0)
        for k, u in zip(free, minv @ np.array(x)):
            m, e = cs[off + k]
            cb = e + abs(m).bit_length() - 68  # 68-bit cell exponent
            sh = e - (cb - 24)
            v = F(m) * F(2) ** sh + F(float(u)) * F(2) ** (-80 - (cb - 24))
            cs[off + k] = (round(v), cb - 24)
            if os.environ.get("R68"):
                cs[off + k] = round_sig(*cs[off + k], 68)
        return cs

    def cost(x):
        with open(tmp.name, "w") as f:
            f.write(line(sw, mk(x)) + "\n")
        out = subprocess.run([EVAL, "check", files[0], files[1], tmp.name], capture_output=True, text=True, check=True).stdout
        tot = int(out.split("total")[-1])
        for i in range(2, len(files), 2):
            out = subprocess.run([EVAL, "check", files[i], files[i + 1], tmp.name], capture_output=True, text=True, check=True).stdout
            tot += int(out.split("total")[-1])
        return tot

    best = cost([0.0] * len(free))
    print("start", best, file=sys.stderr, flush=True)
    x, best = pattern_search(cost, len(free), step0, evals, 1e-3, best=best)
    print(line(sw, mk(x)))
    os.unlink(tmp.name)


if __name__ == "__main__":
    main()

"""FSIN / FCOS round 7: exact search over whole 68-bit cells of chosen coefficients (after
sincos7_apply.py rounded an LP solution to cells): coordinate moves of +-step cells (step
doubling on success, halving on failure), cost = the lines sincos7_eval.c `check` misses for
that polynomial over all the probe files.

Run: python3 tools/x87-transc/sincos7_cells.py COEF sin|cos 2,3,4 EVALS in1,out1 [in2,out2 ...] > new.txt
  env EVAL (default /tmp/sincos7_eval), STEP (first step in cells, default 4)
"""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sincos6_lib as L  # noqa: E402

EVAL = os.environ.get("EVAL", "/tmp/sincos7_eval")


def main():
    s0, c0 = L.read_coef(sys.argv[1])
    kind = sys.argv[2]
    free = [int(v) for v in sys.argv[3].split(",")]
    evals = int(sys.argv[4])
    files = [f.split(",") for f in sys.argv[5:]]
    base = list(s0 if kind == "sin" else c0)
    tmp = tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False).name

    def mk(x):
        cs = list(base)
        for k, d in zip(free, x):
            cs[k] = (cs[k][0] + d, cs[k][1])
        return cs

    def cost(x):
        cs = mk(x)
        open(tmp, "w").write(L.write_coef(cs, c0) if kind == "sin" else L.write_coef(s0, cs))
        tot = 0
        for fi, fo in files:
            out = subprocess.run([EVAL, "check", fi, fo, tmp], capture_output=True, text=True, check=True).stdout
            tot += int(out.split(kind + " ")[-1].split()[0])
        return tot

    x = [0] * len(free)
    best = cost(x)
    print("start", best, file=sys.stderr, flush=True)
    step = [int(os.environ.get("STEP", "4"))] * len(free)
    n = 0
    while n < evals and max(step) >= 1:
        for j in range(len(free)):
            if step[j] < 1:
                continue
            for sg in (1, -1):
                y = list(x)
                y[j] += sg * step[j]
                c = cost(y)
                n += 1
                if c < best:
                    best, x = c, y
                    step[j] *= 2
                    break
            else:
                step[j] //= 2
        print("evals", n, "misses", best, "moves", x, "steps", step, file=sys.stderr, flush=True)
    cs = mk(x)
    print("# sincos7_cells.py", kind, sys.argv[1], "free", free, "moves", x, "misses", best)
    print(L.write_coef(cs, c0) if kind == "sin" else L.write_coef(s0, cs), end="")
    os.unlink(tmp)


if __name__ == "__main__":
    main()

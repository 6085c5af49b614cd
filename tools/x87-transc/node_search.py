"""The pattern search shared by the node-coordinate fits (tan5_node.py,
tan6_node.py, sincos6_node.py): start at x = 0 in `n` coordinates; try a
step up and down in each coordinate in turn, keep the first that lowers the
cost and double that coordinate's step, else halve it; stop after `evals`
cost evaluations or when every step is below `min_step`. Progress on stderr.
"""
import sys


def pattern_search(cost, n, step0, evals, min_step, digits=4, best=None):
    """Minimize `cost` (a function of a list of n floats) from 0; returns (x, cost(x))."""
    x = [0.0] * n
    if best is None:
        best = cost(x)
    step = [step0] * n
    k = 0
    while k < evals and max(step) > min_step:
        for j in range(n):
            for s in (1, -1):
                y = list(x)
                y[j] += s * step[j]
                c = cost(y)
                k += 1
                if c < best:
                    best, x = c, y
                    step[j] *= 2
                    break
            else:
                step[j] /= 2
        print("evals", k, "cost", best, "x", [round(v, digits) for v in x], file=sys.stderr, flush=True)
    return x, best

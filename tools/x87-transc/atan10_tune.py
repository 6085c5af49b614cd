"""FPATAN round 10: the last refinement of the tiny-ratio model's constants, scored by the engine.

The model of `cpu/fpu/transc_amd_atan.ts` below 2^-ATAN_Q_LIMIT_LOG2 (`atanTinyD`) is exact on
the aimed probe sets below 2^-12; above, its misses depend on sigma and kappa (fixed by the
low-band scales S_Q, S_P of Q's and P's last sums, atan10_qscan.py's `hsk`) and on lambda to
1e-17 / 1e-12 precision, finer than atan10_qscan.py's float phases resolve with N modelled. This
tool scores a grid of (S_Q, S_P, lambda) directly: for each point it writes ATAN_FS (sigma
10^18), ATAN_FK (kappa 10^22) and ATAN_FL (lambda times 10^14, the module's `ld`)
into the module, with the limit raised to 2^-6 so that every set runs through `atanTinyD`, runs
`probecheck.ts` on each set and prints the differing lines; the module is restored at the end
(also on an error or Ctrl-C). Do not run two of these, or anything else that loads the module,
at the same time.

Run (from the repository root): python3 tools/x87-transc/atan10_tune.py SQ SP STEP N LAMBDAS set...
  SQ, SP: base scales (decimals); STEP, N: S_Q and S_P each over base + k STEP, k in -N..N;
  LAMBDAS: comma-separated integers for ATAN_FL (lambda times 10^ld, ld as in the module);
  set: a path prefix with .in / .out probe files (e.g. /tmp/fp10/q10).
  e.g. atan10_tune.py 1.47378308201273667 1.47378305313144622 1e-17 1 15703300 /tmp/fp10/q9 /tmp/fp10/q10
"""
import os
import re
import subprocess
import sys
from fractions import Fraction as F

sys.path.insert(0, __file__.rsplit("/", 1)[0])
import atan10_qscan as Q  # noqa: E402

MOD = "cpu/fpu/transc_amd_atan.ts"


def score(sets):
    out = []
    for s in sets:
        lines = [f"{a.rstrip()} => {b.rstrip()}\n" for a, b in zip(open(s + ".in"), open(s + ".out"))]
        r = subprocess.run(["deno", "run", "-A", "tools/x87-transc/probecheck.ts"],
                           input="".join(lines), capture_output=True, text=True).stdout
        last = r.strip().splitlines()[-1].split()
        out.append(f"{os.path.basename(s)}:{last[3]}")
    return " ".join(out)


def main():
    sq0, sp0, step, n = F(sys.argv[1]), F(sys.argv[2]), F(sys.argv[3]), int(sys.argv[4])
    lams = [int(v) for v in sys.argv[5].split(",")]
    sets = sys.argv[6:]
    orig = open(MOD).read()
    try:
        for lam in lams:
            for i in range(-n, n + 1):
                for j in range(-n, n + 1):
                    sg, kp = Q.hsk(sq0 + i * step, sp0 + j * step)
                    fs, fk = round(sg * 10 ** 18), round(kp * 10 ** 22)
                    src = re.sub(r"const ATAN_FS = -?\d+n, ATAN_FK = -?\d+n, ATAN_FL = -?\d+n;",
                                 f"const ATAN_FS = {fs}n, ATAN_FK = {fk}n, ATAN_FL = {lam}n;", orig)
                    src = re.sub(r"export const ATAN_Q_LIMIT_LOG2 = \d+;",
                                 "export const ATAN_Q_LIMIT_LOG2 = 6;", src)
                    open(MOD, "w").write(src)
                    print(f"lambda {lam} dSQ {i} dSP {j} (sigma {fs}, kappa {fk}): {score(sets)}",
                          flush=True)
    finally:
        open(MOD, "w").write(orig)


if __name__ == "__main__":
    main()

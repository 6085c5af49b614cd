"""FPTAN of large operands: random x with exponents 0 ... 62 (so x is reduced,
x = n pi66/2 + t with pi66 = pi truncated to 66 bits), to check that the
reduction and the odd-n form -Q / (t P) of cpu/fpu/transc.ts hold across
the whole reduced range. `--gen` prints probe.c input lines; `--bands`
reads probecheck.ts's list of differing cases and counts them per band of
the reduced |t| (and n's parity), next to the number of cases per band.

Run:
  python3 tools/x87-transc/tan_large.py --gen N SEED > in.txt
  /tmp/x87probe < in.txt > out.txt
  paste -d'>' in.txt out.txt | sed 's/>/ => /' | deno run -A tools/x87-transc/probecheck.ts > chk.txt
  python3 tools/x87-transc/tan_large.py --bands in.txt chk.txt
"""
import sys, math, random

PI66 = (0xC90FDAA22168C234 << 2) | 3  # pi66 * 2^64
FCWS = [0x37F, 0x77F, 0xB7F, 0xF7F]


def reduce(se, m):
    """(n, log2 |t|) for x = m 2^(e - 63)."""
    e = (se & 0x7FFF) - 16383
    if e < -2:
        return 0, math.log2(m) + e - 63
    xm = m << (e + 2)  # x * 2^65
    n = (xm + (PI66 >> 1)) // PI66
    T = xm - n * PI66
    return n, (math.log2(abs(T)) - 65) if T else -999


def band(lt):
    return max(-8, math.floor(lt * 2) / 2)


if __name__ == "__main__":
    if sys.argv[1] == "--gen":
        n, rng = int(sys.argv[2]), random.Random(int(sys.argv[3], 0))
        for _ in range(n):
            e = rng.randrange(0, 63)
            m = rng.getrandbits(63) | (1 << 63)
            s = rng.getrandbits(1)
            print(f"fptan {rng.choice(FCWS):x} {(e + 16383) | (s << 15):04x}{m:016x}")
    else:
        cnt = {}
        for line in open(sys.argv[2]):
            x = line.split()[2]
            n, lt = reduce(int(x[:4], 16), int(x[4:20], 16))
            k = (band(lt), n & 1)
            cnt[k] = cnt.get(k, 0) + 1
        diff = {}
        for line in open(sys.argv[3]):
            if "engine" not in line:
                continue
            x = line.split()[2]
            n, lt = reduce(int(x[:4], 16), int(x[4:20], 16))
            k = (band(lt), n & 1)
            diff[k] = diff.get(k, 0) + 1
        for k in sorted(cnt):
            print(f"log2|t| {k[0]:5} n {'odd ' if k[1] else 'even'}: {diff.get(k, 0)} of {cnt[k]} differ")

import sys, math
rows = [l.split() for l in open(sys.argv[1])]
p = float(sys.argv[2]) if len(sys.argv) > 2 else 3
bins = {}
for r in rows:
    t = abs(float(r[2])); lo = float(r[3]); hi = float(r[4])
    if t == 0 or r[1] != "0": continue
    u = 2.0 ** (math.floor(math.log2(abs(math.sin(t)))) - 63)
    sc = u / t ** p * 2 ** 64
    k = math.floor(math.log2(t) * 4)
    b = bins.setdefault(k, [-1e9, 1e9, 0])
    b[0] = max(b[0], lo * sc); b[1] = min(b[1], hi * sc); b[2] += 1
for k in sorted(bins):
    b = bins[k]; print("t~2^%.2f n=%d  D in [%.5f, %.5f]" % (k / 4, b[2], b[0], b[1]))

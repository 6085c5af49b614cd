"""Split a pair of FPTAN probe transcripts (tan_near.c inputs, probe.c
outputs; |x| < pi/4 so t = x) at |t| = 2^-0.5, for band searches with
tan_search.py (README, "FPTAN: re-searched top bands").

Run: python3 tools/x87-transc/tan_split.py in.txt out.txt PREFIX
  writes PREFIX_lo_in.txt / PREFIX_lo_out.txt (|t| < 2^-0.5) and
  PREFIX_hi_in.txt / PREFIX_hi_out.txt (|t| >= 2^-0.5).
"""
import sys
i, o, pre = sys.argv[1:4]
lo_i, lo_o, hi_i, hi_o = (open(f"{pre}_{a}.txt", "w") for a in ("lo_in", "lo_out", "hi_in", "hi_out"))
for a, b in zip(open(i), open(o)):
    x = a.split()[2]
    e = int(x[:4], 16) & 0x7fff
    m = int(x[4:], 16)
    top = e == 0x3ffe and m >= 0xb504f333f9de6484
    (hi_i if top else lo_i).write(a); (hi_o if top else lo_o).write(b)

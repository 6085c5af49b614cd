"""FSIN / FCOS round 9: move coefficients of a sincos6-format file by cells that may be
fractional (1/256 cell resolution; the moved coefficient is written with 8 more bits, which
sincos7_eval uses exactly). Whole cells give the same values as sincos8_move.py. "V" switch lines
of the source are dropped (sincos9_scan.sh adds its own).

Run: python3 tools/x87-transc/sincos9_move.py COEF sin|cos J:F [J:F ...] > new.txt
     (coefficient J of S (sin) or C (cos), constant term J = 0, moved by F cells of its 68-bit
     significand in value)
"""
import sys


def main():
    src, kind = sys.argv[1], sys.argv[2]
    moves = [(int(a.split(":")[0]), float(a.split(":")[1])) for a in sys.argv[3:]]
    tag = "S " if kind == "sin" else "C "
    print("# sincos9_move.py", " ".join(sys.argv[1:]))
    for line in open(src):
        if line.startswith("V "):
            continue
        if line.startswith(tag):
            p = line.split()
            for j, f in moves:
                m, e = p[1 + j].split(",")
                m, e = int(m, 0), int(e)
                if abs(m).bit_length() != 68:
                    sys.exit("coefficient %d is not a 68-bit significand" % j)
                p[1 + j] = "%d,%d" % (m * 256 + round(f * 256), e - 8)
            line = " ".join(p) + "\n"
        sys.stdout.write(line)


if __name__ == "__main__":
    main()

"""FSIN / FCOS round 8: move coefficients of a sincos6-format file by whole 68-bit cells (the
candidates of README "FSIN, FCOS: A3's level (round 8)": c3 + K cells, then bounds and LPs).

Run: python3 tools/x87-transc/sincos8_move.py COEF sin|cos J:K [J:K ...] > new.txt
     (coefficient J of S (sin) or C (cos), constant term J = 0, moved by K cells in value;
     every coefficient of the committed sets has a 68-bit significand, so one cell is one unit of
     the written significand)
"""
import sys


def main():
    src, kind = sys.argv[1], sys.argv[2]
    moves = [tuple(int(v) for v in a.split(":")) for a in sys.argv[3:]]
    tag = "S " if kind == "sin" else "C "
    print("# sincos8_move.py", " ".join(sys.argv[1:]))
    for line in open(src):
        if line.startswith(tag):
            p = line.split()
            for j, k in moves:
                m, e = p[1 + j].split(",")
                if abs(int(m)).bit_length() != 68:
                    sys.exit("coefficient %d is not a 68-bit significand" % j)
                p[1 + j] = "%d,%s" % (int(m) + k, e)
            line = " ".join(p) + "\n"
        sys.stdout.write(line)


if __name__ == "__main__":
    main()

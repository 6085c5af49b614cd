"""F2XM1 study, shared helpers (tools/x87-transc/README.md, section "F2XM1 model").

Exact binary floats (M, E) = M * 2^E on Python ints, the microcode model
(g = x^2; P, Q by Horner with 68-bit nearest-even steps; N = R68(x P);
D = R68(Q - N/2); result N / D rounded once) and the reader of
`f2xm1_tiny raw` output (x, then RD, RU, RN results).
Needs Python 3 only.
"""
def norm(M,E): return (M,E)
def r(M,E,bits=68):
    """round to nearest even at `bits` significant bits"""
    if M==0: return (0,0)
    s=M<0; a=-M if s else M
    d=a.bit_length()-bits
    if d>0:
        q=a>>d; rem=a-(q<<d); h=1<<(d-1)
        if rem>h or (rem==h and q&1): q+=1
        a=q; E+=d
    return (-a if s else a, E)
def mul(a,b): return (a[0]*b[0], a[1]+b[1])
def add(a,b):
    if a[0]==0: return b
    if b[0]==0: return a
    if a[1]<b[1]: a,b=b,a
    return (a[0]*(1<<(a[1]-b[1]))+b[0], b[1])
def fromfrac(v):  # dyadic Fraction -> (M,E)
    d=v.denominator; e=d.bit_length()-1
    assert d==1<<e
    return (v.numerator,-e)
def div_round64(n,d,mode):
    """n/d (M,E) pairs -> 64-bit rounded value as (M,E); mode d/u/n"""
    N,EN=n; D,ED=d
    neg=(N<0)!=(D<0); N=abs(N); D=abs(D)
    # want q with 64 bits: q = floor(N*2^s/D)
    s=64+D.bit_length()-N.bit_length()+1
    if s>=0: num=N<<s; den=D
    else: num=N; den=D<<(-s)
    q,rem=divmod(num,den)
    while q.bit_length()>64:
        # drop one bit
        rem=rem+(q&1)*den; q>>=1; den*=2; s-=1
    # value = q + rem/den, times 2^(EN-ED-s)
    E=EN-ED-s
    if rem:
        if mode=='n':
            if 2*rem>den or (2*rem==den and q&1): q+=1
        elif (mode=='u' and not neg) or (mode=='d' and neg): q+=1
    elif False: pass
    if q.bit_length()>64: q>>=1; E+=1
    return (-q if neg else q, E)
def same(a,b):
    # compare (M,E) values
    if a[0]==0 or b[0]==0: return a[0]==b[0]
    if a[1]<b[1]: a,b=b,a
    return a[0]*(1<<(a[1]-b[1]))==b[0]
class Model:
    def __init__(self,P,Q,x2=None):
        """P, Q: lists of (M,E) coefficients, index = power of g (P[0] = K, Q[0] = Q0)"""
        self.P=P; self.Q=Q
    def horner(self,C,g):
        acc=C[-1]
        for c in reversed(C[:-1]):
            acc=r(*add(mul(acc,g),c))
        return acc
    def nd(self,x):
        g=mul(x,x)
        P=self.horner(self.P,g); Q=self.horner(self.Q,g)
        N=r(*mul(x,P)); D=r(*add(Q,(-N[0],N[1]-1)))
        return N,D
    def check(self,x,res):
        N,D=self.nd(x)
        for mode,rv in zip('dun',res):
            if not same(div_round64(N,D,mode),rv): return 1
        return 0
def loadraw(fn):
    out=[]
    for l in open(fn):
        a=l.split()
        def v(se,sig):
            se=int(se,16); M=int(sig,16)
            return ((-M if se>>15 else M), (se&0x7fff)-16383-63)
        out.append((v(a[0],a[1]),[v(a[2],a[3]),v(a[4],a[5]),v(a[6],a[7])]))
    return out
K=(272006448751145499096,-67); Q0=(196211177351547792685,-66)


def c68(v):
    """A coefficient (a decimal string or Fraction) rounded to nearest at 68 bits, as (M, E)."""
    from fractions import Fraction
    from decimal import Decimal
    f = Fraction(Decimal(v)) if isinstance(v, str) else Fraction(v)
    e = f.numerator.bit_length() - f.denominator.bit_length()
    if Fraction(2) ** e > f:
        e -= 1
    t = f * Fraction(2) ** (67 - e)
    q = t.numerator // t.denominator
    if t - q > Fraction(1, 2) or (t - q == Fraction(1, 2) and q & 1):
        q += 1
    return (q, e - 67)


def read_coefs(fn):
    """Coefficient file: lines 'P c1 c2 c3' and 'Q c1 c2 c3' (decimals; c0 are K and Q0)."""
    co = {}
    for line in open(fn):
        a = line.split()
        if a and a[0] in ("P", "Q"):
            co[a[0]] = a[1:]
    return co


def model_from(fn):
    co = read_coefs(fn)
    return Model([K] + [c68(v) for v in co["P"]], [Q0] + [c68(v) for v in co["Q"]])


if __name__ == "__main__":
    # python3 f2xm1_model.py COEFS raw-files...: mismatches of the model per file
    import sys
    m = model_from(sys.argv[1])
    for fn in sys.argv[2:]:
        d = loadraw(fn)
        print(fn, len(d), "cases,", sum(m.check(x, r) for x, r in d), "differ")

"""Scan of a common scale s (P and Q times s) for the small-ratio scatter (atan5_tiny.py cases):
features g = R68(r^2), t = R68(r g) plus, by MODE letters, P (R68(s P)), Q (R68(s Q)), N
(R68(t s P)), R (R68(1 / (s Q))), M (R68(s P R68(1 / (s Q)))); prints the best s (in [1, 2), N
steps) and offsets by violations.

Run: python3 tools/x87-transc/atan5_sscan.py t.in t.out MODE N
"""
import sys
sys.path.insert(0, __file__.rsplit('/', 1)[0])
from fractions import Fraction as F
import atan5_tiny as T
import atan5_model as M
import mpmath as mp
coef=T.load_coef(__file__.rsplit('/', 1)[0] + '/atan5_r77.txt')
rows=T.check(sys.argv[1],sys.argv[2],coef)
def rel(x):
    ax=abs(x); return float((M.R68(ax)-ax)/ax)
def relint(X):
    sh=X.bit_length()-68
    q=X>>sh; rem=X-(q<<sh); h=1<<(sh-1)
    if rem>h or (rem==h and q&1): q+=1
    return ((q<<sh)-X)/X
data=[]
for Y,s,pd,kind in rows:
    r=F(Y,1<<(64+s))
    g=r*r; gr=M.R68(g); tr=M.R68(r*gr)
    gg=mp.mpf(gr.numerator)/gr.denominator
    P=-mp.polyval(coef[0][::-1],gg); Q=mp.polyval(coef[1][::-1],gg)
    Pi=int(mp.floor(mp.ldexp(P,240))); Qi=int(mp.floor(mp.ldexp(Q,240)))
    TPi=tr.numerator*Pi  # t*P scaled by 2^240*den: relative error independent of den (power of 2)
    d=-(r**3)/3
    ude=(-d).numerator.bit_length()-(-d).denominator.bit_length()
    if F(2)**ude > -d: ude-=1
    scale=float(-d/F(2)**(ude-67))
    data.append((pd,kind,scale,rel(g)+rel(r*gr),Pi,Qi,TPi))
def viol(c,feat):
    bad=0
    for (pd,kind,*_),e0 in zip(data,feat):
        e=c+e0
        if kind=='eq': ok=abs(e-pd)<=0.5
        elif kind=='lt': ok=e<pd-0.5
        elif kind=='gt': ok=e>pd+0.5
        else: ok=False
        bad+=not ok
    return bad
mode=sys.argv[3]; N=int(sys.argv[4])
res=[]
for j in range(N):
    Sint=N+j
    feat=[]
    for pd,kind,scale,fgt,Pi,Qi,TPi in data:
        e=fgt
        if 'P' in mode: e+=relint(Sint*Pi)
        if 'Q' in mode: e-=relint(Sint*Qi)
        if 'N' in mode: e+=relint(Sint*TPi)
        if 'R' in mode or 'M' in mode:
            # rec = R68(1/(s Q)) as a fraction, then quo = R68(s P rec)
            Xq=Sint*Qi  # s Q scaled by 2^240 * N
            one=1<<(2*Xq.bit_length()+10)
            rq=one//Xq
            er=relint(rq)  # relative error of the rounded reciprocal (truncation of one//Xq negligible)
            if 'R' in mode: e-=er
            if 'M' in mode:
                sh=rq.bit_length()-68
                rr=((rq>>sh)+((rq>>(sh-1))&1))<<sh
                e+=relint(Sint*Pi*rr)
        feat.append(-scale*e)
    best=min((viol(c/16,feat),c/16) for c in range(-20,8))
    res.append((best[0],Sint/N,best[1]))
res.sort()
print(mode,res[:6],'worst',res[-1])

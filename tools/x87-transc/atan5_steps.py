"""Which 68-bit steps explain the scatter of the host's d at small ratios (atan5_tiny.py cases):
per case the relative rounding errors of candidate steps (g = R68(r r), t = R68(r g), the
quotient P/Q, r quo, g quo), converted to units of d; a model is an offset plus a sum of some of
them; prints the violations of the best offset for each combination.

Run: python3 tools/x87-transc/atan5_steps.py t.in t.out
"""
import sys
sys.path.insert(0, __file__.rsplit('/', 1)[0])
from fractions import Fraction as F
import atan5_tiny as T
import atan5_model as M
import mpmath as mp
import itertools
coef=T.load_coef(__file__.rsplit('/', 1)[0] + '/atan5_r77.txt')
rows=T.check(sys.argv[1],sys.argv[2],coef)
def rel(x):  # relative rounding error of Fraction x (nonzero) at 68 bits
    ax=abs(x); return float((M.R68(ax)-ax)/ax)
data=[]
for Y,s,pd,kind in rows:
    r=F(Y,1<<(64+s))
    g=r*r; gr=M.R68(g)
    gg=mp.mpf(gr.numerator)/gr.denominator
    quo=mp.polyval(coef[0][::-1],gg)/mp.polyval(coef[1][::-1],gg)
    qf=F(int(mp.floor(mp.ldexp(quo,220))),1<<220)
    d=-(r**3)/3
    ude=(-d).numerator.bit_length()-(-d).denominator.bit_length()
    if F(2)**ude > -d: ude-=1
    scale=float(-d/F(2)**(ude-67))
    f={}
    f['g']=rel(g)            # g = R68(r r)
    f['rg']=rel(r*gr)        # t = R68(r g)
    f['q']=rel(qf)           # quo rounded
    f['rq']=rel(r*qf)        # R68(r quo)
    f['gq']=rel(gr*qf)       # R68(g quo)
    f['r2']=rel(gr*gr)       # g^2?
    data.append((pd,kind,scale,f))
def viol(c,names):
    bad=0
    for pd,kind,scale,f in data:
        e=c-scale*sum(f[n] for n in names)
        if kind=='eq': ok=abs(e-pd)<=0.5
        elif kind=='lt': ok=e<pd-0.5
        elif kind=='gt': ok=e>pd+0.5
        else: ok=False
        bad+=not ok
    return bad
cands=[[],['g'],['g','rg'],['g','q'],['g','rg','q'],['g','rq'],['g','gq'],['g','rq','q'],['g','gq','q'],['rq'],['gq'],['g','rg','rq'],['rg'],['q']]
for names in cands:
    best=min((viol(c/16,names),c/16) for c in range(-20,8))
    print(names,best)

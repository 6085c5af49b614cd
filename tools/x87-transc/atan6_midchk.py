"""FPATAN round 6: do the misses of the g, t = R68 model gather where g's or t's unrounded value
is near a 68-bit midpoint? Per tenth of the distance to the midpoint: misses / cases (best offset
per window; small-ratio cases, atan6_fit.py's loader, COEF atan6_gt.txt).

Run: python3 tools/x87-transc/atan6_midchk.py in,out [in,out ...]
"""
import sys, collections
sys.path.insert(0, __file__.rsplit("/", 1)[0])
from fractions import Fraction as F
import numpy as np
import atan6_fit as A
from atan6_rsteps import rexp
P,Q=A.read_coef(__file__.rsplit("/", 1)[0] + "/atan6_gt.txt")
def frac68(v):
    e=rexp(v); u=F(2)**(e-67); q=v/u; return float(q-(q.numerator//q.denominator))
per=collections.OrderedDict()
for c in A.load(sys.argv[1:]): per.setdefault(round(float(c[0]),3),[]).append(c)
offs=np.arange(-3,2,0.05)
hit=collections.Counter(); tot=collections.Counter()
for win in per.values():
    xs=[];fg=[];ft=[];ks=[]
    for r,m,ude,k in win:
        g=A.R(r*r); t=A.R(r*g)
        X=t*A.horner_x(P,g)/A.horner_x(Q,g)
        xs.append(float((X-m)/F(2)**ude)); ks.append(k)
        fg.append(frac68(r*r)); ft.append(frac68(r*g))
    xs=np.array(xs)
    best=min(offs,key=lambda c: sum(not A.ok(x+c,k) for x,k in zip(xs,ks)))
    for x,k,a,b in zip(xs,ks,fg,ft):
        bad=not A.ok(x+best,k)
        for name,f in (("g",a),("t",b)):
            key=(name,int(abs(f-0.5)*10))
            tot[key]+=1; hit[key]+=bad
for name in "gt":
    print(name," ".join(f"{hit[(name,i)]}/{tot[(name,i)]}" for i in range(6)))

"""FPATAN round 6: weights of g's and t's rounding errors (small-ratio cases, atan6_fit.py's
loader): the exact r^3 P / Q (COEF atan6_gt.txt) plus w_g and w_t times the errors of g = R68(r r)
and t = R68(r g), in units of d; misses at the best offset per window for w in 0 .. 3.

Run: python3 tools/x87-transc/atan6_wscan.py in,out [in,out ...]   (from tools/x87-transc)
"""
import sys, collections
sys.path.insert(0, __file__.rsplit("/", 1)[0])
from fractions import Fraction as F
import numpy as np
import atan6_fit as A
P,Q=A.read_coef(__file__.rsplit("/", 1)[0] + "/atan6_gt.txt")
per=collections.OrderedDict()
for c in A.load(sys.argv[1:]): per.setdefault(round(float(c[0]),3),[]).append(c)
pre=[]
for win in per.values():
    x0=[];eg=[];et=[];ks=[]
    for r,m,ude,k in win:
        g=r*r; gr=A.R(g); t=r*gr; tr=A.R(t)
        X=r*g*A.horner_x(P,g)/A.horner_x(Q,g)
        ud=F(2)**ude
        x0.append(float((X-m)/ud)); sc=float(abs(X)/ud)
        eg.append(-sc*float((gr-g)/g)); et.append(-sc*float((tr-t)/t)); ks.append({"lt":0,"eq":1,"gt":2}[k])
    pre.append(tuple(map(np.array,(x0,eg,et,ks))))
offs=np.arange(-3,2,0.05)
def cnt(wg,wt):
    tot=0
    for x0,eg,et,ks in pre:
        x=x0+wg*eg+wt*et
        X=x[None,:]+offs[:,None]
        bad=np.where(ks==0,X>=-0.5,np.where(ks==2,X<=0.5,np.abs(X)>0.5)).sum(1)
        tot+=bad.min()
    return tot
ws=[0,0.5,1,1.5,2,3]
print("wg\\wt "+" ".join(f"{w:5}" for w in ws))
for wg in ws: print(f"{wg:5} "+" ".join(f"{cnt(wg,wt):5d}" for wt in ws))

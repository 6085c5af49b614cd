"""Counts the cases whose last Horner step of P or D lies exactly on a midpoint
(a tie of the unfused model), how many of them the tie decides and how many
round-half-even reproduces (cases with |t| < 2^-6, the model of
cpu/fpu/transc_amd.ts: g rounded, unfused steps).

Run: python3 tools/x87-transc/tan_ties.py COEF.txt in.txt,out.txt ...
"""
import sys, json, math
from fractions import Fraction as F
sys.path.insert(0, __file__.rsplit("/", 1)[0])
from tan_lib import *
from tan_fit import load
from tan_target import rounded
L=open(sys.argv[1]).read().split("\n"); P=[tuple(c) for c in json.loads(L[0])]; Q=[tuple(c) for c in json.loads(L[1])]
fr=lambda v: F(v[0])*F(2)**v[1]
def steps(cs,g,flip):
    acc=cs[-1]
    for c in reversed(cs[1:-1]):
        acc=round_sig(*add(round_sig(*mul(acc,g)),c))
    s=add(round_sig(*mul(acc,g)),cs[0])
    r=round_sig(*s)
    u=fr(s)/F(2)**-67; tie = (u-math.floor(u))==F(1,2)
    if tie and flip:
        # the other neighbour
        lo=math.floor(u); other = lo if fr(r)/F(2)**-67 > u else lo+1
        r=(other,-67)
    return r, tie
tot=ties=dec=ok=0
for fn in sys.argv[2:]:
  for fcw,t,rec,fsw in load([fn]):
    ta=(abs(t[0]),t[1])
    if math.log2(ta[0])+ta[1] >= -6: continue
    tot+=1
    g=round_sig(*mul(ta,ta))
    res=[]
    for flip in (False,True):
        p,tp=steps(P,g,flip); d,td=steps(Q,g,flip)
        n=round_sig(*mul(ta,p))
        rc=(fcw>>10)&3
        if t[0]<0 and rc in (1,2): rc=3-rc
        m,e=rounded(n,d,rc)
        if t[0]<0: m=-m
        res.append((m,e))
    if not (tp or td): continue
    ties+=1
    if res[0]!=res[1]:
        dec+=1
        r0=res[0]; 
        same=lambda a,b: a[0]*2**max(0,a[1]-b[1])==b[0]*2**max(0,b[1]-a[1])
        if same(r0,rec): ok+=1
print("cases",tot,"with a tie",ties,"tie decides the result",dec,"of which round-half-even matches",ok)

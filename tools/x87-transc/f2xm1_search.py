"""F2XM1 study: coordinate search on the exact miss count of the model (README, "F2XM1 over the
whole domain"), the last step of the second coefficient set.

Usage: python3 f2xm1_search.py COEFS OUT raw-files...      (STEP=cells, GS="g1 g2 g3")
  COEFS  start (f2xm1_coefs.txt format); OUT gets the result as f2xm1_eval input (hex, exponent)
Needs ./f2xm1_eval in the current directory:
  gcc -O2 -o f2xm1_eval tools/x87-transc/f2xm1_eval.c -lgmp -lm
Moves the 68-bit P1, P2, P3, Q1, Q2 (Q3 kept) in the basis "change of P(g) at g = g1, g2, g3
and of Q(g) at g2, g3, in cells" (default g = 0.3, 0.6, 1), along the axes and five random
directions per round, keeps any move that lowers the number of cases whose RD, RU or RN result
differs, halves the step when none does (from STEP, default 0.02, down to 0.001).
VARIANT=2 in the environment (passed to f2xm1_eval): unfused Horner steps. Needs python3 with numpy.
"""
import sys, subprocess, random
import numpy as np
from fractions import Fraction as Fr
sys.path.insert(0, __import__('os').path.dirname(__import__('os').path.abspath(__file__)))
from f2xm1_model import read_coefs, c68
co=read_coefs(sys.argv[1]); files=sys.argv[3:]
base=[c68(v) for v in co['P']+co['Q']]
Gs=[float(x) for x in __import__('os').environ.get('GS','0.3 0.6 1.0').split()]
ev=subprocess.Popen(['./f2xm1_eval']+files,stdin=subprocess.PIPE,stdout=subprocess.PIPE,text=True)
def line(off):
    # off: dp at Gs (3), dq at Gs[1:] (2), in cells (P cell 2^-67, Q cell 2^-66)
    V=np.array([[g,g*g,g**3] for g in Gs]); dpc=np.linalg.solve(V,off[:3])
    W=np.array([[g,g*g] for g in Gs[1:]]); dqc=np.linalg.solve(W,off[3:])
    out=[]
    for k in range(3):
        m,e=base[k]; d=Fr(dpc[k])*Fr(2)**-67; q=m+round(d/Fr(2)**e); out.append(f"{q:x} {e}")
    for k in range(2):
        m,e=base[3+k]; d=Fr(dqc[k])*Fr(2)**-66; q=m+round(d/Fr(2)**e); out.append(f"{q:x} {e}")
    m,e=base[5]; out.append(f"{m:x} {e}")
    return ' '.join(out)
def f(off):
    ev.stdin.write(line(off)+'\n'); ev.stdin.flush(); return int(ev.stdout.readline())
x=np.zeros(5); best=f(x); print('start',best,flush=True)
step=float(__import__('os').environ.get('STEP','0.02'))
rng=random.Random(1)
while step>0.001:
    improved=False
    dirs=list(np.eye(5))+[np.array([rng.gauss(0,1) for _ in range(5)]) for _ in range(5)]
    for d in dirs:
        for sg in (1,-1):
            y=x+sg*step*d; v=f(y)
            if v<best: best,x,improved=v,y,True; print(best,step,np.round(x,4),flush=True); break
    if not improved: step/=2; print('step',step,flush=True)
print('final',best,np.round(x,5)); print(line(x))
open(sys.argv[2],'w').write(line(x)+'\n')

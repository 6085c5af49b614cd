"""FYL2X round 10 (README, section "FYL2X / FYL2XP1: the dominant component is
a rounding of a function of g (round 10, ylog10)", parts 4 and 5): a [m/n]
rational approximation P(g) = N(g) / D(g) of the remainder factor P(g) =
(2 atanh(T / 2) - T) / T^3 (g = T^2), near-minimax by a linearised Lawson
iteration in mpmath, to compare its denominator's shape with the measured
component (b2 / b1, b3 / b1, b4 / b1).

  GMUL=2.12315 ITERS=150 python3 tools/x87-transc/ylog10_minimax.py 3 4 log 90

m, n: degrees; weight: log (error relative to the log, g / (1 + g P)), relP
(relative to P), abs, R; M: Chebyshev nodes on [0, GMUL gmax], gmax =
(2 (sqrt 2 - 1) / (sqrt 2 + 1))^2 = 0.11775 (the reduced range; GMUL =
2.12315 gives g <= 1/4). Prints the weighted error, the ratios and both
coefficient lists (D normalised to D(0) = 1).
"""
import os
import sys
from mpmath import mp, mpf, atanh, sqrt, matrix, lu_solve, cos, pi
mp.dps=50
m,n=int(sys.argv[1]),int(sys.argv[2]); wmode=sys.argv[3]
gmax=(2*(sqrt(2)-1)/(sqrt(2)+1))**2*mpf(os.environ.get("GMUL","1"))
M=int(sys.argv[4]) if len(sys.argv)>4 else 80
gs=[gmax*(1-cos(pi*(i+mpf(1)/2)/M))/2 for i in range(M)]
def P(g): T=sqrt(g); return (2*atanh(T/2)-T)/T**3
Pv=[P(g) for g in gs]
def wf(g,p):
  return {'relP':1/p,'log':g/(1+g*p),'abs':mpf(1),'R':g*sqrt(g)}[wmode]
W=[wf(g,p) for g,p in zip(gs,Pv)]
lw=[mpf(1)]*M
D=[mpf(1)]*M
for it in range(int(os.environ.get("ITERS","60"))):
  # minimize sum lw * (W (P D - N)/D)^2, D=1+sum b_j g^j, linear in (a,b) with fixed 1/D weight
  K=m+1+n
  A=matrix(K,K); y=matrix(K,1)
  for i in range(M):
    g=gs[i]; s=W[i]/D[i]
    row=[-s*g**k for k in range(m+1)]+[s*Pv[i]*g**j for j in range(1,n+1)]
    rhs=-s*Pv[i]
    for a in range(K):
      y[a]+=lw[i]*row[a]*rhs
      for b in range(K): A[a,b]+=lw[i]*row[a]*row[b]
  sol=lu_solve(A,y)
  a=[sol[k] for k in range(m+1)]; b=[mpf(1)]+[sol[m+1+j] for j in range(n)]
  D=[sum(b[j]*g**j for j in range(n+1)) for g in gs]
  err=[W[i]*(Pv[i]-sum(a[k]*gs[i]**k for k in range(m+1))/D[i]) for i in range(M)]
  mx=max(abs(e) for e in err)
  lw=[lw[i]*(abs(err[i])/mx)**mp.mpf('0.5')+mpf(10)**-30 for i in range(M)]
  s=sum(lw); lw=[v/s for v in lw]
print("[%d/%d] %s: max weighted err %s"%(m,n,wmode,mp.nstr(mx,3)))
print(" b1 %s b2/b1 %s b3/b1 %s %s"%(mp.nstr(b[1],8),mp.nstr(b[2]/b[1],8),mp.nstr(b[3]/b[1],8) if n>=3 else '-', ("b4/b1 "+mp.nstr(b[4]/b[1],6)) if n>=4 else ''))
print(" a:", " ".join(mp.nstr(v,10) for v in a))
print(" b:", " ".join(mp.nstr(v,10) for v in b))

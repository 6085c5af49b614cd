"""FYL2X round 10 (README, section "FYL2X / FYL2XP1: the dominant component is
a rounding of a function of g (round 10, ylog10)", part 5): look for the
roundings of the [3/4] design's pieces in the windows, from predictions.

N(g) and D(g) are the ylog10_minimax.py design on g <= 1/4 (log weighting),
scaled so that D'(0) is the measured -0.608304732868488. For each candidate
(N on 2^-71, D on 2^-67, 1 / D on 2^-67 .. 2^-69, N / D on 2^-71, 2^-72) the
predicted frequency in each window and the strongest periodogram peak within
+-1e-3 of it (offset, power) are printed; a real component sits at a small,
steady offset with a high power in every window.

  python3 tools/x87-transc/ylog10_design.py
(windows hard-coded: /tmp/ylog9/p04.txt, p0.35, p0.3, /tmp/ylog10/n-0.27.txt,
n-0.285.txt; regenerate them with the README's commands)
"""
import sys, numpy as np
sys.path.insert(0,'.')
import ylog10_track as YT
s=0.608304732868488/0.5339449106
a=[x*s for x in [0.08333333333,-0.03199540922,0.00343169313,-8.917943115e-5]]
b=[x*s for x in [1.0,-0.5339449106,0.09448633987,-0.006149341668,0.0001071393192]]
def ev(c,g): return sum(x*g**k for k,x in enumerate(c))
def dv(c,g): return sum(k*x*g**(k-1) for k,x in enumerate(c) if k>0)
cands={
 'N cell 2^-71': (lambda g: dv(a,g), -71),
 'D cell 2^-67': (lambda g: dv(b,g), -67),
 '1/D cell 2^-68': (lambda g: -dv(b,g)/ev(b,g)**2, -68),
 'N/D cell 2^-71': (lambda g: (dv(a,g)*ev(b,g)-ev(a,g)*dv(b,g))/ev(b,g)**2, -71),
 'N/D cell 2^-72': (lambda g: (dv(a,g)*ev(b,g)-ev(a,g)*dv(b,g))/ev(b,g)**2, -72),
 '1/D cell 2^-67': (lambda g: -dv(b,g)/ev(b,g)**2, -67),
 '1/D cell 2^-69': (lambda g: -dv(b,g)/ev(b,g)**2, -69),
 'N/D*8 cell2^-68(=12P?)':(lambda g: 12*(dv(a,g)*ev(b,g)-ev(a,g)*dv(b,g))/ev(b,g)**2, -67),
}
B='/tmp/ylog10'; W='/tmp/ylog9'
os_=[(0.4,W+'/p04.txt',-2),(0.35,W+'/p0.35.txt',-2),(0.3,W+'/p0.3.txt',-2),(-0.27,B+'/n-0.27.txt',-2),(-0.285,B+'/n-0.285.txt',-2)]
ws={t:YT.window(f+'@-2') for t,f,e in os_}
for name,(fd,ce) in cands.items():
    line=[]
    for t,f,e in os_:
        w=ws[t]; p,nf=w['p'],w['nfft']
        T=2*t/(2+t); g=T*T; gp=16*t/(2+t)**3
        F=abs(fd(g)*gp)*2.0**-65/2.0**ce*2.0**(e+2)
        nu=F%1; nu=min(nu,1-nu); i=int(round(nu*nf)); h=int(1e-3*nf)
        seg=p[max(1,i-h):i+h]; k=int(np.argmax(seg))
        line.append("%.0f@%+.0e"%(seg[k],(max(1,i-h)+k)/nf-nu))
    print("%-24s"%name," ".join(line))

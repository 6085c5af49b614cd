/**
 * Test helper for the transcendental instructions: run one on an FPU
 * whose stack holds given 80-bit values and read the stack back, as
 * 20-hex-digit strings (sign/exponent, then the 64-bit significand) like
 * the recordings of tools/x87-transc/probe.c.
 *
 * @module
 */

import { FpuState } from "./state.ts";
import { begin } from "./stack.ts";

/** What an instruction left: ST(0), ST(1), ... (as many as asked) and FSW. */
export interface StackOutcome {
  /** The registers from the new top, 20 hex digits each. */
  readonly st: string[];
  /** The status word. */
  readonly fsw: number;
}

/**
 * Run `op` with control word `fcw` on a stack holding `stack` (ST(0)
 * first; every other register empty) and read `keep` registers from the
 * top it leaves.
 */
export function runOnStack(
  op: (f: FpuState) => void,
  fcw: number,
  stack: readonly string[],
  keep = 1,
): StackOutcome {
  const f = new FpuState();
  const top = 8 - stack.length;
  f.fcw = fcw;
  f.fsw = top << 11;
  f.ftw = 0xffff >>> (2 * stack.length); // the top registers valid (00), the rest empty (11)
  stack.forEach((h, i) => {
    const k = top + i;
    f.sexp[k] = parseInt(h.slice(0, 4), 16);
    f.mant[2 * k + 1] = parseInt(h.slice(4, 12), 16);
    f.mant[2 * k] = parseInt(h.slice(12), 16);
  });
  begin(f);
  op(f);
  const now = (f.fsw >>> 11) & 7;
  const hex = (v: number, n: number) => v.toString(16).padStart(n, "0");
  const st: string[] = [];
  for (let i = 0; i < keep; i++) {
    const k = (now + i) & 7;
    st.push(hex(f.sexp[k], 4) + hex(f.mant[2 * k + 1], 8) + hex(f.mant[2 * k], 8));
  }
  return { st, fsw: f.fsw };
}

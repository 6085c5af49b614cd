/**
 * The block compiler's run loop (the JIT engine): looks up the compiled
 * region for RIP through the decoded-instruction cache page, compiles
 * regions for instructions that became hot, runs them when their longest
 * pass from the head fits before the run loop's limit, and interprets one
 * instruction otherwise.
 *
 * Exactness: the interpreter (`Cpu.step`) runs everything the compiler
 * does not cover, every instruction where a region bails (TLB miss, a
 * check that would fault), and the instructions just before a limit, so
 * instruction counts, faults, interrupts and VM exits fall on the same
 * boundaries as with the interpreter alone.
 *
 * @module
 */

import type { Cpu } from "../cpu.ts";
import { fetchInsn } from "../icache.ts";
import { compileRegion, type JitStats } from "./compile.ts";

/**
 * Times the dispatcher reaches an instruction before a region is compiled
 * there. A region pays for itself only once V8 has optimized it: until
 * then it runs as bytecode, slower than the interpreter, after a compile
 * that costs as much as thousands of interpreted instructions. The user
 * CPU time of `deno task linux --pvh` (a Debian kernel booted to
 * power-off, `/usr/bin/time`) was 48-49 s at 32, 42 s at 256, 36-39 s at
 * 1024 and 31-32 s at 4096 and 16384 (40 s at 131072), while the W1 loop, the
 * VMX round trip and the first 10^9 instructions of kvm-unit-tests'
 * access did not change.
 */
export const DEFAULT_HOT = 4096;

/** Instructions interpreted per dispatch in code that is not hot yet. */
const COLD_BATCH = 8;

/** Calls of a region that run with a short limit (see `JitBlock.warm`). */
const WARM_CALLS = 24;
/** Their limit: instructions past the retired count. */
const WARM_SPAN = 200;
/**
 * Calls of a region (after the warm-up calls) that still return after
 * {@link TIER_SPAN} instructions: V8 then optimizes the region as a
 * function called often, once, instead of first on-stack-replacing the
 * running loop with code of its own (a second optimizing compile that
 * costs as much CPU time as the first).
 */
const TIER_CALLS = 2000;
/** Their limit: instructions past the retired count. */
const TIER_SPAN = 5000;

/** The block compiler attached to one vCPU (`Cpu.jit`). */
export class JitEngine {
  /** Compiler statistics. */
  readonly stats: JitStats = { regions: 0, insns: 0, refused: 0, errors: 0, lastError: "" };
  /** Instructions retired in compiled regions. */
  compiledRetired = 0;
  /** Region calls. */
  calls = 0;
  /** Instructions the dispatcher handed to the interpreter. */
  steps = 0;
  /** Hotness threshold. */
  readonly hot: number;

  /** Create an engine; `hot` = visits before compiling (default {@link DEFAULT_HOT}). */
  constructor(hot: number = DEFAULT_HOT) {
    this.hot = hot;
  }

  /** Run until `cpu.retired` reaches `cpu.loopLimit` (the interpreter loop's contract). */
  run(cpu: Cpu): void {
    while (cpu.retired < cpu.loopLimit) {
      if ((cpu.dr[7] & 0xff) !== 0) {
        // Hardware breakpoints armed (DR7 L0-3/G0-3): compiled code does not
        // check them per instruction, so the interpreter runs everything.
        cpu.step(COLD_BATCH);
        continue;
      }
      if (cpu.codeBits === 16) {
        // 16-bit code is not compiled.
        cpu.step(COLD_BATCH);
        continue;
      }
      const ip = cpu.rip;
      const o = ip - cpu.codeIp;
      let i = o >= 0 && o < 4096 ? cpu.codePage[o] : undefined;
      if (i === undefined) {
        cpu.ip0 = ip;
        i = fetchInsn(cpu);
        if (cpu.codePage[ip - cpu.codeIp] !== i) {
          this.steps++;
          cpu.step();
          continue;
        }
      }
      let b = i.jit;
      if (b === null) {
        if (++i.heat < this.hot) {
          // Cold code: interpret a few instructions per dispatch (heat is
          // counted where a batch starts; hot code still gets there).
          // Inside a compiled region (negative heat) one at a time, so
          // its head is not skipped.
          this.steps++;
          cpu.step(i.heat < 0 ? 1 : COLD_BATCH);
          continue;
        }
        const c = compileRegion(cpu, i, this.stats);
        if (c === null) {
          // Compiled at the enclosing loop's head: interpret on to it.
          this.steps++;
          cpu.step();
          continue;
        }
        b = c;
        i.jit = b;
      }
      if (b.ip === ip && cpu.retired + b.n0 <= cpu.loopLimit) {
        const r = cpu.retired;
        this.calls++;
        let lim = cpu.loopLimit;
        // Warm-up: the first calls leave the region early and often.
        if (b.warm.calls < WARM_CALLS) {
          b.warm.calls++;
          lim = Math.min(lim, r + Math.max(WARM_SPAN, b.n0));
        } else if (b.warm.calls < TIER_CALLS) {
          b.warm.calls++;
          lim = Math.min(lim, r + Math.max(TIER_SPAN, b.n0));
        }
        b.fn(cpu, lim);
        if (cpu.retired !== r) {
          this.compiledRetired += cpu.retired - r;
          continue;
        }
        this.steps++;
        cpu.step();
        continue;
      }
      // No region can start here (NO_BLOCK, or one compiled for another
      // linear address of this frame): interpret this instruction.
      this.steps++;
      cpu.step();
    }
  }
}

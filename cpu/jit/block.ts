/**
 * A compiled region: the JavaScript function the block compiler made for
 * the code starting at one instruction, and the facts the dispatcher checks
 * before entering it.
 *
 * @module
 */

import type { Cpu } from "../cpu.ts";

/** A compiled region of guest code (see `compile.ts`). */
export interface JitBlock {
  /** The RIP the region was compiled for (the same frame may be mapped elsewhere). */
  readonly ip: number;
  /**
   * The most instructions one pass from the head retires before it is back
   * at the head (or at an inner loop's start, or out of the region): the
   * region is entered only when that many fit before the run loop's limit
   * (it checks again before every further pass).
   */
  readonly n0: number;
  /**
   * Run the region. It returns at an instruction boundary with RIP, the
   * retired count, the GPRs and the lazy flags written back; it retires
   * nothing when the first instruction needs the interpreter.
   */
  readonly fn: (cpu: Cpu, limit: number) => void;
  /** Guest instructions the region covers (statistics, tests). */
  readonly size: number;
  /**
   * Calls so far (shared by the region's entries). The first calls run
   * with a short limit so that V8 sees the exits before it optimizes the
   * region (code it has never run would deoptimize it later).
   */
  readonly warm: { calls: number };
}

/** Marks an instruction where no region can start (the dispatcher interprets it). */
export const NO_BLOCK: JitBlock = {
  ip: NaN,
  n0: Infinity,
  fn: () => {},
  size: 0,
  warm: { calls: 0 },
};

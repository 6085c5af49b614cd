/**
 * Guest-visible faults raised inside the CPU engine. Handlers throw a
 * {@link CpuFault}; the run loop catches it and delivers the exception
 * through the IDT. Host errors never use this class.
 *
 * @module
 */

/** Exception vectors (SDM Vol. 3A 6.3.1, Table 6-1). */
export const enum Vec {
  DE = 0,
  DB = 1,
  NMI = 2,
  BP = 3,
  OF = 4,
  BR = 5,
  UD = 6,
  NM = 7,
  DF = 8,
  TS = 10,
  NP = 11,
  SS = 12,
  GP = 13,
  PF = 14,
  MF = 16,
  AC = 17,
  MC = 18,
  XM = 19,
  VE = 20,
  CP = 21,
}

export { ABANDON, Abandon, CpuFault } from "../core/fault.ts";
import { CpuFault } from "../core/fault.ts";

/** True for exceptions that push an error code (SDM 6.13). */
export function hasErrorCode(vector: number): boolean {
  return vector === 8 || (vector >= 10 && vector <= 14) || vector === 17 || vector === 21;
}

/** Throw #GP(code). */
export function gp(code = 0): never {
  throw new CpuFault(Vec.GP, code);
}

/** Throw #UD. */
export function ud(): never {
  throw new CpuFault(Vec.UD, -1);
}

/** Throw an exception with an optional error code. */
export function fault(vector: number, code = -1): never {
  throw new CpuFault(vector, hasErrorCode(vector) ? (code < 0 ? 0 : code) : -1);
}

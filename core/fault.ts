/**
 * The two tokens that unwind an instruction through plugin code on purpose
 * (declared here so that the exit bus can recognise them without knowing
 * the CPU engine): a guest exception raised by an instruction or an exit
 * handler ({@link CpuFault}), and the "abandon this instruction" token
 * thrown after a VM exit replaced the vCPU state ({@link Abandon}). Neither
 * is a plugin failure; host errors never use these classes.
 *
 * @module
 */

/** A guest exception raised by an instruction (thrown, caught by the run loop). */
export class CpuFault {
  /** Exception vector. */
  vector: number;
  /** Error code, or -1 when the exception has none. */
  errorCode: number;
  /** Create a fault. */
  constructor(vector: number, errorCode: number) {
    this.vector = vector;
    this.errorCode = errorCode;
  }
}

/**
 * Thrown when the instruction must be abandoned without retiring because a
 * VM exit replaced the vCPU state (a "reflected" exit or a failed EPT
 * translation).
 */
export class Abandon {
  /** Marker. */
  readonly abandon = true;
}

/** The single abandon token (no allocation per use). */
export const ABANDON: Abandon = new Abandon();

/**
 * Guest exceptions and the abandon token unwind through plugin code on
 * purpose; they are not plugin failures.
 */
export function isCpuFault(error: unknown): boolean {
  return error instanceof CpuFault || error instanceof Abandon;
}

/**
 * The exit information that a VM exit writes into vmcs12 (SDM Vol. 3C
 * 28.2): one reusable record per vCPU, filled by whoever decides on the
 * exit and consumed by {@link performVmExit}.
 *
 * @module
 */

/** Exit-information fields of one VM exit. */
export class ExitInfo {
  /** Exit reason (basic reason in 15:0, plus flag bits). */
  reason = 0;
  /** Exit qualification, low half. */
  qualLo = 0;
  /** Exit qualification, high half. */
  qualHi = 0;
  /** Guest-linear address, or NaN when the exit defines none. */
  guestLinear: number = NaN;
  /** Guest-physical address, or -1 when the exit defines none. */
  guestPhys: number = -1;
  /** VM-exit interruption information (0 = invalid). */
  intrInfo = 0;
  /** VM-exit interruption error code. */
  intrError = 0;
  /** VM-exit instruction length (0 when not defined). */
  instrLen = 0;
  /** VM-exit instruction information (0 when not defined). */
  instrInfo = 0;
  /** IDT-vectoring information (0 = invalid). */
  idtInfo = 0;
  /** IDT-vectoring error code. */
  idtError = 0;

  /** Start a new exit with a basic reason; everything else cleared. */
  begin(reason: number): this {
    this.reason = reason;
    this.qualLo = 0;
    this.qualHi = 0;
    this.guestLinear = NaN;
    this.guestPhys = -1;
    this.intrInfo = 0;
    this.intrError = 0;
    this.instrLen = 0;
    this.instrInfo = 0;
    this.idtInfo = 0;
    this.idtError = 0;
    return this;
  }

  /** Set the qualification from a number (addresses: sign-extended into the high half). */
  qual(value: number): this {
    this.qualLo = value >>> 0;
    this.qualHi = Math.floor(value / 0x100000000) >>> 0;
    return this;
  }
}

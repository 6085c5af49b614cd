/**
 * The x87/MMX/SSE register state of one vCPU: what FXSAVE and XSAVE
 * components 0 (x87) and 1 (SSE) hold. One object, saved and restored as
 * one unit, so a snapshot lists no field twice.
 *
 * Representation (chosen for software arithmetic without BigInt):
 * - x87 data registers are kept by PHYSICAL number R0-R7 (ST(i) is
 *   R((TOP + i) & 7)). Register k's 64-bit significand is `mant[2k]` (low
 *   32 bits) and `mant[2k + 1]` (high 32 bits, bit 31 = explicit integer
 *   bit); `sexp[k]` holds the sign (bit 15) and the 15-bit biased exponent.
 *   MMX register MMk aliases the significand of Rk (SDM Vol. 1 9.5).
 * - The tag word is kept in full form (2 bits per physical register:
 *   0 valid, 1 zero, 2 special, 3 empty); FXSAVE stores its abridged form.
 * - XMM0-XMM15 are 16 bytes each, little-endian, in `xmm` with typed views.
 *
 * @module
 */

/** Bytes of the register image {@link FpuState.save} produces. */
const IMAGE_BYTES = 16 * 4 + 8 * 2 + 256 + 8 * 10;

/** x87, MMX and SSE registers (SDM Vol. 1 ch. 8, 9, 10; FXSAVE layout Vol. 2A). */
export class FpuState {
  /** Significands of R0-R7: low word at 2k, high word at 2k+1. */
  readonly mant: Uint32Array = new Uint32Array(16);
  /** Sign (bit 15) and biased exponent (bits 14:0) of R0-R7. */
  readonly sexp: Uint16Array = new Uint16Array(8);
  /** XMM0-XMM15 as bytes (register k at 16k). */
  readonly xmm: Uint8Array = new Uint8Array(256);
  /** XMM registers as 32-bit words (register k at 4k). */
  readonly xmm32: Uint32Array = new Uint32Array(this.xmm.buffer);
  /**
   * XMM registers as signed 32-bit words (register k at 4k): the SSE engine
   * moves raw lanes through these so no word ever needs a boxed number.
   */
  readonly xmmI32: Int32Array = new Int32Array(this.xmm.buffer);
  /** XMM registers as single-precision lanes (register k at 4k). */
  readonly xmmF32: Float32Array = new Float32Array(this.xmm.buffer);
  /** XMM registers as double-precision lanes (register k at 2k). */
  readonly xmmF64: Float64Array = new Float64Array(this.xmm.buffer);
  /** FPU control word. */
  fcw = 0x37f;
  /** FPU status word, TOP included (bits 13:11). */
  fsw = 0;
  /** Full tag word (2 bits per physical register, 3 = empty). */
  ftw = 0xffff;
  /** Last x87 opcode (11 bits). */
  fop = 0;
  /** Last x87 instruction pointer (offset, or linear address in 64-bit form). */
  fip = 0;
  /** Selector of the last x87 instruction (0 where FXSAVE64 does not keep it). */
  fcs = 0;
  /** Last x87 data operand pointer. */
  fdp = 0;
  /** Selector of the last x87 data operand. */
  fds = 0;
  /** MXCSR. */
  mxcsr = 0x1f80;

  /** FNINIT values for x87 (SDM Vol. 1 8.1.10); SSE state as at power-on. */
  reset(): void {
    this.mant.fill(0);
    this.sexp.fill(0);
    this.xmm.fill(0);
    this.fcw = 0x37f;
    this.fsw = 0;
    this.ftw = 0xffff;
    this.fop =
      this.fip =
      this.fcs =
      this.fdp =
      this.fds =
        0;
    this.mxcsr = 0x1f80;
  }

  /** The whole state as bytes (a snapshot image; not an architectural layout). */
  save(): Uint8Array {
    const out = new Uint8Array(IMAGE_BYTES);
    const v = new DataView(out.buffer);
    let o = 0;
    for (const w of this.mant) v.setUint32((o += 4) - 4, w, true);
    for (const w of this.sexp) v.setUint16((o += 2) - 2, w, true);
    out.set(this.xmm, o);
    o += 256;
    for (const w of this.scalars()) v.setFloat64((o += 8) - 8, w, true);
    return out;
  }

  /** Restore an image from {@link save}; a wrong length is a RangeError. */
  load(image: Uint8Array): void {
    if (image.length !== IMAGE_BYTES) {
      throw new RangeError(`FPU state image has ${image.length} bytes, expected ${IMAGE_BYTES}`);
    }
    const v = new DataView(image.buffer, image.byteOffset, image.length);
    let o = 0;
    for (let k = 0; k < 16; k++, o += 4) this.mant[k] = v.getUint32(o, true);
    for (let k = 0; k < 8; k++, o += 2) this.sexp[k] = v.getUint16(o, true);
    this.xmm.set(image.subarray(o, o + 256));
    o += 256;
    const s: number[] = [];
    for (let k = 0; k < 10; k++, o += 8) s.push(v.getFloat64(o, true));
    [this.fcw, this.fsw, this.ftw, this.fop, this.fip, this.fcs, this.fdp, this.fds, this.mxcsr] =
      s;
  }

  /** Scalar registers in image order (padded to ten slots). */
  private scalars(): number[] {
    return [
      this.fcw,
      this.fsw,
      this.ftw,
      this.fop,
      this.fip,
      this.fcs,
      this.fdp,
      this.fds,
      this.mxcsr,
      0,
    ];
  }
}

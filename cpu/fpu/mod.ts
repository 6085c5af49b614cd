/**
 * The x87 floating-point unit: register state ({@link FpuState}), the
 * software 80-bit arithmetic and the D8-DF instruction handlers.
 *
 * @module
 */
export { FpuState } from "./state.ts";
export { x87 } from "./exec.ts";
export { fwait } from "./pending.ts";
export { fxrstor, fxsave } from "./fxsave.ts";
export {
  XCR0_SUPPORTED,
  xrstor,
  xrstors,
  xsave,
  XSAVE_SIZE,
  xsavec,
  xsaves,
  XSS_SUPPORTED,
  XSS_VALUE,
} from "./xsave.ts";

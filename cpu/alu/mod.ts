/**
 * The nestvm integer ALU: arithmetic, logic, shifts, multiply/divide, bit
 * operations and BCD adjustment with lazily evaluated status flags, checked
 * against vectors recorded on real x86-64 hardware. Where the SDM leaves a
 * flag undefined it follows a vendor profile (`vendorFlagsOf`).
 *
 * @module
 */
export { Alu } from "./alu.ts";
export { AF, ARITH_FLAGS, CF, evalCond, OF, PARITY, PF, SF, ZF } from "./flags.ts";
export { type AluMnemonic, undefinedFlags, undefinedResult } from "./undefined_flags.ts";
export {
  AMD_ZEN,
  FALLBACK,
  INTEL_CORE2,
  INTEL_NETBURST,
  INTEL_P6,
  type VendorFlags,
  type VendorFlagsName,
  vendorFlagsOf,
} from "./vendor_flags.ts";

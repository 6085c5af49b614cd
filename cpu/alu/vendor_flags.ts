/**
 * Which processor the ALU imitates where the SDM leaves a flag (or a
 * result) undefined: a profile per vendor (and, where it matters, family),
 * chosen once per vCPU from its CPU model ({@link vendorFlagsOf}).
 *
 * The rules, with their sources (every Intel rule names one; where no
 * published Intel measurement was found the profile falls back, by name, to
 * the AMD recording: {@link FALLBACK}):
 *
 * - [AMD] tests/data/alu_vectors.txt, recorded on AuthenticAMD family 19h
 *   model 11h (tools/alu-vectors/README.md); every vector matches.
 * - [SP] sandpile.org, "x86 architecture rFLAGS register", table
 *   "undefined integer FLAGS behavior" (https://sandpile.org/x86/flags.htm),
 *   columns "P6 core" (family 6, Pentium Pro to Core 2) and "P4 core"
 *   (family 15), notes #0 to #3. Its marks: M modified as documented,
 *   U unchanged (the page gives it to the SF/ZF/AF/PF of ROL/ROR, which the
 *   SDM calls "always unaffected", and to a rotate of size 0), 0/1
 *   constants, ? not determined, OFx the count-1 OF formula applied to the
 *   last step, SF16/ZF16/ZF8/OF8 computed from the 16/8-bit result.
 * - [VEX] angr/vex pull request 64 and Valgrind bug 492961 (2024):
 *   "Observed behavior of Intel CPUs" for 16-bit SHLD/SHRD with a count
 *   above 16 is to shift in bits from the source first, then from the
 *   destination. Two x64dbg traces agree (mwemu issue 27: `shrd ax, sp,
 *   0xd4` turns 0x76a4 into 0x4f43; libscemu issue 13: `shld r11w, bp,
 *   0x3c` turns 0xde2f into 0x9de2); the AMD recording gives other values.
 * - [SDM] Intel SDM Vol. 2A, BT/BTS/BTR/BTC "Flags Affected": ZF is
 *   unaffected (AMD documents it as undefined; the AMD recording leaves it
 *   unchanged too).
 * - Corroborating, not relied on: Intel Community thread "Behavior of IMUL
 *   regarding SF" (Core i7 M620, family 6): `imul rax, rdx` with a product
 *   whose low half is negative left SF clear, as an unchanged SF would.
 *
 * The AAS row of [SP] is one merged cell pointing at note #1 ("if (((AL &
 * 0Fh) > 09h) | (AF = 1)) { PF[AL+06h] } else { PF[AL] }"), read here as
 * "like AAA, with PF per note #1"; note #0's Core 2 exception names AAS's
 * OF next to AAA's, which supports sharing AAA's row.
 *
 * | instruction, case | flag | AMD (recorded) | Intel family 6 | Intel family 15 |
 * |---|---|---|---|---|
 * | SHL SHR SAR SHLD SHRD, count != 0 | AF | 1 | unchanged [SP] | 0 [SP] |
 * | same, masked count > 1 | OF | count-1 formula on the last step | unchanged [SP] | formula (OFx) [SP] |
 * | ROL ROR, masked count > 1 | OF | formula | unchanged [SP] | formula [SP] |
 * | 16-bit SHLD/SHRD, count > 16 | result, CF | strings a:b:b / b:b:a, CF = 0 | string a:b:a, CF = last bit out [VEX] | AMD (fallback) |
 * | MUL IMUL (all forms) | SF ZF AF PF | unchanged | unchanged [SP] | SF ZF PF of the low half, AF = 0 [SP] |
 * | DIV IDIV | CF OF SF ZF AF PF | CF OF kept, SF = ZF = PF = 0, AF = 1 | unchanged [SP] | unchanged [SP] |
 * | BSF BSR | CF OF SF AF PF | 0, PF of the index | unchanged [SP] | AMD (fallback) |
 * | DAA DAS | OF | sign overflow AL -> result | unchanged [SP]; Core 2: 0 [SP #0] | 0 [SP] |
 * | AAA AAS | OF | of the 16-bit ADD/SUB AX, 106h | unchanged [SP]; Core 2: AAA 1, AAS 0 [SP #0] | 0 [SP] |
 * | AAA AAS | SF | of the 16-bit ADD/SUB | 0 [SP] | 0 [SP] |
 * | AAA AAS | ZF | of the 16-bit ADD/SUB | same (ZF16) [SP] | of its low byte (ZF8) [SP] |
 * | AAS | PF | of AL - 6 (AL when not adjusting) | of AL + 6 (AL) [SP #1] | of AL + 6 (AL) [SP #1] |
 *
 * Everything else is the same in every profile: AND/OR/XOR/TEST clear AF
 * (all three [SP] columns give 0, as the recording does; note #0's
 * Pentium Pro TEST, AF unchanged, is not modelled), BT* change only
 * CF ([SP] U; [SDM] for ZF), AAM/AAD ([SP] as recorded). Where no Intel
 * data exists the Intel profiles use the AMD recording ({@link FALLBACK}):
 * RCL/RCR OF for counts above 1 ([SP] note #4 not readable in the stored
 * copy), SHL/SHR CF of a byte or word shifted by more than its width
 * ([SP] notes #5, #6), TZCNT/LZCNT (not in [SP]; they exist only from
 * Haswell), BSWAP of a 16-bit operand (no source), and the NetBurst cases
 * marked "fallback" above ([SP] note #7 on SHLD/SHRD is not readable; its
 * P4 cells for BSF of 0 equal the recording, but its BSR and nonzero-source
 * rows have merged cells that the stored copy does not resolve).
 *
 * Not modelled: Intel's undefined flags are not uniform across cores
 * (google/silifuzz issue 2: IMUL leaves a different ZF on the two core
 * types of a 12th-generation Core), and [SP] has no column for cores after
 * Core 2, so every later family-6 model gets the P6 column.
 *
 * @module
 */

/** Profile names. */
export type VendorFlagsName = "amd-zen" | "intel-p6" | "intel-core2" | "intel-netburst";

/** How the ALU sets the flags (and results) the SDM leaves undefined. */
export interface VendorFlags {
  /** Profile name. */
  readonly name: VendorFlagsName;
  /** AF after SHL/SHR/SAR/SHLD/SHRD with a nonzero count: 1, 0 or unchanged. */
  readonly shiftAf: "set" | "clear" | "keep";
  /**
   * OF after SHL/SHR/SAR/SHLD/SHRD and ROL/ROR with a masked count above 1:
   * the count-1 formula applied to the last step, or unchanged.
   */
  readonly multiBitOf: "formula" | "keep";
  /**
   * 16-bit SHLD/SHRD with a masked count above 16: "amd" shifts the 48-bit
   * strings a:b:b (SHLD) / b:b:a (SHRD) with CF = 0 (SHLD also OF = 0);
   * "intel" shifts a:b:a for both, CF = the last bit shifted out.
   */
  readonly shxdWide: "amd" | "intel";
  /** SF, ZF, AF, PF after MUL/IMUL: unchanged, or SF/ZF/PF of the low half with AF = 0. */
  readonly mulFlags: "keep" | "result";
  /** DIV/IDIV: "amd" keeps CF/OF and sets SF = ZF = PF = 0, AF = 1; "keep" changes no flag. */
  readonly divFlags: "amd" | "keep";
  /** BSF/BSR: "amd" sets CF = OF = SF = AF = 0 and PF from the index; "keep" changes only ZF. */
  readonly bitScan: "amd" | "keep";
  /** OF after DAA/DAS: the sign overflow from AL to the result, unchanged, or 0. */
  readonly daaOf: "overflow" | "keep" | "clear";
  /** OF after AAA/AAS: of the 16-bit ADD/SUB, unchanged, 0, or Core 2's (AAA 1, AAS 0). */
  readonly aaaOf: "sum" | "keep" | "clear" | "core2";
  /** SF after AAA/AAS: of the 16-bit ADD/SUB, or 0. */
  readonly aaaSf: "sum" | "clear";
  /** ZF after AAA/AAS: of the 16-bit ADD/SUB, or of its low byte. */
  readonly aaaZf: "sum16" | "sum8";
  /** PF after AAS: of the 16-bit SUB's low byte (AL - 6), or of AL + 6 (sandpile note #1). */
  readonly aasPf: "difference" | "sum";
}

/** AMD family 19h as recorded ([AMD]); also the fallback of every unmeasured case. */
export const AMD_ZEN: VendorFlags = {
  name: "amd-zen",
  shiftAf: "set",
  multiBitOf: "formula",
  shxdWide: "amd",
  mulFlags: "keep",
  divFlags: "amd",
  bitScan: "amd",
  daaOf: "overflow",
  aaaOf: "sum",
  aaaSf: "sum",
  aaaZf: "sum16",
  aasPf: "difference",
};

/**
 * The documented fallback where no Intel measurement was found: the AMD
 * recording ({@link AMD_ZEN}).
 */
export const FALLBACK: VendorFlags = AMD_ZEN;

/** Intel family 6 ([SP] "P6 core"; [VEX] for 16-bit SHLD/SHRD beyond 16). */
export const INTEL_P6: VendorFlags = {
  name: "intel-p6",
  shiftAf: "keep",
  multiBitOf: "keep",
  shxdWide: "intel",
  mulFlags: "keep",
  divFlags: "keep",
  bitScan: "keep",
  daaOf: "keep",
  aaaOf: "keep",
  aaaSf: "clear",
  aaaZf: "sum16",
  aasPf: "sum",
};

/** Intel Core 2 (family 6 models 0Fh, 16h, 17h, 1Dh): the P6 core with [SP] note #0's BCD OF. */
export const INTEL_CORE2: VendorFlags = {
  ...INTEL_P6,
  name: "intel-core2",
  daaOf: "clear",
  aaaOf: "core2",
};

/** Intel family 15, NetBurst ([SP] "P4 core"; the rest {@link FALLBACK}). */
export const INTEL_NETBURST: VendorFlags = {
  name: "intel-netburst",
  shiftAf: "clear",
  multiBitOf: "formula",
  shxdWide: FALLBACK.shxdWide,
  mulFlags: "result",
  divFlags: "keep",
  bitScan: FALLBACK.bitScan,
  daaOf: "clear",
  aaaOf: "clear",
  aaaSf: "clear",
  aaaZf: "sum8",
  aasPf: "sum",
};

/** Core 2 models of family 6 (Merom/Conroe, Merom-L, Penryn, Dunnington). */
const CORE2_MODELS: ReadonlySet<number> = new Set([0x0f, 0x16, 0x17, 0x1d]);

/**
 * The profile of a CPU model: GenuineIntel family 15 is NetBurst, family 6
 * Core 2 models are Core 2, any other GenuineIntel model gets the P6 core's
 * rules; every other vendor (AuthenticAMD of any family, or an unknown
 * vendor string) gets the AMD recording, the only complete data set (it
 * was measured on family 19h: other AMD families are assumed alike).
 */
export function vendorFlagsOf(m: { vendor: string; family: number; model: number }): VendorFlags {
  if (m.vendor !== "GenuineIntel") return AMD_ZEN;
  if (m.family === 15) return INTEL_NETBURST;
  if (m.family === 6 && CORE2_MODELS.has(m.model)) return INTEL_CORE2;
  return INTEL_P6;
}

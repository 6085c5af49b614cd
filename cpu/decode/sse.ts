/**
 * Which legacy-encoded MMX/SSE opcodes exist for each mandatory prefix
 * (none, 66, F3, F2), and which need a register or a memory operand. The
 * decoder classifies these instructions as `Op.SSE` (decoded for length,
 * never executed); this table makes that classification exact, so an
 * undefined prefix/opcode combination is `Op.INVALID` as the SDM says
 * (Vol. 2 Appendix A, Tables ).
 *
 * @module
 */
import type { DecodedInsn } from "./types.ts";

// Prefix bits: NP = no mandatory prefix, P66, PF3, PF2; MEM = memory form
// only, REG = register form only (for every prefix of that row).
const NP = 1, P66 = 2, PF3 = 4, PF2 = 8, ALL = 15, MEM = 16, REG = 32;

/** Per 0F opcode: allowed prefixes and operand constraints (0 = not an SSE row). */
const ROW0F = new Uint8Array(256);
/** Per 0F 38 opcode. */
const ROW38 = new Uint8Array(256);
/** Per 0F 3A opcode. */
const ROW3A = new Uint8Array(256);

function rows(t: Uint8Array, from: number, to: number, bits: number): void {
  for (let i = from; i <= to; i++) t[i] = bits;
}

rows(ROW0F, 0x10, 0x11, ALL); // MOVUPS/MOVUPD/MOVSS/MOVSD
rows(ROW0F, 0x12, 0x12, ALL); // MOVLPS/MOVHLPS, MOVLPD, MOVSLDUP, MOVDDUP
rows(ROW0F, 0x13, 0x13, NP | P66 | MEM);
rows(ROW0F, 0x14, 0x15, NP | P66);
rows(ROW0F, 0x16, 0x16, NP | P66 | PF3); // MOVHPS/MOVLHPS, MOVHPD, MOVSHDUP
rows(ROW0F, 0x17, 0x17, NP | P66 | MEM);
rows(ROW0F, 0x28, 0x29, NP | P66);
rows(ROW0F, 0x2a, 0x2a, ALL);
rows(ROW0F, 0x2b, 0x2b, NP | P66 | MEM);
rows(ROW0F, 0x2c, 0x2d, ALL);
rows(ROW0F, 0x2e, 0x2f, NP | P66);
rows(ROW0F, 0x50, 0x50, NP | P66 | REG);
rows(ROW0F, 0x51, 0x51, ALL);
rows(ROW0F, 0x52, 0x53, NP | PF3);
rows(ROW0F, 0x54, 0x57, NP | P66);
rows(ROW0F, 0x58, 0x5a, ALL);
rows(ROW0F, 0x5b, 0x5b, NP | P66 | PF3);
rows(ROW0F, 0x5c, 0x5f, ALL);
rows(ROW0F, 0x60, 0x6b, NP | P66);
rows(ROW0F, 0x6c, 0x6d, P66);
rows(ROW0F, 0x6e, 0x6e, NP | P66);
rows(ROW0F, 0x6f, 0x6f, NP | P66 | PF3);
rows(ROW0F, 0x70, 0x70, ALL);
rows(ROW0F, 0x71, 0x73, NP | P66 | REG); // shift groups 12-14 (the /digit is checked below)
rows(ROW0F, 0x74, 0x76, NP | P66);
rows(ROW0F, 0x77, 0x77, NP); // EMMS
rows(ROW0F, 0x7c, 0x7d, P66 | PF2);
rows(ROW0F, 0x7e, 0x7f, NP | P66 | PF3);
rows(ROW0F, 0xc2, 0xc2, ALL);
rows(ROW0F, 0xc3, 0xc3, NP | MEM); // MOVNTI
rows(ROW0F, 0xc4, 0xc4, NP | P66);
rows(ROW0F, 0xc5, 0xc5, NP | P66 | REG);
rows(ROW0F, 0xc6, 0xc6, NP | P66);
rows(ROW0F, 0xd0, 0xd0, P66 | PF2);
rows(ROW0F, 0xd1, 0xd5, NP | P66);
rows(ROW0F, 0xd6, 0xd6, P66 | PF3 | PF2);
rows(ROW0F, 0xd7, 0xd7, NP | P66 | REG);
rows(ROW0F, 0xd8, 0xe5, NP | P66);
rows(ROW0F, 0xe6, 0xe6, P66 | PF3 | PF2);
rows(ROW0F, 0xe7, 0xe7, NP | P66 | MEM);
rows(ROW0F, 0xe8, 0xef, NP | P66);
rows(ROW0F, 0xf0, 0xf0, PF2 | MEM); // LDDQU
rows(ROW0F, 0xf1, 0xf6, NP | P66);
rows(ROW0F, 0xf7, 0xf7, NP | P66 | REG);
rows(ROW0F, 0xf8, 0xfe, NP | P66);

rows(ROW38, 0x00, 0x0b, NP | P66); // SSSE3 (MMX and XMM forms)
rows(ROW38, 0x10, 0x10, P66);
rows(ROW38, 0x14, 0x15, P66);
rows(ROW38, 0x17, 0x17, P66);
rows(ROW38, 0x1c, 0x1e, NP | P66);
rows(ROW38, 0x20, 0x25, P66);
rows(ROW38, 0x28, 0x29, P66);
rows(ROW38, 0x2a, 0x2a, P66 | MEM); // MOVNTDQA
rows(ROW38, 0x2b, 0x2b, P66);
rows(ROW38, 0x30, 0x35, P66);
rows(ROW38, 0x37, 0x41, P66);
rows(ROW38, 0xc8, 0xcd, NP); // SHA
rows(ROW38, 0xcf, 0xcf, P66); // GF2P8MULB
rows(ROW38, 0xdb, 0xdf, P66); // AES

rows(ROW3A, 0x08, 0x0e, P66);
rows(ROW3A, 0x0f, 0x0f, NP | P66); // PALIGNR
rows(ROW3A, 0x14, 0x17, P66);
rows(ROW3A, 0x20, 0x22, P66);
rows(ROW3A, 0x40, 0x42, P66);
rows(ROW3A, 0x44, 0x44, P66);
rows(ROW3A, 0x60, 0x63, P66);
rows(ROW3A, 0xcc, 0xcc, NP);
rows(ROW3A, 0xce, 0xcf, P66);
rows(ROW3A, 0xdf, 0xdf, P66);

/** Valid /digits of the shift groups 0F 71-73 (bit n = /n), per NP / 66. */
const SHIFT_GROUP = [
  [0x54, 0x54], // 71: /2 /4 /6
  [0x54, 0x54], // 72: /2 /4 /6
  [0x44, 0xcc], // 73: /2 /6, and with 66 also /3 /7 (PSRLDQ/PSLLDQ)
];

/**
 * True if the SSE-class instruction in `o` (map 1-3, ModRM decoded) is a
 * defined encoding. `mp` is the mandatory-prefix class: 0 none, 1 66, 2 F3, 3 F2.
 */
export function sseDefined(o: DecodedInsn, mp: number): boolean {
  const t = o.map === 1 ? ROW0F : o.map === 2 ? ROW38 : ROW3A;
  const row = t[o.opcode];
  if ((row & (1 << mp)) === 0) return false;
  if ((row & MEM) !== 0 && o.isMem === 0) return false;
  if ((row & REG) !== 0 && o.isMem !== 0) return false;
  if (o.map === 1 && o.opcode >= 0x71 && o.opcode <= 0x73) {
    if (mp > 1) return false;
    return ((SHIFT_GROUP[o.opcode - 0x71][mp] >> (o.reg & 7)) & 1) !== 0;
  }
  if (o.map === 1 && (o.opcode === 0x13 || o.opcode === 0x17) && o.isMem === 0) return false;
  if (o.map === 1 && (o.opcode === 0x12 || o.opcode === 0x16) && mp === 1 && o.isMem === 0) {
    return false; // MOVLPD/MOVHPD need memory
  }
  if (o.map === 1 && o.opcode === 0xd6 && mp >= 2 && o.isMem !== 0) return false; // MOVQ2DQ/MOVDQ2Q
  return true;
}

/**
 * Hand-decoded opcodes that do not fit the flat tables: mode-dependent
 * one-byte opcodes (62 BOUND/EVEX, 63 ARPL/MOVSXD, C4/C5 LES/LDS/VEX, 90
 * NOP/PAUSE/XCHG), segment-register moves, and the 0F entries whose meaning
 * depends on ModRM or a mandatory prefix (groups 6, 7, 9, 15, MOV CR/DR,
 * the 0F 38 / 0F 3A maps, VMREAD/VMWRITE, POPCNT/TZCNT/LZCNT, ENDBR).
 *
 * @module
 */
import { modrm, modrmByte, rd } from "./decode.ts";
import { F_FIXED, F_MEMONLY, F_NO66, F_REGOP } from "./tables.ts";
import { sseDefined } from "./sse.ts";
import { type DecodedInsn, Op } from "./types.ts";

/** Mandatory-prefix class: 0 none, 1 66, 2 F3, 3 F2 (F2/F3 take precedence over 66). */
function mandatory(o: DecodedInsn): number {
  return o.rep === 1 ? 2 : o.rep === 2 ? 3 : o.p66;
}

/**
 * Decode the special opcode `idx` (0-255 one-byte map, 256-511 0F map).
 * Sets `o.op` and returns the flags the generic path should apply
 * (immediate kind, memory-only...), or -1 for #UD.
 */
export function decodeSpecial(o: DecodedInsn, idx: number, mode: number): number {
  switch (idx) {
    case 0x62: { // BOUND Gv, Ma (16/32) or EVEX
      if (mode === 64) return vex(o, 4, mode, -1);
      const m = rd();
      if (m >> 6 === 3) return vex(o, 4, mode, m);
      modrmByte(o, mode, m);
      o.op = Op.BOUND;
      return F_MEMONLY;
    }
    case 0x63:
      modrm(o, mode);
      o.op = mode === 64 ? Op.MOVSXD : Op.ARPL;
      return 0;
    case 0x8c:
    case 0x8e: {
      modrm(o, mode);
      const s = o.reg & 7;
      o.reg = s;
      o.seg2 = s;
      if (s > 5 || (idx === 0x8e && s === 1)) return -1;
      o.op = idx === 0x8c ? Op.MOV_EvSw : Op.MOV_SwEw;
      return 0;
    }
    case 0x90:
      // F3 90 is PAUSE even with REX.B; otherwise REX.B makes 90 XCHG r8, rAX
      if ((o.rex & 1) !== 0 && o.rep !== 1) {
        o.op = Op.XCHG_EvGv;
        return F_REGOP;
      }
      o.op = o.rep === 1 ? Op.PAUSE : Op.NOP;
      return 0;
    case 0xc4:
    case 0xc5: { // LES/LDS Gz, Mp (16/32) or VEX
      const kind = idx === 0xc4 ? 3 : 2;
      if (mode === 64) return vex(o, kind, mode, -1);
      const m = rd();
      if (m >> 6 === 3) return vex(o, kind, mode, m);
      modrmByte(o, mode, m);
      o.op = Op.LOAD_FAR;
      return 0;
    }
    case 0x100: { // group 6
      modrm(o, mode);
      const r = o.reg & 7;
      if (r > 5) return -1;
      o.op = GRP6[r];
      return 0;
    }
    case 0x101:
      return group7(o, mode);
    case 0x10f: // 3DNow!: ModRM + imm8 suffix; not an Intel encoding (#UD)
      modrm(o, mode);
      rd();
      return -1;
    case 0x11e: { // F3 0F 1E FA/FB = ENDBR64/32; otherwise a hint NOP
      const m = rd();
      modrmByte(o, mode, m);
      o.op = o.rep === 1 && m === 0xfa
        ? Op.ENDBR64
        : o.rep === 1 && m === 0xfb
        ? Op.ENDBR32
        : Op.NOP;
      return 0;
    }
    case 0x120:
    case 0x121:
    case 0x122:
    case 0x123: { // MOV r, CR/DR: ModRM.mod is ignored, both operands are registers
      const m = rd();
      const rex = o.rex;
      o.hasModrm = 1;
      o.mod = m >> 6;
      o.reg = ((m >> 3) & 7) | ((rex & 4) << 1);
      o.rm = (m & 7) | ((rex & 1) << 3);
      const r = o.reg;
      if ((idx & 1) === 0) {
        // CR: only CR0, CR2, CR3, CR4, CR8 exist (SDM Vol. 2 MOV CR: #UD otherwise)
        if (!(r === 0 || r === 2 || r === 3 || r === 4 || r === 8)) return -1;
        o.op = idx === 0x120 ? Op.MOV_RdCd : Op.MOV_CdRd;
      } else {
        if (r > 7) return -1; // DR8-15 do not exist
        o.op = idx === 0x121 ? Op.MOV_RdDd : Op.MOV_DdRd;
      }
      return F_FIXED;
    }
    case 0x138:
      return map38(o, mode);
    case 0x13a: {
      const b = rd();
      o.opcode = b;
      o.map = 3;
      modrm(o, mode);
      o.imm = rd(); // imm8
      if (!sseDefined(o, mandatory(o))) return -1;
      o.op = Op.SSE;
      return 0;
    }
    case 0x178:
    case 0x179:
      modrm(o, mode);
      if (mandatory(o) !== 0) return -1; // 66/F2: AMD SSE4a EXTRQ/INSERTQ
      o.op = idx === 0x178 ? Op.VMREAD : Op.VMWRITE;
      return F_FIXED;
    case 0x1ae:
      return group15(o, mode);
    case 0x1b8:
      modrm(o, mode);
      if (o.rep !== 1) return -1; // JMPE (IA-64) is #UD
      o.op = Op.POPCNT;
      return 0;
    case 0x1bc:
    case 0x1bd:
      modrm(o, mode);
      if (o.rep === 1) o.op = idx === 0x1bc ? Op.TZCNT : Op.LZCNT;
      else o.op = idx === 0x1bc ? Op.BSF : Op.BSR;
      return 0;
    case 0x1c7:
      return group9(o, mode);
  }
  return -1;
}

const GRP6 = new Uint16Array([Op.SLDT, Op.STR, Op.LLDT, Op.LTR, Op.VERR, Op.VERW]);
const GRP7M = new Uint16Array([
  Op.SGDT,
  Op.SIDT,
  Op.LGDT,
  Op.LIDT,
  Op.SMSW,
  Op.INVALID,
  Op.LMSW,
  Op.INVLPG,
]);

/** Register forms of 0F 01, indexed by ModRM byte - 0xC0. */
const GRP7R = new Uint16Array(64);
GRP7R[0x01] = Op.VMCALL;
GRP7R[0x02] = Op.VMLAUNCH;
GRP7R[0x03] = Op.VMRESUME;
GRP7R[0x04] = Op.VMXOFF;
GRP7R[0x08] = Op.MONITOR;
GRP7R[0x09] = Op.MWAIT;
GRP7R[0x0a] = Op.CLAC;
GRP7R[0x0b] = Op.STAC;
GRP7R[0x10] = Op.XGETBV;
GRP7R[0x11] = Op.XSETBV;
GRP7R[0x14] = Op.VMFUNC;
GRP7R[0x15] = Op.UNSUPPORTED; // XEND (RTM)
GRP7R[0x16] = Op.UNSUPPORTED; // XTEST (RTM)
GRP7R[0x19] = Op.VMMCALL;
for (let i = 0x20; i < 0x28; i++) GRP7R[i] = Op.SMSW;
for (let i = 0x30; i < 0x38; i++) GRP7R[i] = Op.LMSW;
GRP7R[0x2e] = Op.RDPKRU;
GRP7R[0x2f] = Op.WRPKRU;
GRP7R[0x38] = Op.SWAPGS;
GRP7R[0x39] = Op.RDTSCP;

function group7(o: DecodedInsn, mode: number): number {
  const m = rd();
  modrmByte(o, mode, m);
  if (m < 0xc0) {
    o.op = GRP7M[(m >> 3) & 7];
    return o.op === Op.INVALID ? -1 : 0;
  }
  const op = GRP7R[m - 0xc0];
  if (op === Op.INVALID || (op === Op.SWAPGS && mode !== 64)) return -1;
  // The VMX, XGETBV/XSETBV, MONITOR/MWAIT, CLAC/STAC encodings are defined without
  // 66/F2/F3 ("NP"); with one they belong to other (or no) instructions: #UD.
  if (
    mandatory(o) !== 0 && op !== Op.SMSW && op !== Op.LMSW && op !== Op.RDTSCP && op !== Op.SWAPGS
  ) {
    return -1;
  }
  o.op = op;
  return 0;
}

function group9(o: DecodedInsn, mode: number): number {
  modrm(o, mode);
  const r = o.reg & 7;
  const mp = mandatory(o);
  if (o.isMem !== 0) {
    switch (r) {
      case 1:
        o.op = Op.CMPXCHG8B;
        return 0;
      case 3:
      case 4:
      case 5: // XRSTORS, XSAVEC, XSAVES
        if (mp !== 0) return -1;
        o.op = Op.UNSUPPORTED;
        return 0;
      case 6:
        o.op = mp === 0 ? Op.VMPTRLD : mp === 1 ? Op.VMCLEAR : mp === 2 ? Op.VMXON : Op.INVALID;
        return o.op === Op.INVALID ? -1 : 0;
      case 7:
        if (mp !== 0) return -1;
        o.op = Op.VMPTRST;
        return 0;
    }
    return -1;
  }
  if (r === 6 && mp <= 1) o.op = Op.RDRAND;
  else if (r === 7 && mp <= 1) o.op = Op.RDSEED;
  else if (r === 7 && mp === 2) o.op = Op.UNSUPPORTED; // RDPID
  else return -1;
  return 0;
}

function group15(o: DecodedInsn, mode: number): number {
  modrm(o, mode);
  const r = o.reg & 7;
  const mp = mandatory(o);
  if (o.isMem !== 0) {
    if (mp === 0) {
      o.op = r < 4 ? Op.SSE : r < 7 ? Op.UNSUPPORTED : Op.CLFLUSH; // FXSAVE.. / XSAVE.. / CLFLUSH
      return 0;
    }
    if (mp === 1 && r >= 6) { // CLWB, CLFLUSHOPT
      o.op = Op.CLFLUSH;
      return 0;
    }
    return -1;
  }
  if (mp === 0 && r >= 5) o.op = Op.FENCE;
  else if (mp === 2 && r < 4 && mode === 64) {
    o.op = Op.RDFSBASE + r;
    return F_NO66; // operand size 32 or 64 (REX.W); 66 has no effect
  } else return -1;
  return 0;
}

function map38(o: DecodedInsn, mode: number): number {
  const b = rd();
  o.opcode = b;
  o.map = 2;
  modrm(o, mode);
  const mp = mandatory(o);
  if (b >= 0x80 && b <= 0x82) { // INVEPT, INVVPID, INVPCID: 66 prefix, memory operand
    if (mp !== 1) return -1;
    o.op = b === 0x80 ? Op.INVEPT : b === 0x81 ? Op.INVVPID : Op.INVPCID;
    return F_FIXED | F_MEMONLY;
  }
  if (b >= 0xf0) {
    // CRC32 (F2 F0/F1) executes with the SSE group; MOVBE (F0/F1), ADCX/ADOX
    // (66/F3 F6): not implemented.
    if (b <= 0xf1 && mp === 3) {
      o.op = Op.SSE;
      return 0;
    }
    o.op = b <= 0xf1 || b === 0xf6 ? Op.UNSUPPORTED : Op.INVALID;
    return o.op === Op.INVALID ? -1 : 0;
  }
  if (!sseDefined(o, mp)) return -1;
  o.op = Op.SSE;
  return 0;
}

/**
 * VEX (kind 2 = C5, 3 = C4) or EVEX (kind 4 = 62): decode the length and
 * report Op.VEX (#UD: AVX is not implemented). `first` is the already-read
 * first payload byte, or -1. SDM Vol. 2 2.3: a VEX prefix after 66/F2/F3,
 * LOCK or REX is #UD.
 */
function vex(o: DecodedInsn, kind: number, mode: number, first: number): number {
  const p0 = first >= 0 ? first : rd();
  let map = 1;
  if (kind === 3) {
    map = p0 & 0x1f;
    rd();
  } else if (kind === 4) {
    map = p0 & 7;
    rd();
    rd();
  }
  const op = rd();
  o.opcode = op;
  o.map = 4;
  if (!(kind === 2 && op === 0x77) && !(map === 1 && op === 0x77 && kind === 3)) modrm(o, mode);
  if (map === 3 || (map === 1 && IB_VEX0F[op] === 1)) rd();
  if (o.lock !== 0 || o.p66 !== 0 || o.rep !== 0 || o.rex !== 0) return -1;
  if (map < 1 || map > 3) return -1;
  o.op = Op.VEX;
  return 0;
}

/** VEX map 0F opcodes that take an imm8. */
const IB_VEX0F = new Uint8Array(256);
for (const i of [0x70, 0x71, 0x72, 0x73, 0xc2, 0xc4, 0xc5, 0xc6]) IB_VEX0F[i] = 1;

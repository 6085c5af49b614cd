/**
 * The register table the GDB stub exposes: name, width, gdb type, the
 * target-description feature it belongs to, and how to read and write it
 * on the vCPU. The table's order is the register numbering of `g`, `p` and
 * `P` packets and of the target description (see target_xml.ts). New
 * registers (e.g. AVX halves, more MSRs) are added as rows; nothing else
 * depends on the count.
 *
 * Values travel as little-endian bytes, as the protocol sends them.
 *
 * @module
 */

import type { Cpu } from "../../cpu/cpu.ts";

/** Target-description features, in the order they are emitted. */
export type RegisterFeature =
  | "org.gnu.gdb.i386.core"
  | "org.gnu.gdb.i386.sse"
  | "org.gnu.gdb.i386.segments"
  | "org.nestvm.gdb.x86.sys";

/** One register row. */
export interface RegisterDef {
  /** Name gdb knows it by. */
  readonly name: string;
  /** Width in bits. */
  readonly bits: number;
  /** gdb type name (defined by gdb or by the description's own types). */
  readonly type: string;
  /** Feature it is listed under. */
  readonly feature: RegisterFeature;
  /** Register group (gdb's `info registers` grouping), if not the default. */
  readonly group?: string;
  /** Write the value into `out` (bits/8 bytes, little-endian). */
  read(cpu: Cpu, out: Uint8Array): void;
  /** Set the register from little-endian bytes; false if it cannot be written. */
  write(cpu: Cpu, value: Uint8Array): boolean;
}

const TWO32 = 0x1_0000_0000;

function put32(out: Uint8Array, at: number, v: number): void {
  out[at] = v & 0xff;
  out[at + 1] = (v >>> 8) & 0xff;
  out[at + 2] = (v >>> 16) & 0xff;
  out[at + 3] = (v >>> 24) & 0xff;
}

function get32(b: Uint8Array, at: number): number {
  return (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;
}

/** Store a (possibly negative, canonical) address-sized number as 64 bits. */
function putNumber64(out: Uint8Array, v: number): void {
  put32(out, 0, v >>> 0);
  put32(out, 4, Math.floor(v / TWO32) >>> 0);
}

/** 64 bits as a signed number (canonical addresses keep their sign). */
function getSigned64(b: Uint8Array): number {
  return (get32(b, 4) | 0) * TWO32 + get32(b, 0);
}

/** 64 bits as an unsigned number (control registers, physical addresses). */
function getUnsigned64(b: Uint8Array): number {
  return get32(b, 4) * TWO32 + get32(b, 0);
}

/** gdb's amd64 order of the general registers, as x86 encodings (RAX=0, RCX=1, ...). */
const GPR_ORDER: readonly [string, number][] = [
  ["rax", 0],
  ["rbx", 3],
  ["rcx", 1],
  ["rdx", 2],
  ["rsi", 6],
  ["rdi", 7],
  ["rbp", 5],
  ["rsp", 4],
  ...[8, 9, 10, 11, 12, 13, 14, 15].map((n): [string, number] => [`r${n}`, n]),
];

const CORE = "org.gnu.gdb.i386.core" as const;
const SSE = "org.gnu.gdb.i386.sse" as const;
const SEGMENTS = "org.gnu.gdb.i386.segments" as const;
const SYS = "org.nestvm.gdb.x86.sys" as const;

function gpr(name: string, reg: number): RegisterDef {
  return {
    name,
    bits: 64,
    type: name === "rsp" || name === "rbp" ? "data_ptr" : "int64",
    feature: CORE,
    read: (cpu, out) => {
      put32(out, 0, cpu.gpr[2 * reg]);
      put32(out, 4, cpu.gpr[2 * reg + 1]);
    },
    write: (cpu, v) => {
      cpu.gpr[2 * reg] = get32(v, 0);
      cpu.gpr[2 * reg + 1] = get32(v, 4);
      return true;
    },
  };
}

/** A 32-bit value kept in a numeric field. */
function field32(
  name: string,
  feature: RegisterFeature,
  get: (cpu: Cpu) => number,
  set: ((cpu: Cpu, v: number) => void) | null,
  type = "int",
  group?: string,
): RegisterDef {
  return {
    name,
    bits: 32,
    type,
    feature,
    group,
    read: (cpu, out) => put32(out, 0, get(cpu) >>> 0),
    write: (cpu, v) => {
      if (set === null) return false;
      set(cpu, get32(v, 0));
      return true;
    },
  };
}

/** A 64-bit value kept as a JS number (signed: canonical addresses). */
function field64(
  name: string,
  feature: RegisterFeature,
  get: (cpu: Cpu) => number,
  set: (cpu: Cpu, v: Uint8Array) => void,
  type = "int64",
  group?: string,
): RegisterDef {
  return {
    name,
    bits: 64,
    type,
    feature,
    group,
    read: (cpu, out) => putNumber64(out, get(cpu)),
    write: (cpu, v) => {
      set(cpu, v);
      return true;
    },
  };
}

const SEG_ORDER: readonly [string, number][] = [
  ["cs", 1],
  ["ss", 2],
  ["ds", 3],
  ["es", 0],
  ["fs", 4],
  ["gs", 5],
];

/** Physical x87 register holding ST(i). */
function stPhys(cpu: Cpu, i: number): number {
  return (((cpu.fpu.fsw >>> 11) & 7) + i) & 7;
}

function st(i: number): RegisterDef {
  return {
    name: `st${i}`,
    bits: 80,
    type: "i387_ext",
    feature: CORE,
    read: (cpu, out) => {
      const k = stPhys(cpu, i);
      put32(out, 0, cpu.fpu.mant[2 * k]);
      put32(out, 4, cpu.fpu.mant[2 * k + 1]);
      out[8] = cpu.fpu.sexp[k] & 0xff;
      out[9] = cpu.fpu.sexp[k] >>> 8;
    },
    write: (cpu, v) => {
      const k = stPhys(cpu, i);
      cpu.fpu.mant[2 * k] = get32(v, 0);
      cpu.fpu.mant[2 * k + 1] = get32(v, 4);
      cpu.fpu.sexp[k] = v[8] | (v[9] << 8);
      return true;
    },
  };
}

function xmm(i: number): RegisterDef {
  return {
    name: `xmm${i}`,
    bits: 128,
    type: "vec128",
    feature: SSE,
    read: (cpu, out) => out.set(cpu.fpu.xmm.subarray(16 * i, 16 * i + 16)),
    write: (cpu, v) => {
      cpu.fpu.xmm.set(v.subarray(0, 16), 16 * i);
      return true;
    },
  };
}

/** Replace a control register or EFER and let the CPU rebuild mode and paging. */
function setControl(apply: (cpu: Cpu, v: number) => void): (cpu: Cpu, v: Uint8Array) => void {
  return (cpu, v) => {
    apply(cpu, getUnsigned64(v));
    cpu.stateChanged();
  };
}

/** Every register the stub exposes, in protocol order. */
export const REGISTERS: readonly RegisterDef[] = [
  ...GPR_ORDER.map(([n, r]) => gpr(n, r)),
  field64("rip", CORE, (c) => c.rip, (c, v) => {
    c.rip = getSigned64(v);
    c.dropCodePage();
  }, "code_ptr"),
  field32("eflags", CORE, (c) => c.rflags, (c, v) => {
    c.rflags = v;
    c.stateChanged();
  }, "i386_eflags"),
  // Selectors only: loading a selector from gdb does not reload the hidden
  // descriptor cache, so writes are refused rather than half done.
  ...SEG_ORDER.map(([n, s]) => field32(n, CORE, (c) => c.seg[s].selector, null)),
  ...[0, 1, 2, 3, 4, 5, 6, 7].map(st),
  field32("fctrl", CORE, (c) => c.fpu.fcw, (c, v) => c.fpu.fcw = v & 0xffff, "int", "float"),
  field32("fstat", CORE, (c) => c.fpu.fsw, (c, v) => c.fpu.fsw = v & 0xffff, "int", "float"),
  field32("ftag", CORE, (c) => c.fpu.ftw, (c, v) => c.fpu.ftw = v & 0xffff, "int", "float"),
  field32("fiseg", CORE, (c) => c.fpu.fcs, (c, v) => c.fpu.fcs = v & 0xffff, "int", "float"),
  field32("fioff", CORE, (c) => c.fpu.fip, (c, v) => c.fpu.fip = v, "int", "float"),
  field32("foseg", CORE, (c) => c.fpu.fds, (c, v) => c.fpu.fds = v & 0xffff, "int", "float"),
  field32("fooff", CORE, (c) => c.fpu.fdp, (c, v) => c.fpu.fdp = v, "int", "float"),
  field32("fop", CORE, (c) => c.fpu.fop, (c, v) => c.fpu.fop = v & 0x7ff, "int", "float"),
  ...[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15].map(xmm),
  field32("mxcsr", SSE, (c) => c.fpu.mxcsr, (c, v) => c.fpu.mxcsr = v, "i386_mxcsr", "vector"),
  field64("fs_base", SEGMENTS, (c) => c.seg[4].base, (c, v) => {
    c.seg[4].base = getSigned64(v);
    c.stateChanged();
  }),
  field64("gs_base", SEGMENTS, (c) => c.seg[5].base, (c, v) => {
    c.seg[5].base = getSigned64(v);
    c.stateChanged();
  }),
  field64(
    "k_gs_base",
    SYS,
    (c) => c.kernelGsBase,
    (c, v) => {
      c.kernelGsBase = getSigned64(v);
    },
    "int64",
    "system",
  ),
  field64("cr0", SYS, (c) => c.cr0, setControl((c, v) => c.cr0 = v), "int64", "system"),
  field64(
    "cr2",
    SYS,
    (c) => c.cr2,
    (c, v) => {
      c.cr2 = getSigned64(v);
    },
    "int64",
    "system",
  ),
  field64("cr3", SYS, (c) => c.cr3, setControl((c, v) => c.cr3 = v), "int64", "system"),
  field64("cr4", SYS, (c) => c.cr4, setControl((c, v) => c.cr4 = v), "int64", "system"),
  field64(
    "cr8",
    SYS,
    (c) => c.cr8,
    (c, v) => {
      c.cr8 = get32(v, 0) & 15;
    },
    "int64",
    "system",
  ),
  field64("efer", SYS, (c) => c.efer, setControl((c, v) => c.efer = v), "int64", "system"),
];

/** Index of a register by name, or -1. */
export function registerIndex(name: string): number {
  return REGISTERS.findIndex((r) => r.name === name);
}

/** All registers as the hex string of a `g` reply. */
export function readAllRegisters(cpu: Cpu): string {
  let out = "";
  for (const r of REGISTERS) out += readRegisterHex(cpu, r);
  return out;
}

/** One register as hex (little-endian bytes). */
export function readRegisterHex(cpu: Cpu, r: RegisterDef): string {
  const buf = new Uint8Array(r.bits / 8);
  r.read(cpu, buf);
  let s = "";
  for (const b of buf) s += b.toString(16).padStart(2, "0");
  return s;
}

/**
 * Replays recorded x87 vectors through the engine: each vector's code runs
 * in 64-bit mode exactly as the recorder ran it on hardware
 * (fninit; fldcw; pushes; the instruction; fnsave; pushfq), and the
 * status word, tag word, registers, memory operand and flags are compared.
 *
 * @module
 */
import { enter64, installIdt, LAYOUT, makeCpu, type TestCpu } from "../cpu/testing.ts";
import type { X87Op, X87Vector } from "./data/x87_vectors.ts";
import { type CpuModel, defaultModel } from "../cpu/model.ts";

/**
 * The default CPU model with the vendor, family, model and stepping of the
 * recording host, from the vectors file's `# cpu:` header lines
 * ("vendor_id : AuthenticAMD", "cpu family : 26", ...).
 */
export function recordingModel(cpu: string[]): CpuModel {
  const m = defaultModel();
  const field = (name: string): string | undefined => {
    const l = cpu.find((x) => x.split(":")[0].trim() === name);
    return l === undefined ? undefined : l.slice(l.indexOf(":") + 1).trim();
  };
  m.vendor = field("vendor_id") ?? m.vendor;
  m.family = Number(field("cpu family") ?? m.family);
  m.model = Number(field("model") ?? m.model);
  m.stepping = Number(field("stepping") ?? m.stepping);
  return m;
}

const CTX = LAYOUT.data;

/** One replay outcome in the recorder's terms. */
export interface X87Outcome {
  /** Status word. */
  fsw: number;
  /** Full tag word. */
  ftw: number;
  /** ST(0)..ST(7) as hex or "-". */
  regs: string[];
  /** Memory operand after (hex, 10 bytes high first). */
  memOut: string;
  /** RFLAGS & 0x8d5. */
  flags: number;
  /** Exception vector if one was raised, else -1. */
  fault: number;
}

function codeFor(op: X87Op): Uint8Array {
  const push: number[] = [];
  const fldA = [0xdb, 0x6f, 0x10];
  const fldB = [0xdb, 0x6f, 0x20];
  if (op.pushes === 1) push.push(...fldA);
  if (op.pushes === 2) push.push(...fldB, ...fldA);
  if (op.pushes === 8) { for (let k = 0; k < 8; k++) push.push(...fldA); }
  return new Uint8Array([
    0xdb,
    0xe3, // fninit
    0xd9,
    0x2f, // fldcw [rdi]
    ...push,
    0x48,
    0x8d,
    0x77,
    0x30, // lea rsi, [rdi+48]
    0x48,
    0x39,
    0xf7, // cmp rdi, rsi
    ...op.bytes,
    0xdd,
    0x77,
    0x40, // fnsave [rdi+64]
    0x9c, // pushfq
    0x8f,
    0x87,
    0xb0,
    0,
    0,
    0, // pop qword [rdi+176]
    0xdb,
    0xe3, // fninit
    0xf4, // hlt
  ]);
}

function hexTo(mem: TestCpu["mem"], addr: number, h: string): void {
  // h: 20 hex digits, sign/exponent first then significand (little-endian in memory).
  const lo = BigInt("0x" + h.slice(4));
  for (let k = 0; k < 8; k++) mem.write8(addr + k, Number((lo >> BigInt(8 * k)) & 0xffn));
  const se = parseInt(h.slice(0, 4), 16);
  mem.write8(addr + 8, se & 0xff);
  mem.write8(addr + 9, se >> 8);
}

function hexFrom(mem: TestCpu["mem"], addr: number): string {
  let s = "";
  for (const k of [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]) {
    s += mem.read8(addr + k).toString(16).padStart(2, "0");
  }
  return s;
}

/** A reusable 64-bit engine for replaying vectors. */
export class X87Replayer {
  private t: TestCpu;
  private code = new Map<X87Op, number>();
  private next = LAYOUT.code;

  /** `model`: the CPU model to run on (the recording host's, see {@link recordingModel}). */
  constructor(model?: CpuModel) {
    this.t = makeCpu(8, model);
    enter64(this.t);
    installIdt(this.t, true);
  }

  /** Run one vector and report what the engine did. */
  run(v: X87Vector): X87Outcome {
    const { mem, cpu } = this.t;
    let at = this.code.get(v.op);
    if (at === undefined) {
      at = this.next;
      const bytes = codeFor(v.op);
      mem.writeBytes(at, bytes);
      this.next += 128;
      this.code.set(v.op, at);
    }
    for (let k = 0; k < 184; k++) mem.write8(CTX + k, 0);
    mem.write8(CTX, v.fcw & 0xff);
    mem.write8(CTX + 1, v.fcw >> 8);
    hexTo(mem, CTX + 16, v.a);
    hexTo(mem, CTX + 32, v.b);
    hexTo(mem, CTX + 48, v.memIn);
    for (let k = 58; k < 64; k++) mem.write8(CTX + k, 0xa5);
    cpu.gpr[14] = CTX; // rdi
    cpu.gpr[15] = 0;
    cpu.gpr[30] = 0xffffffff; // r15 low: fault marker
    cpu.activity = "active";
    cpu.rip = at;
    cpu.run(cpu.retired + 200);
    const fault = cpu.gpr[30] !== 0xffffffff ? cpu.gpr[30] : -1;
    const fsw = mem.read8(CTX + 68) | (mem.read8(CTX + 69) << 8);
    const ftw = mem.read8(CTX + 72) | (mem.read8(CTX + 73) << 8);
    const top = (fsw >> 11) & 7;
    const regs: string[] = [];
    for (let i = 0; i < 8; i++) {
      const p = (top + i) & 7;
      regs.push(((ftw >> (2 * p)) & 3) === 3 ? "-" : hexFrom(mem, CTX + 64 + 28 + 10 * i));
    }
    return {
      fsw,
      ftw,
      regs,
      memOut: hexFrom(mem, CTX + 48),
      flags: mem.read8(CTX + 176) | ((mem.read8(CTX + 177) << 8) & 0x800),
      fault,
    };
  }
}

/** Differences between a vector and an outcome, as text (empty when equal). */
export function diffX87(v: X87Vector, o: X87Outcome): string {
  const d: string[] = [];
  if (o.fault >= 0) d.push(`fault ${o.fault}`);
  if (v.fsw !== o.fsw) d.push(`fsw ${v.fsw.toString(16)} got ${o.fsw.toString(16)}`);
  if (v.ftw !== o.ftw) d.push(`ftw ${v.ftw.toString(16)} got ${o.ftw.toString(16)}`);
  for (let i = 0; i < 8; i++) {
    if (v.regs[i] !== o.regs[i]) d.push(`st${i} ${v.regs[i]} got ${o.regs[i]}`);
  }
  if (v.memOut !== o.memOut) d.push(`mem ${v.memOut} got ${o.memOut}`);
  if ((v.flags & 0x8d5) !== (o.flags & 0x8d5)) {
    d.push(`flags ${v.flags.toString(16)} got ${(o.flags & 0x8d5).toString(16)}`);
  }
  return d.join("; ");
}

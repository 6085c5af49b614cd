/**
 * Test helpers for the CPU: build a machine-less vCPU over flat RAM, set up
 * real, 32-bit protected (optionally paged) or 64-bit long mode the way an
 * OS would leave it, place code bytes and run until HLT.
 *
 * @module
 */

import { Cpu } from "./cpu.ts";
import type { CpuModel } from "./model.ts";
import type { ExitDisposition, VmExit } from "../core/vmexit.ts";
import { PhysicalMemory } from "../mm/physical.ts";
import { reloadPaging } from "./paging.ts";

/** Where the helpers put things (all identity-mapped). */
export const LAYOUT = {
  gdt: 0x1000,
  idt: 0x2000,
  pml4: 0x10000,
  pdpt: 0x11000,
  pd: 0x12000,
  tss: 0x3000,
  code: 0x100000,
  data: 0x200000,
  stack: 0x80000,
} as const;

/** A vCPU with its memory and a log of exits. */
export interface TestCpu {
  cpu: Cpu;
  mem: PhysicalMemory;
  exits: VmExit[];
  /** Handler consulted for exits (default: pass). */
  onExit: (e: VmExit) => ExitDisposition;
  time: { ns: number };
}

/** Create a vCPU over `mib` MiB of RAM (the default CPU model unless `model` is given). */
export function makeCpu(mib = 8, model?: CpuModel): TestCpu {
  const mem = new PhysicalMemory({ dirtyLog: false });
  mem.addRam(0, mib * 1024 * 1024);
  const t: TestCpu = {
    cpu: null as unknown as Cpu,
    mem,
    exits: [],
    onExit: () => "pass",
    time: { ns: 0 },
  };
  t.cpu = new Cpu({
    memory: mem,
    exits: (e) => {
      t.exits.push(e);
      return t.onExit(e);
    },
    now: () => t.time.ns + t.cpu.retired,
    stall: (ns) => {
      t.time.ns += ns;
    },
    model,
  });
  return t;
}

/** Write a GDT descriptor. */
export function gdtEntry(
  mem: PhysicalMemory,
  index: number,
  base: number,
  limit: number,
  access: number,
  flags: number,
): void {
  const lo = ((limit & 0xffff) | ((base & 0xffff) << 16)) >>> 0;
  const hi = (((base >>> 16) & 0xff) | (access << 8) | (limit & 0xf0000) | ((flags & 0xf) << 20) |
    (base & 0xff000000)) >>> 0;
  mem.write32(LAYOUT.gdt + index * 8, lo);
  mem.write32(LAYOUT.gdt + index * 8 + 4, hi);
}

/**
 * Standard GDT: 1 = code32 DPL0 (0x08), 2 = data DPL0 (0x10), 3 = code64
 * DPL0 (0x18), 4 = code32 DPL3 (0x23), 5 = data DPL3 (0x2b), 6 = code64
 * DPL3 (0x33), 7-8 = 64-bit TSS (0x38) / 7 = 32-bit TSS when !long.
 */
export function writeGdt(mem: PhysicalMemory, long: boolean): void {
  gdtEntry(mem, 0, 0, 0, 0, 0);
  gdtEntry(mem, 1, 0, 0xfffff, 0x9b, 0xc);
  gdtEntry(mem, 2, 0, 0xfffff, 0x93, 0xc);
  gdtEntry(mem, 3, 0, 0xfffff, 0x9b, 0xa);
  gdtEntry(mem, 4, 0, 0xfffff, 0xfb, 0xc);
  gdtEntry(mem, 5, 0, 0xfffff, 0xf3, 0xc);
  gdtEntry(mem, 6, 0, 0xfffff, 0xfb, 0xa);
  gdtEntry(mem, 7, LAYOUT.tss, 0x67, 0x8b, 0); // busy: TR is loaded with it
  if (long) {
    mem.write32(LAYOUT.gdt + 64, 0);
    mem.write32(LAYOUT.gdt + 68, 0);
  }
}

function seg(cpu: Cpu, s: number, sel: number, attrs: number): void {
  const r = cpu.seg[s];
  r.selector = sel;
  r.base = 0;
  r.limit = 0xffffffff;
  r.attrs = attrs;
}

/** Put the vCPU in flat 32-bit protected mode (CPL 0), optionally with 32-bit paging (identity 4 MiB pages). */
export function enter32(t: TestCpu, paging = false): void {
  const { cpu, mem } = t;
  writeGdt(mem, false);
  cpu.gdtr.base = LAYOUT.gdt;
  cpu.gdtr.limit = 16 * 8 - 1;
  cpu.idtr.base = LAYOUT.idt;
  cpu.idtr.limit = 256 * 8 - 1;
  cpu.cr0 = 0x11;
  cpu.cr4 = 0;
  if (paging) {
    for (let k = 0; k < 1024; k++) mem.write32(LAYOUT.pd + k * 4, (k << 22) | 0x87);
    cpu.cr3 = LAYOUT.pd;
    cpu.cr4 = 0x10;
    cpu.cr0 = 0x80000011;
  }
  seg(cpu, 1, 0x08, 0xc09b);
  for (const s of [0, 2, 3, 4, 5]) seg(cpu, s, 0x10, 0xc093);
  Object.assign(cpu.seg[7], { selector: 0x38, base: LAYOUT.tss, limit: 0x67, attrs: 0x8b });
  cpu.efer = 0;
  cpu.rflags = 2;
  cpu.gpr[8] = LAYOUT.stack;
  reloadPaging(cpu, false);
  cpu.stateChanged();
}

/** Put the vCPU in 64-bit long mode (CPL 0) with identity paging of the first 1 GiB (2 MiB pages). */
export function enter64(t: TestCpu): void {
  const { cpu, mem } = t;
  writeGdt(mem, true);
  cpu.gdtr.base = LAYOUT.gdt;
  cpu.gdtr.limit = 16 * 8 - 1;
  cpu.idtr.base = LAYOUT.idt;
  cpu.idtr.limit = 256 * 16 - 1;
  mem.write32(LAYOUT.pml4, LAYOUT.pdpt | 7);
  mem.write32(LAYOUT.pdpt, LAYOUT.pd | 7);
  for (let k = 0; k < 512; k++) {
    mem.write32(LAYOUT.pd + k * 8, ((k << 21) | 0x87) >>> 0);
    mem.write32(LAYOUT.pd + k * 8 + 4, 0);
  }
  cpu.cr3 = LAYOUT.pml4;
  cpu.cr4 = 0x20;
  cpu.efer = 0x501;
  cpu.cr0 = 0x80000011;
  seg(cpu, 1, 0x18, 0xa09b);
  for (const s of [0, 2, 3, 4, 5]) seg(cpu, s, 0x10, 0xc093);
  Object.assign(cpu.seg[7], { selector: 0x38, base: LAYOUT.tss, limit: 0x67, attrs: 0x8b });
  cpu.rflags = 2;
  cpu.gpr[8] = LAYOUT.stack;
  cpu.gpr[9] = 0;
  reloadPaging(cpu, false);
  cpu.stateChanged();
}

/**
 * Parse "48 89 c8 ..." into bytes: whitespace-separated groups of hex digit
 * pairs ("4889c8" is one group of three bytes). Like `Uint8Array.fromHex`,
 * anything else (an odd digit count, a non-hex character, "0x") throws a
 * SyntaxError instead of yielding NaN-turned-zero bytes.
 */
export function hex(s: string): Uint8Array {
  const groups = s.trim().split(/\s+/).filter((x) => x.length > 0);
  const out: number[] = [];
  for (const g of groups) {
    if (!/^(?:[0-9a-fA-F]{2})+$/.test(g)) {
      throw new SyntaxError(`hex: "${g}" is not a sequence of hex digit pairs (in "${s}")`);
    }
    for (let i = 0; i < g.length; i += 2) out.push(parseInt(g.slice(i, i + 2), 16));
  }
  return new Uint8Array(out);
}

/** Place code at `addr` and point RIP at it. */
export function load(t: TestCpu, code: Uint8Array | string, addr: number = LAYOUT.code): void {
  const bytes = typeof code === "string" ? hex(code) : code;
  t.mem.writeBytes(addr, bytes);
  t.cpu.rip = addr;
}

/** Run until HLT (or the limit); returns the stop reason. */
export function runToHlt(t: TestCpu, limit = 1_000_000): string {
  return t.cpu.run(t.cpu.retired + limit);
}

/** Read a 64-bit register as bigint. */
export function r64(t: TestCpu, r: number): bigint {
  return t.cpu.getGpr64(r);
}

/** Address of the exception stubs installed by {@link installIdt}. */
export const STUBS = 0x5000;

/**
 * Install an IDT whose vector v handler is `mov r15d, v; hlt` (64-bit) or
 * `mov edi, v; hlt` (32-bit), through interrupt gates with DPL 3.
 * `ist` optionally gives an IST index per vector (64-bit).
 */
export function installIdt(t: TestCpu, long: boolean, ist: Record<number, number> = {}): void {
  const { mem } = t;
  for (let v = 0; v < 256; v++) {
    const stub = STUBS + v * 16;
    if (long) {
      mem.writeBytes(stub, new Uint8Array([0x41, 0xbf, v, 0, 0, 0, 0xf4]));
      const e = LAYOUT.idt + v * 16;
      mem.write32(e, ((stub & 0xffff) | (0x18 << 16)) >>> 0);
      mem.write32(e + 4, ((stub & 0xffff0000) | 0xee00 | (ist[v] ?? 0)) >>> 0);
      mem.write32(e + 8, 0);
      mem.write32(e + 12, 0);
    } else {
      mem.writeBytes(stub, new Uint8Array([0xbf, v, 0, 0, 0, 0xf4]));
      const e = LAYOUT.idt + v * 8;
      mem.write32(e, ((stub & 0xffff) | (0x08 << 16)) >>> 0);
      mem.write32(e + 4, ((stub & 0xffff0000) | 0xee00) >>> 0);
    }
  }
}

/** Run code in fresh 64-bit long mode until HLT; `init` runs before the code starts. */
export function exec64(code: string, init?: (t: TestCpu) => void): TestCpu {
  const t = makeCpu();
  enter64(t);
  installIdt(t, true);
  init?.(t);
  load(t, code);
  const r = runToHlt(t);
  if (r !== "halted") throw new Error(`expected halted, got ${r}`);
  return t;
}

/** Run code in fresh flat 32-bit protected mode until HLT. */
export function exec32(code: string, init?: (t: TestCpu) => void): TestCpu {
  const t = makeCpu();
  enter32(t);
  installIdt(t, false);
  init?.(t);
  load(t, code);
  const r = runToHlt(t);
  if (r !== "halted") throw new Error(`expected halted, got ${r}`);
  return t;
}

/** The arithmetic flags of RFLAGS (CF PF AF ZF SF OF). */
export function aflags(t: TestCpu): number {
  return t.cpu.rflags & 0x8d5;
}

/**
 * The state an engine must leave at an instruction boundary, for comparing
 * engines: GPRs, RFLAGS, RIP, the retired count, CR2 and the 64 bytes
 * below the initial stack (an exception frame pushed there).
 */
export function boundaryState(t: TestCpu): Record<string, unknown> {
  const c = t.cpu;
  const stack: number[] = [];
  for (let k = 0; k < 64; k++) stack.push(t.mem.read8(LAYOUT.stack - 64 + k));
  return {
    gpr: [...c.gpr],
    rflags: c.rflags,
    rip: c.rip,
    retired: c.retired,
    cr2: c.cr2,
    stack,
  };
}

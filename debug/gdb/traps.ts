/**
 * Breakpoints and watchpoints as a {@link DebugHook} on the CPU.
 *
 * Breakpoints match by linear address: no 0xCC is written into guest
 * memory (a kernel copied over its own image would lose it). When the CPU
 * fetches an instruction at a breakpoint into its decoded cache, a trap copy
 * takes its place; the trap stops the machine before the instruction (RIP
 * at the breakpoint, nothing retired) when the address and the guest level
 * match, and otherwise runs the original. Watchpoints keep their pages out
 * of the CPU's fast TLB, so every access to them reaches
 * {@link DebugTraps.access}; a hit stops the machine after the accessing
 * instruction completes, as a debug-register watchpoint would.
 *
 * @module
 */

import type { Cpu } from "../../cpu/cpu.ts";
import type { DebugHook } from "../../cpu/debug_hook.ts";
import { ABANDON } from "../../cpu/fault.ts";
import { Insn } from "../../cpu/icache.ts";

/** Which guest level the debugger shows and stops in. */
export type LevelFilter = "l1" | "l2" | "any";

/** Breakpoint kinds (gdb's Z0, Z1). */
export type BreakpointKind = "software" | "hardware";

const KIND_BIT: Readonly<Record<BreakpointKind, number>> = { software: 1, hardware: 2 };

/** Watchpoint kinds (gdb's Z2, Z3, Z4). */
export type WatchKind = "write" | "read" | "access";

/** One watched range. */
export interface Watchpoint {
  /** Linear address. */
  readonly addr: number;
  /** Length in bytes. */
  readonly len: number;
  /** What triggers it. */
  readonly kind: WatchKind;
}

/** Why the machine stopped for the debugger. */
export type TrapHit =
  | { readonly kind: "breakpoint"; readonly addr: number; readonly level: 1 | 2 }
  | {
    readonly kind: "watchpoint";
    readonly watch: WatchKind;
    readonly addr: number;
    readonly level: 1 | 2;
  };

/** Guest level the vCPU runs at now. */
export function levelOf(cpu: Cpu): 1 | 2 {
  return cpu.nonRoot ? 2 : 1;
}

/** Whether `filter` admits the level the vCPU runs at. */
export function levelMatches(cpu: Cpu, filter: LevelFilter): boolean {
  return filter === "any" || (filter === "l2") === cpu.nonRoot;
}

/** Trap copy -> original instruction. */
const originals = new WeakMap<Insn, Insn>();

function trapHandler(cpu: Cpu, i: Insn): void {
  const orig = originals.get(i)!;
  const hook = cpu.debugHook;
  if (hook instanceof DebugTraps && hook.breakHere(cpu)) {
    cpu.rip = cpu.ip0;
    throw ABANDON; // nothing retired; the run loop sees the stop request
  }
  orig.h(cpu, orig);
}

function makeTrap(orig: Insn): Insn {
  const t = new Insn();
  Object.assign(t, orig);
  t.f = 0; // dispatched through `h`
  t.h = trapHandler;
  originals.set(t, orig);
  return t;
}

/** Breakpoints, watchpoints and the level filter of one debugger session. */
export class DebugTraps implements DebugHook {
  /** Breakpoint linear addresses -> kinds set there (bit 0 software, bit 1 hardware). */
  readonly breakpoints: Map<number, number> = new Map();
  /** Watched ranges. */
  readonly watchpoints: Watchpoint[] = [];
  /** Level the debugger stops in. */
  level: LevelFilter = "any";
  /** A breakpoint address to step over once (resuming from it); NaN for none. */
  skipAt = NaN;
  /** The hit that stopped the machine, until the stub takes it. */
  hit: TrapHit | null = null;
  readonly #cpu: Cpu;
  readonly #stop: () => void;

  /** Traps for `cpu`; `stop` makes the machine's run return (Machine.breakRun). */
  constructor(cpu: Cpu, stop: () => void) {
    this.#cpu = cpu;
    this.#stop = stop;
  }

  /** Take (and clear) the recorded hit. */
  takeHit(): TrapHit | null {
    const h = this.hit;
    this.hit = null;
    return h;
  }

  /** Install on the CPU. */
  attach(): void {
    this.#cpu.debugHook = this;
    this.#cpu.dropDecoded();
  }

  /** Remove from the CPU (decoded instructions are fetched again without traps). */
  detach(): void {
    if (this.#cpu.debugHook === this) this.#cpu.debugHook = null;
    this.#cpu.dropDecoded();
  }

  /**
   * Add a breakpoint at linear `addr`. Software (gdb's Z0) and hardware (Z1)
   * breakpoints work alike (by address, no guest debug registers); the kind
   * is kept for the stop reply.
   */
  addBreakpoint(addr: number, kind: BreakpointKind = "software"): void {
    const had = this.breakpoints.has(addr);
    this.breakpoints.set(addr, (this.breakpoints.get(addr) ?? 0) | KIND_BIT[kind]);
    if (!had) this.#cpu.dropDecoded();
  }

  /** Remove a breakpoint of `kind` (no-op if absent). */
  removeBreakpoint(addr: number, kind: BreakpointKind = "software"): void {
    const bits = this.breakpoints.get(addr);
    if (bits === undefined) return;
    const left = bits & ~KIND_BIT[kind];
    if (left !== 0) this.breakpoints.set(addr, left);
    else {
      this.breakpoints.delete(addr);
      this.#cpu.dropDecoded();
    }
  }

  /** Whether a software breakpoint is set at `addr` (else it is a hardware one). */
  isSoftware(addr: number): boolean {
    return ((this.breakpoints.get(addr) ?? 0) & 1) !== 0;
  }

  /** Add a watchpoint. */
  addWatchpoint(w: Watchpoint): void {
    this.watchpoints.push(w);
    this.#cpu.dropDecoded();
  }

  /** Remove the watchpoint equal to `w`; false if there was none. */
  removeWatchpoint(w: Watchpoint): boolean {
    const i = this.watchpoints.findIndex((x) =>
      x.addr === w.addr && x.len === w.len && x.kind === w.kind
    );
    if (i < 0) return false;
    this.watchpoints.splice(i, 1);
    this.#cpu.dropDecoded();
    return true;
  }

  /** Called by a trap: stop before the instruction at CS:ip0? Records the hit. */
  breakHere(cpu: Cpu): boolean {
    const lin = cpu.sbase[1] + cpu.ip0;
    if (!this.breakpoints.has(lin) || lin === this.skipAt) return false;
    if (!levelMatches(cpu, this.level)) return false;
    if (this.hit === null) this.hit = { kind: "breakpoint", addr: lin, level: levelOf(cpu) };
    this.#stop();
    return true;
  }

  /** {@link DebugHook.fetched}: put traps at breakpoints of this linear page. */
  fetched(_cpu: Cpu, lin: number, insn: Insn, page: (Insn | undefined)[], off: number): Insn {
    if (this.breakpoints.size === 0) return insn;
    const base = lin - off;
    for (const bp of this.breakpoints.keys()) {
      const o = bp - base;
      if (o < 0 || o >= 4096 || o === off) continue;
      const e = page[o];
      if (e !== undefined && !originals.has(e)) page[o] = makeTrap(e);
    }
    return this.breakpoints.has(lin) && !originals.has(insn) ? makeTrap(insn) : insn;
  }

  /** {@link DebugHook.access}: report watch hits; keep watched pages slow. */
  access(cpu: Cpu, lin: number, size: number, write: boolean): boolean {
    let watched = false;
    const page = lin - (lin & 0xfff);
    for (const w of this.watchpoints) {
      if (w.addr < page + 4096 && page < w.addr + w.len) watched = true;
      if (lin >= w.addr + w.len || w.addr >= lin + size) continue;
      if (w.kind === "write" ? !write : w.kind === "read" ? write : false) continue;
      if (!levelMatches(cpu, this.level)) continue;
      if (this.hit === null) {
        this.hit = { kind: "watchpoint", watch: w.kind, addr: w.addr, level: levelOf(cpu) };
        this.#stop();
      }
    }
    return watched;
  }
}

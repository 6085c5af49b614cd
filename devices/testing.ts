/**
 * A small stand-in for the machine, for testing device plugins without the
 * core: port and MMIO tables with conflict detection, exit handlers, IRQ
 * lines fanned out to chips, a manual {@link VirtualClock}, a service
 * registry, a memory that only keeps bulk writes (tables a device writes
 * at setup; `readBytes` returns them, other accesses throw), and a fake vCPU that records its
 * interrupt source, NMIs and raised exceptions and can run INTA cycles.
 *
 * @module
 */

import type {
  IoHandler,
  IrqChip,
  MmioRegistration,
  Plugin,
  PluginContext,
  PortRegistration,
  PowerSpace,
  ServiceToken,
  StopRequest,
} from "../core/plugin.ts";
import { PluginConflictError, PluginMissingError } from "../core/plugin.ts";
import { VirtualClock } from "../core/clock.ts";
import type { InterruptSource, Vcpu } from "../core/vcpu.ts";
import type { ExitDisposition, MsrReadExit, MsrWriteExit, VmExit } from "../core/vmexit.ts";
import type { GuestMemory } from "../mm/types.ts";

/** An exception raised through the fake vCPU's `raiseException`. */
export class FakeCpuException extends Error {
  /** Exception vector. */
  readonly vector: number;
  /** Error code. */
  readonly errorCode: number;
  /** Create it. */
  constructor(vector: number, errorCode: number) {
    super(`#${vector}(${errorCode})`);
    this.vector = vector;
    this.errorCode = errorCode;
  }
}

interface Range {
  base: number;
  size: number;
  handler: IoHandler;
  owner: string;
}

/** The result of a fake RDMSR/WRMSR. */
export type MsrResult =
  | { readonly kind: "ok"; readonly value: bigint }
  | { readonly kind: "gp" }
  | { readonly kind: "unhandled" };

/** The fake vCPU's observable interrupt state. */
export interface FakeVcpuState {
  source: InterruptSource | null;
  setSourceCalls: number;
  nmis: number;
  /** INIT signals delivered to the vCPU (an APIC's INIT IPI to itself). */
  inits: number;
  /** Start-up IPI vectors delivered to the vCPU, in order. */
  startups: number[];
  stateChangedCalls: number;
  tsc: () => bigint;
  /** Instructions retired (tests bump it to model a run slice). */
  retired: number;
}

/** A fake machine that loads plugins and lets tests poke them. */
export class FakeMachine {
  /** The virtual clock (advance it with {@link FakeMachine.advance}). */
  readonly clock: VirtualClock = new VirtualClock();
  /** Stop requests made by plugins. */
  readonly stops: StopRequest[] = [];
  /** Sleep and wake requests plugins made (`ctx.power`), in order. */
  readonly powerRequests: ("sleep" | "wake")[] = [];
  #asleep = false;
  /**
   * The `power` capability: `sleep()` carries the sleep out at once (every
   * loaded plugin's `suspend`, or `reset` without one, as the machine does
   * between instructions); `wake()` ends it.
   */
  readonly power: PowerSpace = ((fake: FakeMachine): PowerSpace => ({
    sleep: () => {
      if (fake.#asleep) return;
      fake.powerRequests.push("sleep");
      fake.#asleep = true;
      for (const p of fake.plugins) {
        if (p.suspend) p.suspend();
        else p.reset?.();
      }
    },
    wake: () => {
      if (!fake.#asleep) return;
      fake.powerRequests.push("wake");
      fake.#asleep = false;
    },
    get asleep(): boolean {
      return fake.#asleep;
    },
  }))(this);
  /** Observable vCPU state. */
  readonly cpu: FakeVcpuState;
  /** The fake vCPU handed to plugins. */
  readonly vcpu: Vcpu;
  /** IRQ line levels as last driven. */
  readonly lineLevels: Map<number, boolean> = new Map();
  /** Log lines (level: plugin: message). */
  readonly logs: string[] = [];
  /** The plugins loaded, in order. */
  readonly plugins: Plugin[] = [];
  readonly #ports: Range[] = [];
  readonly #mmio: Range[] = [];
  readonly #exits: { kind: string; handler: (e: VmExit) => ExitDisposition }[] = [];
  readonly #chips: IrqChip[] = [];
  readonly #services = new Map<string, unknown>();
  readonly #memory: GuestMemory;
  #idleNs = 0;

  /**
   * Create a machine with `ramSize` bytes of (pretend) RAM, or with `memory`
   * for devices that write guest memory (e.g. tables at setup).
   */
  constructor(ramSize = 128 * 1024 * 1024, memory?: GuestMemory) {
    const cpu: FakeVcpuState = {
      source: null,
      setSourceCalls: 0,
      nmis: 0,
      inits: 0,
      startups: [],
      stateChangedCalls: 0,
      tsc: () => BigInt(Math.floor(this.clock.now)),
      retired: 0,
    };
    this.cpu = cpu;
    // As in the real machine: virtual time = retired instructions + idle time.
    this.clock.source = () => this.#idleNs + cpu.retired * this.clock.nsPerInstruction;
    const partial: Partial<Vcpu> & { readonly retired: number } = {
      get retired(): number {
        return cpu.retired;
      },
      cr8: 0,
      nonRoot: false,
      setInterruptSource(source: InterruptSource | null): void {
        cpu.source = source;
        cpu.setSourceCalls++;
      },
      interruptStateChanged(): void {
        cpu.stateChangedCalls++;
      },
      nmi(): void {
        cpu.nmis++;
      },
      signalInit(): void {
        cpu.inits++;
      },
      signalStartup(vector: number): void {
        cpu.startups.push(vector);
      },
      raiseException(vector: number, errorCode = 0): never {
        throw new FakeCpuException(vector, errorCode);
      },
      readTsc: (): bigint => cpu.tsc(),
      writeMsr: (): boolean => true,
    };
    this.vcpu = partial as Vcpu;
    const fail = (): never => {
      throw new Error("fake memory: only ramSize is available");
    };
    const bulk = new Map<number, number>();
    this.#memory = memory ?? {
      ramSize,
      read: fail,
      write: fail,
      read64: fail,
      write64: fail,
      readBytes: (addr: number, length: number): Uint8Array =>
        Uint8Array.from({ length }, (_, i) => bulk.get(addr + i) ?? 0),
      writeBytes: (addr: number, data: Uint8Array): void => {
        data.forEach((b, i) => bulk.set(addr + i, b));
      },
      pin: fail,
      release: fail,
    };
  }

  /** Set up plugins (in order) and return this machine. */
  load(...plugins: Plugin[]): this {
    for (const p of plugins) {
      if (this.plugins.some((q) => q.name === p.name)) {
        throw new PluginConflictError(`plugin name "${p.name}" is already loaded`);
      }
      p.setup(this.#context(p));
      this.plugins.push(p);
    }
    return this;
  }

  #claim(
    table: Range[],
    kind: string,
    base: number,
    size: number,
    handler: IoHandler,
    owner: string,
  ): Range {
    for (const r of table) {
      if (base < r.base + r.size && r.base < base + size) {
        throw new PluginConflictError(
          `${kind} 0x${base.toString(16)}+${size} claimed by "${owner}" overlaps "${r.owner}"`,
        );
      }
    }
    const range: Range = { base, size, handler, owner };
    table.push(range);
    return range;
  }

  /** Move/remove for a claimed range (a move that overlaps leaves it in place). */
  #movable(table: Range[], kind: string, range: Range): MmioRegistration {
    return {
      move: (newBase: number) => {
        const i = table.indexOf(range);
        if (i >= 0) table.splice(i, 1);
        try {
          const moved = this.#claim(table, kind, newBase, range.size, range.handler, range.owner);
          table.splice(table.indexOf(moved), 1);
          range.base = newBase;
        } finally {
          table.push(range);
        }
      },
      remove: () => {
        const i = table.indexOf(range);
        if (i >= 0) table.splice(i, 1);
      },
    };
  }

  #context(plugin: Plugin): PluginContext {
    const owner = plugin.name;
    const log = (level: string) => (msg: string) =>
      void this.logs.push(`${level}: ${owner}: ${msg}`);
    return {
      ports: {
        register: (base, count, handler): PortRegistration => {
          const range = this.#claim(this.#ports, "ports", base, count, handler, owner);
          return {
            get base() {
              return range.base;
            },
            ...this.#movable(this.#ports, "ports", range),
          };
        },
      },
      mmio: {
        register: (base, size, handler): MmioRegistration => {
          const range = this.#claim(this.#mmio, "mmio", base, size, handler, owner);
          return this.#movable(this.#mmio, "mmio", range);
        },
      },
      exits: {
        on: (kind, handler) =>
          void this.#exits.push({ kind, handler: handler as (e: VmExit) => ExitDisposition }),
        intercept: () => {},
        observe: () => {},
        watchExceptions: () => {},
      },
      irq: {
        line: (irq) => ({
          set: (level) => this.setIrq(irq, level),
          pulse: () => {
            this.setIrq(irq, true);
            this.setIrq(irq, false);
          },
        }),
        addChip: (chip) => void this.#chips.push(chip),
      },
      clock: this.clock,
      memory: this.#memory,
      vcpu: this.vcpu,
      vcpus: [this.vcpu],
      currentVcpu: () => 0,
      services: {
        provide: <T>(token: ServiceToken<T>, impl: T) => {
          if (this.#services.has(token.id)) {
            throw new PluginConflictError(`service ${token.id} is already provided`);
          }
          this.#services.set(token.id, impl);
        },
        get: <T>(token: ServiceToken<T>): T => {
          if (!this.#services.has(token.id)) {
            throw new PluginMissingError(`no provider for ${token.id}`);
          }
          return this.#services.get(token.id) as T;
        },
        find: <T>(token: ServiceToken<T>): T | undefined =>
          this.#services.get(token.id) as T | undefined,
      },
      log: { debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error") },
      stop: (request) => void this.stops.push(request),
      power: this.power,
    };
  }

  /** Drive IRQ line `irq` (what `ctx.irq.line(irq).set` does). */
  setIrq(irq: number, level: boolean): void {
    this.lineLevels.set(irq, level);
    for (const chip of this.#chips) chip.setIrq(irq, level);
  }

  #find(table: Range[], addr: number): Range | undefined {
    return table.find((r) => addr >= r.base && addr < r.base + r.size);
  }

  /** IN from `port`; unclaimed ports read as all ones. */
  in(port: number, size: 1 | 2 | 4 = 1): number {
    const r = this.#find(this.#ports, port);
    if (r === undefined) return size === 4 ? 0xffffffff : (1 << (8 * size)) - 1;
    return r.handler.read(port - r.base, size);
  }

  /** OUT to `port`; unclaimed ports drop writes. */
  out(port: number, value: number, size: 1 | 2 | 4 = 1): void {
    const r = this.#find(this.#ports, port);
    if (r !== undefined) r.handler.write(port - r.base, size, value);
  }

  /** True if some plugin owns `port`. */
  hasPort(port: number): boolean {
    return this.#find(this.#ports, port) !== undefined;
  }

  /** MMIO read; unclaimed addresses read as all ones. */
  read(addr: number, size: 1 | 2 | 4 = 4): number {
    const r = this.#find(this.#mmio, addr);
    if (r === undefined) return size === 4 ? 0xffffffff : (1 << (8 * size)) - 1;
    return r.handler.read(addr - r.base, size);
  }

  /** MMIO write; unclaimed addresses drop writes. */
  write(addr: number, value: number, size: 1 | 2 | 4 = 4): void {
    const r = this.#find(this.#mmio, addr);
    if (r !== undefined) r.handler.write(addr - r.base, size, value);
  }

  /** True if some plugin owns MMIO address `addr`. */
  hasMmio(addr: number): boolean {
    return this.#find(this.#mmio, addr) !== undefined;
  }

  #offer(exit: VmExit): ExitDisposition {
    for (const e of this.#exits) {
      if (e.kind !== exit.kind) continue;
      const d = e.handler(exit);
      if (d !== "pass") return d;
    }
    return "pass";
  }

  /** RDMSR through the exit handlers. */
  rdmsr(msr: number): MsrResult {
    const exit: MsrReadExit = { kind: "rdmsr", level: 1, instructionLength: 2, msr, lo: 0, hi: 0 };
    try {
      if (this.#offer(exit) === "pass") return { kind: "unhandled" };
    } catch (e) {
      if (e instanceof FakeCpuException && e.vector === 13) return { kind: "gp" };
      throw e;
    }
    return { kind: "ok", value: (BigInt(exit.hi >>> 0) << 32n) | BigInt(exit.lo >>> 0) };
  }

  /** WRMSR through the exit handlers. */
  wrmsr(msr: number, value: bigint): MsrResult {
    const exit: MsrWriteExit = {
      kind: "wrmsr",
      level: 1,
      instructionLength: 2,
      msr,
      lo: Number(value & 0xffffffffn),
      hi: Number((value >> 32n) & 0xffffffffn),
    };
    try {
      if (this.#offer(exit) === "pass") return { kind: "unhandled" };
    } catch (e) {
      if (e instanceof FakeCpuException && e.vector === 13) return { kind: "gp" };
      throw e;
    }
    return { kind: "ok", value };
  }

  /** Advance virtual time by `ns`, firing timers. */
  advance(ns: number): void {
    this.#idleNs += ns;
    this.clock.advanceTo(this.clock.now);
  }

  /** True if the installed interrupt source has an interrupt pending. */
  intr(): boolean {
    return this.cpu.source !== null && this.cpu.source.hasInterrupt();
  }

  /** Run an INTA cycle on the installed source (returns -1 without one). */
  inta(): number {
    return this.cpu.source === null ? -1 : this.cpu.source.acknowledge();
  }

  /** Dispose every plugin (in reverse order). */
  dispose(): void {
    for (const p of [...this.plugins].reverse()) p.dispose?.();
  }
}

/**
 * The Machine: one vCPU, guest memory, a virtual clock, the exit bus and the
 * plugins set up on it, plus the run loop.
 *
 * @example
 * ```ts ignore
 * import { Machine } from "./machine.ts";
 * const m = new Machine({ memoryMiB: 64, plugins: [] });
 * const result = m.run({ maxInstructions: 1_000_000 });
 * console.log(result.reason.kind);
 * m.dispose();
 * ```
 *
 * @module
 */

import { VirtualClock } from "./clock.ts";
import { describeExit, ExitBus } from "./exit_bus.ts";
import type { VmExit } from "./vmexit.ts";
import { IrqRouter } from "./irq.ts";
import { ServiceRegistry } from "./services.ts";
import {
  type Logger,
  type Plugin,
  type PluginContext,
  PluginError,
  PluginFailedError,
  type PluginState,
  type StopRequest,
} from "./plugin.ts";
import { orderPlugins } from "./plugin_order.ts";
import type { RunResult, StopReason } from "./run_result.ts";
import { Cpu } from "../cpu/cpu.ts";
import { type CpuModel, defaultModel, modelFromSpec } from "../cpu/model.ts";
import { PhysicalMemory } from "../mm/physical.ts";
import { addPcRam, registerMmio } from "./memory_layout.ts";
import { restoreMachine, saveMachine } from "./snapshot/machine_snapshot.ts";

/** A named set of plugins (e.g. the `pc` board). */
export interface Board {
  /** Preset name (e.g. "pc"). */
  readonly name: string;
  /** The preset's plugins. */
  readonly plugins: readonly Plugin[];
}

/** Log levels, lowest first. */
export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";

/** Options for a new Machine. */
export interface MachineOptions {
  /** Guest RAM in MiB (default 128). */
  readonly memoryMiB?: number;
  /** A board preset; its plugins are set up before `plugins`. */
  readonly board?: Board;
  /** Extra plugins. */
  readonly plugins?: readonly Plugin[];
  /** CPU model: a spec such as "max,-vmx" (features switched on/off) or a model object. */
  readonly cpu?: string | CpuModel;
  /** Virtual ns per retired instruction (default 1). */
  readonly nsPerInstruction?: number;
  /** Stop with `unhandled-exit` when every handler passes on an exit. */
  readonly strictExits?: boolean;
  /** Plugin log level (default "warn"). */
  readonly logLevel?: LogLevel;
  /** Where plugin logs go (default: stderr). */
  readonly logSink?: (line: string) => void;
}

/** Options for one run. */
export interface RunOptions {
  /** Stop after this many more retired instructions. */
  readonly maxInstructions?: number;
}

const LEVELS: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3, silent: 4 };

/** Instructions between yields to the event loop in {@link Machine.runAsync}. */
const ASYNC_SLICE = 1 << 22;

/** A source of host input that {@link Machine.runAsync} can wait for. */
export interface HostInput {
  /** False once the input has ended (EOF). */
  readonly open: boolean;
  /** Resolves when new input was delivered (or the input ended). */
  wait(): Promise<void>;
}

/** Stop the machine at most this many instructions after a timer is due. */
const SLICE = 1 << 20;

/** A virtual PC. */
export class Machine {
  /** Guest physical memory. */
  readonly memory: PhysicalMemory;
  /** The virtual clock. */
  readonly clock: VirtualClock;
  /** The exit bus. */
  readonly bus: ExitBus;
  /** IRQ lines. */
  readonly irq: IrqRouter;
  /** Services offered by plugins. */
  readonly services: ServiceRegistry;
  /** The boot vCPU. */
  readonly cpu: Cpu;
  /** Plugins in setup order. */
  readonly plugins: readonly Plugin[];
  #idleNs = 0;
  #stop: StopRequest | undefined;
  #disposed = false;
  readonly #ns: number;
  readonly #logLevel: number;
  readonly #logSink: (line: string) => void;

  /** Build a machine and set up its plugins. Throws on plugin conflicts or missing requirements. */
  constructor(options: MachineOptions = {}) {
    const mib = options.memoryMiB ?? 128;
    if (!Number.isFinite(mib) || mib < 1 || mib > 65536) {
      throw new RangeError(`memory size ${mib} MiB is out of range (1..65536)`);
    }
    this.#ns = options.nsPerInstruction ?? 1;
    this.#logLevel = LEVELS[options.logLevel ?? "warn"];
    this.#logSink = options.logSink ?? ((line) => console.error(line));
    const model = typeof options.cpu === "string"
      ? modelFromSpec(stripModelName(options.cpu))
      : options.cpu ?? defaultModel();
    if (typeof model === "string") throw new RangeError(`--cpu: ${model}`);
    this.memory = new PhysicalMemory();
    addPcRam(this.memory, mib * 1024 * 1024);
    this.clock = new VirtualClock(this.#ns);
    this.bus = new ExitBus();
    this.bus.strict = options.strictExits ?? false;
    this.irq = new IrqRouter(24);
    this.services = new ServiceRegistry();
    this.cpu = new Cpu({
      memory: this.memory,
      exits: (exit) => this.bus.dispatch(exit),
      now: () => this.virtualNs,
      model,
    });
    this.bus.onStop = () => this.cpu.requestStop();
    this.clock.onDeadlineChanged = () => this.cpu.requestStop();
    this.clock.source = () => this.virtualNs;
    this.plugins = orderPlugins([...(options.board?.plugins ?? []), ...(options.plugins ?? [])]);
    for (const p of this.plugins) {
      try {
        p.setup(this.#context(p));
      } catch (error) {
        this.#disposePlugins();
        throw error instanceof PluginError ? error : new PluginFailedError(p.name, "setup", error);
      }
    }
  }

  /** Virtual time in ns: retired instructions plus time skipped while halted. */
  get virtualNs(): number {
    return this.cpu.retired * this.#ns + this.#idleNs;
  }

  /** Instructions retired since creation. */
  get retired(): number {
    return this.cpu.retired;
  }

  /** Run until the guest stops or the budget is spent. */
  run(options: RunOptions = {}): RunResult {
    if (this.#disposed) throw new Error("machine is disposed");
    const start = this.cpu.retired;
    const t0 = performance.now();
    const reason = this.#loop(this.#budgetEnd(options));
    return this.#result(reason, start, t0);
  }

  /**
   * Run like {@link Machine.run}, but yield to the event loop between slices
   * of instructions so host input (e.g. stdin for the UART) can arrive; and
   * while the guest waits in HLT with interrupts enabled and `input` is
   * still open, wait for input instead of stopping as halted.
   */
  async runAsync(options: RunOptions & { readonly input?: HostInput } = {}): Promise<RunResult> {
    if (this.#disposed) throw new Error("machine is disposed");
    const start = this.cpu.retired;
    const t0 = performance.now();
    const budgetEnd = this.#budgetEnd(options);
    for (;;) {
      const reason = this.#loop(Math.min(budgetEnd, this.cpu.retired + ASYNC_SLICE));
      if (reason.kind === "budget" && this.cpu.retired < budgetEnd) {
        await new Promise((resolve) => setTimeout(resolve, 0));
        continue;
      }
      const input = options.input;
      if (reason.kind === "halted" && input?.open && (this.cpu.rflags & 0x200) !== 0) {
        await input.wait();
        continue;
      }
      return this.#result(reason, start, t0);
    }
  }

  #budgetEnd(options: RunOptions): number {
    return options.maxInstructions === undefined
      ? Infinity
      : this.cpu.retired + Math.max(0, Math.floor(options.maxInstructions));
  }

  #result(reason: StopReason, start: number, t0: number): RunResult {
    return {
      reason,
      instructions: this.cpu.retired - start,
      totalInstructions: this.cpu.retired,
      wallMs: performance.now() - t0,
      virtualNs: this.virtualNs,
    };
  }

  #loop(budgetEnd: number): StopReason {
    for (;;) {
      const pending = this.#pendingStop();
      if (pending) return pending;
      if (this.cpu.retired >= budgetEnd) return { kind: "budget" };
      let limit = Math.min(budgetEnd, this.cpu.retired + SLICE);
      const deadline = this.clock.nextDeadline;
      if (deadline !== Infinity) {
        const untilDeadline = Math.ceil((deadline - this.virtualNs) / this.#ns);
        limit = Math.min(limit, this.cpu.retired + Math.max(1, untilDeadline));
      }
      const stop = this.cpu.run(limit);
      this.clock.advanceTo(this.virtualNs);
      if (stop === "shutdown") {
        return this.#pendingStop() ?? { kind: "triple-fault" };
      }
      if (stop === "halted") {
        const again = this.#pendingStop();
        if (again) return again;
        if (this.clock.nextDeadline === Infinity) return { kind: "halted" };
        // Skip idle time to the next timer; it may raise an interrupt that wakes the vCPU.
        this.#idleNs += Math.max(0, this.clock.nextDeadline - this.virtualNs);
        this.clock.advanceTo(this.virtualNs);
      }
    }
  }

  #pendingStop(): StopReason | undefined {
    const fault = this.bus.fault;
    if (fault) {
      this.bus.fault = undefined;
      this.#rewind(fault.raw);
      const message = fault.error instanceof Error ? fault.error.message : String(fault.error);
      return { kind: "plugin-error", plugin: fault.plugin, exit: fault.exit, message };
    }
    const unhandled = this.bus.unhandled;
    if (unhandled) {
      this.bus.unhandled = undefined;
      this.#rewind(unhandled);
      return { kind: "unhandled-exit", exit: unhandled, description: describeExit(unhandled) };
    }
    const req = this.#stop;
    if (req) {
      this.#stop = undefined;
      return req.kind === "exit" ? { kind: "exit", status: req.status } : { kind: req.kind };
    }
    return undefined;
  }

  /**
   * An instruction whose exit failed was abandoned without retiring; point
   * RIP back at it so the state is consistent (and a resumed run retries it).
   */
  #rewind(exit: VmExit): void {
    if (exit.instructionLength > 0) this.cpu.rip = this.cpu.ip0;
  }

  /** Reset the vCPU and every plugin to power-on state. */
  reset(): void {
    this.cpu.reset();
    for (const p of this.plugins) {
      try {
        p.reset?.();
      } catch (error) {
        throw new PluginFailedError(p.name, "reset", error);
      }
    }
  }

  /** Save every plugin's state, keyed by plugin name. */
  savePluginStates(): Record<string, PluginState> {
    const out: Record<string, PluginState> = {};
    for (const p of this.plugins) {
      if (p.saveState) out[p.name] = p.saveState();
    }
    return out;
  }

  /** Restore plugin states saved by {@link savePluginStates}. */
  loadPluginStates(states: Record<string, PluginState>): void {
    for (const p of this.plugins) {
      const s = states[p.name];
      if (s && p.loadState) p.loadState(s);
    }
  }

  /** Time skipped while halted (for snapshots). */
  get idleNs(): number {
    return this.#idleNs;
  }

  /** Restore the idle-time counter (snapshot restore). */
  set idleNs(value: number) {
    this.#idleNs = value;
  }

  /**
   * Save a snapshot of the whole machine (see `core/snapshot/`). With
   * `incremental`, only pages written since this machine's previous
   * snapshot are included (a delta).
   */
  save(options: { incremental?: boolean } = {}): Promise<Uint8Array> {
    return saveMachine(this, options);
  }

  /**
   * Restore a machine from a snapshot (or a full snapshot and its deltas),
   * building it with `options` (same memory and plugins as when saved).
   */
  static restore(
    snapshot: Uint8Array | readonly Uint8Array[],
    options: MachineOptions = {},
  ): Promise<Machine> {
    return restoreMachine(snapshot, () => new Machine(options));
  }

  /** Dispose every plugin (releasing pins and timers). Idempotent. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#disposePlugins();
  }

  #disposePlugins(): void {
    for (const p of [...this.plugins].reverse()) {
      try {
        p.dispose?.();
      } catch (error) {
        this.#log(p.name, "error", `dispose failed: ${error}`);
      }
    }
  }

  #log(plugin: string, level: LogLevel, msg: string): void {
    if (LEVELS[level] < this.#logLevel) return;
    this.#logSink(`[${plugin}] ${level}: ${msg}`);
  }

  #context(p: Plugin): PluginContext {
    const name = p.name;
    const log: Logger = {
      debug: (m) => this.#log(name, "debug", m),
      info: (m) => this.#log(name, "info", m),
      warn: (m) => this.#log(name, "warn", m),
      error: (m) => this.#log(name, "error", m),
    };
    return {
      ports: {
        register: (base, count, handler) => this.bus.registerPorts(name, base, count, handler),
      },
      mmio: {
        register: (base, size, handler) => registerMmio(this.memory, name, base, size, handler),
      },
      exits: {
        on: (kind, handler) => this.bus.on(name, kind, handler as never),
        intercept: (handler, levels) => this.bus.intercept(name, handler, levels),
        observe: (observer) => this.bus.observe(name, observer),
        watchExceptions: (vectors) => {
          for (const v of vectors) {
            if (!Number.isInteger(v) || v < 0 || v > 31) {
              throw new RangeError(`${name}: exception vector ${v} is not 0..31`);
            }
            this.cpu.watchedExceptions |= 1 << v;
          }
        },
      },
      irq: { line: (n) => this.irq.line(n, name), addChip: (chip) => this.irq.addChip(chip) },
      clock: this.clock,
      memory: this.memory,
      vcpu: this.cpu,
      services: {
        provide: (token, impl) => this.services.provide(name, token, impl),
        get: (token) => this.services.get(token, name),
        find: (token) => this.services.find(token),
      },
      log,
      stop: (req) => {
        this.#stop ??= req;
        this.cpu.requestStop();
      },
    };
  }
}

/**
 * CPU model names accepted at the head of a `-cpu` spec. nestvm has one
 * model (all the features it implements); QEMU's common names select it so
 * that QEMU command lines work.
 */
export const CPU_MODEL_NAMES: readonly string[] = ["max", "host", "nestvm", "qemu64", "base"];

/** Drop a leading model name from a spec like "max,-vmx". */
function stripModelName(spec: string): string {
  const [head, ...rest] = spec.split(",");
  return CPU_MODEL_NAMES.includes(head.trim()) ? rest.join(",") : spec;
}

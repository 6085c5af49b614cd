/**
 * The Machine: one or more vCPUs, guest memory, a virtual clock, the exit
 * bus and the plugins set up on it, plus the run loop.
 *
 * The machine is composed, not hard-wired: it receives its CPU engine and
 * its guest memory through factories ({@link MachineOptions.engine},
 * {@link MachineOptions.memory}) written against core's contracts
 * (`engine.ts`, `guest_memory.ts`). A board decides what they are; the PC
 * board is in `plugins/pc_machine.ts`.
 *
 * @example
 * ```ts ignore
 * import { newPcMachine } from "../plugins/pc_machine.ts";
 * const m = newPcMachine({ memoryMiB: 64, plugins: [] });
 * const result = m.run({ maxInstructions: 1_000_000 });
 * console.log(result.reason.kind);
 * m.dispose();
 * ```
 *
 * @module
 */

import { VirtualClock } from "./clock.ts";
import { describeExit, ExitBus } from "./exit_bus.ts";
import type { MmioExit, VmExit } from "./vmexit.ts";
import { WindowRequest } from "./vcpu_vmx.ts";
import { IrqRouter } from "./irq.ts";
import { ServiceRegistry } from "./services.ts";
import {
  type IoHandler,
  type Logger,
  type MmioRegistration,
  type Plugin,
  PluginConflictError,
  type PluginContext,
  PluginError,
  PluginFailedError,
  type PluginState,
  type StopRequest,
} from "./plugin.ts";
import { PowerControl, type PowerState, type ResumeOutcome } from "./power.ts";
import { orderPlugins } from "./plugin_order.ts";
import type { RunResult, StopReason } from "./run_result.ts";
import type { CpuEngine, EngineFactory } from "./engine.ts";
import type { MachineMemory, RegionResult } from "./guest_memory.ts";
import { MmioOwnerTable, type MmioRange } from "./mmio_owners.ts";
import { restoreMachine, saveMachine } from "./snapshot/machine_snapshot.ts";
import { SmpScheduler } from "./smp_scheduler.ts";
import { EventLoopYield } from "./event_loop_yield.ts";

/** A named set of plugins (e.g. the `pc` board). */
export interface Board {
  /** Preset name (e.g. "pc"). */
  readonly name: string;
  /** The preset's plugins. */
  readonly plugins: readonly Plugin[];
}

/** Log levels, lowest first. */
export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";

/**
 * Options for a new Machine: what it is composed of (memory, CPU engine,
 * plugins) and how it runs.
 */
export interface MachineOptions<
  C extends CpuEngine = CpuEngine,
  M extends MachineMemory = MachineMemory,
> {
  /** Builds the guest memory (RAM map included). */
  readonly memory: () => M;
  /** Builds each vCPU over that memory (called once per vCPU, with its index). */
  readonly engine: EngineFactory<C, M>;
  /** Number of vCPUs (default 1, at most {@link MAX_VCPUS}). */
  readonly vcpus?: number;
  /**
   * Instructions a vCPU runs before the next one gets its turn (default
   * {@link DEFAULT_QUANTUM}; only used with several vCPUs). See
   * `core/smp_scheduler.ts`.
   */
  readonly quantum?: number;
  /** A board preset; its plugins are set up before `plugins`. */
  readonly board?: Board;
  /** Extra plugins. */
  readonly plugins?: readonly Plugin[];
  /** Virtual ns per retired instruction (default 1). */
  readonly nsPerInstruction?: number;
  /** Stop with `unhandled-exit` when every handler passes on an exit. */
  readonly strictExits?: boolean;
  /** Plugin log level (default "warn"). */
  readonly logLevel?: LogLevel;
  /** Where plugin logs go (default: stderr). */
  readonly logSink?: (line: string) => void;
  /**
   * The board's firmware resume path, run when the machine wakes from the
   * sleeping state (see `core/power.ts`): the vCPUs are at their
   * power-on state and main-power devices at theirs; it does what firmware
   * does on resume and points the boot vCPU at the operating system's
   * waking vector. Without it a wake stops the run as a "reset" (there is
   * no firmware to resume with).
   */
  readonly resume?: (machine: Machine<C, M>) => ResumeOutcome;
}

/** Options for one run. */
export interface RunOptions {
  /** Stop after this many more retired instructions. */
  readonly maxInstructions?: number;
}

const LEVELS: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3, silent: 4 };

/** Instructions between yields to the event loop in {@link Machine.runAsync}. */
const ASYNC_SLICE = 1 << 22;

/**
 * How {@link Machine.runAsync} lets time pass while every vCPU is halted
 * waiting for a timer: "skip" jumps virtual time to the timer's deadline
 * at once (deterministic; what {@link Machine.run} always does), "wait"
 * lets it pass in host time while host input is open, so a guest idling
 * at an interactive prompt keeps a clock that runs with the wall clock and
 * leaves the host CPU idle. Input that arrives during the wait ends it.
 */
export type IdleMode = "skip" | "wait";

/** Options of {@link Machine.runAsync}. */
export interface AsyncRunOptions extends RunOptions {
  /** Host input the run waits for while the guest idles. */
  readonly input?: HostInput;
  /** Idle time while `input` is open (default "skip"). */
  readonly idle?: IdleMode;
}

/** A source of host input that {@link Machine.runAsync} can wait for. */
export interface HostInput {
  /** False once the input has ended (EOF). */
  readonly open: boolean;
  /** Resolves when new input was delivered (or the input ended). */
  wait(): Promise<void>;
}

/**
 * Timer steps a sleeping machine takes in one slice of {@link Machine.runAsync}
 * before it yields to the event loop (no instruction retires while asleep).
 */
const ASYNC_SLEEP_STEPS = 4096;

/** Stop the machine at most this many instructions after a timer is due. */
const SLICE = 1 << 20;
/**
 * Idle virtual time after which a vCPU halted with interrupts masked (and
 * nothing woke it) ends the run as "halted": 10 s, far beyond any watchdog
 * NMI a test kernel arms.
 */
const MASKED_HALT_NS = 10e9;

/** Most vCPUs a machine may have (APIC ids 0..MAX_VCPUS-1 stay below the xAPIC broadcast id). */
export const MAX_VCPUS = 64;
/**
 * Default scheduling quantum in instructions (several vCPUs): 10 µs of a
 * vCPU's virtual time. Each turn costs the engine a region exit and a
 * scheduler pass; at 10,000 instructions that keeps the total MIPS of N
 * vCPUs near one vCPU's (bench/smp_mips.ts), where 1,000 lost 25-40%.
 */
export const DEFAULT_QUANTUM = 10_000;

/** A virtual machine: vCPUs of engine type `C` over guest memory `M`. */
export class Machine<C extends CpuEngine = CpuEngine, M extends MachineMemory = MachineMemory> {
  /** Guest physical memory. */
  readonly memory: M;
  /** The virtual clock. */
  readonly clock: VirtualClock;
  /** The exit bus. */
  readonly bus: ExitBus;
  /** IRQ lines. */
  readonly irq: IrqRouter;
  /** Services offered by plugins. */
  readonly services: ServiceRegistry;
  /** The boot vCPU (`cpus[0]`). */
  readonly cpu: C;
  /** Every vCPU; the index is the APIC id. */
  readonly cpus: readonly C[];
  /** The multiprocessor scheduler (undefined with one vCPU: the loop below runs it alone). */
  readonly scheduler: SmpScheduler<C> | undefined;
  /** Plugins in setup order. */
  readonly plugins: readonly Plugin[];
  #idleNs = 0;
  /** A run that lets idle time pass in host time ({@link IdleMode} "wait"). */
  #waitIdle = false;
  /** Idle time the run loop left for runAsync to wait (ns), or -1. */
  #idleWaitNs = -1;
  /** Virtual time at which the vCPU halted with interrupts masked, or -1. */
  #maskedHaltSince = -1;
  /** Retired count then (any instruction retired since means it woke up). */
  #maskedHaltRetired = 0;
  #stop: StopRequest | undefined;
  /** The sleeping state, ACPI S3 (`core/power.ts`). */
  readonly #power: PowerControl;
  #debugBreak = false;
  #disposed = false;
  #running = false;
  /**
   * The instruction limit of the single-vCPU loop's current slice (NaN
   * outside one): a stall moves the time that limit reaches (see `#stall`).
   */
  #sliceEnd = NaN;
  readonly #mmio = new MmioOwnerTable();
  readonly #mmioRouted = new Set<string>();
  readonly #mmioRecord: { -readonly [K in keyof MmioExit]: MmioExit[K] } = {
    kind: "mmio",
    level: 1,
    instructionLength: 0,
    gpa: 0,
    size: 1,
    direction: "in",
    value: 0,
    valueHi: 0,
  };
  #mmioBusy = false;
  readonly #ns: number;
  readonly #logLevel: number;
  readonly #logSink: (line: string) => void;

  /** Build a machine and set up its plugins. Throws on plugin conflicts or missing requirements. */
  constructor(options: MachineOptions<C, M>) {
    const count = options.vcpus ?? 1;
    if (!Number.isInteger(count) || count < 1 || count > MAX_VCPUS) {
      throw new RangeError(`the vCPU count ${count} is out of range (1..${MAX_VCPUS})`);
    }
    this.#ns = options.nsPerInstruction ?? 1;
    this.#logLevel = LEVELS[options.logLevel ?? "warn"];
    this.#logSink = options.logSink ?? ((line) => console.error(line));
    this.memory = options.memory();
    this.clock = new VirtualClock(this.#ns);
    const resume = options.resume;
    this.#power = new PowerControl({
      plugins: () => this.plugins,
      clock: this.clock,
      retired: () => this.retired,
      virtualNs: () => this.virtualNs,
      skipIdle: (ns) => {
        this.#idleNs += ns;
      },
      requestStop: () => this.#currentCpu().requestStop(),
      resetCpus: () => {
        for (const cpu of this.cpus) cpu.reset();
        this.scheduler?.reset();
        this.#maskedHaltSince = -1;
      },
      zeroTsc: () => {
        for (const cpu of this.cpus) cpu.resetTsc();
      },
      resume: resume === undefined ? undefined : () => resume(this),
      log: (m) => this.#log("machine", "info", m),
    });
    this.bus = new ExitBus();
    this.bus.strict = options.strictExits ?? false;
    this.irq = new IrqRouter(24);
    this.services = new ServiceRegistry();
    const cpus: C[] = [];
    for (let index = 0; index < count; index++) {
      cpus.push(options.engine({
        memory: this.memory,
        exits: (exit) => this.bus.dispatch(exit),
        now: () => this.virtualNs,
        stall: (ns) => this.#stall(ns),
        spinWait: () => this.scheduler?.spinWait(),
        index,
        count,
      }));
    }
    this.cpus = cpus;
    this.cpu = cpus[0];
    this.bus.vcpuCount = count;
    this.scheduler = count > 1
      ? new SmpScheduler(cpus, this.bus, options.quantum ?? DEFAULT_QUANTUM)
      : undefined;
    if (this.scheduler === undefined) {
      this.bus.onStop = () => this.cpu.requestStop();
      this.clock.onDeadlineChanged = () => this.cpu.requestStop();
    } else {
      const sched = this.scheduler;
      this.bus.onStop = () => sched.current.requestStop();
      this.clock.onDeadlineChanged = () => sched.current.requestStop();
    }
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

  /**
   * Virtual time in ns: instructions retired by all vCPUs plus time skipped
   * while every vCPU was halted and the vCPUs' stalls (see
   * `core/smp_scheduler.ts` for why the sum, `core/clock.ts` for stalls).
   */
  get virtualNs(): number {
    return this.retired * this.#ns + this.#idleNs;
  }

  /** Instructions retired since creation, by all vCPUs. */
  get retired(): number {
    return this.scheduler === undefined ? this.cpu.retired : this.scheduler.retired();
  }

  /** Run until the guest stops or the budget is spent. */
  run(options: RunOptions = {}): RunResult {
    if (this.#disposed) throw new Error("machine is disposed");
    const start = this.retired;
    const t0 = performance.now();
    const reason = this.#run(this.#budgetEnd(options));
    return this.#result(reason, start, t0);
  }

  /**
   * Run like {@link Machine.run}, but yield to the event loop between slices
   * of instructions so host input (e.g. stdin for the UART) can arrive; and
   * while the guest waits in HLT with interrupts enabled and `input` is
   * still open, wait for input instead of stopping as halted. With `idle:
   * "wait"` the time to the next timer also passes in host time while
   * `input` is open (see {@link IdleMode}).
   */
  async runAsync(options: AsyncRunOptions = {}): Promise<RunResult> {
    if (this.#disposed) throw new Error("machine is disposed");
    const start = this.retired;
    const t0 = performance.now();
    const budgetEnd = this.#budgetEnd(options);
    const yieldPoint = new EventLoopYield();
    const input = options.input;
    // One pending wait for input, shared by the idle waits until it resolves.
    let inputArrived: Promise<void> | null = null;
    const nextInput = () => {
      inputArrived ??= input!.wait().then(() => void (inputArrived = null));
      return inputArrived;
    };
    try {
      for (;;) {
        this.#power.sleepSteps = ASYNC_SLEEP_STEPS;
        this.#waitIdle = options.idle === "wait" && input?.open === true;
        const reason = this.#run(Math.min(budgetEnd, this.retired + ASYNC_SLICE));
        if (reason.kind === "budget" && this.retired < budgetEnd) {
          await yieldPoint.next();
          continue;
        }
        if (reason.kind === "halted" && this.#idleWaitNs >= 0) {
          // Every vCPU waits for a timer: let its time pass on the host's clock.
          const ns = this.#idleWaitNs;
          this.#idleWaitNs = -1;
          const waited = input?.open ? await waitAtMost(ns, nextInput()) : ns;
          this.#idleNs += waited;
          this.clock.advanceTo(this.virtualNs);
          continue;
        }
        if (reason.kind === "halted" && input?.open && (this.cpu.rflags & 0x200) !== 0) {
          await input.wait();
          continue;
        }
        return this.#result(reason, start, t0);
      }
    } finally {
      this.#power.sleepSteps = Infinity;
      this.#waitIdle = false;
      this.#idleWaitNs = -1;
      yieldPoint.close();
    }
  }

  #budgetEnd(options: RunOptions): number {
    return options.maxInstructions === undefined
      ? Infinity
      : this.retired + Math.max(0, Math.floor(options.maxInstructions));
  }

  #result(reason: StopReason, start: number, t0: number): RunResult {
    return {
      reason,
      instructions: this.retired - start,
      totalInstructions: this.retired,
      wallMs: performance.now() - t0,
      virtualNs: this.virtualNs,
    };
  }

  /** The run loop: the one-vCPU loop below, or the scheduler's with several. */
  #run(budgetEnd: number): StopReason {
    if (this.scheduler === undefined) return this.#loop(budgetEnd);
    return this.scheduler.loop(budgetEnd, {
      pendingStop: () => this.#pendingStop(),
      clock: this.clock,
      ns: this.#ns,
      virtualNs: () => this.virtualNs,
      skipIdle: (ns) => {
        this.#idleNs += ns;
      },
      waitIdle: (ns) => this.#leaveIdleWait(ns),
      powerPending: () => this.#power.pending(),
      powerStep: (end) => this.#power.step(end),
      running: (on) => {
        this.#running = on;
      },
    });
  }

  #loop(budgetEnd: number): StopReason {
    for (;;) {
      const pending = this.#pendingStop();
      if (pending) return pending;
      if (this.#power.pending()) {
        const r = this.#power.step(budgetEnd);
        if (r) return r;
        continue;
      }
      if (this.cpu.retired >= budgetEnd) return { kind: "budget" };
      let limit = Math.min(budgetEnd, this.cpu.retired + SLICE);
      const deadline = this.clock.nextDeadline;
      if (deadline !== Infinity) {
        const untilDeadline = Math.ceil((deadline - this.virtualNs) / this.#ns);
        limit = Math.min(limit, this.cpu.retired + Math.max(1, untilDeadline));
      }
      this.#running = true;
      this.#sliceEnd = limit;
      let stop;
      try {
        stop = this.cpu.run(limit);
      } finally {
        this.#running = false;
        this.#sliceEnd = NaN;
      }
      this.clock.advanceTo(this.virtualNs);
      if (stop === "shutdown") {
        return this.#pendingStop() ?? { kind: "triple-fault" };
      }
      if (stop === "halted") {
        const again = this.#pendingStop();
        if (again) return again;
        if (this.#power.pending()) continue;
        if (this.clock.nextDeadline === Infinity) return { kind: "halted" };
        // With interrupts masked only an NMI (or INIT) can wake the vCPU; a
        // ticking timer keeps virtual time moving without retiring anything,
        // so give up after MASKED_HALT_NS of idle time with no wake-up.
        if (this.#interruptsMasked()) {
          if (this.#maskedHaltSince < 0 || this.#maskedHaltRetired !== this.cpu.retired) {
            this.#maskedHaltSince = this.virtualNs;
            this.#maskedHaltRetired = this.cpu.retired;
          } else if (this.virtualNs - this.#maskedHaltSince >= MASKED_HALT_NS) {
            this.#maskedHaltSince = -1;
            return { kind: "halted" };
          }
        } else this.#maskedHaltSince = -1;
        // Skip idle time to the next timer; it may raise an interrupt that wakes the vCPU.
        const idle = Math.max(0, this.clock.nextDeadline - this.virtualNs);
        if (this.#leaveIdleWait(idle)) return { kind: "halted" };
        this.#idleNs += idle;
        this.clock.advanceTo(this.virtualNs);
      }
    }
  }

  /**
   * In a run that waits out idle time ({@link IdleMode} "wait"): note `ns`
   * for runAsync and return true (the loop stops as halted); else false.
   */
  #leaveIdleWait(ns: number): boolean {
    if (!this.#waitIdle || ns <= 0) return false;
    this.#idleWaitNs = ns;
    return true;
  }

  /** The vCPU that runs now (the boot vCPU outside a run). */
  #currentCpu(): C {
    return this.scheduler === undefined ? this.cpu : this.scheduler.current;
  }

  /** The power state (ACPI S3), for snapshots. */
  get powerState(): PowerState {
    return this.#power.state;
  }

  /** Restore the power state (snapshot restore). */
  set powerState(s: PowerState) {
    this.#power.state = s;
  }

  /**
   * A vCPU stalled for `ns` (see `core/stall.ts`): the time retires nothing,
   * like idle time. When it reaches a timer deadline the running vCPU stops
   * at the end of the instruction, so the loop fires the timer there (its
   * instruction limit counted 1 ns per instruction). So it does when the
   * stall moves the end of the single-vCPU loop's slice past the next
   * deadline: the slice's limit was counted in instructions from a time the
   * stall has now pushed back, and the timer would fire late by the stall
   * (a VMX-preemption timer after the L2 instruction it must precede); the
   * loop then counts the limit again from the current time.
   */
  #stall(ns: number): void {
    if (!(ns > 0)) return;
    this.#idleNs += ns;
    const next = this.clock.nextDeadline;
    const sliceEndsAt = this.virtualNs + (this.#sliceEnd - this.cpu.retired) * this.#ns;
    if (this.virtualNs >= next || sliceEndsAt > next) {
      (this.scheduler === undefined ? this.cpu : this.scheduler.current).requestStop();
    }
  }

  /** Whether a maskable interrupt cannot wake the halted vCPU (RFLAGS.IF=0, no external-interrupt exiting). */
  #interruptsMasked(): boolean {
    const c = this.cpu;
    if ((c.rflags & 0x200) !== 0) return false;
    return !(c.nonRoot && (c.windowRequests & WindowRequest.EXTERNAL_INTERRUPT) !== 0);
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
    if (this.#debugBreak) {
      this.#debugBreak = false;
      return { kind: "debug" };
    }
    const req = this.#stop;
    if (req) {
      this.#stop = undefined;
      if (req.kind === "vmx-abort") return { ...req };
      return req.kind === "exit" ? { kind: "exit", status: req.status } : { kind: req.kind };
    }
    return undefined;
  }

  /**
   * An instruction whose exit failed was abandoned without retiring; point
   * RIP back at it so the state is consistent (and a resumed run retries it).
   */
  #rewind(exit: VmExit): void {
    const cpu = this.scheduler === undefined ? this.cpu : this.scheduler.current;
    if (exit.instructionLength > 0 || exit.kind === "mmio") cpu.rip = cpu.ip0;
  }

  /**
   * Make the current run return at the next instruction boundary with the
   * stop reason "debug" (for debugger stubs: breakpoint and watchpoint hits).
   */
  breakRun(): void {
    this.#debugBreak = true;
    (this.scheduler === undefined ? this.cpu : this.scheduler.current).requestStop();
  }

  /** Reset every vCPU and every plugin to power-on state. */
  reset(): void {
    this.#power.reset();
    for (const cpu of this.cpus) cpu.reset();
    this.scheduler?.reset();
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

  /** Time that retired no instruction: skipped while halted, and stalls (for snapshots). */
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
  static restore<C extends CpuEngine, M extends MachineMemory>(
    snapshot: Uint8Array | readonly Uint8Array[],
    options: MachineOptions<C, M>,
  ): Promise<Machine<C, M>> {
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

  // ---- MMIO: owner table in front of the memory, accesses through the bus ----

  #registerMmio(
    plugin: string,
    base: number,
    size: number,
    handler: IoHandler,
  ): MmioRegistration {
    const range = this.#mmio.claim(plugin, base, size, handler);
    const mapped = this.memory.addMmio(base, size, plugin, this.#mmioBridge(range));
    if (!mapped.ok) {
      this.#mmio.remove(range);
      mapFailed(mapped, plugin);
    }
    const id = mapped.region.id;
    if (!this.#mmioRouted.has(plugin)) {
      this.#mmioRouted.add(plugin);
      // One owner handler per plugin: the bus names the plugin when it throws.
      this.bus.on(plugin, "mmio", (exit) => this.#mmioOwner(plugin, exit as MmioExit));
    }
    return {
      move: (newBase: number): void => {
        const old = range.base;
        this.#mmio.move(range, newBase);
        const r = this.memory.moveRegion(id, newBase);
        if (!r.ok) {
          range.base = old;
          mapFailed(r, plugin);
        }
      },
      remove: (): void => {
        const r = this.memory.removeRegion(id);
        if (!r.ok) mapFailed(r, plugin);
        this.#mmio.remove(range);
      },
    };
  }

  /**
   * The handler the memory calls for `range`: the access becomes an `mmio`
   * exit on the bus. One record is reused (an exit is valid only while it
   * is dispatched); a nested MMIO access from inside a handler gets its own.
   */
  #mmioBridge(range: MmioRange): IoHandler {
    const exit = (offset: number, size: 1 | 2 | 4, direction: "in" | "out", value: number) => {
      const reuse = !this.#mmioBusy;
      const e = reuse ? this.#mmioRecord : { ...this.#mmioRecord };
      e.level = (this.scheduler === undefined ? this.cpu : this.scheduler.current).nonRoot ? 2 : 1;
      e.gpa = range.base + offset;
      e.size = size;
      e.direction = direction;
      e.value = value;
      e.valueHi = 0;
      let d;
      if (reuse) {
        this.#mmioBusy = true;
        try {
          d = this.bus.dispatch(e);
        } finally {
          this.#mmioBusy = false;
        }
      } else d = this.bus.dispatch(e);
      if (d === "reflected") this.#mmioFailed();
      return e.value;
    };
    return {
      read: (offset, size) => exit(offset, size, "in", 0),
      write: (offset, size, value) => {
        exit(offset, size, "out", value);
      },
    };
  }

  /** Owner step of an `mmio` exit for `plugin`'s ranges. */
  #mmioOwner(plugin: string, exit: MmioExit): "handled" | "pass" {
    const r = this.#mmio.find(plugin, exit.gpa);
    if (r === undefined) return "pass";
    const size = exit.size as 1 | 2 | 4;
    if (exit.direction === "in") exit.value = r.handler.read(exit.gpa - r.base, size) >>> 0;
    else r.handler.write(exit.gpa - r.base, size, exit.value >>> 0);
    return "handled";
  }

  /**
   * An MMIO access could not complete (its owner threw; the bus recorded the
   * plugin error and asked the vCPU to stop). Inside the run loop the
   * instruction is abandoned unretired; a host-side access gets the error.
   */
  #mmioFailed(): never {
    if (this.#running) {
      (this.scheduler === undefined ? this.cpu : this.scheduler.current).abandonInstruction();
    }
    const fault = this.bus.fault;
    this.bus.fault = undefined;
    const unhandled = this.bus.unhandled;
    this.bus.unhandled = undefined;
    const why = fault
      ? `plugin "${fault.plugin}" failed on ${fault.exit}: ${
        fault.error instanceof Error ? fault.error.message : String(fault.error)
      }`
      : unhandled
      ? `nobody handled ${describeExit(unhandled)}`
      : "the access was refused";
    throw new Error(`MMIO access failed: ${why}`);
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
        register: (base, size, handler) => this.#registerMmio(name, base, size, handler),
      },
      exits: {
        on: (kind, handler) => this.bus.on(name, kind, handler as never),
        intercept: (handler, levels, order) => this.bus.intercept(name, handler, levels, order),
        observe: (observer) => this.bus.observe(name, observer),
        watchExceptions: (vectors) => {
          for (const v of vectors) {
            if (!Number.isInteger(v) || v < 0 || v > 31) {
              throw new RangeError(`${name}: exception vector ${v} is not 0..31`);
            }
            for (const cpu of this.cpus) cpu.watchedExceptions |= 1 << v;
          }
        },
      },
      irq: { line: (n) => this.irq.line(n, name), addChip: (chip) => this.irq.addChip(chip) },
      clock: this.clock,
      memory: this.memory,
      vcpu: this.cpu,
      vcpus: this.cpus,
      currentVcpu: () => this.bus.vcpu,
      services: {
        provide: (token, impl) => this.services.provide(name, token, impl),
        get: (token) => this.services.get(token, name),
        find: (token) => this.services.find(token),
      },
      log,
      stop: (req) => {
        this.#stop ??= req;
        (this.scheduler === undefined ? this.cpu : this.scheduler.current).requestStop();
      },
      power: this.#power.space,
    };
  }
}

/** Turn a refused region-map change into the error the plugin's call throws. */
function mapFailed(r: RegionResult & { ok: false }, plugin: string): never {
  const e = r.error;
  switch (e.kind) {
    case "overlap":
      throw new PluginConflictError(
        `MMIO range 0x${e.base.toString(16)}+0x${
          e.size.toString(16)
        } is claimed by both "${e.other}" and "${plugin}"`,
      );
    case "pinned":
      throw new PluginConflictError(e.message);
    default:
      throw new RangeError(`${plugin}: memory region refused (${e.kind})`);
  }
}

/**
 * Wait `ns` of host time or until `input` resolves, whichever is first;
 * resolves to the ns waited (at most `ns`).
 */
async function waitAtMost(ns: number, input: Promise<void>): Promise<number> {
  const t0 = performance.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([input, new Promise<void>((r) => timer = setTimeout(r, ns / 1e6))]);
  clearTimeout(timer);
  return Math.min(ns, Math.max(0, Math.round((performance.now() - t0) * 1e6)));
}

/**
 * The plugin contract. A plugin declares who it is and what it needs, and
 * receives typed capabilities in `setup(ctx)`; it never sees the Machine.
 *
 * @example A port-mapped device
 * ```ts
 * import type { Plugin } from "./plugin.ts";
 * const scratch: Plugin = {
 *   name: "scratch",
 *   version: "1.0.0",
 *   apiVersion: 1,
 *   setup(ctx) {
 *     let value = 0;
 *     ctx.ports.register(0x80, 1, {
 *       read: () => value,
 *       write: (_off, _size, v) => { value = v & 0xff; },
 *     });
 *   },
 * };
 * ```
 *
 * @module
 */

import type { ExitDisposition, Level, VmExit } from "./vmexit.ts";
import type { Vcpu } from "./vcpu.ts";
import type { VirtualClock } from "./clock.ts";
import type { GuestMemory } from "./guest_memory.ts";

/** The plugin API version this core implements. */
export const PLUGIN_API_VERSION = 1;
/** Plugin API versions this core accepts. */
export const SUPPORTED_PLUGIN_API_VERSIONS: readonly number[] = [1];

/** Handlers for a port range or an MMIO range. Offsets are relative to the range base. */
export interface IoHandler {
  /** Read `size` bytes at `offset`; return the value (low 32 bits). */
  read(offset: number, size: 1 | 2 | 4): number;
  /** Write `size` bytes of `value` at `offset`. */
  write(offset: number, size: 1 | 2 | 4, value: number): void;
}

/** Port-I/O registration. */
export interface PortSpace {
  /**
   * Claim ports [base, base+count). Throws a {@link PluginConflictError} on
   * overlap. The registration moves or releases the range later (a device
   * whose base register the guest reprograms).
   */
  register(base: number, count: number, handler: IoHandler): PortRegistration;
}

/** A claimed port range. */
export interface PortRegistration {
  /** First port of the range now. */
  readonly base: number;
  /**
   * Move the range to start at `newBase`. A {@link PluginConflictError} (the
   * range stays where it was) if another plugin owns a port there.
   */
  move(newBase: number): void;
  /** Release the range; its ports are unclaimed again. */
  remove(): void;
}

/** MMIO registration: 8-byte accesses are split into two 4-byte ones. */
export interface MmioSpace {
  /** Claim guest-physical [base, base+size). Throws a {@link PluginConflictError} on overlap. */
  register(base: number, size: number, handler: IoHandler): MmioRegistration;
}

/** A registered MMIO range that can be moved (e.g. the LAPIC on an APIC_BASE write). */
export interface MmioRegistration {
  /** Move the range to a new base. */
  move(newBase: number): void;
  /** Remove the range. */
  remove(): void;
}

/**
 * Where an interceptor runs relative to nested VMX: before it, as it (the
 * nested-VMX plugin itself), or after it (the default for other plugins).
 */
export type InterceptOrder = "before-nested-vmx" | "nested-vmx" | "after-nested-vmx";

/** A handler for exits of a kind. */
export type ExitHandler<E extends VmExit = VmExit> = (exit: E) => ExitDisposition;

/** The member of `E` whose `kind` can be `K` (distributes over the union). */
export type MemberOfKind<E, K> = E extends { readonly kind: infer EK } ? (K extends EK ? E : never)
  : never;

/**
 * The exit type of kind `K`: `CpuidExit` for "cpuid", and for a kind that
 * shares its interface with others (`SimpleInstructionExit`: "rdtsc",
 * "vmmcall"...) that interface.
 */
export type ExitOfKind<K extends VmExit["kind"]> = MemberOfKind<VmExit, K>;

/** Registration of exit handlers and interceptors. */
export interface ExitSpace {
  /**
   * Handle exits of `kind`. Handlers of one kind are tried in registration
   * order until one does not `pass`.
   */
  on<K extends VmExit["kind"]>(kind: K, handler: ExitHandler<ExitOfKind<K>>): void;
  /**
   * Intercept exits before any owner sees them (the VMX plugin uses this to
   * decide whether L1 or L0 handles an L2 exit). `levels` limits which
   * levels are offered (default: both). `order` places the interceptor
   * relative to nested VMX (default `"after-nested-vmx"`: it sees only the
   * exits L0 keeps, i.e. what VMX does not reflect to L1); an interceptor
   * registered `"before-nested-vmx"` sees every L2 exit first and may take
   * it away from VMX. Within one order, registration order decides.
   */
  intercept(handler: ExitHandler, levels?: readonly Level[], order?: InterceptOrder): void;
  /**
   * Observe every exit, at both levels, before interceptors and owners see
   * it (tracing, counting). Observers cannot change what happens to the
   * exit, and the exit object is valid only during the call (the CPU reuses
   * the records of frequent exits): copy what you keep.
   */
  observe(observer: (exit: VmExit) => void): void;
  /** Ask the CPU to raise `exception` exits for these vectors at level 1. */
  watchExceptions(vectors: readonly number[]): void;
}

/** One interrupt request line. */
export interface IrqLine {
  /** Drive the line to `level` (true = asserted). */
  set(level: boolean): void;
  /** Assert then deassert (an edge). */
  pulse(): void;
}

/** An interrupt controller: receives line changes for the lines it owns. */
export interface IrqChip {
  /** Called when line `irq` changes level. */
  setIrq(irq: number, level: boolean): void;
}

/** IRQ lines and chips. */
export interface IrqSpace {
  /** Get the line for ISA/GSI interrupt `irq`. */
  line(irq: number): IrqLine;
  /** Become a receiver of line changes (PIC and IOAPIC both register). */
  addChip(chip: IrqChip): void;
}

/** Structured logging scoped to the plugin. */
export interface Logger {
  /** Log a debug message. */
  debug(msg: string): void;
  /** Log an informational message. */
  info(msg: string): void;
  /** Log a warning. */
  warn(msg: string): void;
  /** Log an error. */
  error(msg: string): void;
}

/**
 * Platform power control: the ACPI sleeping state S3 (suspend to RAM,
 * ACPI 6.x 16.1.3), for the device that owns the sleep and wake logic (on
 * the PC, the ACPI power-management device).
 */
export interface PowerSpace {
  /**
   * Enter the sleeping state after the current instruction: main power
   * goes off, so every vCPU stops and loses its state (it is reset), every
   * plugin loses what a device on main power loses ({@link Plugin.suspend},
   * or {@link Plugin.reset} for plugins without it) and RAM keeps its
   * contents. While the machine sleeps no instruction runs: virtual time
   * goes from one timer to the next without host work in between, until
   * {@link wake}. Ignored while already asleep.
   */
  sleep(): void;
  /**
   * A wake event: main power returns at the next step of the run loop; the
   * vCPUs start from their power-on state and the board's firmware runs
   * its resume path (a PC BIOS jumps to the operating system's waking
   * vector). Ignored while awake.
   */
  wake(): void;
  /** True from {@link sleep} until the wake has been carried out. */
  readonly asleep: boolean;
}

/** Why a plugin asked the machine to stop. */
export type StopRequest =
  | { readonly kind: "exit"; readonly status: number }
  | { readonly kind: "shutdown" }
  | { readonly kind: "reset" }
  | VmxAbortStop;

/**
 * A VMX abort (SDM Vol. 3C 28.7): a VM exit could not complete, the abort
 * indicator was written into the VMCS region and the logical processor
 * shut down.
 */
export interface VmxAbortStop {
  /** Discriminant. */
  readonly kind: "vmx-abort";
  /** The VMX-abort indicator written at offset 4 of the VMCS region (SDM 28.7). */
  readonly indicator: number;
  /** Guest-physical address of the VMCS whose exit aborted. */
  readonly vmcsPointer: number;
}

/** Typed services that plugins offer each other (a registry keyed by token). */
export interface ServiceSpace {
  /** Offer a service under `token`. */
  provide<T>(token: ServiceToken<T>, impl: T): void;
  /** Get a service; throws a {@link PluginMissingError} if nobody provides it. */
  get<T>(token: ServiceToken<T>): T;
  /** Get a service if present. */
  find<T>(token: ServiceToken<T>): T | undefined;
}

/** A typed key for a service. */
export interface ServiceToken<T> {
  /** Unique id of the service. */
  readonly id: string;
  /** Phantom field carrying the type; never set. */
  readonly _type?: T;
}

/** Create a service token. */
export function serviceToken<T>(id: string): ServiceToken<T> {
  return { id };
}

/** Everything a plugin receives in setup. */
export interface PluginContext {
  /** Port-I/O registration. */
  readonly ports: PortSpace;
  /** MMIO registration. */
  readonly mmio: MmioSpace;
  /** Exit handlers, interceptors and observers. */
  readonly exits: ExitSpace;
  /** IRQ lines and interrupt-controller registration. */
  readonly irq: IrqSpace;
  /** The deterministic virtual clock. */
  readonly clock: VirtualClock;
  /** Guest physical memory (the contract in `guest_memory.ts`). */
  readonly memory: GuestMemory;
  /**
   * The vCPU this context is about: the boot vCPU (index 0) in the context a
   * plugin's `setup` receives, vCPU `i` in `vcpuScope(ctx, i)`'s.
   */
  readonly vcpu: Vcpu;
  /** Every vCPU of the machine; the index is the vCPU's APIC id. */
  readonly vcpus: readonly Vcpu[];
  /**
   * Index (in {@link vcpus}) of the vCPU that raised the exit being
   * dispatched, or that runs now; 0 outside a run. Reading it allocates
   * nothing (a field read in the machine).
   */
  currentVcpu(): number;
  /** Typed services offered by plugins. */
  readonly services: ServiceSpace;
  /** Logger scoped to this plugin. */
  readonly log: Logger;
  /** Ask the machine to stop after the current instruction. */
  stop(request: StopRequest): void;
  /** Sleep and wake (ACPI S3). */
  readonly power: PowerSpace;
}

/** A plugin's saved state: versioned, JSON-compatible data. */
export interface PluginState {
  /** Version of the state's layout (checked by loadState). */
  readonly version: number;
  /** JSON-compatible state data. */
  readonly data: unknown;
}

/** A nestvm plugin. */
export interface Plugin {
  /** Unique name, e.g. "uart16550@0x3f8". */
  readonly name: string;
  /** The plugin's own version (semver). */
  readonly version: string;
  /** Plugin API version targeted. */
  readonly apiVersion: number;
  /** Names of plugins or service ids that must be set up first. */
  readonly requires?: readonly string[];
  /** Claim resources. */
  setup(ctx: PluginContext): void;
  /** Return to power-on state. */
  reset?(): void;
  /**
   * Main power goes off: the machine enters a sleeping state (ACPI S3, see
   * {@link PowerSpace.sleep}). A device on standby power implements this
   * to keep what it keeps (a battery-backed RTC its time and CMOS RAM, the
   * ACPI wake logic its status and enable bits); for a plugin without it
   * the machine calls {@link reset}, as a device on main power comes back
   * in its power-on state.
   */
  suspend?(): void;
  /** Save state for a snapshot. */
  saveState?(): PluginState;
  /** Restore state saved by saveState (after setup). */
  loadState?(state: PluginState): void;
  /** Release everything (pins, timers). */
  dispose?(): void;
}

/**
 * A factory that builds a plugin from options (what `--plugin` modules
 * export as default). It receives the command line's strings, or, when its
 * module exports an `optionsSchema`, the typed values parsed from them
 * (`OptionsOf<typeof optionsSchema>`, see `core/options_schema.ts`).
 */
export type PluginFactory<O = Readonly<Record<string, string>>> = (options: O) => Plugin;

/**
 * Base of every error that is a plugin's doing or a plugin set's (conflicts,
 * missing requirements, API versions, a throw in setup or reset). The CLI
 * maps all of them to the plugin-error exit status.
 */
export class PluginError extends Error {
  /** Create the error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "PluginError";
  }
}

/** Two plugins claimed the same resource. */
export class PluginConflictError extends PluginError {
  /** Create the error. */
  constructor(message: string) {
    super(message);
    this.name = "PluginConflictError";
  }
}

/** A requirement is missing. */
export class PluginMissingError extends PluginError {
  /** Create the error. */
  constructor(message: string) {
    super(message);
    this.name = "PluginMissingError";
  }
}

/** A plugin targets an API version this core does not support. */
export class PluginVersionError extends PluginError {
  /** Create the error. */
  constructor(message: string) {
    super(message);
    this.name = "PluginVersionError";
  }
}

/** A plugin threw from `setup()` or `reset()`; the message names the plugin and the phase. */
export class PluginFailedError extends PluginError {
  /** Create the error for `plugin` failing in `phase` with `cause`. */
  constructor(
    /** Name of the plugin that threw. */
    readonly plugin: string,
    /** What the machine asked of it. */
    readonly phase: "setup" | "reset",
    cause: unknown,
  ) {
    super(
      `plugin "${plugin}" failed in ${phase}: ${cause instanceof Error ? cause.message : cause}`,
      { cause },
    );
    this.name = "PluginFailedError";
  }
}

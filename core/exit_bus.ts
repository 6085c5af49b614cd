/**
 * The exit bus, the one route of every {@link VmExit} at both levels: it
 * counts the exit, shows it to the observers, offers it to the
 * interceptors (the VMX plugin deciding L1 vs L0), then to the owner of the
 * port or to the handlers registered for its kind; "pass" leaves the CPU
 * to apply its architectural default. Handler exceptions are caught here and
 * turned into a plugin error that stops the machine with the faulting
 * instruction not retired.
 *
 * @module
 */

import type { ExitDisposition, IoExit, Level, VmExit } from "./vmexit.ts";
import type { ExitHandler, InterceptOrder, IoHandler, PortRegistration } from "./plugin.ts";
import { PluginConflictError } from "./plugin.ts";
import { isCpuFault } from "./fault.ts";

/** A failure inside a plugin, captured with the exit being handled. */
export interface PluginFault {
  /** Name of the plugin that threw. */
  readonly plugin: string;
  /** One-line description of the exit being handled. */
  readonly exit: string;
  /** The exit itself. */
  readonly raw: VmExit;
  /** What it threw. */
  readonly error: unknown;
}

interface PortOwner {
  readonly plugin: string;
  /** First port now (a registration may move it). */
  base: number;
  readonly handler: IoHandler;
}

interface Interceptor {
  readonly plugin: string;
  readonly handler: ExitHandler;
  readonly levels: number; // bit 1 = level 1, bit 2 = level 2
  readonly rank: number; // InterceptOrder as a number; stable sort by it
}

const ORDER_RANK: Readonly<Record<InterceptOrder, number>> = {
  "before-nested-vmx": 0,
  "nested-vmx": 1,
  "after-nested-vmx": 2,
};

interface KindHandler {
  readonly plugin: string;
  readonly handler: ExitHandler;
}

/** Describe an exit in one line (for errors and traces). */
export function describeExit(exit: VmExit): string {
  const lvl = `L${exit.level}`;
  switch (exit.kind) {
    case "io":
      return `${lvl} io ${exit.direction} port 0x${exit.port.toString(16)} size ${exit.size}` +
        (exit.direction === "out" ? ` value 0x${(exit.value >>> 0).toString(16)}` : "");
    case "mmio":
      return `${lvl} mmio ${exit.direction} 0x${exit.gpa.toString(16)} size ${exit.size}`;
    case "cpuid":
      return `${lvl} cpuid leaf 0x${exit.leaf.toString(16)} subleaf 0x${exit.subleaf.toString(16)}`;
    case "rdmsr":
    case "wrmsr":
      return `${lvl} ${exit.kind} 0x${exit.msr.toString(16)}`;
    case "vmx":
      return `${lvl} ${exit.instruction}`;
    case "exception":
      return `${lvl} exception vector ${exit.vector}` +
        (exit.errorCode >= 0 ? ` error code 0x${exit.errorCode.toString(16)}` : "");
    case "cr":
      return `${lvl} ${exit.access} cr${exit.cr}`;
    case "ept-violation":
    case "ept-misconfig":
    case "pml-full":
    case "apic-access":
      return `${lvl} ${exit.kind} gpa 0x${exit.gpa.toString(16)}` +
        (exit.kind === "ept-violation" || exit.kind === "apic-access"
          ? ` qualification 0x${exit.qualification.toString(16)}`
          : "");
    default:
      return `${lvl} ${exit.kind}`;
  }
}

/**
 * Everything the bus needs about one exit kind, found with one map lookup
 * per exit: its handlers, its counters by level, and whether it has an
 * owner or an architectural default.
 */
interface Route {
  readonly handlers: KindHandler[];
  /** Exits counted by level (index 1 and 2). */
  readonly count: Float64Array;
  /** In {@link ExitBus.ownedKinds}. */
  readonly owned: boolean;
  /** In {@link ExitBus.defaultedKinds}. */
  readonly defaulted: boolean;
}

/** Routes exits to plugins. One per machine. */
export class ExitBus {
  #ports: (PortOwner | undefined)[] = new Array(0x10000);
  #interceptors: Interceptor[] = [];
  #observers: { plugin: string; observer: (exit: VmExit) => void }[] = [];
  #interceptMask = 0;
  #routes = new Map<string, Route>();
  /** Set when a plugin threw; the machine stops with a plugin error. */
  fault: PluginFault | undefined;
  /** Set when `strict` is on and nobody handled an exit. */
  unhandled: VmExit | undefined;
  /**
   * When true, an exit that needs an owner (port I/O, MMIO, an MSR the CPU
   * does not implement) and that every handler passes on stops the machine.
   */
  strict = false;
  /** Called when the bus needs the CPU to stop at the next boundary. */
  onStop: () => void = () => {};
  /**
   * Index of the vCPU that runs now (set by the machine before each vCPU's
   * turn): the vCPU every exit dispatched meanwhile comes from.
   */
  vcpu = 0;
  /** Number of vCPUs of the machine. */
  vcpuCount = 1;
  /** Exits dispatched per vCPU (index = vCPU). */
  readonly vcpuExits: Float64Array = new Float64Array(64);
  /**
   * Exit counters by level (index 1 and 2) and kind, built on each read
   * from the per-kind counters that dispatch bumps (no map update per exit).
   */
  get counts(): readonly Map<string, number>[] {
    const out: Map<string, number>[] = [new Map(), new Map(), new Map()];
    for (const [kind, r] of this.#routes) {
      for (let level = 0; level < 3; level++) {
        if (r.count[level] !== 0) out[level].set(kind, r.count[level]);
      }
    }
    return out;
  }
  /** Kinds that have an owner (a device or MSR implementation); see {@link strict}. */
  static readonly ownedKinds: ReadonlySet<string> = new Set(["io", "mmio", "rdmsr", "wrmsr"]);
  /**
   * Kinds that the CPU handles architecturally when every handler passes.
   * Not among them: "ept-violation", "ept-misconfig", "pml-full",
   * "apic-access" and "task-switch" (only a nested-VMX plugin can take
   * them; unhandled, they stop the machine).
   */
  static readonly defaultedKinds: ReadonlySet<string> = new Set([
    "io",
    "cpuid",
    "rdmsr",
    "wrmsr",
    "vmx",
    "hlt",
    "exception",
    "triple-fault",
    "cr",
    "dr",
    "rdtsc",
    "rdtscp",
    "rdpmc",
    "invd",
    "wbinvd",
    "getsec",
    "xsetbv",
    "pause",
    "monitor",
    "mwait",
    "rsm",
    "rdrand",
    "rdseed",
    "vmmcall",
    "invlpg",
    "invpcid",
    "xsaves",
    "xrstors",
    "gdtr-idtr",
    "ldtr-tr",
    "external-interrupt",
    "nmi",
    "interrupt-window",
    "nmi-window",
    "monitor-trap",
    "preemption-timer",
    "apic-write",
    "init-signal",
    "sipi",
  ]);

  /** Claim ports [base, base+count) for `plugin`; the registration moves or releases them. */
  registerPorts(plugin: string, base: number, count: number, handler: IoHandler): PortRegistration {
    const owner: PortOwner = { plugin, base, handler };
    this.#claimPorts(owner, base, count);
    const ports = this.#ports;
    let live = true;
    const registration: PortRegistration = {
      get base() {
        return owner.base;
      },
      move: (newBase: number) => {
        if (!live) throw new RangeError(`${plugin}: the port range was removed`);
        if (newBase === owner.base) return;
        const oldBase = owner.base;
        for (let p = oldBase; p < oldBase + count; p++) ports[p] = undefined;
        try {
          this.#claimPorts(owner, newBase, count);
        } catch (error) {
          for (let p = oldBase; p < oldBase + count; p++) ports[p] = owner;
          throw error;
        }
        owner.base = newBase;
      },
      remove: () => {
        if (!live) return;
        live = false;
        for (let p = owner.base; p < owner.base + count; p++) {
          if (ports[p] === owner) ports[p] = undefined;
        }
      },
    };
    return registration;
  }

  #claimPorts(owner: PortOwner, base: number, count: number): void {
    const plugin = owner.plugin;
    if (
      !Number.isInteger(base) || !Number.isInteger(count) || base < 0 || count <= 0 ||
      base + count > 0x10000
    ) {
      throw new RangeError(
        `${plugin}: invalid port range base=0x${base.toString(16)} count=${count}`,
      );
    }
    for (let p = base; p < base + count; p++) {
      const other = this.#ports[p];
      if (other) {
        throw new PluginConflictError(
          `port 0x${p.toString(16)} is claimed by both "${other.plugin}" and "${plugin}"`,
        );
      }
    }
    for (let p = base; p < base + count; p++) this.#ports[p] = owner;
  }

  /** Name of the plugin owning `port`, if any. */
  portOwner(port: number): string | undefined {
    return this.#ports[port]?.plugin;
  }

  /** Register a handler for exits of `kind`. */
  on(plugin: string, kind: string, handler: ExitHandler): void {
    this.#route(kind).handlers.push({ plugin, handler });
  }

  /** Register an observer that sees every exit first. */
  observe(plugin: string, observer: (exit: VmExit) => void): void {
    this.#observers.push({ plugin, observer });
  }

  /**
   * Register an interceptor for the given levels, placed by `order` relative
   * to nested VMX (registration order within one order).
   */
  intercept(
    plugin: string,
    handler: ExitHandler,
    levels: readonly Level[] = [1, 2],
    order: InterceptOrder = "after-nested-vmx",
  ): void {
    const rank = ORDER_RANK[order];
    if (rank === undefined) throw new RangeError(`${plugin}: unknown interceptor order "${order}"`);
    let mask = 0;
    for (const l of levels) mask |= 1 << l;
    const list = this.#interceptors;
    let at = list.length;
    while (at > 0 && list[at - 1].rank > rank) at--;
    list.splice(at, 0, { plugin, handler, levels: mask, rank });
    this.#interceptMask |= mask;
  }

  /**
   * Dispatch one exit. "pass" means nobody took it and the CPU applies its
   * architectural default. A throwing plugin yields "reflected" (the
   * instruction is abandoned, not retired) and stops the machine.
   */
  dispatch(exit: VmExit): ExitDisposition {
    const route = this.#routes.get(exit.kind) ?? this.#route(exit.kind);
    this.vcpuExits[this.vcpu]++;
    route.count[exit.level]++;
    const observers = this.#observers;
    for (let k = 0; k < observers.length; k++) {
      const o = observers[k];
      try {
        o.observer(exit);
      } catch (error) {
        return this.#failed(o.plugin, exit, error);
      }
    }
    const bit = 1 << exit.level;
    if (this.#interceptMask & bit) {
      const interceptors = this.#interceptors;
      for (let k = 0; k < interceptors.length; k++) {
        const i = interceptors[k];
        if (!(i.levels & bit)) continue;
        const d = this.#call(i.plugin, i.handler, exit);
        if (d !== "pass") return d;
      }
    }
    if (exit.kind === "io") {
      const owner = this.#ports[exit.port];
      if (owner) return this.#io(owner, exit);
    } else {
      const list = route.handlers;
      for (let k = 0; k < list.length; k++) {
        const h = list[k];
        const d = this.#call(h.plugin, h.handler, exit);
        if (d !== "pass") return d;
      }
    }
    if ((this.strict && route.owned) || !route.defaulted) {
      this.unhandled = exit;
      this.onStop();
      return "reflected";
    }
    return "pass";
  }

  /** The route of `kind`, created on first use. */
  #route(kind: string): Route {
    let r = this.#routes.get(kind);
    if (r === undefined) {
      r = {
        handlers: [],
        count: new Float64Array(3),
        owned: ExitBus.ownedKinds.has(kind),
        defaulted: ExitBus.defaultedKinds.has(kind),
      };
      this.#routes.set(kind, r);
    }
    return r;
  }

  #io(owner: PortOwner, exit: IoExit): ExitDisposition {
    try {
      if (exit.direction === "in") {
        exit.value = owner.handler.read(exit.port - owner.base, exit.size) >>> 0;
      } else {
        owner.handler.write(exit.port - owner.base, exit.size, exit.value >>> 0);
      }
      return "handled";
    } catch (error) {
      return this.#failed(owner.plugin, exit, error);
    }
  }

  #call(plugin: string, handler: ExitHandler, exit: VmExit): ExitDisposition {
    try {
      return handler(exit);
    } catch (error) {
      if (isCpuFault(error)) throw error; // a guest exception raised on purpose
      return this.#failed(plugin, exit, error);
    }
  }

  #failed(plugin: string, exit: VmExit, error: unknown): ExitDisposition {
    if (isCpuFault(error)) throw error;
    this.fault ??= { plugin, exit: describeExit(exit), raw: exit, error };
    this.onStop();
    return "reflected";
  }
}

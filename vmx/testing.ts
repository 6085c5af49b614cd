/**
 * Test helpers for the VMX plugin: a fake {@link Vcpu} whose linear memory
 * is identity-mapped onto a {@link GuestMemory}, with configurable faulting
 * pages; guest memory over mm/'s PhysicalMemory; a fake plugin context and a
 * harness that runs VMX instructions through the plugin.
 *
 * Not part of the public API (excluded from publishing with the tests).
 *
 * @module
 */

import type {
  ActivityState,
  InterruptSource,
  PendingEvent,
  SegmentRegister,
  TableRegister,
  Vcpu,
} from "../core/vcpu.ts";
import type { GuestPhysicalTranslator } from "../core/vcpu_vmx.ts";
import type { EptExit } from "../core/vmexit.ts";
import { ABANDON } from "../core/fault.ts";
import type { GuestMemory, PinnedPage, PinResult } from "../mm/types.ts";
import { PhysicalMemory } from "../mm/physical.ts";

/** A guest exception thrown by the fake vCPU's `raiseException` and memory accessors. */
export class FakeGuestFault {
  /** Vector. */
  readonly vector: number;
  /** Error code or -1. */
  readonly errorCode: number;
  /** Create one. */
  constructor(vector: number, errorCode: number) {
    this.vector = vector;
    this.errorCode = errorCode;
  }
}

/**
 * Guest memory for tests: a real {@link PhysicalMemory} with `size` bytes of
 * RAM at 0, recording which pages were released dirty.
 */
export class HarnessMemory implements GuestMemory {
  /** The real guest memory underneath (use with `assertNoPins`). */
  readonly phys: PhysicalMemory = new PhysicalMemory();
  /** Guest-physical addresses of pages released with dirty=true, in order. */
  readonly dirtyReleases: number[] = [];

  /** Create `size` bytes of RAM at guest-physical 0. */
  constructor(size = 1 << 20) {
    this.phys.addRam(0, size);
  }

  /** Number of pins currently held. */
  get pinned(): number {
    return this.phys.pins().length;
  }
  /** RAM size. */
  get ramSize(): number {
    return this.phys.ramSize;
  }
  /** Read. */
  read(addr: number, size: 1 | 2 | 4): number {
    return this.phys.read(addr, size);
  }
  /** Write. */
  write(addr: number, size: 1 | 2 | 4, value: number): void {
    this.phys.write(addr, size, value);
  }
  /** Read 8 bytes. */
  read64(addr: number): bigint {
    return this.phys.read64(addr);
  }
  /** Write 8 bytes. */
  write64(addr: number, value: bigint): void {
    this.phys.write64(addr, value);
  }
  /** Copy out. */
  readBytes(addr: number, length: number): Uint8Array {
    return this.phys.readBytes(addr, length);
  }
  /** Copy in. */
  writeBytes(addr: number, data: Uint8Array): void {
    this.phys.writeBytes(addr, data);
  }
  /** Pin. */
  pin(addr: number, holder: string, purpose: string): PinResult {
    return this.phys.pin(addr, holder, purpose);
  }
  /** Release; throws on a double release (a plugin bug the tests must see). */
  release(page: PinnedPage, options: { dirty: boolean }): void {
    if (!this.phys.release(page, options)) throw new Error("release of a page that is not pinned");
    if (options.dirty) this.dirtyReleases.push(page.gpa);
  }
}

function seg(attrs: number): SegmentRegister {
  return { selector: 0, base: 0, limit: 0xffffffff, attrs };
}

/** Options for {@link FakeVcpu}. */
export interface FakeVcpuOptions {
  /** Execution mode (default long64). */
  mode?: Vcpu["mode"];
  /** CPL (default 0). */
  cpl?: number;
}

/**
 * A fake vCPU: 64-bit flat segments by default, identity paging onto
 * `memory`, pages in {@link faultPages} raise #PF on access.
 */
export class FakeVcpu implements Vcpu {
  /** Virtual ns charged through {@link FakeVcpu.stall}. */
  stalledNs = 0;
  /** Record a stall (the fake has no clock). */
  readonly stall = (ns: number): void => {
    this.stalledNs += ns;
  };
  /** GPR halves. */
  readonly gpr: Uint32Array = new Uint32Array(32);
  /** RIP. */
  rip = 0x1000;
  /** RFLAGS (bit 1 always set). */
  rflags = 0x2;
  /** CR0: PE, NE, PG set. */
  cr0 = 0x80000031;
  /** CR2. */
  cr2 = 0;
  /** CR3. */
  cr3 = 0;
  /** CR4: PAE, VMXE. */
  cr4 = 0x2020;
  /** CR8. */
  cr8 = 0;
  /** EFER: LME, LMA. */
  efer = 0x500;
  /** Debug registers. */
  readonly dr: Float64Array = new Float64Array(8);
  /** Segments (flat, present, writable data; CS is a 64-bit code segment). */
  readonly seg: SegmentRegister[] = [
    seg(0xc093),
    seg(0xa09b),
    seg(0xc093),
    seg(0xc093),
    seg(0xc093),
    seg(0xc093),
    seg(0x10000),
    seg(0x8b),
  ];
  /** GDTR. */
  readonly gdtr: TableRegister = { base: 0, limit: 0xffff };
  /** IDTR. */
  readonly idtr: TableRegister = { base: 0, limit: 0xfff };
  /** CPL. */
  cpl: number;
  /** Mode. */
  mode: Vcpu["mode"];
  /** Activity state. */
  activity: ActivityState = "active";
  /** Interruptibility. */
  interruptibility = 0;
  /** Retired count. */
  retired = 0;
  /** Non-root flag. */
  nonRoot = false;
  /** Guest-physical translator (nested EPT). */
  guestPhysical: GuestPhysicalTranslator | null = null;
  /** TSC offset. */
  tscOffset = 0;
  /** L2's TSC offset (VMX non-root operation). */
  nonRootTscOffset = 0;
  /** L2's TSC multiplier (VMX non-root operation, "use TSC scaling"). */
  nonRootTscMultiplier: bigint | null = null;
  /** Window requests. */
  windowRequests = 0;
  /** RIP of the current instruction (tests set it where an exit needs it). */
  ip0 = 0;
  /** PAE PDPTE registers. */
  readonly pdpte: Float64Array = new Float64Array(4);
  /** Pending #DB bits. */
  dbPending = 0;
  /** Event being delivered (-1 none). */
  delivering = -1;
  /** Its type. */
  deliveringType = 3;
  /** Its error code. */
  deliveringError = -1;
  /** Its instruction length. */
  deliveringLength = 0;
  /** Vector whose delivery raised the current exception, or -1. */
  vectoring = -1;
  /** STI/MOV SS shadow end. */
  shadowUntil = 0;
  /** Pending debug exceptions loaded by the last VM entry. */
  pendingDebug = 0;
  /** Record the pending debug exceptions VM entry loads. */
  /** Set CF, PF, AF, ZF, SF, OF; the other RFLAGS bits stay. */
  setArithmeticFlags(bits: number): void {
    this.rflags = ((this.rflags & ~0x8d5) | (bits & 0x8d5)) >>> 0;
  }
  setPendingDebugExceptions(bits: number): void {
    this.pendingDebug = bits;
  }
  /** IA32_DEBUGCTL, kept in {@link msrs} (0 when the fake does not implement it). */
  get debugCtl(): number {
    return Number((this.msrs.get(0x1d9) ?? 0n) & 0xffffffffn);
  }
  set debugCtl(value: number) {
    this.writeMsr(0x1d9, BigInt(value >>> 0));
  }
  /** IA32_SYSENTER_CS. */
  sysenterCs = 0;
  /** IA32_SYSENTER_ESP. */
  sysenterEsp = 0;
  /** IA32_SYSENTER_EIP. */
  sysenterEip = 0;
  /** Interrupt source. */
  intSource: InterruptSource | null = null;
  /** Page numbers (linear >> 12) whose access raises #PF. */
  readonly faultPages: Set<number> = new Set();
  /** Events injected. */
  readonly injected: PendingEvent[] = [];
  /** Extra MSRs the CPU "implements". */
  readonly msrs: Map<number, bigint> = new Map();
  /** Guest memory behind linear addresses (identity-mapped). */
  readonly memory: GuestMemory;

  /** Create a fake vCPU over `memory`. */
  constructor(memory: GuestMemory, options: FakeVcpuOptions = {}) {
    this.memory = memory;
    this.mode = options.mode ?? "long64";
    this.cpl = options.cpl ?? 0;
  }

  /** Read a TSC. */
  readTsc(): bigint {
    return BigInt(this.retired + this.tscOffset);
  }
  /** Read an MSR (IA32_TSC: the processor's TSC, as the CPU reads it). */
  readMsr(index: number): bigint | undefined {
    if (index === 0x10) return this.readTsc();
    return this.msrs.get(index);
  }
  /** Write an MSR. */
  writeMsr(index: number, value: bigint): boolean {
    if (!this.msrs.has(index)) return false;
    this.msrs.set(index, value);
    return true;
  }
  /** Write an MSR for an MSR-load list: as {@link writeMsr} (the fake has no bus). */
  loadMsr(index: number, value: bigint): boolean {
    return this.writeMsr(index, value);
  }
  /** 64-bit GPR read. */
  getGpr64(reg: number): bigint {
    return BigInt(this.gpr[2 * reg]) | (BigInt(this.gpr[2 * reg + 1]) << 32n);
  }
  /** 64-bit GPR write. */
  setGpr64(reg: number, value: bigint): void {
    this.gpr[2 * reg] = Number(value & 0xffffffffn);
    this.gpr[2 * reg + 1] = Number((value >> 32n) & 0xffffffffn);
  }
  /** No-op. */
  stateChanged(): void {}
  /** No-op. */
  flushTlb(): void {}
  /** TLB operations VMX asked for, in order (`vmTransition`, `invvpid`, `invept`), for tests. */
  readonly tlbOps: string[] = [];
  /** Record the transition (the fake has no TLB). */
  vmTransition(vpid: number, eptp: number, apicAccess: number, invalidate: boolean): void {
    this.tlbOps.push(`transition vpid=${vpid} eptp=${eptp} apic=${apicAccess} inv=${invalidate}`);
  }
  /** Record the INVVPID. */
  invvpid(type: number, vpid: number, linear: number): void {
    this.tlbOps.push(`invvpid type=${type} vpid=${vpid} linear=${linear}`);
  }
  /** Record the INVEPT. */
  invept(): void {
    this.tlbOps.push("invept");
  }
  /** Record. */
  injectEvent(event: PendingEvent): void {
    this.injected.push(event);
  } /** Pending-debug-exceptions bits (the fake has no single-step machinery: only dbPending). */
  pendingDebugExceptions(): number {
    return this.dbPending & 0x400f;
  }
  /** Drop the pending debug state. */
  clearPendingDebug(): void {
    this.dbPending = 0;
  }
  /** The exit passed to the last {@link holdExit}, for the test to raise. */
  heldExit: EptExit | null = null;
  /** Record the exit and abandon (the test raises it on the fake bus, as the CPU would). */
  holdExit(exit: EptExit): never {
    this.heldExit = exit;
    throw ABANDON;
  }
  /** Width of the access in progress when wider than its pieces (tests set it). */
  accessWidth = 0;
  /** Times a REP string instruction was asked to end after its iteration. */
  stringBreaks = 0;
  /** Count the request. */
  endStringIteration(): void {
    this.stringBreaks++;
  }
  /** The instruction in progress is an IRET that unblocked NMIs (tests set it). */
  nmiUnblockedByIret = false;
  /** The fake delivers nothing: injected events stay in {@link injected}. */
  deliverQueuedInjection(): void {}
  /** Drop queued injected events. */
  dropQueuedInjection(): void {
    this.injected.length = 0;
  }

  /** Throw a {@link FakeGuestFault}. */
  raiseException(vector: number, errorCode = -1): never {
    throw new FakeGuestFault(vector, errorCode);
  }
  #translate(linear: number, size: number): number {
    // Identity paging; the physical address is the low 52 bits.
    for (const l of [linear, linear + size - 1]) {
      if (this.faultPages.has(Math.floor(l / 4096))) {
        this.cr2 = l;
        throw new FakeGuestFault(14, 0);
      }
    }
    return linear < 0 ? linear + 2 ** 64 : linear;
  }
  /** Read through identity paging. */
  readLinear(
    linear: number,
    size: 1 | 2 | 4 | 8,
    _segment: number,
    dataHi?: { hi: number },
  ): number {
    const pa = this.#translate(linear, size);
    if (size === 8) {
      if (dataHi) dataHi.hi = this.memory.read(pa + 4, 4);
      return this.memory.read(pa, 4);
    }
    return this.memory.read(pa, size);
  }
  /** Write through identity paging. */
  writeLinear(linear: number, size: 1 | 2 | 4 | 8, lo: number, hi: number, _segment: number): void {
    const pa = this.#translate(linear, size);
    if (size === 8) {
      this.memory.write(pa, 4, lo);
      this.memory.write(pa + 4, 4, hi);
    } else {
      this.memory.write(pa, size, lo);
    }
  }
  /** No-op. */
  nmi(): void {}
  /** No-op. */
  signalInit(): void {}
  /** No-op. */
  signalStartup(): void {}
  /** Record the source. */
  setInterruptSource(source: InterruptSource | null): void {
    this.intSource = source;
  }
  /** No-op. */
  interruptStateChanged(): void {}

  /** Set a 64-bit GPR from a number (test convenience). */
  setReg(reg: number, value: number): void {
    this.gpr[2 * reg] = value >>> 0;
    this.gpr[2 * reg + 1] = Math.floor(value / 0x100000000) >>> 0;
  }
  /** A 64-bit GPR as a number (test convenience; exact below 2^53). */
  reg(reg: number): number {
    return this.gpr[2 * reg + 1] * 0x100000000 + this.gpr[2 * reg];
  }
}

// ---------------------------------------------------------------------------
// A harness: fake plugin context + the VMX plugin + helpers to execute VMX
// instructions and classify their outcome.

import type {
  CpuidExit,
  ExitDisposition,
  VmExit,
  VmxInstruction,
  VmxOperands,
} from "../core/vmexit.ts";
import type { ExitHandler, Plugin, PluginContext, ServiceToken } from "../core/plugin.ts";
import { VirtualClock } from "../core/clock.ts";
import { createVmxPlugin } from "./plugin.ts";
import type { NestedOpsFactory } from "./context.ts";
import type { VmxFeatures } from "./features.ts";
import { VMCS12_REVISION_ID } from "./vmcs12/layout.ts";

/** Outcome of one VMX instruction, as a guest would observe it. */
export type Outcome =
  | { readonly kind: "succeed"; readonly disposition: ExitDisposition }
  | { readonly kind: "failInvalid" }
  | { readonly kind: "failValid"; readonly error: number }
  | { readonly kind: "fault"; readonly vector: number; readonly errorCode: number }
  | { readonly kind: "pass" }
  | { readonly kind: "reflected" };

/** A fake plugin context that records handlers and dispatches exits to them. */
export class FakePluginContext {
  /** Handlers by kind. */
  readonly handlers: Map<string, ExitHandler[]> = new Map();
  /** Interceptors. */
  readonly interceptors: ExitHandler[] = [];
  /** The context handed to plugins. */
  readonly ctx: PluginContext;

  /** Build one around a vCPU and memory. */
  constructor(vcpu: Vcpu, memory: GuestMemory) {
    const services = new Map<string, unknown>();
    this.ctx = {
      ports: {
        register: (base) => ({ base, move() {}, remove() {} }),
      },
      mmio: {
        register() {
          return { move() {}, remove() {} };
        },
      },
      exits: {
        on: (kind, handler) => {
          const list = this.handlers.get(kind) ?? [];
          list.push(handler as ExitHandler);
          this.handlers.set(kind, list);
        },
        intercept: (handler) => {
          this.interceptors.push(handler);
        },
        observe() {},
        watchExceptions() {},
      },
      irq: { line: () => ({ set() {}, pulse() {} }), addChip() {} },
      clock: new VirtualClock(),
      memory,
      vcpu,
      vcpus: [vcpu],
      currentVcpu: () => 0,
      services: {
        provide: <T>(token: ServiceToken<T>, impl: T) => {
          services.set(token.id, impl);
        },
        get: <T>(token: ServiceToken<T>): T => {
          if (!services.has(token.id)) throw new Error(`missing service ${token.id}`);
          return services.get(token.id) as T;
        },
        find: <T>(token: ServiceToken<T>): T | undefined => services.get(token.id) as T | undefined,
      },
      log: { debug() {}, info() {}, warn() {}, error() {} },
      stop() {},
      power: { sleep() {}, wake() {}, asleep: false },
    };
  }

  /** Offer an exit to the handlers of its kind, like the exit bus. */
  dispatch(exit: VmExit): ExitDisposition {
    for (const h of this.interceptors) {
      const d = h(exit);
      if (d !== "pass") return d;
    }
    for (const h of this.handlers.get(exit.kind) ?? []) {
      const d = h(exit);
      if (d !== "pass") return d;
    }
    return "pass";
  }
}

/** Everything a VMX test needs. */
export interface VmxHarness {
  /** Guest memory. */
  readonly memory: HarnessMemory;
  /** The vCPU. */
  readonly vcpu: FakeVcpu;
  /** The plugin under test. */
  readonly plugin: Plugin;
  /** Its fake context. */
  readonly host: FakePluginContext;
  /** Execute a VMX instruction and classify the outcome. */
  exec(instruction: VmxInstruction, operands?: Partial<VmxOperands>): Outcome;
  /** VMXON with a fresh region at `gpa` (written with our revision id). */
  vmxon(gpa?: number): Outcome;
  /** Write a VMCS region header with our revision id at `gpa`. */
  prepareRegion(gpa: number, revision?: number): void;
  /** Store a 64-bit value at guest-physical `gpa` (for memory operands). */
  poke64(gpa: number, value: number): void;
  /** RDMSR through the plugin: the value or a fault outcome. */
  rdmsr(msr: number): { lo: number; hi: number } | Outcome;
  /** WRMSR through the plugin. */
  wrmsr(msr: number, lo: number, hi?: number): Outcome;
}

/** A memory operand at linear `linear` through `segment` (default DS). */
export function memOperand(
  linear: number,
  segment = 3,
  offset = linear,
): NonNullable<VmxOperands["mem"]> {
  return {
    offset,
    linear,
    segment,
    addressSize: 64,
    base: -1,
    index: -1,
    scale: 0,
    displacement: linear,
  };
}

/**
 * Build a harness with the plugin set up (feature control locked by
 * default). `memory` may be reused between harnesses (it must hold no pins);
 * `features` replaces the default VMX feature set.
 */
export function vmxHarness(
  options: Record<string, string> = { featureControl: "locked" },
  nested?: NestedOpsFactory,
  memory: HarnessMemory = new HarnessMemory(),
  features?: VmxFeatures,
): VmxHarness {
  const vcpu = new FakeVcpu(memory);
  const host = new FakePluginContext(vcpu, memory);
  const plugin = createVmxPlugin(options, nested, features);
  plugin.setup(host.ctx);
  const classify = (run: () => ExitDisposition): Outcome => {
    const before = vcpu.rflags;
    let d: ExitDisposition;
    try {
      d = run();
    } catch (e) {
      if (e instanceof FakeGuestFault) {
        if (vcpu.rflags !== before) throw new Error("flags changed by a faulting instruction");
        return { kind: "fault", vector: e.vector, errorCode: e.errorCode };
      }
      throw e;
    }
    if (d === "pass") return { kind: "pass" };
    if (d === "reflected") return { kind: "reflected" };
    const f = vcpu.rflags & 0x8d5;
    if (f === 0x1) return { kind: "failInvalid" };
    if (f === 0x40) {
      const ptr = (plugin.saveState!().data as { currentPtr: number }).currentPtr;
      return { kind: "failValid", error: memory.read(ptr + errorOffset(), 4) };
    }
    if (f === 0) return { kind: "succeed", disposition: d };
    throw new Error(`unexpected RFLAGS after VMX instruction: 0x${vcpu.rflags.toString(16)}`);
  };
  const h: VmxHarness = {
    memory,
    vcpu,
    plugin,
    host,
    exec(instruction, operands = {}) {
      const exit: VmExit = {
        kind: "vmx",
        level: vcpu.nonRoot ? 2 : 1,
        instructionLength: 3,
        instruction,
        operands: {
          rmReg: -1,
          regReg: -1,
          operandSize: vcpu.mode === "long64" ? 64 : 32,
          ...operands,
        },
      };
      // Pre-set arithmetic flags so that clearing them is observable.
      vcpu.rflags = (vcpu.rflags & ~0x8d5) | 0x894;
      return classify(() => host.dispatch(exit));
    },
    vmxon(gpa = 0x10000) {
      h.prepareRegion(gpa);
      h.poke64(0x800, gpa);
      return h.exec("vmxon", { mem: memOperand(0x800) });
    },
    prepareRegion(gpa, revision = VMCS12_REVISION_ID) {
      memory.write(gpa, 4, revision);
    },
    poke64(gpa, value) {
      memory.write(gpa, 4, value >>> 0);
      memory.write(gpa + 4, 4, Math.floor(value / 0x100000000) >>> 0);
    },
    rdmsr(msr) {
      const exit = {
        kind: "rdmsr" as const,
        level: 1 as const,
        instructionLength: 2,
        msr,
        lo: 0,
        hi: 0,
      };
      const o = classifyPlain(() => host.dispatch(exit));
      return o ?? { lo: exit.lo, hi: exit.hi };
    },
    wrmsr(msr, lo, hi = 0) {
      const exit = { kind: "wrmsr" as const, level: 1 as const, instructionLength: 2, msr, lo, hi };
      return classifyPlain(() => host.dispatch(exit)) ??
        { kind: "succeed", disposition: "handled" };
    },
  };
  return h;
}

function classifyPlain(run: () => ExitDisposition): Outcome | null {
  try {
    const d = run();
    return d === "pass" ? { kind: "pass" } : null;
  } catch (e) {
    if (e instanceof FakeGuestFault) {
      return { kind: "fault", vector: e.vector, errorCode: e.errorCode };
    }
    throw e;
  }
}

import { fieldOffset } from "./vmcs12/layout.ts";
import { F } from "./vmcs12/fields.ts";
function errorOffset(): number {
  return fieldOffset(F.VM_INSTRUCTION_ERROR);
}

/**
 * Offer an L2 exit the way the CPU engine does: the instruction starts at
 * RIP minus its length (`ip0`), and the exit goes through the (fake) exit
 * bus, where the VMX plugin's interceptor decides on it.
 */
export function offerL2(h: VmxHarness, exit: VmExit): ExitDisposition {
  h.vcpu.ip0 = h.vcpu.rip - exit.instructionLength;
  return h.host.dispatch(exit);
}

/** An L2 CPUID (leaf 0, 2 bytes): always a VM exit to L1. */
export function l2Cpuid(): CpuidExit {
  return {
    kind: "cpuid",
    level: 2,
    instructionLength: 2,
    leaf: 0,
    subleaf: 0,
    eax: 0,
    ebx: 0,
    ecx: 0,
    edx: 0,
  };
}

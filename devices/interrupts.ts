/**
 * Interrupt delivery between the interrupt controllers, as typed services.
 *
 * The vCPU has one maskable-interrupt input (INTR) and takes exactly one
 * {@link InterruptSource}. Two controllers may want to drive it: the legacy
 * 8259 PIC and the local APIC. On a PC the PIC's INTR output is wired to
 * the LAPIC's LINT0 pin; when LINT0 is programmed as ExtINT the PIC's vector
 * goes through, and when the LAPIC is globally disabled (IA32_APIC_BASE.EN
 * = 0) LINT0 acts as the processor's plain INTR pin (SDM Vol. 3A 11.4.3).
 *
 * Neither controller knows the other's internals. Whichever of them is set
 * up first creates the {@link CpuInterruptPins} service (through
 * {@link cpuInterruptPins}); it is the single InterruptSource installed on
 * the vCPU. The PIC attaches as the ExtINT source, the LAPIC as the local
 * APIC; the pins combine them as the wiring above says.
 *
 * The IOAPIC talks to the LAPIC through {@link LOCAL_APIC} (interrupt
 * messages) and receives EOI broadcasts through {@link EOI_LISTENERS}.
 * Services are looked up when used, so plugins may be set up in any order.
 *
 * @module
 */

import type { PluginContext, ServiceToken } from "../core/plugin.ts";
import { serviceToken } from "../core/plugin.ts";
import type { InterruptSource, Vcpu } from "../core/vcpu.ts";

/** The PIC's output as seen at the LAPIC's LINT0 (or the CPU's INTR pin). */
export interface ExtIntSource {
  /** True when the PIC asserts INTR. */
  intr(): boolean;
  /** The INTA cycle: acknowledge and return the vector (spurious 7/15 if none). */
  acknowledge(): number;
}

/** The local APIC as the interrupt pins see it. */
export interface LocalApicPins {
  /** True when the LAPIC lets ExtINT from LINT0 through (globally disabled, or LINT0 = ExtINT, unmasked). */
  acceptsExtInt(): boolean;
  /** True when a fixed interrupt is deliverable (IRR above PPR). */
  hasInterrupt(): boolean;
  /** INTA from the LAPIC: move the highest IRR bit to ISR and return its vector. */
  acknowledge(): number;
  /** The CPU took an ExtINT vector from the PIC (ends an ExtINT message's request). */
  extIntTaken?(): void;
  /** A write of the EOI register (posted-interrupt processing). */
  eoi?(): void;
  /** The CPU's performance-monitoring interrupt, for the LVT performance-counter entry. */
  performanceInterrupt?(): void;
}

/** The single interrupt source on the vCPU, combining PIC and LAPIC. */
export interface CpuInterruptPins {
  /** Attach (or detach, with null) the PIC output. */
  setExtInt(source: ExtIntSource | null): void;
  /** Attach (or detach, with null) the local APIC. */
  setLocalApic(apic: LocalApicPins | null): void;
  /** A controller's state changed: re-evaluate and wake the vCPU if needed. */
  changed(): void;
  /** True when an interrupt is pending for the vCPU (ignoring RFLAGS.IF). */
  pending(): boolean;
}

/** Token of the {@link CpuInterruptPins} service. */
export const CPU_INTERRUPT_PINS: ServiceToken<CpuInterruptPins> = serviceToken<CpuInterruptPins>(
  "nestvm.devices.cpu-interrupt-pins",
);

class Pins implements CpuInterruptPins, InterruptSource {
  #vcpu: Vcpu;
  #ext: ExtIntSource | null = null;
  #apic: LocalApicPins | null = null;
  #last = false;

  constructor(vcpu: Vcpu) {
    this.#vcpu = vcpu;
  }

  setExtInt(source: ExtIntSource | null): void {
    this.#ext = source;
    this.changed();
  }

  setLocalApic(apic: LocalApicPins | null): void {
    this.#apic = apic;
    this.changed();
  }

  #extPending(): boolean {
    if (this.#ext === null || !this.#ext.intr()) return false;
    return this.#apic === null || this.#apic.acceptsExtInt();
  }

  pending(): boolean {
    return this.#extPending() || (this.#apic !== null && this.#apic.hasInterrupt());
  }

  hasInterrupt(): boolean {
    return this.pending();
  }

  acknowledge(): number {
    // ExtINT is taken first: its vector comes from the PIC, not from the APIC's
    // priority logic (SDM Vol. 3A 11.6.1, delivery mode ExtINT).
    let vector: number;
    if (this.#extPending()) {
      vector = this.#ext!.acknowledge();
      this.#apic?.extIntTaken?.();
    } else if (this.#apic !== null) vector = this.#apic.acknowledge();
    else if (this.#ext !== null) vector = this.#ext.acknowledge();
    else vector = 0xff;
    this.#last = this.pending();
    return vector;
  }

  endOfInterrupt(): void {
    this.#apic?.eoi?.();
  }

  performanceInterrupt(): void {
    this.#apic?.performanceInterrupt?.();
  }

  changed(): void {
    const now = this.pending();
    if (now || now !== this.#last) {
      this.#last = now;
      this.#vcpu.interruptStateChanged();
    }
  }
}

/** Pins of the vCPUs other than the boot vCPU (whose pins are the service). */
const PINS_OF_VCPU = new WeakMap<Vcpu, Pins>();

/**
 * Get the interrupt pins of `ctx.vcpu` (the boot vCPU's, unless `ctx` is a
 * vCPU's scoped context), creating them (and installing them as that
 * vCPU's interrupt source) if no plugin has done so yet. The boot vCPU's
 * pins are the {@link CPU_INTERRUPT_PINS} service, where the PIC's INTR
 * arrives.
 */
export function cpuInterruptPins(ctx: PluginContext): CpuInterruptPins {
  const boot = ctx.vcpu === (ctx.vcpus[0] ?? ctx.vcpu);
  const existing = boot ? ctx.services.find(CPU_INTERRUPT_PINS) : PINS_OF_VCPU.get(ctx.vcpu);
  if (existing !== undefined) return existing;
  const pins = new Pins(ctx.vcpu);
  if (boot) ctx.services.provide(CPU_INTERRUPT_PINS, pins);
  else PINS_OF_VCPU.set(ctx.vcpu, pins);
  ctx.vcpu.setInterruptSource(pins);
  return pins;
}

/** An interrupt message as the IOAPIC (or an MSI) sends it to local APICs. */
export interface ApicMessage {
  /** Vector 0-255. */
  readonly vector: number;
  /** Delivery mode: 0 fixed, 1 lowest priority, 2 SMI, 4 NMI, 5 INIT, 7 ExtINT. */
  readonly deliveryMode: number;
  /** Destination (8-bit xAPIC ID or logical mask; 32-bit in x2APIC mode). */
  readonly destination: number;
  /** True for logical destination mode. */
  readonly logical: boolean;
  /** True for level-triggered (sets the TMR bit; EOI is broadcast). */
  readonly levelTriggered: boolean;
}

/** Delivery to one local APIC by its physical ID (IPIs sent on a guest's behalf, e.g. a hypercall). */
export interface ApicIdTarget {
  /**
   * Deliver to the one local APIC whose physical ID is `apicId` (its x2APIC
   * ID in x2APIC mode, its 8-bit APIC ID register in xAPIC mode), with no
   * broadcast and no logical matching: an ID no enabled APIC has reaches
   * nobody. `deliveryMode`, `vector` and `levelTriggered` are those of an
   * ICR or {@link ApicMessage}. True when that APIC took the message (a
   * software-disabled APIC drops fixed interrupts, SDM Vol. 3A 11.4.7.2; a
   * vector below 16 is refused as illegal, 11.5.3).
   */
  deliverToId(
    apicId: number,
    deliveryMode: number,
    vector: number,
    levelTriggered: boolean,
  ): boolean;
}

/** The local APIC's bus interface for other interrupt controllers. */
export interface LocalApicBus extends ApicIdTarget {
  /** Deliver a message; returns true when this APIC accepted it. */
  deliver(message: ApicMessage): boolean;
}

/** Token of the {@link LocalApicBus} service (provided by the LAPIC). */
export const LOCAL_APIC: ServiceToken<LocalApicBus> = serviceToken<LocalApicBus>(
  "nestvm.devices.local-apic",
);

/** Receivers of EOI broadcasts for level-triggered vectors (IOAPICs). */
export interface EoiListeners {
  /** Add a listener called with the vector on every broadcast EOI. */
  add(listener: (vector: number) => void): void;
  /** Remove a listener. */
  remove(listener: (vector: number) => void): void;
  /** Broadcast an EOI for `vector`. */
  broadcast(vector: number): void;
}

/** Token of the {@link EoiListeners} service. */
export const EOI_LISTENERS: ServiceToken<EoiListeners> = serviceToken<EoiListeners>(
  "nestvm.devices.eoi-listeners",
);

/** Get the EOI broadcast service, creating it if nobody has yet. */
export function eoiListeners(ctx: PluginContext): EoiListeners {
  const existing = ctx.services.find(EOI_LISTENERS);
  if (existing !== undefined) return existing;
  const set = new Set<(vector: number) => void>();
  const impl: EoiListeners = {
    add: (l) => void set.add(l),
    remove: (l) => void set.delete(l),
    broadcast: (v) => {
      for (const l of [...set]) l(v);
    },
  };
  ctx.services.provide(EOI_LISTENERS, impl);
  return impl;
}

/**
 * Listeners of the PIC's INTR output. On a PC the PIC's INTR also reaches
 * I/O APIC pin 0 (free, as ISA IRQ0 is routed to pin 2), which lets an
 * ExtINT redirection entry carry PIC interrupts ("virtual wire" through the
 * I/O APIC, MP specification 3.6.2.2).
 */
export interface PicIntrListeners {
  /** Add a listener called with the new INTR level on every change. */
  add(listener: (level: boolean) => void): void;
  /** Remove a listener. */
  remove(listener: (level: boolean) => void): void;
  /** Announce a new INTR level (called by the PIC). */
  broadcast(level: boolean): void;
}

/** Token of the {@link PicIntrListeners} service. */
export const PIC_INTR_LISTENERS: ServiceToken<PicIntrListeners> = serviceToken<PicIntrListeners>(
  "nestvm.devices.pic-intr-listeners",
);

/** Get the PIC INTR listener service, creating it if nobody has yet. */
export function picIntrListeners(ctx: PluginContext): PicIntrListeners {
  const existing = ctx.services.find(PIC_INTR_LISTENERS);
  if (existing !== undefined) return existing;
  const set = new Set<(level: boolean) => void>();
  const impl: PicIntrListeners = {
    add: (l) => void set.add(l),
    remove: (l) => void set.delete(l),
    broadcast: (level) => {
      for (const l of [...set]) l(level);
    },
  };
  ctx.services.provide(PIC_INTR_LISTENERS, impl);
  return impl;
}

/** PIT channel 2, as the system control port B (0x61) needs it. */
export interface PitChannel2 {
  /** Drive channel 2's GATE input. */
  setGate(level: boolean): void;
  /** Channel 2's GATE input. */
  gate(): boolean;
  /** Channel 2's OUT output now. */
  output(): boolean;
}

/** Token of the {@link PitChannel2} service (provided by the PIT). */
export const PIT_CHANNEL2: ServiceToken<PitChannel2> = serviceToken<PitChannel2>(
  "nestvm.devices.pit-channel2",
);

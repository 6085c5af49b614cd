/**
 * The I/O APIC (Intel 82093AA datasheet, as on ICH/PIIX-era PCs): MMIO at
 * 0xFEC00000 with the index register IOREGSEL (offset 0x00), the data
 * window IOWIN (0x10) and the EOI register (0x40, version 0x20), 24
 * redirection entries with edge and level triggering, polarity, masking
 * and remote IRR. Messages go to the local APIC through the
 * {@link LOCAL_APIC} service; EOI broadcasts arrive through
 * {@link EOI_LISTENERS}.
 *
 * ISA IRQs are routed as on a PC with the usual ACPI interrupt source
 * override: ISA IRQ0 (the PIT) arrives on pin 2; other lines n on pin n;
 * pin 0 follows the PIC's INTR output (an ExtINT entry there is "virtual
 * wire mode" through the I/O APIC).
 *
 * @module
 */

import type { OptionsSchema } from "../core/options_schema.ts";
import type { MmioRegistration, Plugin, PluginContext, PluginState } from "../core/plugin.ts";
import { PLUGIN_API_VERSION } from "../core/plugin.ts";
import {
  type EoiListeners,
  eoiListeners,
  LOCAL_APIC,
  type PicIntrListeners,
  picIntrListeners,
} from "./interrupts.ts";
import {
  expectState,
  hex,
  num,
  nums,
  parseDeviceOptions,
  type StringOptions,
  typedOptions,
} from "./options.ts";

/** Default MMIO base of the I/O APIC. */
export const IOAPIC_DEFAULT_BASE = 0xfec00000;
const PINS = 24;
const VERSION = 0x20 | ((PINS - 1) << 16);

// Redirection entry bits (low dword).
const RTE_DELIVERY_STATUS = 1 << 12;
const RTE_POLARITY_LOW = 1 << 13;
const RTE_REMOTE_IRR = 1 << 14;
const RTE_LEVEL = 1 << 15;
const RTE_MASKED = 1 << 16;
const RTE_WRITABLE_LO = 0x0001afff; // vector, mode, dest mode, polarity, trigger, mask

/** Typed options of the I/O APIC. */
export interface IoapicOptions {
  /** MMIO base (default 0xFEC00000). */
  base?: number;
  /** I/O APIC ID (default 0; the LAPIC has 0 too on a 1-CPU PC, as QEMU). */
  id?: number;
  /** Route ISA IRQ0 to pin 2 (default true, the PC interrupt source override). */
  irq0ToPin2?: boolean;
}

/** `--device ioapic` options (`-device ioapic,help` lists them). */
export const ioapicOptionsSchema: OptionsSchema = {
  base: { type: "int", min: 0, max: 0xfffff000, doc: "MMIO base (default 0xfec00000)" },
  id: { type: "int", min: 0, max: 15, doc: "I/O APIC id (default 0)" },
  irq0topin2: { type: "bool", doc: "ISA IRQ0 (the PIT) arrives on pin 2 (default on)" },
};

/** Parse `--device ioapic,...` options. */
export function parseIoapicOptions(opts: StringOptions): IoapicOptions {
  return parseDeviceOptions<IoapicOptions>("ioapic", ioapicOptionsSchema, opts, {
    irq0topin2: "irq0ToPin2",
  });
}

/** Create the I/O APIC plugin. */
export function createIoapic(given: IoapicOptions | StringOptions = {}): Plugin {
  const options: IoapicOptions = typedOptions(given, parseIoapicOptions);
  const mmioBase = options.base ?? IOAPIC_DEFAULT_BASE;
  const irq0ToPin2 = options.irq0ToPin2 ?? true;
  let ioapicId = (options.id ?? 0) & 0xf;
  let select = 0;
  const lo = new Array<number>(PINS).fill(RTE_MASKED);
  const hi = new Array<number>(PINS).fill(0);
  /** Input levels per pin (true = asserted at the pin, before polarity). */
  const inputs = new Array<boolean>(PINS).fill(false);
  let ctx: PluginContext | null = null;
  let mmio: MmioRegistration | null = null;
  let eoi: EoiListeners | null = null;
  let picIntr: PicIntrListeners | null = null;
  const onPicIntr = (level: boolean): void => setPin(0, level);

  /** Is the pin's input active, after polarity? */
  const active = (pin: number): boolean => inputs[pin] !== ((lo[pin] & RTE_POLARITY_LOW) !== 0);

  /** Send the pin's message if its state calls for one. */
  function service(pin: number): void {
    const e = lo[pin];
    if (e & RTE_MASKED) return;
    const level = (e & RTE_LEVEL) !== 0;
    if (level && (e & RTE_REMOTE_IRR)) return;
    const apic = ctx?.services.find(LOCAL_APIC);
    const delivered = apic?.deliver({
      vector: e & 0xff,
      deliveryMode: (e >> 8) & 7,
      destination: hi[pin] >>> 24,
      logical: (e & 0x800) !== 0,
      levelTriggered: level,
    }) ?? false;
    if (level && delivered && ((e >> 8) & 7) <= 1) lo[pin] |= RTE_REMOTE_IRR;
  }

  function setPin(pin: number, level: boolean): void {
    const wasActive = active(pin);
    inputs[pin] = level;
    const isActive = active(pin);
    if (lo[pin] & RTE_LEVEL) {
      if (isActive) service(pin);
    } else if (isActive && !wasActive) {
      service(pin);
    }
  }

  function onEoi(vector: number): void {
    for (let pin = 0; pin < PINS; pin++) {
      if ((lo[pin] & 0xff) === vector && (lo[pin] & RTE_REMOTE_IRR)) {
        lo[pin] &= ~RTE_REMOTE_IRR;
        if ((lo[pin] & RTE_LEVEL) && active(pin)) service(pin);
      }
    }
  }

  function readWindow(): number {
    if (select === 0) return ioapicId << 24;
    if (select === 1) return VERSION;
    if (select === 2) return ioapicId << 24; // arbitration ID
    const pin = (select - 0x10) >> 1;
    if (select < 0x10 || pin >= PINS) return 0xffffffff;
    return (select & 1 ? hi[pin] : lo[pin] & ~RTE_DELIVERY_STATUS) >>> 0;
  }

  function writeWindow(v: number): void {
    if (select === 0) {
      ioapicId = (v >>> 24) & 0xf;
      return;
    }
    const pin = (select - 0x10) >> 1;
    if (select < 0x10 || pin >= PINS) return;
    if (select & 1) {
      hi[pin] = (v & 0xff000000) >>> 0;
      return;
    }
    const wasLevel = (lo[pin] & RTE_LEVEL) !== 0;
    lo[pin] = (v & RTE_WRITABLE_LO) | (lo[pin] & RTE_REMOTE_IRR);
    // Remote IRR has no meaning for edge-triggered pins.
    if (!(lo[pin] & RTE_LEVEL) || !wasLevel) lo[pin] &= ~RTE_REMOTE_IRR;
    // An unmasked level pin that is still active delivers now.
    if ((lo[pin] & RTE_LEVEL) && active(pin)) service(pin);
  }

  const handler = {
    read: (offset: number, size: 1 | 2 | 4): number => {
      let v: number;
      if (offset < 0x10) v = offset < 4 ? select : 0;
      else if (offset < 0x20) v = offset < 0x14 ? readWindow() : 0;
      else return 0;
      const shift = (offset & 3) * 8;
      const mask = size === 4 ? 0xffffffff : (1 << (8 * size)) - 1;
      return ((v >>> shift) & mask) >>> 0;
    },
    write: (offset: number, _size: 1 | 2 | 4, value: number): void => {
      if (offset === 0x00) select = value & 0xff;
      else if (offset === 0x10) writeWindow(value >>> 0);
      else if (offset === 0x40) onEoi(value & 0xff);
    },
  };

  function resetState(): void {
    select = 0;
    lo.fill(RTE_MASKED);
    hi.fill(0);
    ioapicId = (options.id ?? 0) & 0xf;
  }

  return {
    name: `ioapic@${hex(mmioBase)}`,
    version: "1.0.0",
    apiVersion: PLUGIN_API_VERSION,
    setup(c: PluginContext): void {
      ctx = c;
      mmio = c.mmio.register(mmioBase, 0x1000, handler);
      c.irq.addChip({
        setIrq(irq: number, level: boolean): void {
          if (irq < 0 || irq >= PINS) return;
          if (irq0ToPin2 && irq === 0) setPin(2, level);
          else if (irq0ToPin2 && irq === 2) return; // the cascade line has no ISA device
          else setPin(irq, level);
        },
      });
      eoi = eoiListeners(c);
      eoi.add(onEoi);
      if (irq0ToPin2) {
        picIntr = picIntrListeners(c);
        picIntr.add(onPicIntr);
      }
    },
    reset: resetState,
    saveState(): PluginState {
      return {
        version: 1,
        data: { id: ioapicId, select, lo: [...lo], hi: [...hi], inputs: inputs.map(Number) },
      };
    },
    loadState(state: PluginState): void {
      const d = expectState("ioapic", state, 1);
      ioapicId = num(d, "id") & 0xf;
      select = num(d, "select") & 0xff;
      const l = nums(d, "lo");
      const h = nums(d, "hi");
      const inp = nums(d, "inputs");
      for (let i = 0; i < PINS; i++) {
        lo[i] = (l[i] ?? RTE_MASKED) & (RTE_WRITABLE_LO | RTE_REMOTE_IRR);
        hi[i] = ((h[i] ?? 0) & 0xff000000) >>> 0;
        inputs[i] = inp[i] === 1;
      }
    },
    dispose(): void {
      eoi?.remove(onEoi);
      eoi = null;
      picIntr?.remove(onPicIntr);
      picIntr = null;
      mmio?.remove();
      mmio = null;
      ctx = null;
    },
  };
}

/**
 * The 8259A programmable interrupt controller pair of a PC (Intel 8259A
 * datasheet): master at 0x20/0x21 (IRQ0-7), slave at 0xA0/0xA1 (IRQ8-15)
 * cascaded on the master's IRQ2, plus the edge/level control registers
 * (ELCR) at 0x4D0/0x4D1. Supports ICW1-4, OCW1-3, IRR/ISR/IMR reads,
 * specific and non-specific EOI, rotation, auto-EOI, special mask mode,
 * poll mode, and spurious IRQ7/IRQ15.
 *
 * The PIC's INTR output reaches the vCPU through the shared interrupt pins
 * (see `interrupts.ts`): straight to the CPU, or through the LAPIC's LINT0.
 *
 * @module
 */

import type { OptionsSchema } from "../core/options_schema.ts";
import type { Plugin, PluginContext, PluginState } from "../core/plugin.ts";
import { PLUGIN_API_VERSION } from "../core/plugin.ts";
import {
  type CpuInterruptPins,
  cpuInterruptPins,
  type ExtIntSource,
  type PicIntrListeners,
  picIntrListeners,
} from "./interrupts.ts";
import {
  expectState,
  num,
  parseDeviceOptions,
  type StringOptions,
  typedOptions,
} from "./options.ts";

/** Typed options of the PIC (none yet beyond the defaults of a PC). */
export interface PicOptions {
  /** Register ELCR ports 0x4D0/0x4D1 (default true). */
  elcr?: boolean;
}

/** The state of one 8259A. */
interface Chip {
  irr: number;
  isr: number;
  imr: number;
  /** Input levels last seen (for edge detection). */
  lines: number;
  /** ICW sequence: 0 = ready, 2..4 = expecting ICW2..ICW4. */
  initStep: number;
  needIcw4: boolean;
  single: boolean;
  levelMode: boolean; // ICW1.LTIM
  vectorBase: number;
  autoEoi: boolean;
  /** ICW4 bit 4: special fully nested mode (used on the master). */
  sfnm: boolean;
  rotateOnAutoEoi: boolean;
  /** The IRQ with the lowest priority is (lowestPriority); highest is lowestPriority+1. */
  lowestPriority: number;
  readIsr: boolean;
  specialMask: boolean;
  poll: boolean;
  elcr: number;
  elcrMask: number;
  icw3: number;
}

function newChip(elcrMask: number): Chip {
  return {
    irr: 0,
    isr: 0,
    imr: 0,
    lines: 0,
    initStep: 0,
    needIcw4: false,
    single: false,
    levelMode: false,
    vectorBase: 0,
    autoEoi: false,
    sfnm: false,
    rotateOnAutoEoi: false,
    lowestPriority: 7,
    readIsr: false,
    specialMask: false,
    poll: false,
    elcr: 0,
    elcrMask,
    icw3: 0,
  };
}

/** Bits of `mask` in priority order, returning the highest-priority IRQ or -1. */
function highest(chip: Chip, mask: number): number {
  if (mask === 0) return -1;
  for (let i = 1; i <= 8; i++) {
    const irq = (chip.lowestPriority + i) & 7;
    if (mask & (1 << irq)) return irq;
  }
  return -1;
}

/** Priority rank: 0 is highest. */
function rank(chip: Chip, irq: number): number {
  return (irq - chip.lowestPriority - 1) & 7;
}

function isLevel(chip: Chip, irq: number): boolean {
  return chip.levelMode || (chip.elcr & (1 << irq)) !== 0;
}

/** Highest requesting IRQ that may interrupt now (fully nested mode), or -1. */
function pendingIrq(chip: Chip): number {
  const req = highest(chip, chip.irr & ~chip.imr);
  if (req < 0) return -1;
  // In special mask mode, masked in-service levels do not block others.
  const inService = chip.specialMask ? chip.isr & ~chip.imr : chip.isr;
  const cur = highest(chip, inService);
  // Special fully nested mode: a request from the cascade input may
  // interrupt its own in-service level (a higher-priority slave IRQ).
  if (cur === req && chip.sfnm && req === 2) return req;
  if (cur >= 0 && rank(chip, cur) <= rank(chip, req)) return -1;
  return req;
}

/** `--device pic` options (`-device pic,help` lists them). */
export const picOptionsSchema: OptionsSchema = {
  elcr: { type: "bool", doc: "edge/level control ports 0x4d0-0x4d1 (default on)" },
};

/** Parse `--device i8259,...` options. */
export function parsePicOptions(opts: StringOptions): PicOptions {
  return parseDeviceOptions<PicOptions>("pic", picOptionsSchema, opts);
}

/** Create the 8259A pair plugin. */
export function createPic(given: PicOptions | StringOptions = {}): Plugin & ExtIntSource {
  const options: PicOptions = typedOptions(given, parsePicOptions);
  const withElcr = options.elcr ?? true;
  // Per the PIIX ELCR, IRQ 0, 1, 2, 8 and 13 are always edge triggered.
  const chips: [Chip, Chip] = [newChip(0xf8), newChip(0xde)];
  let pins: CpuInterruptPins | null = null;

  let intrListeners: PicIntrListeners | null = null;
  let lastIntr = false;

  function changed(): void {
    pins?.changed();
    if (intrListeners !== null) {
      const now = pendingIrq(chips[0]) >= 0;
      if (now !== lastIntr) {
        lastIntr = now;
        intrListeners.broadcast(now);
      }
    }
  }

  function setInput(c: number, irq: number, level: boolean): void {
    const chip = chips[c];
    const bit = 1 << irq;
    if (isLevel(chip, irq)) {
      if (level) chip.irr |= bit;
      else chip.irr &= ~bit;
    } else if (level && !(chip.lines & bit)) {
      chip.irr |= bit; // rising edge latches the request
    }
    if (level) chip.lines |= bit;
    else chip.lines &= ~bit;
  }

  /**
   * Propagate the slave's INTR to the master's IRQ2 input. The cascade
   * input is followed as a level, so a slave that stays asserted (auto-EOI,
   * several requests) keeps requesting through the master.
   */
  function cascade(): void {
    if (pendingIrq(chips[1]) >= 0) {
      chips[0].irr |= 1 << 2;
      chips[0].lines |= 1 << 2;
    } else {
      chips[0].irr &= ~(1 << 2);
      chips[0].lines &= ~(1 << 2);
    }
  }

  function update(): void {
    cascade();
    changed();
  }

  function intr(): boolean {
    cascade();
    return pendingIrq(chips[0]) >= 0;
  }

  /** Acknowledge `irq` on chip `c` (the INTA cycle's ISR/IRR bookkeeping). */
  function ack(c: number, irq: number): void {
    const chip = chips[c];
    const bit = 1 << irq;
    if (!isLevel(chip, irq)) chip.irr &= ~bit;
    if (chip.autoEoi) {
      if (chip.rotateOnAutoEoi) chip.lowestPriority = irq;
    } else {
      chip.isr |= bit;
    }
  }

  function acknowledge(): number {
    cascade();
    const m = pendingIrq(chips[0]);
    let vector: number;
    if (m < 0) {
      vector = chips[0].vectorBase | 7; // spurious IRQ7
    } else if (m === 2 && !chips[0].single) {
      ack(0, 2);
      const s = pendingIrq(chips[1]);
      if (s < 0) vector = chips[1].vectorBase | 7; // spurious IRQ15
      else {
        ack(1, s);
        vector = chips[1].vectorBase | s;
      }
    } else {
      ack(0, m);
      vector = chips[0].vectorBase | m;
    }
    update();
    return vector;
  }

  function eoi(c: number, irq: number, rotate: boolean): void {
    const chip = chips[c];
    if (irq < 0) return;
    chip.isr &= ~(1 << irq);
    if (rotate) chip.lowestPriority = irq;
  }

  function writeCommand(c: number, v: number): void {
    const chip = chips[c];
    if (v & 0x10) {
      // ICW1: starts initialization; clears IMR, ISR, special mask, IRQ7 lowest.
      chip.needIcw4 = (v & 0x01) !== 0;
      chip.single = (v & 0x02) !== 0;
      chip.levelMode = (v & 0x08) !== 0;
      chip.initStep = 2;
      chip.imr = 0;
      chip.isr = 0;
      chip.irr = 0;
      chip.lowestPriority = 7;
      chip.specialMask = false;
      chip.readIsr = false;
      chip.poll = false;
      chip.autoEoi = false;
      chip.sfnm = false;
      chip.rotateOnAutoEoi = false;
      // Inputs still asserted are requests again for level-triggered IRQs.
      for (let irq = 0; irq < 8; irq++) {
        if ((chip.lines & (1 << irq)) && isLevel(chip, irq)) chip.irr |= 1 << irq;
      }
      return;
    }
    if (v & 0x08) {
      // OCW3
      if (v & 0x40) chip.specialMask = (v & 0x20) !== 0;
      if (v & 0x04) chip.poll = true;
      if (v & 0x02) chip.readIsr = (v & 0x01) !== 0;
      return;
    }
    // OCW2: R SL EOI in bits 7:5, level in 2:0.
    const level = v & 7;
    switch (v >> 5) {
      case 0b001: // non-specific EOI
        eoi(c, highest(chip, chip.isr), false);
        break;
      case 0b011: // specific EOI
        eoi(c, level, false);
        break;
      case 0b101: // rotate on non-specific EOI
        eoi(c, highest(chip, chip.isr), true);
        break;
      case 0b111: // rotate on specific EOI
        eoi(c, level, true);
        break;
      case 0b100: // set rotate in auto-EOI mode
        chip.rotateOnAutoEoi = true;
        break;
      case 0b000: // clear rotate in auto-EOI mode
        chip.rotateOnAutoEoi = false;
        break;
      case 0b110: // set priority: `level` becomes the lowest
        chip.lowestPriority = level;
        break;
      default: // 0b010: no operation
        break;
    }
  }

  function writeData(c: number, v: number): void {
    const chip = chips[c];
    switch (chip.initStep) {
      case 2:
        chip.vectorBase = v & 0xf8;
        chip.initStep = chip.single ? (chip.needIcw4 ? 4 : 0) : 3;
        return;
      case 3:
        chip.icw3 = v;
        chip.initStep = chip.needIcw4 ? 4 : 0;
        return;
      case 4:
        chip.autoEoi = (v & 0x02) !== 0;
        chip.sfnm = (v & 0x10) !== 0;
        chip.initStep = 0;
        return;
      default:
        chip.imr = v; // OCW1
    }
  }

  function readCommand(c: number): number {
    const chip = chips[c];
    if (chip.poll) {
      // Poll: acknowledge the highest request as an INTA would.
      chip.poll = false;
      if (c === 0) cascade();
      const irq = pendingIrq(chip);
      if (irq < 0) return 0;
      ack(c, irq);
      update();
      return 0x80 | irq;
    }
    return chip.readIsr ? chip.isr : chip.irr;
  }

  function ioHandler(c: number) {
    return {
      read: (offset: number): number => (offset & 1 ? chips[c].imr : readCommand(c)),
      write: (offset: number, _size: number, value: number): void => {
        if (offset & 1) writeData(c, value & 0xff);
        else writeCommand(c, value & 0xff);
        update();
      },
    };
  }

  function resetState(): void {
    for (let c = 0; c < 2; c++) {
      const fresh = newChip(chips[c].elcrMask);
      fresh.lines = chips[c].lines;
      chips[c] = fresh;
    }
    update();
  }

  const plugin: Plugin & ExtIntSource = {
    name: "pic",
    version: "1.0.0",
    apiVersion: PLUGIN_API_VERSION,
    setup(ctx: PluginContext): void {
      ctx.ports.register(0x20, 2, ioHandler(0));
      ctx.ports.register(0xa0, 2, ioHandler(1));
      if (withElcr) {
        ctx.ports.register(0x4d0, 2, {
          read: (offset) => chips[offset & 1].elcr,
          write: (offset, _size, value) => {
            const chip = chips[offset & 1];
            chip.elcr = value & chip.elcrMask;
            update();
          },
        });
      }
      ctx.irq.addChip({
        setIrq(irq: number, level: boolean): void {
          if (irq < 0 || irq > 15 || irq === 2) return; // IRQ2 is the cascade input
          setInput(irq >> 3, irq & 7, level);
          update();
        },
      });
      pins = cpuInterruptPins(ctx);
      pins.setExtInt(plugin);
      intrListeners = picIntrListeners(ctx);
    },
    reset: resetState,
    saveState(): PluginState {
      return { version: 1, data: { master: { ...chips[0] }, slave: { ...chips[1] } } };
    },
    loadState(state: PluginState): void {
      const d = expectState("pic", state, 1);
      for (const [c, key] of [[0, "master"], [1, "slave"]] as const) {
        const s = (typeof d[key] === "object" && d[key] !== null ? d[key] : {}) as Record<
          string,
          unknown
        >;
        const chip = newChip(chips[c].elcrMask);
        for (
          const k of [
            "irr",
            "isr",
            "imr",
            "lines",
            "vectorBase",
            "lowestPriority",
            "elcr",
            "icw3",
            "initStep",
          ] as const
        ) {
          (chip[k] as number) = num(s, k) & 0xff;
        }
        chip.vectorBase &= 0xf8;
        chip.lowestPriority &= 7;
        chip.elcr &= chip.elcrMask;
        if (![0, 2, 3, 4].includes(chip.initStep)) chip.initStep = 0;
        for (
          const k of [
            "needIcw4",
            "single",
            "levelMode",
            "autoEoi",
            "sfnm",
            "rotateOnAutoEoi",
            "readIsr",
            "specialMask",
            "poll",
          ] as const
        ) {
          chip[k] = s[k] === true;
        }
        chips[c] = chip;
      }
      update();
    },
    dispose(): void {
      pins?.setExtInt(null);
      intrListeners = null;
      pins = null;
    },
    intr,
    acknowledge,
  };
  return plugin;
}

/**
 * Interrupt request lines. Devices drive lines; interrupt controllers (the
 * PIC and the IOAPIC) register as chips and see every line change.
 *
 * Several devices may drive one line. Each owner (plugin) gets its own
 * driver of a line from {@link IrqRouter.line}, and a line is asserted while any of its
 * drivers asserts it (wired-OR, as shared ISA/PCI level lines behave on a
 * PC board): A asserting and B deasserting leaves the line high until A
 * lets go too.
 *
 * @module
 */

import type { IrqChip, IrqLine } from "./plugin.ts";

/** The machine's IRQ lines (GSIs 0..count-1). */
export class IrqRouter {
  /** Number of drivers asserting each line. */
  readonly #asserting: Uint16Array;
  /** Drivers by key (`owner#irq`), in hand-out order. */
  readonly #drivers: Map<string, { irq: number; level: number; line: IrqLine }> = new Map();
  readonly #chips: IrqChip[] = [];

  /** Create `count` lines, all deasserted. */
  constructor(count = 24) {
    this.#asserting = new Uint16Array(count);
  }

  /** Number of lines. */
  get count(): number {
    return this.#asserting.length;
  }

  /**
   * The driver `owner` uses for line `irq` (the same object on every call
   * with the same owner and line; a RangeError names the valid range).
   * Different owners get different drivers of the same line.
   */
  line(irq: number, owner = ""): IrqLine {
    if (!Number.isInteger(irq) || irq < 0 || irq >= this.#asserting.length) {
      throw new RangeError(`IRQ ${irq} does not exist (0..${this.#asserting.length - 1})`);
    }
    return this.#driver(`${owner}#${irq}`, irq).line;
  }

  /** Add a chip that receives line changes. */
  addChip(chip: IrqChip): void {
    this.#chips.push(chip);
  }

  /** Current level of `irq` (the OR of its drivers). */
  level(irq: number): boolean {
    return this.#asserting[irq] > 0;
  }

  /** Keys (`owner#irq`) of the drivers asserting their line now (for snapshots). */
  save(): string[] {
    return [...this.#drivers].filter(([, d]) => d.level === 1).map(([k]) => k);
  }

  /**
   * Restore driver levels from {@link save} without notifying chips (their
   * own state is restored separately). Drivers not listed are deasserted.
   */
  load(asserted: readonly string[]): void {
    this.#asserting.fill(0);
    for (const d of this.#drivers.values()) d.level = 0;
    for (const key of asserted) {
      const irq = Number(key.slice(key.lastIndexOf("#") + 1));
      if (!Number.isInteger(irq) || irq < 0 || irq >= this.#asserting.length) {
        throw new RangeError(`snapshot drives IRQ ${key}, which does not exist`);
      }
      this.#driver(key, irq).level = 1;
      this.#asserting[irq]++;
    }
  }

  #driver(key: string, irq: number): { irq: number; level: number; line: IrqLine } {
    let d = this.#drivers.get(key);
    if (d === undefined) {
      const drv = {
        irq,
        level: 0,
        line: {
          set: (level: boolean) => this.#drive(drv, level),
          pulse: () => {
            this.#drive(drv, true);
            this.#drive(drv, false);
          },
        },
      };
      d = drv;
      this.#drivers.set(key, d);
    }
    return d;
  }

  #drive(d: { irq: number; level: number }, level: boolean): void {
    const v = level ? 1 : 0;
    if (d.level === v) return;
    d.level = v;
    const before = this.#asserting[d.irq] > 0;
    this.#asserting[d.irq] += level ? 1 : -1;
    const after = this.#asserting[d.irq] > 0;
    if (before !== after) { for (const c of this.#chips) c.setIrq(d.irq, after); }
  }
}

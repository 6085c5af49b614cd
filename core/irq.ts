/**
 * Interrupt request lines. Devices drive lines; interrupt controllers (the
 * PIC and the IOAPIC) register as chips and see every line change.
 *
 * @module
 */

import type { IrqChip, IrqLine } from "./plugin.ts";

/** The machine's IRQ lines (GSIs 0..count-1). */
export class IrqRouter {
  readonly #levels: Uint8Array;
  readonly #chips: IrqChip[] = [];
  readonly #lines: IrqLine[] = [];

  /** Create `count` lines, all deasserted. */
  constructor(count = 24) {
    this.#levels = new Uint8Array(count);
    for (let i = 0; i < count; i++) {
      this.#lines.push({
        set: (level) => this.set(i, level),
        pulse: () => {
          this.set(i, true);
          this.set(i, false);
        },
      });
    }
  }

  /** The line object for `irq`. */
  line(irq: number): IrqLine {
    const l = this.#lines[irq];
    if (!l) throw new RangeError(`IRQ ${irq} does not exist (0..${this.#lines.length - 1})`);
    return l;
  }

  /** Add a chip that receives line changes. */
  addChip(chip: IrqChip): void {
    this.#chips.push(chip);
  }

  /** Drive line `irq`; chips see only changes. */
  set(irq: number, level: boolean): void {
    const v = level ? 1 : 0;
    if (this.#levels[irq] === v) return;
    this.#levels[irq] = v;
    for (const c of this.#chips) c.setIrq(irq, level);
  }

  /** Current level of `irq`. */
  level(irq: number): boolean {
    return this.#levels[irq] === 1;
  }

  /** Line levels (for snapshots). */
  save(): number[] {
    return Array.from(this.#levels);
  }

  /** Restore line levels without notifying chips (their own state is restored separately). */
  load(levels: readonly number[]): void {
    for (let i = 0; i < this.#levels.length; i++) this.#levels[i] = levels[i] ? 1 : 0;
  }
}

/**
 * ACPI for the `pc` board: the tables nestvm builds (see `acpi/tables.ts`),
 * written into the BIOS area at setup and on reset, and the fixed-hardware
 * power-management registers they describe (ACPI 6.x chapter 4.8):
 *
 * - PM1a event block (PM1_STS, PM1_EN): the status bits are
 *   write-one-to-clear; TMR_STS is set each time bit 23 of the PM timer
 *   changes (every 2^23 ticks, about 2.34 s; ACPI 6.x 4.8.2.1). The SCI
 *   (the FADT's SCI_INT, level triggered) is asserted while a status bit
 *   and its enable bit are both set (ACPI 6.x 4.8.3.1.1); while TMR_EN is
 *   set a virtual-clock timer raises it at the next carry. RTC_STS is set
 *   when the RTC asserts its interrupt line (IRQ 8: the alarm, with the
 *   alarm interrupt enabled in RTC register B, or any other RTC interrupt);
 *   PWRBTN_STS when the host presses the fixed power button
 *   ({@link AcpiPmPlugin.pressPowerButton}). There is no sleep button and
 *   no bus-master or global-lock source.
 * - PM1a control block: SCI_EN reads 1 (the FADT's SMI_CMD is 0, so the
 *   machine is always in ACPI mode); writing SLP_EN with SLP_TYP equal to
 *   the DSDT's \_S5 value powers the machine off (an orderly "shutdown"
 *   stop), with the \_S3 value it enters S3, suspend to RAM
 *   (`ctx.power.sleep()`: the vCPUs stop and lose their state, RAM is
 *   kept). Other values are ignored with a warning.
 * - Waking from S3 (ACPI 6.x 4.8.3.1.1, 16.1.3): RTC_STS with RTC_EN set,
 *   or a power-button press (whatever PWRBTN_EN says), sets WAK_STS and
 *   wakes the machine (`ctx.power.wake()`); the board's firmware then jumps
 *   to the waking vector in the FACS. This block is on standby power: its
 *   status, enable and control bits survive S3 ({@link Plugin.suspend}).
 * - PM timer: a 24-bit counter at 3.579545 MHz on virtual time.
 *
 * @module
 */

import type { OptionsSchema } from "../core/options_schema.ts";
import type { Plugin, PluginContext, PluginState } from "../core/plugin.ts";
import { PLUGIN_API_VERSION } from "../core/plugin.ts";
import type { Timer } from "../core/clock.ts";
import { type AcpiLayout, buildAcpiTables, PC_ACPI_LAYOUT } from "./acpi/tables.ts";
import { expectState, num, parseDeviceOptions, type StringOptions } from "./options.ts";

/** PM timer frequency in Hz. */
export const PM_TIMER_HZ = 3579545;
/** PM1_CNT.SCI_EN. */
export const SCI_EN = 1 << 0;
/** PM1_CNT.SLP_EN (write-only). */
export const SLP_EN = 1 << 13;
/** PM1_STS bits that are write-one-to-clear: TMR_STS, BM_STS, GBL_STS, PWRBTN_STS, SLPBTN_STS, RTC_STS, WAK_STS. */
const PM1_STS_W1C = 0x8731;
/** PM1_EN bits that exist: TMR_EN, GBL_EN, PWRBTN_EN, SLPBTN_EN, RTC_EN. */
const PM1_EN_MASK = 0x0721;
/** PM1_STS.TMR_STS and PM1_EN.TMR_EN. */
export const TMR_STS = 1 << 0;
/** PM1_STS.PWRBTN_STS and PM1_EN.PWRBTN_EN. */
export const PWRBTN_STS = 1 << 8;
/** PM1_STS.RTC_STS and PM1_EN.RTC_EN. */
export const RTC_STS = 1 << 10;
/** PM1_STS.WAK_STS: set when a wake event ends a sleeping state. */
export const WAK_STS = 1 << 15;
/** PM1_CNT.SLP_TYP: bits 12:10. */
export const SLP_TYP_SHIFT = 10;
/** Ticks between two changes of the PM timer's bit 23. */
const TMR_CARRY_TICKS = 1n << 23n;

/** How many times bit 23 of the PM timer has changed by virtual time `ns`. */
export function pmTimerCarries(ns: number): number {
  const ticks = (BigInt(Math.floor(ns)) * BigInt(PM_TIMER_HZ)) / 1_000_000_000n;
  return Number(ticks / TMR_CARRY_TICKS);
}

/** The virtual time (ns) of carry number `n` (the first instant bit 23 has changed `n` times). */
export function pmTimerCarryTime(n: number): number {
  const num = BigInt(n) * TMR_CARRY_TICKS * 1_000_000_000n;
  const hz = BigInt(PM_TIMER_HZ);
  return Number((num + hz - 1n) / hz);
}

/** PM timer count (24 bits) at virtual time `ns`, computed without losing precision. */
export function pmTimerCount(ns: number): number {
  const seconds = Math.floor(ns / 1e9);
  const rest = ns - seconds * 1e9;
  const ticks = (seconds % 0x1000000) * PM_TIMER_HZ + Math.floor((rest * PM_TIMER_HZ) / 1e9);
  return ticks % 0x1000000;
}

/** `--device acpi` options (`-device acpi,help` lists them). */
export const acpiOptionsSchema: OptionsSchema = {
  s3: { type: "bool", doc: "offer S3, suspend to RAM (the DSDT's \\_S3; default on)" },
};

/** Typed options of the ACPI device. */
export interface AcpiOptions {
  /** Offer S3 (default true); off leaves \_S3 out of the DSDT and ignores its SLP_TYP. */
  readonly s3?: boolean;
}

/** Parse `--device acpi` options. */
export function parseAcpiOptions(opts: StringOptions): AcpiOptions {
  return parseDeviceOptions<AcpiOptions>("acpi", acpiOptionsSchema, opts);
}

/** The ACPI plugin, with the host's hand on the power button. */
export interface AcpiPmPlugin extends Plugin {
  /**
   * Press the fixed power button: PWRBTN_STS is set, an SCI is raised if
   * PWRBTN_EN is set, and a machine asleep in S3 wakes (ACPI 6.x 4.8.2.2.1.1).
   */
  pressPowerButton(): void;
}

/** Create the ACPI plugin (tables and PM registers) for `layout`. */
export function createAcpiPm(
  base: AcpiLayout = PC_ACPI_LAYOUT,
  options: AcpiOptions = {},
): AcpiPmPlugin {
  const layout: AcpiLayout = options.s3 === false ? { ...base, s3SlpTyp: null } : base;
  let ctx: PluginContext | null = null;
  let sts = 0;
  let en = 0;
  let cnt = SCI_EN; // bits other than SLP_EN as written; SCI_EN stays set
  let seen = 0; // PM timer carries already reflected in TMR_STS
  let sci = false; // the SCI line's level
  let carryTimer: Timer | null = null;

  /** Bring TMR_STS up to date, drive the SCI and (re)arm the carry timer. */
  const sync = (): void => {
    if (ctx === null) return;
    const carries = pmTimerCarries(ctx.clock.now);
    if (carries > seen) {
      sts |= TMR_STS;
      seen = carries;
    }
    const level = (sts & en) !== 0;
    if (level !== sci) {
      sci = level;
      ctx.irq.line(layout.sciIrq).set(level);
    }
    carryTimer?.cancel();
    carryTimer = null;
    // Only an enabled, not yet pending timer carry can change the SCI later.
    if ((en & TMR_STS) !== 0 && (sts & TMR_STS) === 0) {
      carryTimer = ctx.clock.schedule(pmTimerCarryTime(seen + 1), sync, "acpi-pm-timer");
    }
  };

  const writeTables = (): void => {
    if (ctx === null) return;
    // One MADT entry per vCPU; the PC board gives vCPU i APIC ID i (plugins/pc_machine.ts).
    const withCpus = { ...layout, apicIds: ctx.vcpus.map((_, i) => i) };
    for (const t of buildAcpiTables(withCpus, ctx.memory.ramSize)) {
      ctx.memory.writeBytes(t.addr, t.bytes);
    }
  };

  const writeCnt = (value: number): void => {
    cnt = (value & ~SLP_EN & 0xffff) | SCI_EN;
    if ((value & SLP_EN) === 0 || ctx === null) return;
    const slpTyp = (value >> SLP_TYP_SHIFT) & 7;
    if (slpTyp === layout.s5SlpTyp) {
      ctx.log.info("ACPI S5: power off");
      ctx.stop({ kind: "shutdown" });
    } else if (slpTyp === layout.s3SlpTyp) {
      ctx.log.info("ACPI S3: suspend to RAM");
      ctx.power.sleep();
    } else {
      const offered = layout.s3SlpTyp === null
        ? `only S5 (${layout.s5SlpTyp})`
        : `only S3 (${layout.s3SlpTyp}) and S5 (${layout.s5SlpTyp})`;
      ctx.log.warn(`ACPI sleep type ${slpTyp} requested; ${offered} exist`);
    }
  };

  /**
   * A hardware event sets its status bit; asleep, an enabled RTC alarm or
   * any power-button press is a wake event (ACPI 6.x Table 4.16: the power
   * button wakes the machine whatever PWRBTN_EN says).
   */
  const event = (bit: number): void => {
    if (ctx === null) return;
    sync();
    sts |= bit;
    if (ctx.power.asleep && (bit === PWRBTN_STS || (en & bit) !== 0)) {
      sts |= WAK_STS;
      ctx.log.info(`ACPI: wake from S3 (${bit === RTC_STS ? "RTC alarm" : "power button"})`);
      ctx.power.wake();
    }
    sync();
  };

  return {
    name: "acpi",
    version: "1.0.0",
    apiVersion: PLUGIN_API_VERSION,
    setup(c: PluginContext): void {
      ctx = c;
      writeTables();
      seen = pmTimerCarries(c.clock.now);
      // The RTC's interrupt output, as the chipset's PM logic sees it (RTC_STS).
      c.irq.addChip({
        setIrq: (irq, level) => {
          if (irq === layout.rtcIrq && level) event(RTC_STS);
        },
      });
      c.ports.register(layout.pm1aEvt, 4, {
        read: (offset, size) => {
          sync();
          const v = sts | (en << 16);
          return (v >>> (8 * offset)) & (size === 4 ? 0xffffffff : (1 << (8 * size)) - 1);
        },
        write: (offset, size, value) => {
          sync(); // a carry that already happened is cleared by this write, not after it
          // Split the access into the two 16-bit registers it touches.
          for (let i = 0; i < size; i++) {
            const byte = (value >>> (8 * i)) & 0xff;
            const at = offset + i;
            if (at < 2) sts &= ~((byte & (PM1_STS_W1C >> (8 * at))) << (8 * at));
            else {
              const shift = 8 * (at - 2);
              en = ((en & ~(0xff << shift)) | (byte << shift)) & PM1_EN_MASK;
            }
          }
          sync();
        },
      });
      c.ports.register(layout.pm1aCnt, 2, {
        read: (offset, size) => (cnt >>> (8 * offset)) & (size === 1 ? 0xff : 0xffff),
        write: (offset, size, value) => {
          if (offset === 0 && size >= 2) writeCnt(value & 0xffff);
          else if (offset === 0) writeCnt((cnt & 0xff00) | (value & 0xff));
          else writeCnt((cnt & 0x00ff) | ((value & 0xff) << 8));
        },
      });
      c.ports.register(layout.pmTmr, 4, {
        read: (offset, size) => {
          const v = pmTimerCount(ctx?.clock.now ?? 0);
          return (v >>> (8 * offset)) & (size === 4 ? 0xffffffff : (1 << (8 * size)) - 1);
        },
        write: () => {}, // read-only
      });
    },
    reset(): void {
      sts = 0;
      en = 0;
      cnt = SCI_EN;
      seen = ctx === null ? 0 : pmTimerCarries(ctx.clock.now);
      sync();
      writeTables();
    },
    suspend(): void {
      // Standby power: PM1_STS, PM1_EN and PM1_CNT are kept, and so are the
      // tables (the FACS with the waking vector is in RAM, which S3 keeps).
    },
    pressPowerButton(): void {
      event(PWRBTN_STS);
    },
    saveState(): PluginState {
      sync(); // the state of this instant, with any carry so far in TMR_STS
      return { version: 1, data: { sts, en, cnt, seen } };
    },
    loadState(state: PluginState): void {
      const d = expectState("acpi", state, 1);
      sts = num(d, "sts") & 0xffff;
      en = num(d, "en") & PM1_EN_MASK;
      cnt = (num(d, "cnt", SCI_EN) & ~SLP_EN & 0xffff) | SCI_EN;
      // Snapshots from before TMR_STS was modelled: no carry is pending.
      seen = num(d, "seen", ctx === null ? 0 : pmTimerCarries(ctx.clock.now));
      sci = false; // the machine restores line levels itself; sync re-drives ours
      sync();
    },
    dispose(): void {
      carryTimer?.cancel();
      carryTimer = null;
      ctx = null;
    },
  };
}

/**
 * The CMOS real-time clock (Motorola MC146818A datasheet) with its 128
 * bytes of CMOS RAM: index port 0x70 (bit 7 = NMI mask), data port 0x71.
 * Time and date come from a fixed epoch plus virtual time (never the host
 * clock, so runs are reproducible); BCD or binary, 12 or 24 hours,
 * registers A-D, the update-in-progress bit, and periodic, alarm and
 * update-ended interrupts on IRQ8. Memory-size bytes are filled from the
 * machine's RAM size as PC firmware expects. The RTC is on battery power:
 * it keeps running, with its CMOS RAM, through S3 (`suspend`).
 *
 * @module
 */

import type { OptionsSchema } from "../core/options_schema.ts";
import type { Plugin, PluginContext, PluginState } from "../core/plugin.ts";
import { PLUGIN_API_VERSION } from "../core/plugin.ts";
import type { Timer } from "../core/clock.ts";
import { type DeviceTime, deviceTime, WALL_CLOCK } from "./time.ts";
import { PC_LOW_RAM_LIMIT } from "../mm/regions.ts";
import {
  bool,
  checkRange,
  DeviceOptionError,
  expectState,
  hex,
  num,
  nums,
  parseDeviceOptions,
  parseIntOption,
  type StringOptions,
  typedOptions,
} from "./options.ts";

/** Default epoch: 2025-01-01T00:00:00Z, in Unix seconds. */
export const DEFAULT_RTC_EPOCH = 1735689600;
/** RAM below 4 GiB ends here on our PC: the limit of mm's `pcRamLayout`, which the machine uses. */
const LOW_RAM_LIMIT = PC_LOW_RAM_LIMIT;
/** The update-in-progress window before each second boundary (244 us). */
const UIP_NS = 244000;

const REG_A = 0x0a;
const REG_B = 0x0b;
const REG_C = 0x0c;
const REG_D = 0x0d;
const CENTURY = 0x32;
const B_SET = 0x80;
const B_PIE = 0x40;
const B_AIE = 0x20;
const B_UIE = 0x10;
const B_DM = 0x04;
const B_24H = 0x02;
const C_IRQF = 0x80;
const C_PF = 0x40;
const C_AF = 0x20;
const C_UF = 0x10;

/** Typed options of the RTC. */
export interface RtcOptions {
  /** Unix time (s) the clock shows at virtual time 0 (default {@link DEFAULT_RTC_EPOCH}). */
  epoch?: number;
  /** Index port (default 0x70; data at +1). */
  iobase?: number;
  /** IRQ line (default 8). */
  irq?: number;
}

/** `--device rtc` options (`-device mc146818rtc,help` lists them). */
export const rtcOptionsSchema: OptionsSchema = {
  epoch: {
    type: "string",
    doc: "time at power-on: Unix seconds, YYYY-MM-DD[THH:MM:SSZ], or host (not reproducible)",
  },
  base: { type: "string", doc: "QEMU's spelling of epoch (utc/localtime read the host clock)" },
  iobase: { type: "int", min: 0, max: 0xfffe, doc: "index port; data at +1 (default 0x70)" },
  irq: { type: "int", min: 0, max: 23, doc: "IRQ line (default 8)" },
};

/**
 * Parse `--device mc146818rtc,base=...` options: `base` or `epoch` as Unix
 * seconds, an ISO date (`2000-01-01`), or `host` for the host's time now.
 */
export function parseRtcOptions(opts: StringOptions): RtcOptions {
  const d = "rtc";
  const o = parseDeviceOptions<{ epoch?: string; base?: string; iobase?: number; irq?: number }>(
    d,
    rtcOptionsSchema,
    opts,
  );
  const out: RtcOptions = {};
  const e = o.epoch ?? o.base;
  if (e !== undefined) {
    // "host" (or QEMU's "utc"/"localtime") reads the host clock once, at
    // creation: an explicit opt-out of reproducible runs.
    const parsed = ["host", "utc", "localtime"].includes(e)
      ? Math.floor(Date.now() / 1000)
      : /^\d{4}-\d\d-\d\d/.test(e)
      ? Math.floor(Date.parse(e) / 1000)
      : parseIntOption(d, "epoch", e, 0);
    if (!Number.isSafeInteger(parsed)) throw new DeviceOptionError(`rtc: bad epoch ${e}`);
    out.epoch = checkRange(d, "epoch", parsed, 0, 4102444799);
  }
  if (o.iobase !== undefined) out.iobase = o.iobase;
  if (o.irq !== undefined) out.irq = o.irq;
  return out;
}

/** The RTC plugin, with a read-only view of the NMI mask bit. */
export interface RtcPlugin extends Plugin {
  /** True when port 0x70 bit 7 disables NMIs. */
  readonly nmiMasked: boolean;
}

/** Create the CMOS RTC plugin. */
export function createRtc(given: RtcOptions | StringOptions = {}): RtcPlugin {
  const options: RtcOptions = typedOptions(given, parseRtcOptions);
  const epoch = options.epoch ?? DEFAULT_RTC_EPOCH;
  const iobase = options.iobase ?? 0x70;
  const irq = options.irq ?? 8;
  const ram = new Uint8Array(128);
  let index = 0;
  let nmiMasked = false;
  /** Clock reading: `baseSeconds` at virtual time `baseNs`. */
  let baseSeconds = epoch;
  let baseNs = 0;
  /** Virtual ns of the last reg C read (for lazily set flags). */
  let lastCheckNs = 0;
  let irqLevel = false;
  let ctx: PluginContext | null = null;
  let periodicTimer: Timer | null = null;
  let updateTimer: Timer | null = null;
  let periodicBase = 0;
  let periodicK = 0;

  let time: DeviceTime | null = null;
  const now = (): number => (time === null ? 0 : time());
  /** The seconds count held while the divider is in reset (-1: running). */
  let frozenSeconds = -1;
  const seconds = (t: number): number =>
    frozenSeconds >= 0 ? frozenSeconds : baseSeconds + Math.floor((t - baseNs) / 1e9);
  /** Register A divider bits 6-4 = 11x hold the divider chain in reset: the clock stops. */
  const dividerReset = (): boolean => (ram[REG_A] & 0x60) === 0x60;

  const binary = (): boolean => (ram[REG_B] & B_DM) !== 0;
  const enc = (v: number): number => (binary() ? v : ((Math.floor(v / 10) % 10) << 4) | (v % 10));
  const dec = (v: number): number => (binary() ? v : (v >> 4) * 10 + (v & 0xf));

  function encHour(h: number): number {
    if (ram[REG_B] & B_24H) return enc(h);
    const h12 = h % 12 === 0 ? 12 : h % 12;
    return enc(h12) | (h >= 12 ? 0x80 : 0);
  }

  function decHour(v: number): number {
    if (ram[REG_B] & B_24H) return dec(v) % 24;
    const h12 = dec(v & 0x7f) % 12;
    return (v & 0x80) ? h12 + 12 : h12;
  }

  /** Write the calendar fields for `sec` into the time registers. */
  function storeTime(sec: number): void {
    const d = new Date(sec * 1000);
    ram[0] = enc(d.getUTCSeconds());
    ram[2] = enc(d.getUTCMinutes());
    ram[4] = encHour(d.getUTCHours());
    ram[6] = enc(d.getUTCDay() + 1);
    ram[7] = enc(d.getUTCDate());
    ram[8] = enc(d.getUTCMonth() + 1);
    ram[9] = enc(d.getUTCFullYear() % 100);
    ram[CENTURY] = enc(Math.floor(d.getUTCFullYear() / 100) % 100);
  }

  /** Read the calendar registers back into Unix seconds (invalid fields are clamped). */
  function loadTime(): number {
    const year = dec(ram[CENTURY]) * 100 + (dec(ram[9]) % 100);
    const month = Math.min(Math.max(dec(ram[8]), 1), 12) - 1;
    const day = Math.min(Math.max(dec(ram[7]), 1), 31);
    const ms = Date.UTC(year, month, day, decHour(ram[4]), dec(ram[2]) % 60, dec(ram[0]) % 60);
    return Number.isFinite(ms) ? Math.floor(ms / 1000) : epoch;
  }

  const setMode = (): boolean => (ram[REG_B] & B_SET) !== 0;

  function periodNs(): number {
    const rate = ram[REG_A] & 0x0f;
    if (rate === 0 || dividerReset()) return 0;
    // 32.768 kHz time base: rates 1 and 2 give 256 and 128 Hz, rate r >= 3
    // gives 65536 >> r Hz (MC146818A Table 5).
    const hz = rate <= 2 ? 256 >> (rate - 1) : 65536 >> rate;
    return 1e9 / hz;
  }

  function updateIrq(): void {
    const c = ram[REG_C] & 0x70;
    const b = ram[REG_B];
    const fire = ((c & C_PF) && (b & B_PIE)) || ((c & C_AF) && (b & B_AIE)) ||
      ((c & C_UF) && (b & B_UIE));
    if (fire) ram[REG_C] |= C_IRQF;
    const level = (ram[REG_C] & C_IRQF) !== 0;
    if (level !== irqLevel) {
      irqLevel = level;
      ctx?.irq.line(irq).set(level);
    }
  }

  function alarmMatches(sec: number): boolean {
    const d = new Date(sec * 1000);
    const match = (reg: number, v: number, hour = false): boolean =>
      (ram[reg] & 0xc0) === 0xc0 || (hour ? decHour(ram[reg]) : dec(ram[reg])) === v;
    return match(1, d.getUTCSeconds()) && match(3, d.getUTCMinutes()) &&
      match(5, d.getUTCHours(), true);
  }

  /** Set PF/UF (and AF for the current second) for events since the last check. */
  function catchUp(): void {
    const t = now();
    const p = periodNs();
    if (p > 0 && Math.floor(t / p) > Math.floor(lastCheckNs / p)) ram[REG_C] |= C_PF;
    if (!setMode() && seconds(t) > seconds(lastCheckNs)) {
      ram[REG_C] |= C_UF;
      if (alarmMatches(seconds(t))) ram[REG_C] |= C_AF;
    }
    lastCheckNs = t;
  }

  function schedulePeriodic(): void {
    periodicTimer?.cancel();
    periodicTimer = null;
    const p = periodNs();
    if (ctx === null || p === 0 || !(ram[REG_B] & B_PIE)) return;
    periodicBase = now();
    periodicK = 1;
    const c = ctx;
    const arm = (): void => {
      periodicTimer = c.clock.schedule(periodicBase + Math.round(periodicK * p), () => {
        periodicK++;
        ram[REG_C] |= C_PF;
        updateIrq();
        arm();
      }, "rtc-periodic");
    };
    arm();
  }

  function scheduleUpdate(): void {
    updateTimer?.cancel();
    updateTimer = null;
    if (ctx === null || setMode() || dividerReset() || !(ram[REG_B] & (B_UIE | B_AIE))) return;
    const c = ctx;
    const t = now();
    const next = baseNs + (Math.floor((t - baseNs) / 1e9) + 1) * 1e9;
    updateTimer = c.clock.schedule(next, (at) => {
      updateTimer = null;
      ram[REG_C] |= C_UF;
      if (alarmMatches(seconds(at))) ram[REG_C] |= C_AF;
      updateIrq();
      scheduleUpdate();
    }, "rtc-update");
  }

  function readData(): number {
    const i = index;
    if (i <= 9 || i === CENTURY) {
      if (i === 1 || i === 3 || i === 5) return ram[i];
      if (!setMode()) storeTime(seconds(now()));
      return ram[i];
    }
    switch (i) {
      case REG_A: {
        const t = now();
        const inSecond = (((t - baseNs) % 1e9) + 1e9) % 1e9;
        const uip = !setMode() && !dividerReset() && inSecond >= 1e9 - UIP_NS;
        return (ram[REG_A] & 0x7f) | (uip ? 0x80 : 0);
      }
      case REG_C: {
        catchUp();
        updateIrq();
        const v = ram[REG_C];
        ram[REG_C] = 0;
        updateIrq();
        return v;
      }
      case REG_D:
        return 0x80; // valid RAM and time
      default:
        return ram[i];
    }
  }

  function writeData(v: number): void {
    const i = index;
    if (i <= 9 || i === CENTURY) {
      if (i === 1 || i === 3 || i === 5) {
        ram[i] = v;
        return;
      }
      if (setMode()) {
        ram[i] = v;
        return;
      }
      // Not in SET mode: change one field of the running clock, keeping the
      // phase within the second.
      const t = now();
      storeTime(seconds(t));
      ram[i] = v;
      const phase = (((t - baseNs) % 1e9) + 1e9) % 1e9;
      if (frozenSeconds >= 0) frozenSeconds = loadTime();
      else {
        baseSeconds = loadTime();
        baseNs = t - phase;
      }
      scheduleUpdate();
      return;
    }
    switch (i) {
      case REG_A: {
        const wasReset = dividerReset();
        ram[REG_A] = v & 0x7f;
        if (!wasReset && dividerReset()) frozenSeconds = seconds(now());
        if (wasReset && !dividerReset()) {
          // Leaving reset: the first update comes 500 ms later (MC146818A).
          baseSeconds = frozenSeconds;
          baseNs = now() - 5e8;
          frozenSeconds = -1;
        }
        schedulePeriodic();
        scheduleUpdate();
        return;
      }
      case REG_B: {
        const wasSet = setMode();
        if (!wasSet && (v & B_SET)) storeTime(seconds(now())); // freeze the fields
        if (v & B_SET) v &= ~B_UIE; // SET clears UIE (datasheet)
        ram[REG_B] = v;
        if (wasSet && !(v & B_SET)) {
          if (frozenSeconds >= 0) frozenSeconds = loadTime();
          else {
            baseSeconds = loadTime();
            baseNs = now();
          }
        }
        schedulePeriodic();
        scheduleUpdate();
        updateIrq();
        return;
      }
      case REG_C:
      case REG_D:
        return; // read-only
      default:
        ram[i] = v;
    }
  }

  function initRam(): void {
    ram.fill(0);
    ram[REG_A] = 0x26; // 32.768 kHz divider, 1024 Hz rate
    ram[REG_B] = B_24H;
    ram[REG_D] = 0x80;
    const size = ctx?.memory.ramSize ?? 0;
    const below4g = Math.min(size, LOW_RAM_LIMIT);
    const above4g = size - below4g;
    // 0x15/0x16: base memory in KiB (640).
    ram[0x15] = 0x80;
    ram[0x16] = 0x02;
    // 0x17/0x18 and 0x30/0x31: extended memory above 1 MiB in KiB (max 0xffff).
    const ext = Math.min(Math.max(below4g - 0x100000, 0) / 1024, 0xffff);
    ram[0x17] = ram[0x30] = ext & 0xff;
    ram[0x18] = ram[0x31] = ext >> 8;
    // 0x34/0x35: memory above 16 MiB (below 4 GiB) in 64 KiB units.
    const hi = Math.min(Math.floor(Math.max(below4g - 0x1000000, 0) / 0x10000), 0xffff);
    ram[0x34] = hi & 0xff;
    ram[0x35] = hi >> 8;
    // 0x5b-0x5d: memory above 4 GiB in 64 KiB units.
    const top = Math.min(Math.floor(above4g / 0x10000), 0xffffff);
    ram[0x5b] = top & 0xff;
    ram[0x5c] = (top >> 8) & 0xff;
    ram[0x5d] = (top >> 16) & 0xff;
    ram[0x14] = 0x06; // equipment: math coprocessor, EGA/VGA
    // 0x2e/0x2f: checksum (big-endian sum of bytes 0x10-0x2d), as PC firmware keeps it.
    let sum = 0;
    for (let i = 0x10; i <= 0x2d; i++) sum += ram[i];
    ram[0x2e] = (sum >> 8) & 0xff;
    ram[0x2f] = sum & 0xff;
    storeTime(baseSeconds);
  }

  function resetState(): void {
    frozenSeconds = -1;
    baseSeconds = epoch;
    baseNs = now();
    lastCheckNs = now();
    index = 0;
    nmiMasked = false;
    initRam();
    schedulePeriodic();
    scheduleUpdate();
    updateIrq();
  }

  const plugin: RtcPlugin = {
    name: `rtc@${hex(iobase)}`,
    version: "1.0.0",
    apiVersion: PLUGIN_API_VERSION,
    setup(c: PluginContext): void {
      ctx = c;
      c.services.provide(WALL_CLOCK, { epochSeconds: epoch });
      c.ports.register(iobase, 2, {
        read: (offset) => (offset === 0 ? 0xff : readData()),
        write: (offset, _size, value) => {
          if (offset === 0) {
            index = value & 0x7f;
            nmiMasked = (value & 0x80) !== 0;
          } else writeData(value & 0xff);
        },
      });
      time = deviceTime(c);
      baseNs = c.clock.now;
      lastCheckNs = c.clock.now;
      initRam();
      c.irq.line(irq).set(false);
    },
    reset: resetState,
    suspend(): void {
      // Battery-backed: through S3 the clock keeps time and the CMOS RAM,
      // the alarm and the interrupt enables are kept; the alarm (or any
      // RTC interrupt) is what wakes the machine through the ACPI logic.
    },
    saveState(): PluginState {
      return {
        version: 1,
        data: {
          ram: Array.from(ram),
          index,
          nmiMasked,
          baseSeconds,
          baseNs,
          lastCheckNs,
          frozenSeconds,
        },
      };
    },
    loadState(state: PluginState): void {
      const d = expectState("rtc", state, 1);
      const r = nums(d, "ram");
      for (let i = 0; i < 128; i++) ram[i] = r[i] ?? 0;
      index = num(d, "index") & 0x7f;
      nmiMasked = bool(d, "nmiMasked");
      baseSeconds = num(d, "baseSeconds", epoch);
      baseNs = num(d, "baseNs");
      lastCheckNs = num(d, "lastCheckNs");
      frozenSeconds = dividerReset() ? num(d, "frozenSeconds", baseSeconds) : -1;
      irqLevel = !(ram[REG_C] & C_IRQF);
      updateIrq();
      schedulePeriodic();
      scheduleUpdate();
    },
    dispose(): void {
      periodicTimer?.cancel();
      updateTimer?.cancel();
      periodicTimer = updateTimer = null;
      ctx = null;
    },
    get nmiMasked(): boolean {
      return nmiMasked;
    },
  };
  return plugin;
}

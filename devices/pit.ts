/**
 * The 8254 programmable interval timer (Intel 82C54 datasheet): three
 * 16-bit counters at ports 0x40-0x42 and the control word at 0x43, modes
 * 0-5, binary and BCD counting, counter-latch and read-back commands.
 * Channel 0 drives IRQ0; channel 2's GATE and OUT are reached by the system
 * control port 0x61 through the {@link PIT_CHANNEL2} service.
 *
 * Time comes only from the virtual clock: the counters run at 1.193182 MHz
 * of virtual time, computed from virtual nanoseconds. Counters are evaluated
 * lazily when read; only channel 0 schedules timers (at its OUT edges).
 *
 * @module
 */

import type { OptionsSchema } from "../core/options_schema.ts";
import type { Plugin, PluginContext, PluginState } from "../core/plugin.ts";
import { PLUGIN_API_VERSION } from "../core/plugin.ts";
import type { Timer } from "../core/clock.ts";
import { PIT_CHANNEL2, type PitChannel2 } from "./interrupts.ts";
import { type DeviceTime, deviceTime } from "./time.ts";
import {
  expectState,
  hex,
  num,
  parseDeviceOptions,
  type StringOptions,
  typedOptions,
} from "./options.ts";

/** The 8254 input clock in Hz. */
export const PIT_HZ = 1193182;

/** Typed options of the PIT. */
export interface PitOptions {
  /** First port (default 0x40). */
  iobase?: number;
  /** IRQ line of channel 0 (default 0). */
  irq?: number;
}

/** `--device pit` options (`-device pit,help` lists them). */
export const pitOptionsSchema: OptionsSchema = {
  iobase: { type: "int", min: 0, max: 0xfffc, doc: "first I/O port (default 0x40)" },
  irq: { type: "int", min: 0, max: 23, doc: "IRQ line of channel 0 (default 0)" },
};

/** Parse `--device i8254,...` options. */
export function parsePitOptions(opts: StringOptions): PitOptions {
  return parseDeviceOptions<PitOptions>("pit", pitOptionsSchema, opts);
}

/** Tick count of the PIT clock at virtual time `ns` (exact, no overflow). */
export function pitTickAt(ns: number): number {
  const sec = Math.floor(ns / 1e9);
  const rem = ns - sec * 1e9;
  return sec * PIT_HZ + Math.floor((rem * PIT_HZ) / 1e9);
}

/** Earliest virtual time (ns) at which the PIT clock has reached `tick`. */
export function pitTimeOfTick(tick: number): number {
  const q = Math.floor(tick / PIT_HZ);
  const r = tick - q * PIT_HZ;
  return q * 1e9 + Math.ceil((r * 1e9) / PIT_HZ);
}

interface Channel {
  mode: number;
  bcd: boolean;
  /** 1 LSB, 2 MSB, 3 LSB then MSB. */
  access: number;
  /** The count register as written (raw, BCD-encoded when bcd). */
  reload: number;
  /** True once a count was written after the control word. */
  loaded: boolean;
  /** True while the counting element runs. */
  running: boolean;
  /** Tick at which the counting element held `startCount`. */
  startTick: number;
  /** Count (decimal value, 0 = max) at startTick. */
  startCount: number;
  /** Mode 0: OUT went high. Modes 4/5: strobe done. */
  terminal: boolean;
  gate: boolean;
  /** Modes 1 and 5 wait for a gate trigger. */
  triggered: boolean;
  nullCount: boolean;
  writeMsbNext: boolean;
  writeLsb: number;
  readMsbNext: boolean;
  latched: number; // -1 when none
  latchMsbNext: boolean;
  latchBytes: number;
  status: number; // -1 when none
  /** Modes 2/3: tick at which a newly written count takes over (-1 none). */
  switchTick: number;
  /** The count that takes over at switchTick. */
  nextCount: number;
}

/**
 * Power-on state of a channel. The datasheet leaves it undefined; we start
 * in mode 3 with no count loaded, so OUT is high and the first control word
 * a guest writes (mode 2/3: OUT stays high; mode 0: OUT falls) never makes
 * a spurious IRQ0 edge.
 */
function newChannel(gate: boolean): Channel {
  return {
    mode: 3,
    bcd: false,
    access: 3,
    reload: 0,
    loaded: false,
    running: false,
    startTick: 0,
    startCount: 0,
    terminal: false,
    gate,
    triggered: false,
    nullCount: true,
    writeMsbNext: false,
    writeLsb: 0,
    readMsbNext: false,
    latched: -1,
    latchMsbNext: false,
    latchBytes: 0,
    status: -1,
    switchTick: -1,
    nextCount: 0,
  };
}

/** Apply a pending count change once its reload boundary has passed. */
function settle(ch: Channel, t: number): void {
  if (ch.switchTick >= 0 && t >= ch.switchTick) {
    ch.startTick = ch.switchTick;
    ch.startCount = ch.nextCount;
    ch.switchTick = -1;
  }
}

function modulus(ch: Channel): number {
  return ch.bcd ? 10000 : 65536;
}

function fromBcd(v: number): number {
  return ((v >> 12) & 0xf) * 1000 + ((v >> 8) & 0xf) * 100 + ((v >> 4) & 0xf) * 10 + (v & 0xf);
}

function toBcd(v: number): number {
  return (Math.floor(v / 1000) % 10 << 12) | (Math.floor(v / 100) % 10 << 8) |
    (Math.floor(v / 10) % 10 << 4) |
    (v % 10);
}

/** The initial count N as a value 1..65536 (or 1..10000 in BCD). */
function initial(ch: Channel): number {
  const v = ch.bcd ? fromBcd(ch.reload) % 10000 : ch.reload & 0xffff;
  return v === 0 ? modulus(ch) : v;
}

function eff(ch: Channel, count: number): number {
  return count === 0 ? modulus(ch) : count;
}

/** Counting-element value (decimal) at tick `t`. */
function countAt(ch: Channel, t: number): number {
  settle(ch, t);
  if (!ch.running || t < ch.startTick) {
    return ch.running ? ch.startCount : (ch.loaded ? initial(ch) % modulus(ch) : 0);
  }
  const e = t - ch.startTick;
  const m = modulus(ch);
  switch (ch.mode) {
    case 2: {
      const n = ch.startCount;
      return n - (e % n);
    }
    case 3: {
      const n = ch.startCount;
      const p = e % n;
      const h1 = Math.ceil(n / 2);
      const v = p < h1 ? n - 2 * p : n - 2 * (p - h1);
      return Math.max(v, 0) % m;
    }
    default: {
      const v = (ch.startCount - e) % m;
      return v < 0 ? v + m : v;
    }
  }
}

/** OUT at tick `t`. */
function outAt(ch: Channel, t: number): boolean {
  settle(ch, t);
  switch (ch.mode) {
    case 0:
      if (!ch.loaded) return false;
      if (ch.terminal) return true;
      if (!ch.running || t < ch.startTick) return false;
      return t - ch.startTick >= eff(ch, ch.startCount);
    case 1:
      if (!ch.running || t < ch.startTick) return !ch.triggered || ch.terminal;
      return t - ch.startTick >= eff(ch, ch.startCount);
    case 2:
      if (!ch.running || t < ch.startTick) return true;
      return (t - ch.startTick) % ch.startCount !== ch.startCount - 1;
    case 3:
      if (!ch.running || t < ch.startTick) return true;
      return (t - ch.startTick) % ch.startCount < Math.ceil(ch.startCount / 2);
    default: // 4, 5
      if (!ch.running || t < ch.startTick || ch.terminal) return true;
      return t - ch.startTick !== eff(ch, ch.startCount);
  }
}

/** The next tick after `t` at which OUT may change, or Infinity. */
function nextEdge(ch: Channel, t: number): number {
  settle(ch, t);
  const edge = edgeWithin(ch, t);
  return ch.switchTick >= 0 ? Math.min(edge, ch.switchTick) : edge;
}

function edgeWithin(ch: Channel, t: number): number {
  if (!ch.running) return Infinity;
  if (t < ch.startTick) return ch.startTick;
  const e = t - ch.startTick;
  switch (ch.mode) {
    case 0:
    case 1: {
      const n = eff(ch, ch.startCount);
      return e < n ? ch.startTick + n : Infinity;
    }
    case 2: {
      const n = ch.startCount;
      const p = e % n;
      const base = t - p;
      return p < n - 1 ? base + n - 1 : base + n;
    }
    case 3: {
      const n = ch.startCount;
      const p = e % n;
      const base = t - p;
      const h1 = Math.ceil(n / 2);
      return p < h1 && h1 < n ? base + h1 : base + n;
    }
    default: {
      const n = eff(ch, ch.startCount);
      if (e < n) return ch.startTick + n;
      if (e === n) return ch.startTick + n + 1;
      return Infinity;
    }
  }
}

/** The PIT plugin, also answering for channel 2 (port 0x61 uses it). */
export interface PitPlugin extends Plugin {
  /** Channel `c`'s OUT now. */
  output(c: number): boolean;
}

/** Create an 8254 PIT plugin. */
export function createPit(given: PitOptions | StringOptions = {}): PitPlugin {
  const options: PitOptions = typedOptions(given, parsePitOptions);
  const iobase = options.iobase ?? 0x40;
  const irq = options.irq ?? 0;
  const chans: Channel[] = [newChannel(true), newChannel(true), newChannel(false)];
  let ctx: PluginContext | null = null;
  let timer: Timer | null = null;
  let irqLevel = false;

  let time: DeviceTime | null = null;
  const now = (): number => (time === null ? 0 : pitTickAt(time()));

  /** Freeze the running count of modes 0/4 (used when GATE falls). */
  function pause(ch: Channel, t: number): void {
    if (!ch.running) return;
    if (ch.mode === 0 && outAt(ch, t)) ch.terminal = true;
    if (ch.mode === 4 && t >= ch.startTick && t - ch.startTick >= eff(ch, ch.startCount)) {
      ch.terminal = true;
    }
    ch.startCount = countAt(ch, t);
    ch.running = false;
  }

  function start(ch: Channel, t: number, count: number): void {
    ch.running = true;
    ch.startTick = t;
    // A count of 1 is illegal in modes 2 and 3; run it as 2.
    ch.startCount = (ch.mode === 2 || ch.mode === 3) && count < 2 ? 2 : count;
  }

  /** Re-evaluate channel 0's OUT, drive IRQ0 and schedule the next edge. */
  function updateIrq(): void {
    if (ctx === null) return;
    const c = ctx;
    const ch = chans[0];
    const t = now();
    const level = outAt(ch, t);
    if (level !== irqLevel) {
      irqLevel = level;
      c.irq.line(irq).set(level);
    }
    timer?.cancel();
    timer = null;
    const edge = nextEdge(ch, t);
    if (edge !== Infinity) {
      timer = c.clock.schedule(pitTimeOfTick(edge), () => {
        timer = null;
        updateIrq();
      }, "pit");
    }
  }

  function loadCount(c: number): void {
    const ch = chans[c];
    const t = now();
    const first = !ch.loaded;
    settle(ch, t);
    ch.switchTick = -1;
    ch.loaded = true;
    ch.nullCount = false;
    ch.terminal = false;
    const n = initial(ch);
    // The count moves into the counting element on the next clock.
    if (ch.mode === 1 || ch.mode === 5) {
      if (!ch.triggered) {
        ch.running = false;
        ch.startCount = n % modulus(ch);
      }
      // A new count during a triggered cycle applies at the next trigger.
    } else if (!first && (ch.mode === 2 || ch.mode === 3) && ch.running && t >= ch.startTick) {
      // Modes 2 and 3: a new count takes effect at the end of the current
      // period (82C54 datasheet, mode descriptions).
      const p = (t - ch.startTick) % ch.startCount;
      ch.switchTick = t - p + ch.startCount;
      ch.nextCount = n < 2 ? 2 : n;
    } else if (ch.gate || ch.mode === 0 || ch.mode === 4) {
      start(ch, t + 1, ch.mode === 2 || ch.mode === 3 ? n : n % modulus(ch));
      if (!ch.gate) pause(ch, t + 1);
    }
    if (c === 0) updateIrq();
  }

  function setGate(c: number, level: boolean): void {
    const ch = chans[c];
    if (ch.gate === level) return;
    const t = now();
    ch.gate = level;
    switch (ch.mode) {
      case 0:
      case 4:
        if (!ch.loaded) break;
        if (level) start(ch, t + 1, ch.startCount);
        else pause(ch, t);
        break;
      case 2:
      case 3:
        if (!ch.loaded) break;
        ch.switchTick = -1;
        if (level) start(ch, t + 1, initial(ch));
        else ch.running = false;
        break;
      default: // 1, 5: rising edge triggers
        if (level && ch.loaded) {
          ch.triggered = true;
          ch.terminal = false;
          start(ch, t + 1, initial(ch) % modulus(ch));
        }
    }
    if (c === 0) updateIrq();
  }

  function statusByte(c: number): number {
    const ch = chans[c];
    return (outAt(ch, now()) ? 0x80 : 0) | (ch.nullCount ? 0x40 : 0) | (ch.access << 4) |
      (ch.mode << 1) |
      (ch.bcd ? 1 : 0);
  }

  function latchCount(c: number): void {
    const ch = chans[c];
    if (ch.latched >= 0) return; // a latch is held until read
    const v = countAt(ch, now());
    ch.latched = ch.bcd ? toBcd(v) : v & 0xffff;
    ch.latchBytes = ch.access === 3 ? 2 : 1;
    ch.latchMsbNext = ch.access === 2;
  }

  function writeControl(v: number): void {
    const sc = v >> 6;
    if (sc === 3) {
      // Read-back command: bit5 = 0 latches counts, bit4 = 0 latches status.
      for (let c = 0; c < 3; c++) {
        if (!(v & (2 << c))) continue;
        if (!(v & 0x10) && chans[c].status < 0) chans[c].status = statusByte(c);
        if (!(v & 0x20)) latchCount(c);
      }
      return;
    }
    const ch = chans[sc];
    const rw = (v >> 4) & 3;
    if (rw === 0) {
      latchCount(sc);
      return;
    }
    ch.access = rw;
    ch.mode = (v >> 1) & 7;
    if (ch.mode > 5) ch.mode -= 4; // 6 and 7 are modes 2 and 3
    ch.bcd = (v & 1) !== 0;
    ch.loaded = false;
    ch.running = false;
    ch.triggered = false;
    ch.terminal = false;
    ch.nullCount = true;
    ch.writeMsbNext = false;
    ch.readMsbNext = false;
    ch.latched = -1;
    ch.status = -1;
    ch.switchTick = -1;
    if (sc === 0) updateIrq();
  }

  function writeCounter(c: number, v: number): void {
    const ch = chans[c];
    switch (ch.access) {
      case 1:
        ch.reload = v;
        loadCount(c);
        break;
      case 2:
        ch.reload = v << 8;
        loadCount(c);
        break;
      default:
        if (!ch.writeMsbNext) {
          ch.writeLsb = v;
          ch.writeMsbNext = true;
          // Mode 0: writing the first byte stops the count.
          if (ch.mode === 0 && ch.running) {
            pause(ch, now());
            ch.terminal = false;
            if (c === 0) updateIrq();
          }
        } else {
          ch.writeMsbNext = false;
          ch.reload = ch.writeLsb | (v << 8);
          loadCount(c);
        }
    }
  }

  function readCounter(c: number): number {
    const ch = chans[c];
    if (ch.status >= 0) {
      const s = ch.status;
      ch.status = -1;
      return s;
    }
    if (ch.latched >= 0) {
      const v = ch.latchMsbNext ? ch.latched >> 8 : ch.latched & 0xff;
      ch.latchMsbNext = !ch.latchMsbNext;
      if (--ch.latchBytes <= 0) ch.latched = -1;
      return v;
    }
    const raw = countAt(ch, now());
    const v = ch.bcd ? toBcd(raw) : raw & 0xffff;
    switch (ch.access) {
      case 1:
        return v & 0xff;
      case 2:
        return v >> 8;
      default: {
        const out = ch.readMsbNext ? v >> 8 : v & 0xff;
        ch.readMsbNext = !ch.readMsbNext;
        return out;
      }
    }
  }

  const channel2: PitChannel2 = {
    setGate: (level) => setGate(2, level),
    gate: () => chans[2].gate,
    output: () => outAt(chans[2], now()),
  };

  function resetState(): void {
    for (let c = 0; c < 3; c++) chans[c] = newChannel(c !== 2);
    updateIrq();
  }

  const fields = [
    "mode",
    "access",
    "reload",
    "startTick",
    "startCount",
    "writeLsb",
    "latched",
    "latchBytes",
    "status",
    "switchTick",
    "nextCount",
  ] as const;
  const flags = [
    "bcd",
    "loaded",
    "running",
    "terminal",
    "gate",
    "triggered",
    "nullCount",
    "writeMsbNext",
    "readMsbNext",
    "latchMsbNext",
  ] as const;

  return {
    name: `pit@${hex(iobase)}`,
    version: "1.0.0",
    apiVersion: PLUGIN_API_VERSION,
    setup(c: PluginContext): void {
      ctx = c;
      time = deviceTime(c);
      c.ports.register(iobase, 4, {
        read: (offset) => (offset === 3 ? 0xff : readCounter(offset)),
        write: (offset, _size, value) => {
          if (offset === 3) writeControl(value & 0xff);
          else writeCounter(offset, value & 0xff);
        },
      });
      c.services.provide(PIT_CHANNEL2, channel2);
      // Drive IRQ0 with channel 0's power-on OUT (high) so the first
      // control word makes no spurious edge.
      irqLevel = outAt(chans[0], now());
      c.irq.line(irq).set(irqLevel);
    },
    reset: resetState,
    saveState(): PluginState {
      return { version: 1, data: { channels: chans.map((ch) => ({ ...ch })) } };
    },
    loadState(state: PluginState): void {
      const d = expectState("pit", state, 1);
      const list = Array.isArray(d.channels) ? d.channels : [];
      for (let c = 0; c < 3; c++) {
        const s = (typeof list[c] === "object" && list[c] !== null ? list[c] : {}) as Record<
          string,
          unknown
        >;
        const ch = newChannel(c !== 2);
        for (const k of fields) (ch[k] as number) = Math.trunc(num(s, k, ch[k]));
        for (const k of flags) ch[k] = s[k] === true;
        ch.mode = ch.mode >= 0 && ch.mode <= 5 ? ch.mode : 0;
        ch.access = ch.access >= 1 && ch.access <= 3 ? ch.access : 3;
        ch.reload &= 0xffff;
        if (ch.startCount < 1 && (ch.mode === 2 || ch.mode === 3)) ch.running = false;
        chans[c] = ch;
      }
      irqLevel = !outAt(chans[0], now()); // force the line to be driven
      updateIrq();
    },
    dispose(): void {
      timer?.cancel();
      timer = null;
      ctx = null;
    },
    output: (c: number): boolean => outAt(chans[c] ?? chans[0], now()),
  };
}

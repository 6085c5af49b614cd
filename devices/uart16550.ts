/**
 * A 16550A UART (NS16550A datasheet): receive/transmit holding registers
 * with 16-byte FIFOs, IER, IIR/FCR, LCR with the divisor latch (DLAB), MCR
 * with loopback, LSR, MSR and the scratch register. Transmission is
 * instantaneous (bytes go to the output sink when written); the receive
 * character timeout (IIR 0x0C) follows the programmed baud rate and frame
 * on the virtual clock.
 *
 * Host input is flow-controlled: `input()` queues bytes, and they move into
 * the receive FIFO when the guest is listening — when it reads RBR, LSR or
 * IIR, or has receive interrupts enabled — as far as the FIFO has room. So
 * no host byte is lost to an overrun, or to the FIFO reset a driver does
 * while initialising the port; a guest cannot tell the difference from
 * bytes that arrived just before it looked. Loopback mode disconnects the
 * host line.
 *
 * @module
 */

import type { OptionsSchema } from "../core/options_schema.ts";
import type { Plugin, PluginContext, PluginState } from "../core/plugin.ts";
import type { Timer } from "../core/clock.ts";
import { type DeviceTime, deviceTime } from "./time.ts";
import { PLUGIN_API_VERSION } from "../core/plugin.ts";
import {
  bool,
  checkRange,
  expectState,
  hex,
  num,
  nums,
  parseDeviceOptions,
  type StringOptions,
  typedOptions,
} from "./options.ts";

/** Standard PC COM port bases and IRQs (COM1..COM4). */
export const COM_PORTS: readonly { readonly base: number; readonly irq: number }[] = [
  { base: 0x3f8, irq: 4 },
  { base: 0x2f8, irq: 3 },
  { base: 0x3e8, irq: 4 },
  { base: 0x2e8, irq: 3 },
];

/** Typed options of the UART. */
export interface UartOptions {
  /** I/O base (default 0x3f8, or the base of `com`). */
  iobase?: number;
  /** IRQ line (default: the standard IRQ of the COM port at `iobase`, else of `com`, else 4). */
  irq?: number;
  /** COM port number 1-4 choosing iobase and irq. */
  com?: number;
  /** Receives transmitted bytes. */
  output?: (bytes: Uint8Array) => void;
  /**
   * Gate the IRQ line with MCR.OUT2 as PC serial cards do. Off by default,
   * like QEMU, which many test kernels expect.
   */
  out2GatesIrq?: boolean;
}

/** The UART plugin, with its host-side input method. */
export interface UartPlugin extends Plugin {
  /** Queue bytes for the guest to receive. */
  input(bytes: Uint8Array): void;
  /** Bytes queued on the host side, not yet in the receive FIFO. */
  readonly pendingInput: number;
}

const FIFO_SIZE = 16;
const IER_RDA = 0x01;
const IER_THRE = 0x02;
const IER_RLS = 0x04;
const IER_MS = 0x08;
const LSR_DR = 0x01;
const LSR_OE = 0x02;
const LSR_BI = 0x10;
const LSR_THRE = 0x20;
const LSR_TEMT = 0x40;
const LSR_FIFOERR = 0x80;
const MCR_LOOP = 0x10;
const MCR_OUT2 = 0x08;
const TRIGGER_LEVELS = [1, 4, 8, 14];

/** `--device isa-serial` options (`-device isa-serial,help` lists them). */
export const uartOptionsSchema: OptionsSchema = {
  com: { type: "int", min: 1, max: 4, doc: "COM port number: sets iobase and irq (default 1)" },
  index: { type: "int", min: 0, max: 3, doc: "QEMU's spelling: COM(index + 1)" },
  iobase: { type: "int", min: 0, max: 0xfff8, doc: "first I/O port (default from com)" },
  irq: { type: "int", min: 0, max: 23, doc: "IRQ line (default from com)" },
  out2gatesirq: { type: "bool", doc: "MCR.OUT2 gates the IRQ as on a PC (default off)" },
  chardev: { type: "string", doc: "accepted for QEMU command lines; output follows -serial" },
};

/** Parse `--device isa-serial,...` string options into typed options. */
export function parseUartOptions(opts: StringOptions): UartOptions {
  const d = "uart16550";
  const o = parseDeviceOptions<
    { com?: number; index?: number; iobase?: number; irq?: number; out2gatesirq?: boolean }
  >(d, uartOptionsSchema, opts);
  const out: UartOptions = {};
  if (o.com !== undefined) out.com = o.com;
  else if (o.index !== undefined) out.com = checkRange(d, "index", o.index, 0, 3) + 1;
  if (o.iobase !== undefined) out.iobase = o.iobase;
  if (o.irq !== undefined) out.irq = o.irq;
  if (o.out2gatesirq !== undefined) out.out2GatesIrq = o.out2gatesirq;
  return out;
}

/** Create a 16550A UART plugin. */
export function createUart16550(given: UartOptions | StringOptions = {}): UartPlugin {
  const options: UartOptions = typedOptions(given, parseUartOptions);
  const com = COM_PORTS[(options.com ?? 1) - 1] ?? COM_PORTS[0];
  const iobase = options.iobase ?? com.base;
  // Without an explicit IRQ, a standard COM base gets that port's IRQ.
  const irq = options.irq ?? COM_PORTS.find((c) => c.base === iobase)?.irq ?? com.irq;
  const sink = options.output;
  const out2Gates = options.out2GatesIrq ?? false;

  // Registers.
  let ier = 0;
  let lcr = 0;
  let mcr = 0;
  let lsrErrors = 0; // OE/PE/FE/BI, cleared by reading LSR
  let msrDeltas = 0; // MSR bits 3:0
  let scr = 0;
  let dll = 0x0c; // 9600 baud
  let dlm = 0;
  let fcr = 0; // last FCR write (bit0 FIFO enable, 7:6 trigger)
  let thrInterrupt = false;
  /** Virtual time of the last character into the RX FIFO or read from it. */
  let rxActivityNs = 0;
  let timeoutTimer: Timer | null = null;
  let lastRx = 0; // THRE interrupt pending (cleared by IIR read or THR write)
  const rx: number[] = [];
  const backlog: number[] = [];
  let ctx: PluginContext | null = null;
  let lineLevel = false;

  const fifoEnabled = (): boolean => (fcr & 1) !== 0;
  const rxCapacity = (): number => (fifoEnabled() ? FIFO_SIZE : 1);

  function modemInputs(): number {
    // MSR bits 7:4 = DCD, RI, DSR, CTS. In loopback they follow MCR's
    // OUT2, OUT1, DTR, RTS; otherwise a connected host asserts DCD/DSR/CTS.
    if (mcr & MCR_LOOP) {
      return ((mcr & 0x08) << 4) | ((mcr & 0x04) << 4) | ((mcr & 0x01) << 5) | ((mcr & 0x02) << 3);
    }
    return 0xb0;
  }

  /** The interrupt identification: 1 = none, else the IIR code. */
  let time: DeviceTime | null = null;
  const nowNs = (): number => (time === null ? 0 : time());

  /** One character time in ns at the programmed divisor and frame (1.8432 MHz clock, x16). */
  function charNs(): number {
    const divisor = ((dlm << 8) | dll) || 0x10000;
    const data = (lcr & 3) + 5;
    const stop = lcr & 4 ? (data === 5 ? 1.5 : 2) : 1;
    const bits = 1 + data + (lcr & 8 ? 1 : 0) + stop;
    return (bits * divisor * 16 * 1e9) / 1843200;
  }

  /** FIFO data below the trigger level waits for the character timeout. */
  const belowTrigger = (): boolean =>
    fifoEnabled() && rx.length > 0 && rx.length < TRIGGER_LEVELS[fcr >> 6];

  /** When the character timeout is due: four character times without RX activity. */
  const timeoutDue = (): number => rxActivityNs + 4 * charNs();

  function pendingId(): number {
    if ((ier & IER_RLS) && (lsrErrors & (LSR_OE | 0x0c | LSR_BI))) return 0x06;
    if ((ier & IER_RDA) && rx.length > 0) {
      if (!fifoEnabled() || rx.length >= TRIGGER_LEVELS[fcr >> 6]) return 0x04;
      if (nowNs() >= timeoutDue()) return 0x0c; // character timeout
    }
    if ((ier & IER_THRE) && thrInterrupt) return 0x02;
    if ((ier & IER_MS) && msrDeltas) return 0x00;
    return 0x01;
  }

  function update(): void {
    let level = pendingId() !== 0x01;
    if (out2Gates && !(mcr & MCR_OUT2) && !(mcr & MCR_LOOP)) level = false;
    if (level !== lineLevel) {
      lineLevel = level;
      ctx?.irq.line(irq).set(level);
    }
    scheduleTimeout();
  }

  /** Keep one clock timer for a character timeout that is still to come. */
  function scheduleTimeout(): void {
    const c = ctx;
    if (c === null || !(ier & IER_RDA) || !belowTrigger() || nowNs() >= timeoutDue()) {
      timeoutTimer?.cancel();
      timeoutTimer = null;
      return;
    }
    const due = timeoutDue();
    if (timeoutTimer !== null && timeoutTimer.deadline === due) return;
    timeoutTimer?.cancel();
    timeoutTimer = c.clock.schedule(due, () => {
      timeoutTimer = null;
      update();
    }, "uart-timeout");
  }

  /** Move queued host bytes into the receive FIFO (the guest is listening). */
  function refill(): void {
    if (mcr & MCR_LOOP) return;
    if (backlog.length > 0 && rx.length < rxCapacity()) rxActivityNs = nowNs();
    while (backlog.length > 0 && rx.length < rxCapacity()) rx.push(backlog.shift()!);
  }

  /** Refill when receive interrupts are enabled (the guest waits for them). */
  function refillIfInterrupting(): void {
    if (ier & IER_RDA) refill();
  }

  function receive(byte: number): void {
    if (rx.length >= rxCapacity()) {
      lsrErrors |= LSR_OE;
      if (!fifoEnabled()) rx[0] = byte; // the holding register is overwritten
      return;
    }
    rx.push(byte);
    rxActivityNs = nowNs();
  }

  function transmit(byte: number): void {
    if (mcr & MCR_LOOP) receive(byte);
    else if (sink !== undefined) sink(Uint8Array.of(byte));
    // The transmitter is instantaneous: THR is empty again at once.
    thrInterrupt = true;
  }

  function readReg(offset: number): number {
    switch (offset) {
      case 0: {
        if (lcr & 0x80) return dll;
        if (rx.length === 0) refill();
        // An empty RBR reads back the last character received.
        if (rx.length > 0) {
          lastRx = rx.shift()!;
          rxActivityNs = nowNs();
        }
        const byte = lastRx;
        refillIfInterrupting();
        update();
        return byte;
      }
      case 1:
        return lcr & 0x80 ? dlm : ier;
      case 2: {
        refill();
        const id = pendingId();
        if (id === 0x02) thrInterrupt = false; // reading IIR clears THRE source
        update();
        return id | (fifoEnabled() ? 0xc0 : 0);
      }
      case 3:
        return lcr;
      case 4:
        return mcr;
      case 5: {
        refill();
        let v = LSR_THRE | LSR_TEMT | lsrErrors;
        if (rx.length > 0) v |= LSR_DR;
        if (fifoEnabled() && lsrErrors & 0x1e) v |= LSR_FIFOERR;
        lsrErrors = 0;
        update();
        return v;
      }
      case 6: {
        const v = modemInputs() | msrDeltas;
        msrDeltas = 0;
        update();
        return v;
      }
      default:
        return scr;
    }
  }

  function writeReg(offset: number, value: number): void {
    value &= 0xff;
    switch (offset) {
      case 0:
        if (lcr & 0x80) dll = value;
        else transmit(value);
        break;
      case 1:
        if (lcr & 0x80) dlm = value;
        else {
          // Enabling THRE interrupts while THR is empty raises one at once.
          if ((value & IER_THRE) && !(ier & IER_THRE)) thrInterrupt = true;
          ier = value & 0x0f;
          refillIfInterrupting();
        }
        break;
      case 2: {
        const wasEnabled = fifoEnabled();
        fcr = value & 0xc9;
        if ((value & 0x02) || fifoEnabled() !== wasEnabled) {
          rx.length = 0;
          refillIfInterrupting();
        }
        break;
      }
      case 3:
        lcr = value;
        break;
      case 4: {
        const before = modemInputs();
        mcr = value & 0x1f;
        const after = modemInputs();
        const changed = before ^ after;
        // Delta bits: DCTS, DDSR, TERI (RI falling), DDCD.
        if (changed & 0x10) msrDeltas |= 0x01;
        if (changed & 0x20) msrDeltas |= 0x02;
        if ((before & 0x40) && !(after & 0x40)) msrDeltas |= 0x04;
        if (changed & 0x80) msrDeltas |= 0x08;
        refillIfInterrupting(); // leaving loopback reconnects the host line
        break;
      }
      case 5:
        break; // LSR is read-only (factory test writes ignored)
      case 6:
        break;
      default:
        scr = value;
    }
    update();
  }

  function resetState(): void {
    ier = 0;
    lcr = 0;
    mcr = 0;
    lsrErrors = 0;
    msrDeltas = 0;
    scr = 0;
    dll = 0x0c;
    dlm = 0;
    fcr = 0;
    thrInterrupt = false;
    lastRx = 0;
    rx.length = 0;
    update();
  }

  const plugin: UartPlugin = {
    name: `uart16550@${hex(iobase)}`,
    version: "1.0.0",
    apiVersion: PLUGIN_API_VERSION,
    setup(c: PluginContext): void {
      ctx = c;
      time = deviceTime(c);
      c.ports.register(iobase, 8, {
        read: (offset, size) => {
          let v = readReg(offset & 7);
          if (size > 1) v |= readReg((offset + 1) & 7) << 8;
          if (size > 2) {
            v = (v | (readReg((offset + 2) & 7) << 16) | (readReg((offset + 3) & 7) << 24)) >>> 0;
          }
          return v;
        },
        write: (offset, size, value) => {
          for (let i = 0; i < size; i++) writeReg((offset + i) & 7, (value >>> (8 * i)) & 0xff);
        },
      });
      c.irq.line(irq).set(false);
    },
    reset: resetState,
    saveState(): PluginState {
      return {
        version: 1,
        data: {
          lastRx,
          rxActivityNs,
          ier,
          lcr,
          mcr,
          lsrErrors,
          msrDeltas,
          scr,
          dll,
          dlm,
          fcr,
          thrInterrupt,
          rx: [...rx],
          backlog: [...backlog],
        },
      };
    },
    loadState(state: PluginState): void {
      const d = expectState("uart16550", state, 1);
      ier = num(d, "ier") & 0x0f;
      lcr = num(d, "lcr") & 0xff;
      mcr = num(d, "mcr") & 0x1f;
      lsrErrors = num(d, "lsrErrors") & 0x1e;
      msrDeltas = num(d, "msrDeltas") & 0x0f;
      scr = num(d, "scr") & 0xff;
      dll = num(d, "dll") & 0xff;
      dlm = num(d, "dlm") & 0xff;
      fcr = num(d, "fcr") & 0xc9;
      thrInterrupt = bool(d, "thrInterrupt");
      lastRx = num(d, "lastRx") & 0xff;
      rxActivityNs = num(d, "rxActivityNs");
      rx.length = 0;
      for (const b of nums(d, "rx").slice(0, FIFO_SIZE)) rx.push(b & 0xff);
      backlog.length = 0;
      for (const b of nums(d, "backlog")) backlog.push(b & 0xff);
      update();
    },
    dispose(): void {
      timeoutTimer?.cancel();
      timeoutTimer = null;
      if (lineLevel) ctx?.irq.line(irq).set(false);
      ctx = null;
    },
    input(bytes: Uint8Array): void {
      for (const b of bytes) backlog.push(b);
      refillIfInterrupting();
      update();
    },
    get pendingInput(): number {
      return backlog.length;
    },
  };
  return plugin;
}

/**
 * One local APIC (Intel SDM Vol. 3A chapter 11 "Advanced Programmable
 * Interrupt Controller"), the one of one vCPU, in xAPIC mode (4 KiB MMIO
 * page at IA32_APIC_BASE, default 0xFEE00000) and x2APIC mode (MSRs
 * 0x800-0x8FF): ID, version, TPR/PPR, EOI (with EOI broadcast for
 * level-triggered vectors), LDR/DFR, SVR, ISR/TMR/IRR, ESR, ICR (IPIs go
 * out through the {@link LapicFabric}: `lapic.ts` routes them to the other
 * vCPUs' units), the LVT, and the timer in one-shot, periodic and
 * TSC-deadline modes on the virtual clock.
 *
 * The unit owns its vCPU's IA32_APIC_BASE (0x1B), x2APIC MSR range and
 * IA32_TSC_DEADLINE (0x6E0). Mode switches follow SDM 11.12.5: the legal
 * transitions are disabled <-> xAPIC, xAPIC -> x2APIC, x2APIC -> disabled;
 * anything else (x2APIC -> xAPIC, disabled -> x2APIC, EN=0 with EXTD=1,
 * reserved bits) is #GP. Disabling returns every register to its power-up
 * state, the APIC ID included: it is the initial APIC ID again even if
 * software wrote another in xAPIC mode (SDM 11.4.3, 11.12.5.1). An INIT the
 * vCPU takes resets every register but the ID (SDM 11.4.7.3; the base and
 * mode stay).
 *
 * @module
 */

import type { OptionsSchema } from "../core/options_schema.ts";
import type { MmioRegistration, PluginContext } from "../core/plugin.ts";
import type { MsrReadExit, MsrWriteExit } from "../core/vmexit.ts";
import {
  type CpuInterruptPins,
  cpuInterruptPins,
  EOI_LISTENERS,
  type LocalApicPins,
} from "./interrupts.ts";
import { ApicTimer } from "./lapic_timer.ts";
import { type DeviceTime, deviceTime } from "./time.ts";
import { num, nums, parseDeviceOptions, type StringOptions, typedOptions } from "./options.ts";

/** IA32_APIC_BASE. */
export const MSR_APIC_BASE = 0x1b;
/** IA32_TSC_DEADLINE. */
export const MSR_TSC_DEADLINE = 0x6e0;
/** Default physical base of the xAPIC page. */
export const APIC_DEFAULT_BASE = 0xfee00000;

const BASE_BSP = 0x100;
const BASE_EXTD = 0x400;
const BASE_EN = 0x800;

// Register indices (MMIO offset >> 4, or x2APIC MSR - 0x800).
const R_ID = 0x02;
const R_VER = 0x03;
const R_TPR = 0x08;
const R_APR = 0x09;
const R_PPR = 0x0a;
const R_EOI = 0x0b;
const R_RRD = 0x0c;
const R_LDR = 0x0d;
const R_DFR = 0x0e;
const R_SVR = 0x0f;
const R_ISR = 0x10;
const R_TMR = 0x18;
const R_IRR = 0x20;
const R_ESR = 0x28;
const R_ICR = 0x30;
const R_ICR2 = 0x31;
const R_LVT_TIMER = 0x32;
const R_LVT_ERROR = 0x37;
const R_TIMER_INIT = 0x38;
const R_TIMER_CUR = 0x39;
const R_TIMER_DCR = 0x3e;
const R_SELF_IPI = 0x3f;

/** LVT registers: timer, thermal, perf, LINT0, LINT1, error; writable bits of each. */
const LVT_MASKS = [0x000710ff, 0x000107ff, 0x000107ff, 0x0001a7ff, 0x0001a7ff, 0x000100ff];
const LVT_MASKED = 0x10000;
const VERSION = 0x00050014; // version 0x14, max LVT entry 5

/** ESR bits (SDM Figure 11-9). */
const ESR_SEND_ILLEGAL_VECTOR = 0x20;
const ESR_RECV_ILLEGAL_VECTOR = 0x40;
const ESR_ILLEGAL_REGISTER = 0x80;

/** Typed options of the local APIC. */
export interface LapicOptions {
  /** APIC ID (default 0). */
  id?: number;
  /** Timer input clock in Hz (default 1 GHz of virtual time). */
  busHz?: number;
  /** TSC frequency in Hz for TSC-deadline mode (default 1 GHz: nestvm's TSC counts virtual ns). */
  tscHz?: number;
  /** Physical address width (MAXPHYADDR) for reserved bits of IA32_APIC_BASE (default 40, as the CPU model). */
  physBits?: number;
  /**
   * Leave LINT0 programmed as ExtINT after power-up (virtual-wire mode, as
   * firmware sets it up), so a kernel booted without firmware still gets
   * PIC interrupts. Default true.
   */
  virtualWire?: boolean;
}

/** `--device lapic` options (`-device lapic,help` lists them). */
export const lapicOptionsSchema: OptionsSchema = {
  id: { type: "int", min: 0, max: 0xfe, doc: "APIC id (default 0)" },
  bushz: { type: "int", min: 1, max: 1e10, doc: "timer bus clock in Hz (default 1000000000)" },
  tschz: { type: "int", min: 1, max: 1e11, doc: "TSC frequency in Hz (default 1000000000)" },
  physbits: { type: "int", min: 36, max: 52, doc: "physical address width for APIC_BASE checks" },
  virtualwire: { type: "bool", doc: "LINT0 as ExtINT at reset, as a BIOS leaves it (default on)" },
};

/** Parse `--device lapic,...` options. */
export function parseLapicOptions(opts: StringOptions): LapicOptions {
  return parseDeviceOptions<LapicOptions>("lapic", lapicOptionsSchema, opts, {
    bushz: "busHz",
    tschz: "tscHz",
    physbits: "physBits",
    virtualwire: "virtualWire",
  });
}

/** Highest set bit of a 256-bit vector set, or -1. */
function highestBit(bits: Uint32Array): number {
  for (let w = 7; w >= 0; w--) {
    const v = bits[w];
    if (v !== 0) return w * 32 + 31 - Math.clz32(v);
  }
  return -1;
}

function setBit(bits: Uint32Array, v: number, on: boolean): void {
  if (on) bits[v >> 5] |= 1 << (v & 31);
  else bits[v >> 5] &= ~(1 << (v & 31));
}

function testBit(bits: Uint32Array, v: number): boolean {
  return (bits[v >> 5] & (1 << (v & 31))) !== 0;
}

/** Where a unit's ICR sends IPIs (the set of all units of the machine). */
export interface LapicFabric {
  /**
   * Send the IPI of ICR low word `lo` to destination `dest` (8-bit xAPIC or
   * 32-bit x2APIC) from `from`, honouring the shorthand in `lo`.
   */
  sendIpi(from: LapicUnit, lo: number, dest: number): void;
}

/** One vCPU's local APIC. */
export interface LapicUnit {
  /** APIC id (the vCPU's index plus the `id` option). */
  readonly id: number;
  /** Claim MSRs and the MMIO page through `ctx` (the vCPU's scoped context). */
  setup(ctx: PluginContext): void;
  /** Power-on state. */
  reset(): void;
  /** State for a snapshot (JSON-compatible). */
  save(): Record<string, unknown>;
  /** Restore {@link save}'s data. */
  load(d: Record<string, unknown>): void;
  /** Release the page and the timer. */
  dispose(): void;
  /** True when enabled (IA32_APIC_BASE.EN) and `dest` addresses this APIC. */
  accepts(dest: number, logical: boolean): boolean;
  /** True when IA32_APIC_BASE.EN is set. */
  enabled(): boolean;
  /**
   * Act on a message with delivery mode `mode` addressed to this APIC; false
   * when it dropped it (see the delivery modes in `deliverLocal`).
   */
  deliver(mode: number, vector: number, level: boolean): boolean;
  /**
   * The ID physical destinations match: the x2APIC ID in x2APIC mode, the
   * 8-bit APIC ID register in xAPIC mode.
   */
  physicalId(): number;
  /** Processor priority (PPR), for lowest-priority arbitration. */
  priority(): number;
  /** "disabled", "xapic" or "x2apic". */
  readonly mode: "disabled" | "xapic" | "x2apic";
  /** Current IA32_APIC_BASE value. */
  readonly apicBase: bigint;
}

/** Create the local APIC of vCPU `index`, sending IPIs through `fabric`. */
export function createLapicUnit(
  given: LapicOptions | StringOptions,
  index: number,
  fabric: LapicFabric,
): LapicUnit {
  const options: LapicOptions = typedOptions(given, parseLapicOptions);
  const id = (options.id ?? 0) + index;
  const busHz = options.busHz ?? 1e9;
  const tscHz = options.tscHz ?? 1e9;
  // LINT0 as ExtINT is the boot vCPU's: the PIC's INTR reaches one CPU (MP spec 3.6.2.2).
  const virtualWire = (options.virtualWire ?? true) && index === 0;
  const physBits = options.physBits ?? 40;
  const bsp = index === 0 ? BASE_BSP : 0;

  let ctx: PluginContext | null = null;
  let pins: CpuInterruptPins | null = null;
  let mmio: MmioRegistration | null = null;

  // IA32_APIC_BASE: base address and flags, kept as a number (below 2^52).
  let base = APIC_DEFAULT_BASE;
  let flags = bsp | BASE_EN;
  let xapicId = id; // the 8-bit ID as written in xAPIC mode
  let tpr = 0;
  let ldr = 0;
  let dfr = 0xffffffff;
  let svr = 0xff;
  const irr = new Uint32Array(8);
  const isr = new Uint32Array(8);
  const tmr = new Uint32Array(8);
  let esr = 0;
  let esrPending = 0;
  let icrLo = 0;
  let icrHi = 0;
  const lvt = new Array<number>(6).fill(LVT_MASKED);

  const enabled = (): boolean => (flags & BASE_EN) !== 0;
  const x2 = (): boolean => (flags & BASE_EXTD) !== 0;
  const swEnabled = (): boolean => (svr & 0x100) !== 0;

  let time: DeviceTime | null = null;
  const timer = new ApicTimer({
    clock: () => ctx?.clock ?? null,
    now: () => (time === null ? 0 : time()),
    readTsc: () => ctx?.vcpu.readTsc() ?? 0n,
    busHz,
    tscHz,
    fire: () => {
      const v = lvt[0];
      if (!(v & LVT_MASKED)) accept(v & 0xff, false);
    },
  });

  function x2apicLdr(): number {
    // Logical x2APIC ID: cluster (ID[19:4]) in 31:16, bit (ID[3:0]) in 15:0 (SDM 11.12.10.2).
    return (((id >>> 4) << 16) | (1 << (id & 0xf))) >>> 0;
  }

  /**
   * TPR, kept coherent with CR8: in 64-bit mode MOV to CR8 writes TPR[7:4]
   * and clears TPR[3:0] (SDM Vol. 3A 11.8.6.1). The CPU owns CR8; we read it
   * back lazily. That holds in VMX non-root operation too: without "use TPR
   * shadow" L2's CR8 is this TPR, with it L2's CR8 accesses go to the
   * virtual-APIC page and never reach the CPU's CR8 (SDM Vol. 3C 29.3).
   */
  function getTpr(): number {
    const v = ctx?.vcpu;
    if (v !== undefined && typeof v.cr8 === "number" && (v.cr8 & 0xf) !== tpr >> 4) {
      tpr = (v.cr8 & 0xf) << 4;
    }
    return tpr;
  }

  function setTpr(value: number): void {
    tpr = value & 0xff;
    const v = ctx?.vcpu;
    if (v !== undefined && typeof v.cr8 === "number") v.cr8 = tpr >> 4;
  }

  function ppr(): number {
    const tpr = getTpr();
    const isrv = highestBit(isr);
    const isrClass = isrv < 0 ? 0 : isrv & 0xf0;
    return (tpr & 0xf0) >= isrClass ? tpr & 0xff : isrClass;
  }

  function changed(): void {
    pins?.changed();
  }

  function error(bit: number): void {
    esrPending |= bit;
    const v = lvt[5];
    if (!(v & LVT_MASKED) && enabled()) accept(v & 0xff, false, true);
  }

  /** Put `vector` in IRR (SDM 11.5.5 / 11.6.1). */
  function accept(vector: number, level: boolean, fromError = false): boolean {
    if (!enabled()) return false;
    if (vector < 16) {
      if (!fromError) error(ESR_RECV_ILLEGAL_VECTOR);
      else esrPending |= ESR_RECV_ILLEGAL_VECTOR;
      return false;
    }
    setBit(irr, vector, true);
    setBit(tmr, vector, level);
    changed();
    return true;
  }

  function hasInterrupt(): boolean {
    if (!enabled()) return false;
    const v = highestBit(irr);
    return v >= 0 && (v & 0xf0) > (ppr() & 0xf0);
  }

  function acknowledge(): number {
    const v = highestBit(irr);
    if (!enabled() || v < 0 || (v & 0xf0) <= (ppr() & 0xf0)) return svr & 0xff; // spurious
    setBit(irr, v, false);
    setBit(isr, v, true);
    changed();
    return v;
  }

  function eoi(): void {
    const v = highestBit(isr);
    if (v < 0) return;
    setBit(isr, v, false);
    // Level-triggered (TMR set at acceptance): broadcast the EOI to the
    // I/O APICs (SDM Vol. 3A 11.8.5). TMR itself changes only on acceptance.
    if (testBit(tmr, v)) ctx?.services.find(EOI_LISTENERS)?.broadcast(v);
    changed();
  }

  /** An ExtINT message (from an I/O APIC entry) asks for one INTA from the PIC. */
  let extIntRequested = false;

  function acceptsExtInt(): boolean {
    if (!enabled()) return true; // LINT0 is the plain INTR pin
    if (extIntRequested) return true;
    const l = lvt[3];
    return !(l & LVT_MASKED) && ((l >> 8) & 7) === 7;
  }

  /** Does a destination address this APIC? */
  function matches(dest: number, logical: boolean): boolean {
    if (x2()) {
      if (dest >>> 0 === 0xffffffff) return true;
      if (!logical) return dest >>> 0 === id >>> 0;
      const l = x2apicLdr();
      return (dest >>> 16) === (l >>> 16) && (dest & l & 0xffff) !== 0;
    }
    dest &= 0xff;
    if (dest === 0xff) return true;
    if (!logical) return dest === (xapicId & 0xff);
    const myLogical = ldr >>> 24;
    if ((dfr >>> 28) === 0xf) return (dest & myLogical) !== 0; // flat model
    // Cluster model: high nibble cluster, low nibble member bits.
    return (dest >> 4) === (myLogical >> 4) && (dest & myLogical & 0xf) !== 0;
  }

  /**
   * Act on a message addressed to this APIC (delivery modes: SDM Vol. 3A
   * 11.6.1). False when it was dropped: a fixed or lowest-priority vector
   * while software-disabled or illegal (below 16), or SMI (no SMM).
   */
  function deliverLocal(mode: number, vector: number, level: boolean): boolean {
    switch (mode) {
      case 0: // fixed
      case 1: // lowest priority (the fabric chose this APIC)
        if (!swEnabled()) return false;
        return accept(vector, level);
      case 4: // NMI
        ctx?.vcpu.nmi();
        return true;
      case 5: // INIT: the vCPU takes it at a boundary (and resets this APIC then)
        ctx?.vcpu.signalInit();
        return true;
      case 6: // start-up
        ctx?.vcpu.signalStartup(vector);
        return true;
      case 7: // ExtINT: the PIC supplies the vector through the pins
        extIntRequested = true;
        changed();
        return true;
      default: // SMI (2): no SMM
        ctx?.log.debug(`ignored delivery mode ${mode}`);
        return false;
    }
  }

  function sendIpi(lo: number, dest: number): void {
    const vector = lo & 0xff;
    const mode = (lo >> 8) & 7;
    if ((mode === 0 || mode === 1) && vector < 16) {
      error(ESR_SEND_ILLEGAL_VECTOR);
      return;
    }
    // The delivery-status bit (12) reads as idle at once: delivery is immediate.
    fabric.sendIpi(unit, lo, dest);
  }

  function lvtWrite(i: number, value: number): void {
    let v = value & LVT_MASKS[i];
    if (!swEnabled()) v |= LVT_MASKED; // SDM 11.4.7.2
    if (i === 0) {
      const oldMode = (lvt[0] >> 17) & 3;
      const newMode = (v >> 17) & 3;
      lvt[0] = v;
      timer.setMode(newMode === 3 ? 0 : newMode, oldMode !== newMode);
    } else {
      // Remote IRR (bit 14) of LINT0/LINT1 is read-only.
      lvt[i] = (v & ~0x4000) | (lvt[i] & 0x4000);
    }
    if (i === 3) changed();
  }

  /** Read register `r`; undefined when it does not exist in this mode. */
  function readReg(r: number): number | undefined {
    if (r >= R_ISR && r < R_ISR + 8) return isr[r - R_ISR];
    if (r >= R_TMR && r < R_TMR + 8) return tmr[r - R_TMR];
    if (r >= R_IRR && r < R_IRR + 8) return irr[r - R_IRR];
    if (r >= R_LVT_TIMER && r <= R_LVT_ERROR) return lvt[r - R_LVT_TIMER];
    switch (r) {
      case R_ID:
        return x2() ? id >>> 0 : ((xapicId & 0xff) << 24) >>> 0;
      case R_VER:
        return VERSION;
      case R_TPR:
        return getTpr();
      case R_APR:
        return x2() ? undefined : 0;
      case R_PPR:
        return ppr();
      case R_EOI:
        return x2() ? undefined : 0;
      case R_RRD:
        return x2() ? undefined : 0;
      case R_LDR:
        return x2() ? x2apicLdr() : ldr;
      case R_DFR:
        return x2() ? undefined : dfr;
      case R_SVR:
        return svr;
      case R_ESR:
        return esr;
      case R_ICR:
        return icrLo & ~0x1000; // delivery status: idle
      case R_ICR2:
        return x2() ? undefined : icrHi;
      case R_TIMER_INIT:
        return timer.initialCount;
      case R_TIMER_CUR:
        return timer.currentCount();
      case R_TIMER_DCR:
        return timer.divideConfig;
      default:
        return undefined;
    }
  }

  /** Write register `r`; false when it is read-only or absent (x2APIC: #GP). */
  function writeReg(r: number, value: number): boolean {
    value >>>= 0;
    if (r >= R_LVT_TIMER && r <= R_LVT_ERROR) {
      lvtWrite(r - R_LVT_TIMER, value);
      return true;
    }
    switch (r) {
      case R_ID:
        if (x2()) return false;
        xapicId = value >>> 24;
        return true;
      case R_TPR:
        setTpr(value);
        changed();
        return true;
      case R_EOI:
        if (x2() && value !== 0) return false;
        eoi();
        return true;
      case R_LDR:
        if (x2()) return false;
        ldr = (value & 0xff000000) >>> 0;
        return true;
      case R_DFR:
        if (x2()) return false;
        dfr = (value | 0x0fffffff) >>> 0;
        return true;
      case R_SVR: {
        svr = value & 0x3ff;
        if (!swEnabled()) {
          for (let i = 0; i < 6; i++) lvt[i] |= LVT_MASKED;
        }
        changed();
        return true;
      }
      case R_ESR:
        if (x2() && value !== 0) return false;
        esr = esrPending;
        esrPending = 0;
        return true;
      case R_ICR:
        if (x2()) return false; // the 64-bit MSR path handles x2APIC
        icrLo = value & 0x000cdfff;
        sendIpi(icrLo, icrHi >>> 24);
        return true;
      case R_ICR2:
        if (x2()) return false;
        icrHi = (value & 0xff000000) >>> 0;
        return true;
      case R_TIMER_INIT:
        timer.setInitialCount(value);
        return true;
      case R_TIMER_DCR:
        timer.setDivideConfig(value & 0xb);
        return true;
      case R_SELF_IPI:
        if (!x2() || value > 0xff) return false;
        if ((value & 0xff) < 16) error(ESR_SEND_ILLEGAL_VECTOR);
        else accept(value & 0xff, false);
        return true;
      default:
        return false;
    }
  }

  /** Power-up register state; the APIC ID survives (SDM 11.12.5.1). */
  function resetRegisters(): void {
    extIntRequested = false;
    setTpr(0);
    ldr = 0;
    dfr = 0xffffffff;
    svr = 0xff;
    irr.fill(0);
    isr.fill(0);
    tmr.fill(0);
    esr = 0;
    esrPending = 0;
    icrLo = 0;
    icrHi = 0;
    lvt.fill(LVT_MASKED);
    timer.reset();
    changed();
  }

  /** Where the MMIO page is mapped now (-1: not mapped). */
  let mappedAt = -1;

  /**
   * Map the xAPIC page at `base` while in xAPIC mode. A guest may move
   * IA32_APIC_BASE onto an address another device or RAM owns; then the
   * page stays unmapped (logged), never a host error.
   */
  function placeMmio(): void {
    const want = enabled() && !x2();
    if (mmio !== null && (!want || mappedAt !== base)) {
      mmio.remove();
      mmio = null;
      mappedAt = -1;
    }
    if (want && mmio === null && ctx !== null) {
      try {
        mmio = ctx.mmio.register(base, 0x1000, mmioHandler);
        mappedAt = base;
      } catch (e) {
        ctx.log.warn(
          `APIC page at 0x${base.toString(16)} not mapped: ${e instanceof Error ? e.message : e}`,
        );
      }
    }
  }

  const mmioHandler = {
    read: (offset: number, size: 1 | 2 | 4): number => {
      if (!enabled() || x2()) return 0xffffffff;
      const r = offset >> 4;
      let v = readReg(r);
      if (v === undefined || r === R_SELF_IPI) {
        error(ESR_ILLEGAL_REGISTER);
        v = 0;
      }
      const shift = (offset & 3) * 8;
      if ((offset & 0xf) >= 4) return 0;
      const mask = size === 4 ? 0xffffffff : (1 << (8 * size)) - 1;
      return ((v >>> shift) & mask) >>> 0;
    },
    write: (offset: number, size: 1 | 2 | 4, value: number): void => {
      if (!enabled() || x2()) return;
      if (size !== 4 || (offset & 0xf) !== 0) return; // only aligned 32-bit writes
      const r = offset >> 4;
      if (r === R_SELF_IPI || !writeReg(r, value)) {
        if (readReg(r) === undefined || r === R_SELF_IPI) error(ESR_ILLEGAL_REGISTER);
      }
    },
  };

  function writeApicBase(value: bigint, gp: () => never): void {
    const reservedMask =
      ~((((1n << BigInt(physBits)) - 1n) & ~0xfffn) | BigInt(BASE_BSP | BASE_EXTD | BASE_EN));
    if (value & reservedMask) gp();
    const newFlags = Number(value & 0xfffn) & (BASE_EXTD | BASE_EN);
    const newBase = Number(value & ~0xfffn);
    const oldEn = enabled();
    const oldX2 = x2();
    const en = (newFlags & BASE_EN) !== 0;
    const ext = (newFlags & BASE_EXTD) !== 0;
    if (ext && !en) gp(); // the invalid state
    if (oldX2 && en && !ext) gp(); // x2APIC -> xAPIC
    if (!oldEn && en && ext) gp(); // disabled -> x2APIC
    // The CPU refuses EXTD when its model has no x2APIC (CPUID.1:ECX[21] clear).
    if (ext && !oldX2 && ctx?.vcpu.writeMsr(MSR_APIC_BASE, value) === false) gp();
    flags = (flags & BASE_BSP) | newFlags;
    base = newBase;
    // Disabling: "the APIC may return to the state described in 11.4.7.1"
    // (power-up, whose ID register holds the initial APIC ID; SDM Vol. 3A
    // 11.4.3), and across the disabled state only the x2APIC ID, i.e. the
    // initial ID, is preserved: "all the APIC register states ... except for
    // the x2APIC ID (32 bits), are not preserved" (SDM 11.12.5.1, x2APIC
    // Transitions From Disabled Mode). So a written xAPIC ID does not survive.
    if (oldEn && !en) {
      resetRegisters();
      xapicId = id & 0xff;
    }
    if (!oldX2 && ext) {
      // Entering x2APIC mode: the logical ID is derived from the x2APIC ID,
      // and the ID is the initial one again (its low byte is what xAPIC mode
      // shows after x2APIC -> disabled -> xAPIC, SDM 11.12.5.1).
      ldr = 0;
      xapicId = id & 0xff;
    }
    placeMmio();
    mirrorToCpu();
    changed();
  }

  /** Keep the CPU's own copy of IA32_APIC_BASE (CPUID's APIC bit follows it) in step. */
  function mirrorToCpu(): void {
    ctx?.vcpu.writeMsr(MSR_APIC_BASE, BigInt(base) | BigInt(flags));
  }

  function onRdmsr(exit: MsrReadExit): "handled" | "pass" {
    const msr = exit.msr;
    if (msr === MSR_APIC_BASE) {
      exit.lo = (base + (flags & 0xfff)) % 0x100000000;
      exit.hi = Math.floor(base / 0x100000000);
      return "handled";
    }
    if (msr === MSR_TSC_DEADLINE) {
      const v = timer.mode === 2 ? timer.deadline : 0n;
      exit.lo = Number(v & 0xffffffffn);
      exit.hi = Number((v >> 32n) & 0xffffffffn);
      return "handled";
    }
    if (msr < 0x800 || msr > 0x8ff) return "pass";
    if (!x2()) return ctx!.vcpu.raiseException(13, 0);
    const r = msr - 0x800;
    if (r === R_ICR) {
      exit.lo = icrLo & ~0x1000;
      exit.hi = icrHi;
      return "handled";
    }
    const v = r === R_SELF_IPI ? undefined : readReg(r);
    if (v === undefined) return ctx!.vcpu.raiseException(13, 0);
    exit.lo = v >>> 0;
    exit.hi = 0;
    return "handled";
  }

  function onWrmsr(exit: MsrWriteExit): "handled" | "pass" {
    const msr = exit.msr;
    const gp = (): never => ctx!.vcpu.raiseException(13, 0);
    if (msr === MSR_APIC_BASE) {
      writeApicBase((BigInt(exit.hi >>> 0) << 32n) | BigInt(exit.lo >>> 0), gp);
      return "handled";
    }
    if (msr === MSR_TSC_DEADLINE) {
      if (timer.mode === 2 && enabled()) {
        timer.setDeadline((BigInt(exit.hi >>> 0) << 32n) | BigInt(exit.lo >>> 0));
      }
      return "handled";
    }
    if (msr < 0x800 || msr > 0x8ff) return "pass";
    if (!x2()) return gp();
    const r = msr - 0x800;
    if (r === R_ICR) {
      // 64-bit ICR: reserved bits 31:20, 17:16, 13 and delivery status are #GP.
      if (exit.lo & 0xfff32000) return gp();
      icrLo = exit.lo & 0x000cdfff;
      icrHi = exit.hi >>> 0;
      sendIpi(icrLo, icrHi);
      return "handled";
    }
    if (exit.hi !== 0) return gp();
    if (!writeReg(r, exit.lo)) return gp();
    return "handled";
  }

  /**
   * The CPU's performance-monitoring interrupt through the LVT
   * performance-counter entry (SDM Vol. 3A 11.5.1): fixed delivery puts its
   * vector in IRR (edge), NMI delivery raises an NMI; SMI (no SMM) and the
   * reserved modes deliver nothing. A masked entry, or a disabled APIC,
   * drops it. As on Intel processors, delivering it sets the entry's mask
   * bit: the PMI handler unmasks it (Linux and kvm-unit-tests do).
   */
  function performanceInterrupt(): void {
    const v = lvt[2];
    if (!enabled() || (v & LVT_MASKED) !== 0) return;
    const mode = (v >> 8) & 7;
    if (mode === 0) accept(v & 0xff, false);
    else if (mode === 4) ctx?.vcpu.nmi();
    else {
      ctx?.log.debug(`PMI with LVT delivery mode ${mode} dropped`);
      return;
    }
    lvt[2] = v | LVT_MASKED;
  }

  const pinsImpl: LocalApicPins = {
    acceptsExtInt,
    hasInterrupt,
    acknowledge,
    extIntTaken: () => void (extIntRequested = false),
    eoi,
    performanceInterrupt,
  };
  function powerOn(): void {
    base = APIC_DEFAULT_BASE;
    flags = bsp | BASE_EN;
    xapicId = id;
    resetRegisters();
    if (virtualWire) lvt[3] = 0x700; // LINT0: ExtINT, unmasked
    placeMmio();
    mirrorToCpu();
    changed();
  }

  const unit: LapicUnit = {
    id,
    setup(c: PluginContext): void {
      ctx = c;
      time = deviceTime(c);
      c.exits.on("rdmsr", onRdmsr);
      c.exits.on("wrmsr", onWrmsr);
      // The vCPU takes an INIT (not blocked by VMX): this APIC returns to its
      // power-up state but for the ID, base and mode (SDM 11.4.7.3, 11.12.5.1).
      c.exits.on("init-signal", () => {
        resetRegisters();
        return "pass";
      });
      pins = cpuInterruptPins(c);
      powerOn();
      pins.setLocalApic(pinsImpl);
    },
    reset: powerOn,
    save(): Record<string, unknown> {
      return {
        base,
        flags,
        xapicId,
        tpr: getTpr(),
        ldr,
        dfr,
        svr,
        irr: Array.from(irr),
        isr: Array.from(isr),
        tmr: Array.from(tmr),
        esr,
        esrPending,
        icrLo,
        icrHi,
        lvt: [...lvt],
        timer: timer.save(),
        extIntRequested,
      };
    },
    load(d: Record<string, unknown>): void {
      base = num(d, "base", APIC_DEFAULT_BASE) - (num(d, "base", APIC_DEFAULT_BASE) % 0x1000);
      flags = num(d, "flags", bsp | BASE_EN) & (BASE_BSP | BASE_EXTD | BASE_EN);
      if ((flags & BASE_EXTD) && !(flags & BASE_EN)) flags &= ~BASE_EXTD;
      xapicId = num(d, "xapicId", id) & 0xff;
      setTpr(num(d, "tpr") & 0xff);
      ldr = (num(d, "ldr") & 0xff000000) >>> 0;
      dfr = (num(d, "dfr", 0xffffffff) | 0x0fffffff) >>> 0;
      svr = num(d, "svr", 0xff) & 0x3ff;
      for (const [arr, key] of [[irr, "irr"], [isr, "isr"], [tmr, "tmr"]] as const) {
        const src = nums(d, key);
        for (let i = 0; i < 8; i++) arr[i] = (src[i] ?? 0) >>> 0;
      }
      esr = num(d, "esr") & 0xff;
      esrPending = num(d, "esrPending") & 0xff;
      icrLo = num(d, "icrLo") & 0x000cdfff;
      icrHi = num(d, "icrHi") >>> 0;
      const l = nums(d, "lvt");
      for (let i = 0; i < 6; i++) lvt[i] = (l[i] ?? LVT_MASKED) & LVT_MASKS[i];
      timer.load(d.timer);
      extIntRequested = d.extIntRequested === true;
      placeMmio();
      mirrorToCpu();
      changed();
    },
    dispose(): void {
      timer.reset();
      mmio?.remove();
      mmio = null;
      pins?.setLocalApic(null);
      pins = null;
      ctx = null;
    },
    accepts: (dest: number, logical: boolean): boolean => enabled() && matches(dest, logical),
    physicalId: (): number => x2() ? id >>> 0 : xapicId & 0xff,
    enabled,
    deliver: deliverLocal,
    priority: ppr,
    get mode(): "disabled" | "xapic" | "x2apic" {
      return !enabled() ? "disabled" : x2() ? "x2apic" : "xapic";
    },
    get apicBase(): bigint {
      return BigInt(base) | BigInt(flags);
    },
  };
  return unit;
}

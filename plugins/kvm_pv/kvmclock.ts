/**
 * kvmclock: KVM's paravirtual clock (Linux's Documentation/virt/kvm/x86/
 * msr.rst, MSR_KVM_WALL_CLOCK_NEW and MSR_KVM_SYSTEM_TIME_NEW; the
 * structures of include/asm/pvclock-abi.h).
 *
 * The guest gives each vCPU a `pvclock_vcpu_time_info` in its RAM and reads
 * the time as `system_time + ((tsc - tsc_timestamp) << shift) * mul / 2^32`
 * (a right shift for a negative `shift`), with `tsc` from RDTSC. nestvm's
 * TSC counts one tick per virtual nanosecond, so one publication at the
 * MSR write stays true: `system_time` is the virtual time in ns (rounded
 * down), `tsc_timestamp` the vCPU's TSC at that instant, `mul` 2^31 and
 * `shift` 1 (one tick is exactly one ns). Every vCPU's kvmclock then reads
 * the same clock, virtual time, so `PVCLOCK_TSC_STABLE_BIT` is set. A
 * guest that writes IA32_TSC or IA32_TSC_ADJUST afterwards moves that
 * vCPU's kvmclock by the same amount until it writes the MSR again (KVM
 * republishes on such writes; nestvm does not see them).
 *
 * The wall clock is the date at kvmclock 0: the machine's wall clock
 * (`WALL_CLOCK` of `devices/time.ts`, the RTC's epoch), so the CMOS clock and kvmclock
 * tell the same date.
 *
 * As KVM does, an area that is not in guest RAM or crosses a page is not
 * written (the MSR still holds the value the guest wrote), and a structure
 * is written whole between two instructions with an even `version` that
 * differs from the one in memory before.
 *
 * @module
 */

import type { GuestMemory, PinnedPage } from "../../core/guest_memory.ts";
import { PVCLOCK_TSC_STABLE_BIT } from "./abi.ts";

/** Size of `pvclock_vcpu_time_info`. */
export const TIME_INFO_SIZE = 32;
/** Size of `pvclock_wall_clock`. */
export const WALL_CLOCK_SIZE = 12;
/** `tsc_to_system_mul` for a 1 GHz TSC with {@link TSC_SHIFT}: ns = (ticks << 1) * 2^31 / 2^32. */
export const TSC_TO_SYSTEM_MUL = 0x80000000;
/** `tsc_shift` that goes with {@link TSC_TO_SYSTEM_MUL}. */
export const TSC_SHIFT = 1;

/** What kvmclock needs of the machine. */
export interface KvmClockHost {
  /** Guest RAM. */
  readonly memory: GuestMemory;
  /** Virtual time in ns. */
  now(): number;
  /** The TSC of vCPU `index` as L1 reads it. */
  readTsc(index: number): bigint;
  /** Unix seconds at virtual time 0 (the RTC's epoch). */
  epochSeconds(): number;
}

/** One machine's kvmclock MSRs (values as the guest wrote them). */
export class KvmClock {
  /** MSR_KVM_WALL_CLOCK_NEW. */
  wallClock = 0n;
  /** MSR_KVM_SYSTEM_TIME_NEW, per vCPU. */
  readonly systemTime: bigint[];

  /** kvmclock for `vcpus` vCPUs, every MSR 0. */
  constructor(vcpus: number) {
    this.systemTime = new Array<bigint>(vcpus).fill(0n);
  }

  /** Back to the power-on state (MSRs 0: nothing published). */
  reset(): void {
    this.wallClock = 0n;
    this.systemTime.fill(0n);
  }

  /** WRMSR MSR_KVM_WALL_CLOCK_NEW: remember it and write the wall clock there. */
  writeWallClock(host: KvmClockHost, value: bigint): void {
    this.wallClock = value;
    withArea(host.memory, Number(value), WALL_CLOCK_SIZE, (v, o) => {
      v.setUint32(o, nextVersion(v.getUint32(o, true)), true);
      v.setUint32(o + 4, host.epochSeconds() >>> 0, true);
      v.setUint32(o + 8, 0, true);
    });
  }

  /** WRMSR MSR_KVM_SYSTEM_TIME_NEW on vCPU `index`: remember it; with bit 0 set, publish. */
  writeSystemTime(host: KvmClockHost, index: number, value: bigint): void {
    this.systemTime[index] = value;
    if ((value & 1n) === 0n) return;
    withArea(host.memory, Number(value - 1n), TIME_INFO_SIZE, (v, o) => {
      v.setUint32(o, nextVersion(v.getUint32(o, true)), true);
      v.setUint32(o + 4, 0, true);
      v.setBigUint64(o + 8, BigInt.asUintN(64, host.readTsc(index)), true);
      v.setBigUint64(o + 16, BigInt(Math.floor(host.now())), true);
      v.setUint32(o + 24, TSC_TO_SYSTEM_MUL, true);
      v.setInt8(o + 28, TSC_SHIFT);
      v.setUint8(o + 29, PVCLOCK_TSC_STABLE_BIT);
      v.setUint16(o + 30, 0, true);
    });
  }

  /** The MSRs as decimal strings (snapshots). */
  save(): { wallClock: string; systemTime: string[] } {
    return { wallClock: String(this.wallClock), systemTime: this.systemTime.map(String) };
  }

  /** Restore {@link save}'s result; a malformed value is an error naming it. */
  load(data: unknown): void {
    const d = data as { wallClock?: unknown; systemTime?: unknown };
    const big = (v: unknown, what: string): bigint => {
      if (typeof v !== "string" || !/^\d+$/.test(v)) throw new Error(`kvm-pv: bad ${what} ${v}`);
      return BigInt.asUintN(64, BigInt(v));
    };
    const times = Array.isArray(d.systemTime) ? d.systemTime : [];
    this.wallClock = d.wallClock === undefined ? 0n : big(d.wallClock, "wall clock MSR");
    this.systemTime.fill(0n);
    times.slice(0, this.systemTime.length).forEach((t, i) => {
      this.systemTime[i] = big(t, `system time MSR of vCPU ${i}`);
    });
  }
}

/** The next even version after `v` (the guest sees a change, never an update in progress). */
function nextVersion(v: number): number {
  return ((v | 1) + 1) >>> 0;
}

/**
 * Run `fill` on the `size` bytes at guest-physical `addr` when they lie in
 * one page of guest RAM; otherwise do nothing.
 */
function withArea(
  memory: GuestMemory,
  addr: number,
  size: number,
  fill: (view: DataView, offset: number) => void,
): void {
  const offset = addr % 4096;
  if (offset + size > 4096) return;
  const r = memory.pin(addr, "kvm-pv", "kvmclock");
  if (!r.ok) return;
  const page: PinnedPage = r.page;
  try {
    fill(page.view, offset);
  } finally {
    memory.release(page, { dirty: true });
  }
}

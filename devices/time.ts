/**
 * Virtual time as devices read it. The core's {@link VirtualClock} is exact
 * at every instruction boundary (it follows the machine's retired-instruction
 * count between run-loop updates), so a guest polling a counter in a tight
 * loop (PIT calibration, LAPIC current count, the RTC's update-in-progress
 * bit) sees time move. Inside a timer callback, `now` is that timer's
 * deadline. Deterministic, so runs and restored snapshots reproduce.
 *
 * @module
 */

import { type PluginContext, type ServiceToken, serviceToken } from "../core/plugin.ts";

/** A function returning the current virtual time in ns for one device. */
export type DeviceTime = () => number;

/** Make a reader of virtual time for a device set up with `ctx`. */
export function deviceTime(ctx: PluginContext): DeviceTime {
  return (): number => ctx.clock.now;
}

/**
 * The machine's wall clock: what date virtual time 0 is. The RTC provides
 * it (its epoch, `--device mc146818rtc,base=...`), so every clock a guest
 * reads (the CMOS clock, KVM's wall clock) tells the same date.
 */
export interface WallClock {
  /** Unix time, in seconds, at virtual time 0. */
  readonly epochSeconds: number;
}

/** Token of the {@link WallClock} service (provided by the RTC). */
export const WALL_CLOCK: ServiceToken<WallClock> = serviceToken<WallClock>(
  "nestvm.devices.wall-clock",
);

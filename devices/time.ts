/**
 * Virtual time as devices read it. The machine brings the shared
 * {@link VirtualClock} up to date between runs of the vCPU (at timer
 * deadlines, at most every run slice), so within a slice `clock.now`
 * stands still while the guest keeps retiring instructions. A guest that
 * polls a counter in a tight loop (PIT calibration, LAPIC current count,
 * the RTC's update-in-progress bit) must see time move, so devices read
 * the clock through {@link deviceTime}: the clock's time plus the
 * instructions retired since this reader first saw that clock value.
 *
 * The result never runs ahead of the machine's virtual time and never goes
 * backwards; it is exact at every clock update (timer callbacks see their
 * deadline) and deterministic, so runs and restored snapshots reproduce.
 *
 * @module
 */

import type { PluginContext } from "../core/plugin.ts";

/** A function returning the current virtual time in ns for one device. */
export type DeviceTime = () => number;

/** Make a reader of precise virtual time for a device set up with `ctx`. */
export function deviceTime(ctx: PluginContext): DeviceTime {
  let anchorNow = Number.NaN;
  let anchorRetired = 0;
  return (): number => {
    const now = ctx.clock.now;
    const retired = ctx.vcpu.retired;
    if (typeof retired !== "number" || !Number.isFinite(retired)) return now;
    if (now !== anchorNow || retired < anchorRetired) {
      // The clock moved (or the vCPU was reset): start counting from here.
      anchorNow = now;
      anchorRetired = retired;
      return now;
    }
    return now + (retired - anchorRetired) * ctx.clock.nsPerInstruction;
  };
}

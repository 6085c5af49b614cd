/**
 * Device types that third-party modules add to `--device`: a module loaded
 * with `--plugin` may export `deviceTypes`, and each entry becomes a name
 * usable as `--device NAME,key=value` (several instances allowed), listed by
 * `--device help` and documented by `--device NAME,help` from its schema.
 *
 * @example
 * ```ts
 * import type { DeviceType } from "./device_types.ts";
 * import createRng, { optionsSchema } from "./examples/rng_device.ts";
 *
 * export const deviceTypes: DeviceType[] = [{
 *   name: "rng",
 *   summary: "xorshift32 random numbers on two ports",
 *   schema: optionsSchema,
 *   create: (options) => createRng(options),
 * }];
 * ```
 *
 * @module
 */

import type { Plugin } from "../core/plugin.ts";
import { describeOptions, type OptionsSchema, parseOptions } from "../core/options_schema.ts";

/** A device type a module contributes to `--device`. */
export interface DeviceType {
  /** The name used in `--device NAME,...` (must not collide with a built-in device). */
  readonly name: string;
  /** One line for `--device help`. */
  readonly summary: string;
  /** Its options; `--device NAME,k=v` strings are parsed and checked with it. */
  readonly schema: OptionsSchema;
  /** Build one instance from parsed options (give each instance a distinct plugin name). */
  // deno-lint-ignore no-explicit-any
  create(options: any): Plugin;
}

/** True if `x` looks like a {@link DeviceType}. */
export function isDeviceType(x: unknown): x is DeviceType {
  const d = x as Partial<DeviceType>;
  return typeof x === "object" && x !== null && typeof d.name === "string" &&
    typeof d.summary === "string" && typeof d.schema === "object" && d.schema !== null &&
    typeof d.create === "function";
}

/** Build a device of `type` from the strings of a `--device` spec. */
export function createDevice(type: DeviceType, options: Readonly<Record<string, string>>): Plugin {
  return type.create(parseOptions(type.name, type.schema, options));
}

/** `--device NAME,help` for a contributed type. */
export function describeDeviceType(type: DeviceType): string {
  return `${type.summary}\n${describeOptions(type.name, type.schema)}`;
}

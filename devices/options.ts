/**
 * Parsing of device options. Every device factory accepts either typed
 * options or the string map that `--device name,key=value` produces; these
 * helpers turn strings into numbers and booleans and report bad values as
 * {@link DeviceOptionError}s (a clear error, never a TypeError).
 *
 * @module
 */

import { OptionError, type OptionsSchema, parseOptions } from "../core/options_schema.ts";

/**
 * A device option had a value that could not be understood: the same error
 * class as every option schema's ({@link OptionError}), so plugin and device
 * options fail alike.
 */
export const DeviceOptionError: typeof OptionError = OptionError;
/** A device option error (see {@link OptionError}). */
export type DeviceOptionError = OptionError;

/**
 * Parse `--device` strings with a device's schema and drop absent keys, so
 * the factory applies its own defaults; `rename` maps command-line keys to
 * the typed option names (`bushz` to `busHz`).
 */
export function parseDeviceOptions<T extends object>(
  device: string,
  schema: OptionsSchema,
  opts: StringOptions,
  rename: Readonly<Record<string, string>> = {},
): T {
  const parsed = parseOptions(device, schema, opts) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(parsed)) if (v !== undefined) out[rename[k] ?? k] = v;
  return out as T;
}

/** Options as given on the command line: every value a string. */
export type StringOptions = Readonly<Record<string, string>>;

/**
 * Parse an integer option: decimal, `0x` hex, `0o` octal or `0b` binary.
 * Returns `fallback` when the value is undefined.
 */
export function parseIntOption(
  device: string,
  key: string,
  value: string | number | undefined,
  fallback: number,
): number {
  if (value === undefined) return fallback;
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) {
      throw new DeviceOptionError(`${device}: option ${key}=${value} is not an integer`);
    }
    return value;
  }
  const text = value.trim().toLowerCase().replaceAll("_", "");
  const n = /^(0x[0-9a-f]+|0o[0-7]+|0b[01]+|[0-9]+)$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n)) {
    throw new DeviceOptionError(`${device}: option ${key}=${value} is not an integer`);
  }
  return n;
}

/** Parse a boolean option: on/off, true/false, yes/no, 1/0. */
export function parseBoolOption(
  device: string,
  key: string,
  value: string | boolean | undefined,
  fallback: boolean,
): boolean {
  if (value === undefined) return fallback;
  if (typeof value === "boolean") return value;
  const text = value.trim().toLowerCase();
  if (["on", "true", "yes", "1", ""].includes(text)) return true;
  if (["off", "false", "no", "0"].includes(text)) return false;
  throw new DeviceOptionError(`${device}: option ${key}=${value} is not a boolean`);
}

/** Check that an integer option lies in [min, max]. */
export function checkRange(
  device: string,
  key: string,
  value: number,
  min: number,
  max: number,
): number {
  if (value < min || value > max) {
    throw new DeviceOptionError(
      `${device}: option ${key}=${value} is out of range [${min}, ${max}]`,
    );
  }
  return value;
}

/** Reject keys a device does not know (catches typos in `--device`). */
export function checkKnownKeys(
  device: string,
  options: object,
  known: readonly string[],
): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new DeviceOptionError(
        `${device}: unknown option "${key}" (known: ${known.join(", ") || "none"})`,
      );
    }
  }
}

/** Format a number as `0x..` for plugin names and messages. */
export function hex(n: number): string {
  return "0x" + n.toString(16);
}

/** Throw unless a saved state has the expected version and an object payload. */
export function expectState(
  device: string,
  state: { readonly version: number; readonly data: unknown },
  version: number,
): Record<string, unknown> {
  if (state.version !== version) {
    throw new DeviceOptionError(
      `${device}: cannot load state version ${state.version} (expected ${version})`,
    );
  }
  if (typeof state.data !== "object" || state.data === null) {
    throw new DeviceOptionError(`${device}: saved state is not an object`);
  }
  return state.data as Record<string, unknown>;
}

/** Read a numeric field from saved state, with a fallback for missing fields. */
export function num(data: Record<string, unknown>, key: string, fallback = 0): number {
  const v = data[key];
  return typeof v === "number" && Number.isFinite(v) ? v : fallback;
}

/** Read a boolean field from saved state. */
export function bool(data: Record<string, unknown>, key: string, fallback = false): boolean {
  const v = data[key];
  return typeof v === "boolean" ? v : fallback;
}

/** Read an array of numbers from saved state. */
export function nums(data: Record<string, unknown>, key: string): number[] {
  const v = data[key];
  return Array.isArray(v) ? v.map((x) => (typeof x === "number" ? x : 0)) : [];
}

/**
 * Accept either typed options or the string map of `--device name,k=v`:
 * a map whose values are strings is parsed with `parse`; anything else is
 * taken as typed options.
 */
export function typedOptions<T extends object>(
  options: T | StringOptions | undefined,
  parse: (opts: StringOptions) => T,
): T {
  if (options === undefined) return {} as T;
  const values = Object.values(options);
  return values.length > 0 && values.every((v) => typeof v === "string")
    ? parse(options as StringOptions)
    : options as T;
}

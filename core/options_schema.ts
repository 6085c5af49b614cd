/**
 * Typed option schemas for plugins and devices: one declaration gives the
 * parser of `--plugin mod.ts,key=value` / `--device name,key=value` strings
 * (numbers in decimal, `0x`, `0o` or `0b`; booleans as on/off, true/false,
 * yes/no, 1/0; enums; strings), the check for unknown keys, the defaults, the
 * TypeScript type of the parsed options and the help text `--plugin
 * mod.ts,help` prints.
 *
 * @example
 * ```ts
 * import { type OptionsOf, parseOptions } from "./options_schema.ts";
 *
 * export const optionsSchema = {
 *   port: { type: "int", default: 0x5ec, min: 0, max: 0xffff, doc: "first I/O port" },
 *   fast: { type: "bool", default: false, doc: "skip the delay" },
 * } as const;
 * type Options = OptionsOf<typeof optionsSchema>; // { port: number; fast: boolean }
 * const o: Options = parseOptions("rng", optionsSchema, { port: "0x600" });
 * console.log(o.port); // 1536
 * ```
 *
 * @module
 */

/** An option value could not be understood (unknown key, bad number, value out of range). */
export class OptionError extends Error {
  /** Create the error. */
  constructor(message: string) {
    super(message);
    this.name = "OptionError";
  }
}

/** An integer option (safe integers; `min`/`max` inclusive). */
export interface IntOption {
  /** Kind. */
  readonly type: "int";
  /** Value when not given (without one the option is optional and may be undefined). */
  readonly default?: number;
  /** Smallest accepted value. */
  readonly min?: number;
  /** Largest accepted value. */
  readonly max?: number;
  /** One line of help. */
  readonly doc: string;
}

/** A boolean option. */
export interface BoolOption {
  /** Kind. */
  readonly type: "bool";
  /** Value when not given. */
  readonly default?: boolean;
  /** One line of help. */
  readonly doc: string;
}

/** One of a fixed set of words. */
export interface EnumOption {
  /** Kind. */
  readonly type: "enum";
  /** The accepted words. */
  readonly values: readonly string[];
  /** Value when not given. */
  readonly default?: string;
  /** One line of help. */
  readonly doc: string;
}

/** Free text. */
export interface StringOption {
  /** Kind. */
  readonly type: "string";
  /** Value when not given. */
  readonly default?: string;
  /** One line of help. */
  readonly doc: string;
}

/** One option's declaration. */
export type OptionSpec = IntOption | BoolOption | EnumOption | StringOption;

/** A plugin's or device's options, by key. */
export type OptionsSchema = Readonly<Record<string, OptionSpec>>;

/** The TypeScript value type of one option. */
export type OptionValue<S extends OptionSpec> = S extends IntOption ? number
  : S extends BoolOption ? boolean
  : S extends EnumOption ? S["values"][number]
  : string;

/** Parsed options: options with a default are always present, others may be undefined. */
export type OptionsOf<S extends OptionsSchema> =
  & { [K in keyof S as S[K] extends { default: unknown } ? K : never]: OptionValue<S[K]> }
  & { [K in keyof S as S[K] extends { default: unknown } ? never : K]?: OptionValue<S[K]> };

/** Parse an integer written in decimal, `0x` hex, `0o` octal or `0b` binary (`_` separators allowed). */
export function parseInteger(text: string): number | undefined {
  const t = text.trim().toLowerCase().replaceAll("_", "");
  const n = /^-?(0x[0-9a-f]+|0o[0-7]+|0b[01]+|[0-9]+)$/.test(t)
    ? (t.startsWith("-") ? -Number(t.slice(1)) : Number(t))
    : NaN;
  return Number.isSafeInteger(n) ? n : undefined;
}

/** Parse a boolean word (on/off, true/false, yes/no, 1/0; an empty value means on). */
export function parseBoolean(text: string): boolean | undefined {
  const t = text.trim().toLowerCase();
  if (["on", "true", "yes", "1", ""].includes(t)) return true;
  if (["off", "false", "no", "0"].includes(t)) return false;
  return undefined;
}

function parseOne(owner: string, key: string, spec: OptionSpec, raw: string): unknown {
  const bad = (what: string) => new OptionError(`${owner}: option ${key}=${raw} ${what}`);
  switch (spec.type) {
    case "int": {
      const n = parseInteger(raw);
      if (n === undefined) throw bad("is not an integer");
      if ((spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max)) {
        throw bad(`is out of range [${spec.min ?? "-inf"}, ${spec.max ?? "inf"}]`);
      }
      return n;
    }
    case "bool": {
      const b = parseBoolean(raw);
      if (b === undefined) throw bad("is not a boolean (on/off, true/false, yes/no, 1/0)");
      return b;
    }
    case "enum":
      if (!spec.values.includes(raw)) throw bad(`is not one of ${spec.values.join(", ")}`);
      return raw;
    case "string":
      return raw;
  }
}

/**
 * Parse the string map of a command line against `schema`: unknown keys,
 * malformed values and out-of-range numbers are {@link OptionError}s that
 * name `owner`, the key and the value; absent keys take their defaults.
 */
export function parseOptions<S extends OptionsSchema>(
  owner: string,
  schema: S,
  given: Readonly<Record<string, string>>,
): OptionsOf<S> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(given)) {
    if (!Object.hasOwn(schema, key)) {
      const known = Object.keys(schema);
      throw new OptionError(
        `${owner}: unknown option "${key}" (known: ${known.join(", ") || "none"})`,
      );
    }
  }
  for (const [key, spec] of Object.entries(schema)) {
    const raw = given[key];
    if (raw !== undefined) out[key] = parseOne(owner, key, spec, raw);
    else if (spec.default !== undefined) out[key] = spec.default;
  }
  return out as OptionsOf<S>;
}

function describeType(spec: OptionSpec): string {
  switch (spec.type) {
    case "int": {
      const range = spec.min !== undefined || spec.max !== undefined
        ? ` ${fmtInt(spec.min)}..${fmtInt(spec.max)}`
        : "";
      return `integer${range}`;
    }
    case "bool":
      return "on|off";
    case "enum":
      return spec.values.join("|");
    case "string":
      return "text";
  }
}

function fmtInt(n: number | undefined): string {
  if (n === undefined) return "";
  return n >= 256 ? "0x" + n.toString(16) : String(n);
}

/** Help text: one line per option with its type, default and description. */
export function describeOptions(owner: string, schema: OptionsSchema): string {
  const rows = Object.entries(schema).map(([key, spec]) => {
    const def = spec.default === undefined
      ? ""
      : ` (default ${typeof spec.default === "number" ? fmtInt(spec.default) : spec.default})`;
    return `  ${key}=<${describeType(spec)}>  ${spec.doc}${def}`;
  });
  return [`${owner} options:`, ...(rows.length > 0 ? rows : ["  (none)"])].join("\n");
}

/**
 * Loading plugins by module specifier (`--plugin ./my_plugin.ts,key=value`,
 * a URL, `npm:` or `jsr:`). The module's default export is either a
 * {@link PluginFactory} (called with the options) or a {@link Plugin}.
 * A named export `createPlugin` is accepted too.
 *
 * A module that also exports `optionsSchema` (an {@link OptionsSchema})
 * gets its options checked and typed before the factory sees them:
 * unknown keys and bad values are errors naming the key, and
 * `--plugin mod.ts,help` lists the options ({@link pluginHelp}).
 *
 * @module
 */

import type { Plugin, PluginFactory } from "../core/plugin.ts";
import {
  describeOptions,
  OptionError,
  type OptionsSchema,
  parseOptions,
} from "../core/options_schema.ts";
import { parseSpec } from "./spec.ts";
import { type DeviceType, isDeviceType } from "./device_types.ts";

/** A plugin module could not be loaded or did not export a plugin. */
export class PluginLoadError extends Error {
  /** Create the error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "PluginLoadError";
  }
}

/** Resolve a specifier as the CLI user means it: relative paths against `cwd`. */
export function resolveSpecifier(specifier: string, cwd: string): string {
  if (/^(npm|jsr|https?|file|data):/.test(specifier)) return specifier;
  const base = cwd.endsWith("/") ? cwd : cwd + "/";
  return new URL(specifier, "file://" + base).href;
}

function isPlugin(x: unknown): x is Plugin {
  return typeof x === "object" && x !== null &&
    typeof (x as Plugin).name === "string" && typeof (x as Plugin).setup === "function";
}

async function importModule(specifier: string, cwd: string): Promise<Record<string, unknown>> {
  try {
    return await import(resolveSpecifier(specifier, cwd));
  } catch (error) {
    throw new PluginLoadError(
      `cannot load plugin module "${specifier}": ${error instanceof Error ? error.message : error}`,
      { cause: error },
    );
  }
}

function isSchema(x: unknown): x is OptionsSchema {
  return typeof x === "object" && x !== null &&
    Object.values(x).every((v) => typeof v === "object" && v !== null && "type" in v);
}

/**
 * For a spec that asks for help (`mod.ts,help`): the module's option list,
 * from its `optionsSchema` export. Resolves to null when help was not asked.
 */
export async function pluginHelp(spec: string, cwd: string): Promise<string | null> {
  const { name: specifier, options } = parseSpec(spec);
  if (!Object.hasOwn(options, "help")) return null;
  const mod = await importModule(specifier, cwd);
  if (!isSchema(mod.optionsSchema)) {
    return `${specifier} declares no options schema (export \`optionsSchema\` to document its options)`;
  }
  return describeOptions(specifier, mod.optionsSchema);
}

/** What a `--plugin` module contributes: a plugin, device types, or both. */
export interface LoadedModule {
  /** The plugin its default export (or `createPlugin`) builds, if it has one. */
  readonly plugin?: Plugin;
  /** Device types from its `deviceTypes` export (usable as `--device NAME`). */
  readonly deviceTypes: readonly DeviceType[];
}

/**
 * Load a `--plugin` module: its plugin (default export or `createPlugin`)
 * and its `deviceTypes`. A module must contribute at least one of them.
 */
export async function loadPluginModule(spec: string, cwd: string): Promise<LoadedModule> {
  const { name: specifier } = parseSpec(spec);
  const mod = await importModule(specifier, cwd);
  const types = mod.deviceTypes;
  if (types !== undefined && (!Array.isArray(types) || !types.every(isDeviceType))) {
    throw new PluginLoadError(
      `module "${specifier}" exports deviceTypes that are not a list of {name, summary, schema, create}`,
    );
  }
  const deviceTypes = (types ?? []) as DeviceType[];
  if (mod.default === undefined && mod.createPlugin === undefined && deviceTypes.length > 0) {
    return { deviceTypes };
  }
  return { plugin: pluginOf(spec, mod), deviceTypes };
}

/**
 * Load a plugin from `spec` ("module[,key=value...]").
 *
 * @example
 * ```ts
 * import { loadPlugin } from "./loader.ts";
 *
 * const rng = await loadPlugin("./plugins/examples/rng_device.ts,seed=42", Deno.cwd());
 * console.log(rng.name); // "rng@0x5ec"
 * ```
 */
export async function loadPlugin(spec: string, cwd: string): Promise<Plugin> {
  const { name: specifier } = parseSpec(spec);
  return pluginOf(spec, await importModule(specifier, cwd));
}

function pluginOf(spec: string, mod: Record<string, unknown>): Plugin {
  const { name: specifier, options } = parseSpec(spec);
  let given: Readonly<Record<string, unknown>> = options;
  if (mod.optionsSchema !== undefined) {
    if (!isSchema(mod.optionsSchema)) {
      throw new PluginLoadError(
        `module "${specifier}" exports an optionsSchema that is not a schema`,
      );
    }
    try {
      given = parseOptions(specifier, mod.optionsSchema, options);
    } catch (error) {
      if (error instanceof OptionError) throw new PluginLoadError(error.message, { cause: error });
      throw error;
    }
  }
  const candidate = mod.default ?? mod.createPlugin;
  let plugin: unknown = candidate;
  if (typeof candidate === "function") {
    try {
      plugin = (candidate as PluginFactory<unknown>)(given);
    } catch (error) {
      throw new PluginLoadError(
        `plugin factory in "${specifier}" failed: ${
          error instanceof Error ? error.message : error
        }`,
        { cause: error },
      );
    }
  }
  if (!isPlugin(plugin)) {
    throw new PluginLoadError(
      `module "${specifier}" does not export a plugin: expected a default export that is a Plugin or a factory returning one`,
    );
  }
  return plugin;
}

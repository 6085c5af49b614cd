/**
 * Loading plugins by module specifier (`--plugin ./my_plugin.ts,key=value`,
 * a URL, `npm:` or `jsr:`). The module's default export is either a
 * {@link PluginFactory} (called with the options) or a {@link Plugin}.
 * A named export `createPlugin` is accepted too.
 *
 * @module
 */

import type { Plugin, PluginFactory } from "../core/plugin.ts";
import { parseSpec } from "./spec.ts";

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

/** Load a plugin from `spec` ("module[,key=value...]"). */
export async function loadPlugin(spec: string, cwd: string): Promise<Plugin> {
  const { name: specifier, options } = parseSpec(spec);
  const url = resolveSpecifier(specifier, cwd);
  let mod: Record<string, unknown>;
  try {
    mod = await import(url);
  } catch (error) {
    throw new PluginLoadError(
      `cannot load plugin module "${specifier}": ${error instanceof Error ? error.message : error}`,
      { cause: error },
    );
  }
  const candidate = mod.default ?? mod.createPlugin;
  let plugin: unknown = candidate;
  if (typeof candidate === "function") {
    try {
      plugin = (candidate as PluginFactory)(options);
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

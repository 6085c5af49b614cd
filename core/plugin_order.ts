/**
 * Setup order of plugins: API-version checks, duplicate names, missing
 * requirements and a topological order.
 *
 * @module
 */

import {
  type Plugin,
  PluginConflictError,
  PluginMissingError,
  PluginVersionError,
  SUPPORTED_PLUGIN_API_VERSIONS,
} from "./plugin.ts";

/**
 * Order plugins so that each comes after what it requires. A requirement
 * names a plugin (`uart16550` matches `uart16550@0x3f8`).
 */
export function orderPlugins(plugins: readonly Plugin[]): Plugin[] {
  const names = new Set<string>();
  for (const p of plugins) {
    const declared: unknown = p.apiVersion;
    if (typeof declared !== "number") {
      throw new PluginVersionError(
        `plugin "${p.name}" declares apiVersion ${
          JSON.stringify(declared)
        } (a ${typeof declared}); ` +
          `it must be the number ${SUPPORTED_PLUGIN_API_VERSIONS.join(" or ")}`,
      );
    }
    if (!SUPPORTED_PLUGIN_API_VERSIONS.includes(p.apiVersion)) {
      throw new PluginVersionError(
        `plugin "${p.name}" targets plugin API version ${p.apiVersion}; this nestvm supports ${
          SUPPORTED_PLUGIN_API_VERSIONS.join(", ")
        }`,
      );
    }
    if (names.has(p.name)) {
      throw new PluginConflictError(
        `two plugins are named "${p.name}"; plugin names must be unique ` +
          `(name each instance, e.g. "${p.name.split("@")[0]}@<its port or id>")`,
      );
    }
    names.add(p.name);
  }
  const matches = (req: string, p: Plugin) => p.name === req || p.name.split("@")[0] === req;
  for (const p of plugins) {
    for (const req of p.requires ?? []) {
      if (!plugins.some((q) => q !== p && matches(req, q))) {
        throw new PluginMissingError(
          `plugin "${p.name}" requires "${req}", which is not loaded`,
        );
      }
    }
  }
  const done = new Set<Plugin>();
  const out: Plugin[] = [];
  const visiting = new Set<Plugin>();
  const visit = (p: Plugin) => {
    if (done.has(p)) return;
    if (visiting.has(p)) {
      throw new PluginMissingError(`plugin "${p.name}" has a circular requirement`);
    }
    visiting.add(p);
    for (const req of p.requires ?? []) {
      for (const q of plugins) if (q !== p && matches(req, q)) visit(q);
    }
    visiting.delete(p);
    done.add(p);
    out.push(p);
  };
  for (const p of plugins) visit(p);
  return out;
}

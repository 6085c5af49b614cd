import assert from "node:assert/strict";
import { orderPlugins } from "./plugin_order.ts";
import { type Plugin, PluginMissingError, PluginVersionError } from "./plugin.ts";

const p = (name: string, requires: string[] = [], apiVersion = 1): Plugin => ({
  name,
  version: "1.0.0",
  apiVersion,
  requires,
  setup() {},
});

Deno.test("order: requirements come first; name@instance matches the bare name", () => {
  const out = orderPlugins([
    p("lapic", ["pic"]),
    p("uart16550@0x3f8"),
    p("pic"),
    p("log", ["uart16550"]),
  ]);
  const names = out.map((x) => x.name);
  assert.ok(names.indexOf("pic") < names.indexOf("lapic"));
  assert.ok(names.indexOf("uart16550@0x3f8") < names.indexOf("log"));
  assert.equal(names.length, 4);
});

Deno.test("order: a missing requirement names the plugin and what is missing", () => {
  assert.throws(
    () => orderPlugins([p("vmx", ["mm-pinning"])]),
    (e: unknown) =>
      e instanceof PluginMissingError && e.message.includes('"vmx"') &&
      e.message.includes('"mm-pinning"'),
  );
});

Deno.test("order: an API version mismatch says which versions are supported", () => {
  assert.throws(
    () => orderPlugins([p("future", [], 7)]),
    (e: unknown) =>
      e instanceof PluginVersionError && /version 7/.test(e.message) &&
      /supports 1/.test(e.message),
  );
});

Deno.test("order: duplicates and cycles are refused", () => {
  assert.throws(
    () => orderPlugins([p("a"), p("a")]),
    /two plugins are named "a"; plugin names must be unique/,
  );
  assert.throws(() => orderPlugins([p("a", ["b"]), p("b", ["a"])]), /circular/);
});

Deno.test("plugin order: a string apiVersion is refused with what was declared", () => {
  const bad = { name: "s", version: "1.0.0", apiVersion: "1", setup() {} } as unknown as Plugin;
  assert.throws(
    () => orderPlugins([bad]),
    (e: Error) =>
      e instanceof PluginVersionError &&
      e.message === 'plugin "s" declares apiVersion "1" (a string); it must be the number 1',
  );
});

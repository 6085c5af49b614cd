import assert from "node:assert/strict";
import { describeOptions, OptionError, type OptionsOf, parseOptions } from "./options_schema.ts";

const schema = {
  port: { type: "int", default: 0x5ec, min: 0, max: 0xffff, doc: "I/O port" },
  irq: { type: "int", doc: "IRQ line" },
  fast: { type: "bool", default: false, doc: "no delay" },
  mode: { type: "enum", values: ["a", "b"], default: "a", doc: "mode" },
  label: { type: "string", doc: "a name" },
} as const;

Deno.test("options schema: strings become typed values, defaults fill in", () => {
  const o: OptionsOf<typeof schema> = parseOptions("dev", schema, {
    irq: "0b101",
    fast: "on",
    mode: "b",
    label: "x,y",
  });
  assert.deepEqual(o, { port: 0x5ec, irq: 5, fast: true, mode: "b", label: "x,y" });
  assert.deepEqual(parseOptions("dev", schema, {}), { port: 0x5ec, fast: false, mode: "a" });
  assert.equal(parseOptions("dev", schema, { port: "0o17" }).port, 15);
});

Deno.test("options schema: unknown keys, bad numbers, ranges, booleans and enums are errors", () => {
  const refuse = (given: Record<string, string>, message: string) =>
    assert.throws(
      () => parseOptions("dev", schema, given),
      (e: Error) => e instanceof OptionError && e.message === message,
    );
  refuse({ prot: "1" }, 'dev: unknown option "prot" (known: port, irq, fast, mode, label)');
  refuse({ port: "12z" }, "dev: option port=12z is not an integer");
  refuse({ port: "0x10000" }, "dev: option port=0x10000 is out of range [0, 65535]");
  refuse(
    { fast: "maybe" },
    "dev: option fast=maybe is not a boolean (on/off, true/false, yes/no, 1/0)",
  );
  refuse({ mode: "c" }, "dev: option mode=c is not one of a, b");
  refuse({ toString: "x" }, 'dev: unknown option "toString" (known: port, irq, fast, mode, label)');
});

Deno.test("options schema: help lists every option with type and default", () => {
  assert.equal(
    describeOptions("dev", schema),
    [
      "dev options:",
      "  port=<integer 0..0xffff>  I/O port (default 0x5ec)",
      "  irq=<integer>  IRQ line",
      "  fast=<on|off>  no delay (default false)",
      "  mode=<a|b>  mode (default a)",
      "  label=<text>  a name",
    ].join("\n"),
  );
});

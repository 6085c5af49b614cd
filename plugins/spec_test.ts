import assert from "node:assert/strict";
import { parseIntOption, parseSpec } from "./spec.ts";
import { resolveSpecifier } from "./loader.ts";

Deno.test("spec: name, options, doubled commas, bare keys", () => {
  assert.deepEqual(parseSpec("isa-debug-exit,iobase=0xf4,iosize=4"), {
    name: "isa-debug-exit",
    options: { iobase: "0xf4", iosize: "4" },
  });
  assert.deepEqual(parseSpec("x,path=a,,b,verbose"), {
    name: "x",
    options: { path: "a,b", verbose: "on" },
  });
  assert.throws(() => parseSpec(",a=1"), SyntaxError);
});

Deno.test("spec: integers in any base; junk refused", () => {
  assert.equal(parseIntOption("0xf4"), 0xf4);
  assert.equal(parseIntOption("42"), 42);
  assert.equal(parseIntOption("0b101"), 5);
  assert.equal(parseIntOption("4k"), undefined);
  assert.equal(parseIntOption("-1"), undefined);
});

Deno.test("loader: specifiers resolve against the working directory", () => {
  assert.equal(resolveSpecifier("./p.ts", "/tmp/w"), "file:///tmp/w/p.ts");
  assert.equal(resolveSpecifier("npm:x@1", "/tmp"), "npm:x@1");
  assert.equal(resolveSpecifier("https://e.invalid/p.ts", "/tmp"), "https://e.invalid/p.ts");
});

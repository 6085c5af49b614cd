import assert from "node:assert/strict";
import { createDebugExit, parseDebugExitOptions } from "./debug_exit.ts";
import { createDebugcon } from "./debugcon.ts";
import { FakeMachine } from "./testing.ts";

Deno.test("isa-debug-exit: write v stops with (v<<1)|1", () => {
  const m = new FakeMachine().load(
    createDebugExit(parseDebugExitOptions({ iobase: "0xf4", iosize: "4" })),
  );
  m.out(0xf4, 0);
  m.out(0xf7, 0x21);
  m.out(0xf4, 0xffffffff, 4);
  assert.deepEqual(m.stops, [
    { kind: "exit", status: 1 },
    { kind: "exit", status: 0x43 },
    { kind: "exit", status: 0x1ffffffff },
  ]);
  assert.equal(m.hasPort(0xf8), false);
});

Deno.test("isa-debug-exit: QEMU defaults 0x501/2", () => {
  const p = createDebugExit(parseDebugExitOptions({}));
  assert.equal(p.name, "isa-debug-exit@0x501");
  const m = new FakeMachine().load(p);
  assert.ok(m.hasPort(0x502));
  assert.equal(m.hasPort(0x503), false);
  assert.throws(() => parseDebugExitOptions({ iosize: "9" }), /out of range/);
});

Deno.test("debugcon: bytes reach the sink, reads return 0xe9", () => {
  const out: number[] = [];
  const m = new FakeMachine().load(createDebugcon({ output: (b) => out.push(...b) }));
  m.out(0xe9, 0x4f);
  m.out(0xe9, 0x4b);
  assert.deepEqual(out, [0x4f, 0x4b]);
  assert.equal(m.in(0xe9), 0xe9);
});

/**
 * The flat-binary loader's entry states run on the real CPU: a few
 * hand-assembled bytes print a letter on COM1 and exit through
 * isa-debug-exit in real mode, 32-bit protected mode and 64-bit long mode
 * (where the loader built the page tables and GDT).
 */
import assert from "node:assert/strict";
import { bootFlat, createMachine } from "../plugins/machine_builder.ts";
import type { EntryMode } from "../boot/mod.ts";

function runFlat(code: number[], addr: number, mode: EntryMode): { out: string; status: number } {
  let out = "";
  const m = createMachine({ serial: (b) => (out += new TextDecoder().decode(b)) });
  try {
    bootFlat(m, [{ addr, data: new Uint8Array(code) }], addr, mode);
    const r = m.run({ maxInstructions: 10_000 });
    return { out, status: r.reason.kind === "exit" ? r.reason.status : -1 };
  } finally {
    m.dispose?.();
  }
}

Deno.test("flat real mode: mov al,'R'; mov dx,0x3f8; out dx,al; mov al,0; out 0xf4,al", () => {
  const r = runFlat(
    [0xb0, 0x52, 0xba, 0xf8, 0x03, 0xee, 0xb0, 0x00, 0xe6, 0xf4, 0xf4],
    0x7c00,
    "real",
  );
  assert.deepEqual(r, { out: "R", status: 1 });
});

Deno.test("flat real mode above 64 KiB uses CS = entry >> 4 & 0xf000", () => {
  const r = runFlat(
    [0xb0, 0x53, 0xba, 0xf8, 0x03, 0xee, 0xb0, 0x00, 0xe6, 0xf4, 0xf4],
    0x90000,
    "real",
  );
  assert.deepEqual(r, { out: "S", status: 1 });
});

const pm = (ch: number) => [0xb0, ch, 0x66, 0xba, 0xf8, 0x03, 0xee, 0xb0, 0x01, 0xe6, 0xf4, 0xf4];

Deno.test("flat protected32 and long64 entry states run", () => {
  assert.deepEqual(runFlat(pm(0x50), 0x100000, "protected32"), { out: "P", status: 3 });
  assert.deepEqual(runFlat(pm(0x4c), 0x100000, "long64"), { out: "L", status: 3 });
});

Deno.test("flat long64: the loader's identity map covers 0xbfff0000 (no #PF)", () => {
  // movabs al, [0xbfff0000] reads through the 2 MiB identity map (a hole reads 0xff); then print it
  const code = [
    0x48,
    0xa0,
    0x00,
    0x00,
    0xff,
    0xbf,
    0x00,
    0x00,
    0x00,
    0x00, // movabs al, [0xbfff0000]
    0x66,
    0xba,
    0xf8,
    0x03,
    0xee, // mov dx, 0x3f8; out dx, al
    0xb0,
    0x00,
    0xe6,
    0xf4,
    0xf4,
  ];
  const r = runFlat(code, 0x100000, "long64");
  assert.equal(r.status, 1);
  assert.equal(r.out.length, 1);
});

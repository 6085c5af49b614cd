/**
 * Boots the committed guest images (guests/build/) through the Multiboot
 * loader on a `pc` machine and checks what they print: hello in its four
 * forms (ELF32 container of 64-bit code, ELF64, ELF32, a.out-kludge flat
 * binary), the CPU and device conformance guests (strict TAP, tests/tap.ts) and the bench
 * workloads (checksum equal to the host model).
 */
import assert from "node:assert/strict";
import { bootKernel, createMachine } from "../plugins/machine_builder.ts";
import { benchChecksum } from "../guests/src/bench/model.ts";
import { assertTap } from "./tap.ts";

interface Outcome {
  readonly output: string;
  readonly stop: string;
  /** isa-debug-exit status as the process would exit ((v << 1) | 1), or -1. */
  readonly status: number;
}

function boot(name: string, cmdline = "", budget = 200_000_000): Outcome {
  const image = Deno.readFileSync(new URL(`../guests/build/${name}`, import.meta.url));
  let output = "";
  const dec = new TextDecoder();
  const m = createMachine({ serial: (b) => (output += dec.decode(b, { stream: true })) });
  try {
    bootKernel(m, image, { cmdline });
    const r = m.run({ maxInstructions: budget });
    return { output, stop: r.reason.kind, status: r.reason.kind === "exit" ? r.reason.status : -1 };
  } finally {
    m.dispose?.();
  }
}

function assertTapPasses(name: string, o: Outcome, plan: number): void {
  assertTap(o.output, { plan }, name);
  assert.equal(o.stop, "exit", o.output);
  assert.equal(o.status, 1, "isa-debug-exit status 0 -> exit code 1");
}

for (const name of ["hello64.elf", "hello64-elf64.elf", "hello32.elf", "hello32-aout.bin"]) {
  Deno.test(`guest ${name}: boots, sees the multiboot info, exits with status 0`, () => {
    const o = boot(name, "console=ttyS0 nestvm");
    const bits = name.startsWith("hello64") ? 64 : 32;
    assert.match(o.output, new RegExp(`Hello from a ${bits}-bit nestvm guest!`));
    assert.match(o.output, /boot loader: nestvm/);
    assert.match(o.output, /command line: "console=ttyS0 nestvm"/);
    assert.match(o.output, /memory: 639 KiB low, 130048 KiB high/);
    assert.equal(o.stop, "exit");
    assert.equal(o.status, 1);
  });
}

for (const [name, plan] of [["cpu64.elf", 33], ["cpu32.elf", 26]] as const) {
  Deno.test(`guest ${name}: every CPU conformance check passes`, () => {
    assertTapPasses(name, boot(name), plan);
  });
}

for (const bits of [64, 32] as const) {
  Deno.test(`guest bench${bits}.elf: checksum matches the host model`, () => {
    const o = boot(`bench${bits}.elf`, "iterations=20000");
    const m = /bits=(\d+) iterations=(\d+) loop_instructions=(\d+) checksum=0x([0-9a-f]+)/.exec(
      o.output,
    );
    assert.ok(m, o.output);
    assert.equal(Number(m[1]), bits);
    assert.equal(Number(m[2]), 20000);
    assert.equal(Number(m[3]), 20000 * 34);
    assert.equal(BigInt("0x" + m[4]), benchChecksum(bits, 20000));
    assert.equal(o.status, 1);
  });
}

Deno.test("guest devices64.elf: PIT+PIC, LAPIC timer and UART interrupt checks pass", () => {
  const o = boot("devices64.elf");
  assertTapPasses("devices64", o, 13);
  assert.ok(o.output.split("\n").includes("# uart: this line was sent by THR-empty interrupts"));
});

/**
 * Machine-level behaviour of the core: stop reasons, plugin errors,
 * unhandled exits, the example plugin, all with tiny flat guests.
 */
import assert from "node:assert/strict";
import { newPcMachine, type PcMachine } from "../plugins/pc_machine.ts";
import type { Plugin } from "../core/plugin.ts";
import { PluginConflictError, PluginMissingError, PluginVersionError } from "../core/plugin.ts";
import { bootFlat, createMachine } from "../plugins/machine_builder.ts";
import createRng from "../plugins/examples/rng_device.ts";
import { assertNoPins } from "../mm/testing.ts";

const BASE = 0x100000;

/** Build a `pc` machine running `code` at 0x1000 in 32-bit protected mode. */
function flatMachine(code: number[], plugins: Plugin[] = [], strictExits = false): PcMachine {
  const m = createMachine({ memoryMiB: 16, plugins, strictExits, vmx: false });
  bootFlat(m, [{ addr: BASE, data: new Uint8Array(code) }], BASE, "protected32");
  return m;
}

function xorshift(seed: number, n: number): number[] {
  let s = seed >>> 0;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out.push(s);
  }
  return out;
}

// mov dx,0x5ec; in eax,dx; mov ebx,eax; in eax,dx; mov al,5; out 0xf4,al; hlt
const RNG_PROGRAM = [0x66, 0xba, 0xec, 0x05, 0xed, 0x89, 0xc3, 0xed, 0xb0, 0x05, 0xe6, 0xf4, 0xf4];

Deno.test("machine: guest exit through isa-debug-exit, example rng plugin answers", () => {
  const rng = createRng({ seed: 42 });
  const m = flatMachine(RNG_PROGRAM, [rng]);
  const r = m.run({ maxInstructions: 1000 });
  assert.deepEqual(r.reason, { kind: "exit", status: (5 << 1) | 1 });
  assert.equal(r.instructions, 6);
  const [first, second] = xorshift(42, 2);
  assert.equal(m.cpu.gpr[2 * 3], first);
  assert.equal(m.cpu.gpr[0] & 0xffffff00, second & 0xffffff00);
  assert.equal(rng.drawn, 2);
  m.dispose();
  assertNoPins(m.memory);
});

Deno.test("machine: instruction budget, halted with no wake-up source", () => {
  const spin = flatMachine([0xeb, 0xfe]); // jmp $
  const r = spin.run({ maxInstructions: 12345 });
  assert.equal(r.reason.kind, "budget");
  assert.equal(r.instructions, 12345);
  spin.dispose();
  const halt = flatMachine([0xfa, 0xf4]); // cli; hlt
  assert.equal(halt.run({ maxInstructions: 1000 }).reason.kind, "halted");
  halt.dispose();
});

Deno.test("machine: a throwing plugin stops the run, names plugin and exit, does not retire", () => {
  const bad: Plugin = {
    name: "flaky",
    version: "0.0.1",
    apiVersion: 1,
    setup(ctx) {
      ctx.ports.register(0x80, 1, {
        read: () => 0,
        write: () => {
          throw new TypeError("flaky exploded");
        },
      });
    },
  };
  // mov al,1; out 0x80,al; hlt
  const m = flatMachine([0xb0, 0x01, 0xe6, 0x80, 0xf4], [bad]);
  const r = m.run({ maxInstructions: 100 });
  assert.equal(r.reason.kind, "plugin-error");
  if (r.reason.kind !== "plugin-error") return;
  assert.equal(r.reason.plugin, "flaky");
  assert.match(r.reason.exit, /io out port 0x80/);
  assert.match(r.reason.message, /flaky exploded/);
  assert.equal(r.instructions, 1, "the OUT is not retired");
  assert.equal(m.cpu.rip, BASE + 2, "RIP still points at the OUT");
  m.dispose();
});

Deno.test("machine: strict mode reports an unhandled exit instead of crashing", () => {
  // in al,0x99; hlt
  const m = flatMachine([0xe4, 0x99, 0xf4], [], true);
  const r = m.run({ maxInstructions: 100 });
  assert.equal(r.reason.kind, "unhandled-exit");
  if (r.reason.kind === "unhandled-exit") assert.match(r.reason.description, /io in port 0x99/);
  m.dispose();
  // Without strict mode an unowned port reads all ones (PC bus behaviour).
  const pc = flatMachine([0xe4, 0x99, 0xf4]);
  pc.run({ maxInstructions: 100 });
  assert.equal(pc.cpu.gpr[0] & 0xff, 0xff);
  pc.dispose();
});

Deno.test("machine: setup errors name the plugins involved", () => {
  const port80 = (name: string): Plugin => ({
    name,
    version: "1.0.0",
    apiVersion: 1,
    setup(ctx) {
      ctx.ports.register(0x80, 1, { read: () => 0, write: () => {} });
    },
  });
  assert.throws(
    () => newPcMachine({ memoryMiB: 4, plugins: [port80("a"), port80("b")] }),
    (e: unknown) =>
      e instanceof PluginConflictError && /"a"/.test(e.message) && /"b"/.test(e.message),
  );
  assert.throws(
    () => newPcMachine({ memoryMiB: 4, plugins: [{ ...port80("needy"), requires: ["pic"] }] }),
    (e: unknown) =>
      e instanceof PluginMissingError && /needy/.test(e.message) && /pic/.test(e.message),
  );
  assert.throws(
    () => newPcMachine({ memoryMiB: 4, plugins: [{ ...port80("old"), apiVersion: 0 }] }),
    PluginVersionError,
  );
  assert.throws(() => newPcMachine({ memoryMiB: 0 }), RangeError);
});

Deno.test("machine: QEMU model names in -cpu; without the VMX plugin CPUID.1:ECX.VMX is clear", () => {
  // mov eax,1; cpuid; mov al,0; out 0xf4,al
  const code = [0xb8, 1, 0, 0, 0, 0x0f, 0xa2, 0xb0, 0x00, 0xe6, 0xf4];
  for (
    const [opts, vmx] of [[{ cpu: "max" }, true], [{ cpu: "max,-vmx" }, false], [
      { vmx: false },
      false,
    ]] as const
  ) {
    const m = createMachine({ memoryMiB: 16, ...opts });
    bootFlat(m, [{ addr: BASE, data: new Uint8Array(code) }], BASE, "protected32");
    assert.equal(m.run({ maxInstructions: 100 }).reason.kind, "exit");
    assert.equal((m.cpu.gpr[2] >>> 5) & 1, vmx ? 1 : 0, JSON.stringify(opts));
    m.dispose();
  }
});

Deno.test("machine: a plugin that watches #UD sees the exception exit and can handle it", () => {
  const seen: number[] = [];
  const watcher: Plugin = {
    name: "ud-watcher",
    version: "1.0.0",
    apiVersion: 1,
    setup(ctx) {
      ctx.exits.watchExceptions([6]);
      ctx.exits.on("exception", (e) => {
        seen.push(e.vector);
        ctx.vcpu.rip += 2; // skip the UD2 and carry on
        return "handled";
      });
    },
  };
  // ud2; mov al,2; out 0xf4,al
  const m = flatMachine([0x0f, 0x0b, 0xb0, 0x02, 0xe6, 0xf4], [watcher]);
  const r = m.run({ maxInstructions: 100 });
  assert.deepEqual(seen, [6]);
  assert.deepEqual(r.reason, { kind: "exit", status: 5 });
  m.dispose();
});

// nop; mov eax,[0xfed00000]; hlt
const MMIO_READ_PROGRAM = [0x90, 0xa1, 0x00, 0x00, 0xd0, 0xfe, 0xf4];

Deno.test("machine: a throwing MMIO handler stops the run with plugin-error naming the plugin, unretired", async () => {
  const { default: createThrowingMmio } = await import("./data/throwing_mmio_plugin.ts");
  const seen: string[] = [];
  const observer: Plugin = {
    name: "watch",
    version: "0.0.1",
    apiVersion: 1,
    setup(ctx) {
      ctx.exits.observe((e) => {
        if (e.kind === "mmio") seen.push(`${e.direction} 0x${e.gpa.toString(16)}/${e.size}`);
      });
    },
  };
  const m = flatMachine(MMIO_READ_PROGRAM, [createThrowingMmio({}), observer]);
  const r = m.run({ maxInstructions: 100 });
  assert.equal(r.reason.kind, "plugin-error");
  if (r.reason.kind !== "plugin-error") return;
  assert.equal(r.reason.plugin, "mmio-bomb");
  assert.match(r.reason.exit, /mmio in 0xfed00000 size 4/);
  assert.match(r.reason.message, /mmio-bomb read exploded/);
  assert.equal(r.instructions, 1, "only the NOP retired");
  assert.equal(m.cpu.rip, BASE + 1, "RIP points at the MOV");
  assert.deepEqual(seen, ["in 0xfed00000/4"], "observers see MMIO exits on the bus");
  m.dispose();
});

Deno.test("machine: MMIO handlers answer through the bus; overlapping MMIO claims name both plugins", () => {
  const mmio = (name: string, base: number, size: number): Plugin => ({
    name,
    version: "0.0.1",
    apiVersion: 1,
    setup(ctx) {
      ctx.mmio.register(base, size, { read: (o, s) => 0x1000 * s + o, write: () => {} });
    },
  });
  // mov eax,[0xfed00008]; hlt
  const m = flatMachine([0xa1, 0x08, 0x00, 0xd0, 0xfe, 0xf4], [mmio("dev-a", 0xfed00000, 0x100)]);
  m.run({ maxInstructions: 10 });
  assert.equal(m.cpu.gpr[0], 0x4008, "the owner's read answered size 4 at offset 8");
  m.dispose();
  assert.throws(
    () => flatMachine([0xf4], [mmio("dev-a", 0xfed00000, 0x100), mmio("dev-b", 0xfed000f0, 0x20)]),
    (e: unknown) =>
      e instanceof PluginConflictError && /"dev-a"/.test(e.message) && /"dev-b"/.test(e.message),
  );
  // Against RAM: the message names the RAM region and the plugin.
  assert.throws(
    () => flatMachine([0xf4], [mmio("dev-c", 0x2000, 0x100)]),
    (e: unknown) =>
      e instanceof PluginConflictError && /"ram-low"/.test(e.message) && /"dev-c"/.test(e.message),
  );
});

Deno.test("machine: two plugins driving one IRQ line share it wired-OR", () => {
  const lines: Record<string, import("../core/plugin.ts").IrqLine> = {};
  const seen: boolean[] = [];
  const driver = (name: string): Plugin => ({
    name,
    version: "1.0.0",
    apiVersion: 1,
    setup(ctx) {
      lines[name] = ctx.irq.line(5);
      assert.equal(ctx.irq.line(5), lines[name]); // one driver per plugin and line
    },
  });
  const chip: Plugin = {
    name: "chip",
    version: "1.0.0",
    apiVersion: 1,
    setup(ctx) {
      ctx.irq.addChip({ setIrq: (irq, level) => irq === 5 && seen.push(level) });
    },
  };
  const m = newPcMachine({ memoryMiB: 4, plugins: [driver("a"), driver("b"), chip] });
  lines.a.set(true);
  lines.b.set(false);
  assert.equal(m.irq.level(5), true, "B deasserting must not lower a line A holds");
  lines.b.set(true);
  lines.a.set(false);
  assert.equal(m.irq.level(5), true);
  lines.b.set(false);
  assert.equal(m.irq.level(5), false);
  assert.deepEqual(seen, [true, false]);
  m.dispose();
});

Deno.test("machine: CLI; HLT with interrupts masked ends as halted although the PIT keeps ticking", () => {
  // PIT channel 0 in rate-generator mode (IRQ0 ticks, which cannot wake the vCPU); cli; hlt
  // mov al,0x34; out 0x43,al; mov al,0; out 0x40,al; out 0x40,al; cli; hlt
  const m = createMachine({ memoryMiB: 16, vmx: false });
  const code = Uint8Array.fromHex("b034e643b000e640e640faf4");
  bootFlat(m, [{ addr: 0x100000, data: code }], 0x100000, "protected32");
  const r = m.run({ maxInstructions: 1000 });
  assert.deepEqual(r.reason, { kind: "halted" });
  assert.ok(m.virtualNs >= 10e9, "it waited 10 s of virtual time for an NMI first");
  m.dispose();
});

/**
 * Property test: any bytes as code, any register state and any descriptor
 * table content end in normal execution, a delivered guest exception or a
 * shutdown — never in a host exception escaping `run()`.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { enter32, enter64, LAYOUT, load, makeCpu } from "./testing.ts";

const t = makeCpu(4);

Deno.test("random code pages and state never raise a host exception (fixed seed)", () => {
  let shutdowns = 0;
  let exits = 0;
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 64, maxLength: 512 }),
      fc.array(fc.integer({ min: 0, max: 0xffffffff }), { minLength: 32, maxLength: 32 }),
      fc.uint8Array({ minLength: 128, maxLength: 128 }),
      fc.uint8Array({ minLength: 256, maxLength: 256 }),
      fc.integer({ min: 0, max: 3 }),
      (code, regs, gdt, idt, mode) => {
        const cpu = t.cpu;
        cpu.reset();
        t.exits.length = 0;
        if (mode === 1) enter32(t, false);
        else if (mode === 2) enter32(t, true);
        else if (mode === 3) enter64(t);
        else {
          Object.assign(cpu.seg[1], { selector: 0, base: 0 });
          cpu.stateChanged();
        }
        // Random descriptors after the first eight, random IDT entries for low vectors.
        t.mem.writeBytes(LAYOUT.gdt + 64, gdt);
        t.mem.writeBytes(LAYOUT.idt, idt);
        for (let k = 0; k < 32; k++) if (k !== 8 && k !== 9) cpu.gpr[k] = regs[k] >>> 0;
        load(t, code, mode === 0 ? 0x7c00 : LAYOUT.code);
        const stop = cpu.run(cpu.retired + 3000);
        assert.ok(["limit", "halted", "shutdown", "stop-requested"].includes(stop));
        if (stop === "shutdown") shutdowns++;
        exits += t.exits.length;
      },
    ),
    {
      seed: Number(Deno.env.get("NESTVM_CPU_FUZZ_SEED") ?? 0x5eed),
      numRuns: Number(Deno.env.get("NESTVM_CPU_FUZZ_RUNS") ?? 300),
    },
  );
  // Sanity: the generator does reach both outcomes.
  assert.ok(shutdowns > 0, "some random programs shut down");
  assert.ok(exits > 0, "some random programs reach a VM exit (I/O, CPUID, ...)");
});

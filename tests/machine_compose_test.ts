/**
 * A machine composed by its builder: the core takes its guest memory and
 * its CPU engine from factories, so a board can bring another memory map
 * (here RAM plus a ROM the PC board does not have) and its own CPU model.
 *
 * @module
 */

import assert from "node:assert/strict";
import { Machine } from "../core/machine.ts";
import type { CpuEngine } from "../core/engine.ts";
import { PhysicalMemory } from "../mm/physical.ts";
import { interpreterEngine, pcCpuModel } from "../plugins/pc_machine.ts";
import { bootFlat } from "../plugins/machine_builder.ts";

Deno.test("machine: built from a board's own memory and engine factories", () => {
  const made: PhysicalMemory[] = [];
  const memory = (): PhysicalMemory => {
    const mem = new PhysicalMemory();
    assert.equal(mem.addRam(0, 2 << 20, "ram").ok, true);
    assert.equal(mem.addRom(0x300000, new Uint8Array([0x78, 0x56, 0x34, 0x12]), "rom").ok, true);
    made.push(mem);
    return mem;
  };
  const interpreter = interpreterEngine(pcCpuModel("max,-vmx,phys-bits=36"));
  const engines: CpuEngine[] = [];
  const m = new Machine({
    memory,
    engine: (env) => {
      assert.equal(env.memory, made[0], "the engine is built over the machine's memory");
      const cpu = interpreter(env);
      engines.push(cpu);
      return cpu;
    },
  });
  assert.equal(made.length, 1);
  assert.equal(m.memory, made[0]);
  assert.deepEqual(engines, [m.cpu]);
  assert.equal(m.memory.ramSize, 2 << 20);
  assert.equal(m.cpu.model.physBits, 36);
  // mov eax,[0x300000]; mov dword [0x300000],0; mov ebx,[0x300000]; hlt
  const code = [
    0xa1,
    0x00,
    0x00,
    0x30,
    0x00,
    0xc7,
    0x05,
    0x00,
    0x00,
    0x30,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x8b,
    0x1d,
    0x00,
    0x00,
    0x30,
    0x00,
    0xf4,
  ];
  bootFlat(m, [{ addr: 0x100000, data: new Uint8Array(code) }], 0x100000, "protected32");
  assert.equal(m.run({ maxInstructions: 100 }).reason.kind, "halted");
  assert.equal(m.cpu.gpr[0], 0x12345678, "the guest reads the board's ROM");
  assert.equal(m.cpu.gpr[6], 0x12345678, "ROM ignores the write");
  m.dispose();
});

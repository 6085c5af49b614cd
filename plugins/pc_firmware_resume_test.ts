import assert from "node:assert/strict";
import { createMachine } from "./machine_builder.ts";
import {
  findRsdp,
  findWakingVector,
  firmwareRam,
  pcFirmwareResume,
  WAKE_GDT,
  WAKE_PML4,
} from "./pc_firmware_resume.ts";
import type { PcMachine } from "./pc_machine.ts";

const FACS = 0xe00c0;

function pc(): PcMachine {
  return createMachine({ memoryMiB: 16, vmx: false, logLevel: "silent" });
}

/** Fill the FACS fields the operating system owns. */
function facs(m: PcMachine, v: { vector?: number; x?: number; ospm?: number }): void {
  m.memory.write(FACS + 12, 4, v.vector ?? 0);
  m.memory.write(FACS + 24, 4, (v.x ?? 0) >>> 0);
  m.memory.write(FACS + 28, 4, Math.floor((v.x ?? 0) / 0x100000000));
  m.memory.write(FACS + 36, 4, v.ospm ?? 0);
}

Deno.test("firmware resume: the FACS is found from the RSDP; each waking vector gives its mode", () => {
  const m = pc();
  const ram = firmwareRam(m.memory);
  assert.equal(findRsdp(ram), 0xe0000);
  assert.deepEqual(findWakingVector(ram), {
    kind: "none",
    why: "the FACS holds no waking vector",
  });
  facs(m, { vector: 0x12345 });
  assert.deepEqual(findWakingVector(ram), { kind: "real", vector: 0x12345 });
  // X_Firmware_Waking_Vector wins over the 32-bit one (FACS version 2).
  facs(m, { vector: 0x12345, x: 0x200000 });
  assert.deepEqual(findWakingVector(ram), { kind: "protected32", vector: 0x200000 });
  facs(m, { vector: 0x12345, x: 0x200000, ospm: 1 });
  assert.deepEqual(findWakingVector(ram), { kind: "long64", vector: 0x200000 });
  // Without 64BIT_WAKE_SUPPORTED_F in the FACS flags, 64BIT_WAKE_F means nothing.
  m.memory.write(FACS + 20, 4, 0);
  assert.deepEqual(findWakingVector(ram), { kind: "protected32", vector: 0x200000 });
  // A version 0 FACS has no X vector.
  m.memory.write(FACS + 32, 1, 0);
  assert.deepEqual(findWakingVector(ram), { kind: "real", vector: 0x12345 });
  m.dispose();
});

Deno.test("firmware resume: vectors it cannot enter, and broken tables, are reported, not entered", () => {
  const m = pc();
  const ram = firmwareRam(m.memory);
  facs(m, { vector: 0x100000 });
  assert.match((findWakingVector(ram) as { why: string }).why, /not below 1 MiB/);
  facs(m, { x: 0x1_0000_0000 });
  assert.match(
    (findWakingVector(ram) as { why: string }).why,
    /32-bit waking vector .* above 4 GiB/,
  );
  facs(m, { x: 0x1_0000_0000, ospm: 1 });
  assert.match(
    (findWakingVector(ram) as { why: string }).why,
    /64-bit waking vector .* above 4 GiB/,
  );
  facs(m, { vector: 0x1000 });
  // A FADT whose checksum no longer holds is not trusted.
  m.memory.write(0xe0100 + 50, 1, m.memory.read(0xe0100 + 50, 1) ^ 1);
  assert.match(
    (findWakingVector(ram) as { why: string }).why,
    /FACP at 0xe0100 has a bad checksum/,
  );
  m.memory.write(0xe0100 + 50, 1, m.memory.read(0xe0100 + 50, 1) ^ 1);
  assert.deepEqual(findWakingVector(ram), { kind: "real", vector: 0x1000 });
  // No RSDP at all (the signature overwritten).
  m.memory.write(0xe0000, 4, 0);
  assert.deepEqual(findWakingVector(ram), { kind: "none", why: "no RSDP in 0xE0000-0xFFFFF" });
  // Tables are only read from RAM: the local APIC's MMIO page reads as nothing.
  assert.equal(ram.bytes(0xfee00000, 4), null);
  assert.notEqual(ram.bytes(0x1000, 4), null);
  m.dispose();
});

Deno.test("firmware resume: real mode at (vector >> 4):(vector & 0xF), segments 0, interrupts off", () => {
  const m = pc();
  facs(m, { vector: 0x12345 });
  const before = m.memory.readBytes(0, 0x400); // the OS's IVT
  assert.deepEqual(pcFirmwareResume(m), {
    kind: "resumed",
    detail: "real-mode waking vector 0x12345 (1234:0005)",
  });
  const c = m.cpu;
  assert.equal(c.mode, "real");
  assert.deepEqual([c.seg[1].selector, c.seg[1].base, c.rip], [0x1234, 0x12340, 5]);
  for (const s of [0, 2, 3, 4, 5]) assert.deepEqual([c.seg[s].selector, c.seg[s].base], [0, 0]);
  assert.equal(c.rflags & 0x200, 0);
  assert.equal(c.cr0 & 0x60000001, 0, "caches on, protection off");
  assert.deepEqual(m.memory.readBytes(0, 0x400), before, "the IVT is the OS's: untouched");
  m.dispose();
});

Deno.test("firmware resume: a 32-bit X vector runs flat in protected mode, paging off", () => {
  const m = pc();
  facs(m, { vector: 0x1000, x: 0x300000 });
  assert.equal(pcFirmwareResume(m).kind, "resumed");
  const c = m.cpu;
  assert.equal(c.mode, "protected32");
  assert.equal(c.rip, 0x300000);
  assert.equal(c.cr0 & 0x80000001, 1);
  for (const s of [0, 1, 2, 3, 4, 5]) {
    assert.deepEqual([c.seg[s].base, c.seg[s].limit], [0, 0xffffffff], `segment ${s}`);
  }
  assert.deepEqual([c.gdtr.base, m.memory.read(WAKE_GDT + 12, 4)], [WAKE_GDT, 0x00cf9a00]);
  assert.equal(c.rflags & 0x200, 0);
  m.dispose();
});

Deno.test("firmware resume: a 64-bit X vector runs in long mode with the first 4 GiB identity-mapped", () => {
  const m = pc();
  facs(m, { x: 0x300000, ospm: 1 });
  m.memory.write(0x300000, 1, 0xa5);
  m.memory.write(0xa00123, 1, 0x5a);
  assert.equal(pcFirmwareResume(m).kind, "resumed");
  const c = m.cpu;
  assert.equal(c.mode, "long64");
  assert.equal(c.rip, 0x300000);
  assert.equal(c.cr3, WAKE_PML4);
  // The identity map: the last 2 MiB page below 4 GiB maps to itself.
  const pd3 = WAKE_PML4 + 0x5000;
  assert.equal(m.memory.read(pd3 + 8 * 511, 4), (0xffe00000 | 0x83) >>> 0);
  // The vCPU's own page walk agrees.
  assert.equal(c.readLinear(0x300000, 1, 1), 0xa5, "the vector's byte through the map");
  assert.equal(c.readLinear(0xa00123, 1, 3), 0x5a);
  m.dispose();
});

Deno.test("firmware resume: no waking vector means firmware would boot: outcome boot", () => {
  const m = pc();
  const r = pcFirmwareResume(m);
  assert.deepEqual(r, { kind: "boot", why: "the FACS holds no waking vector" });
  m.dispose();
});

/**
 * The firmware tables report every vCPU: the MADT a guest finds through the
 * RSDP and RSDT lists one enabled local APIC per vCPU, with APIC IDs 0..N-1
 * (the IDs CPUID and the LAPICs report), up to the most vCPUs a machine has.
 */
import assert from "node:assert/strict";
import { createMachine } from "../plugins/machine_builder.ts";
import { MAX_VCPUS } from "../core/machine.ts";
import { MADT_MAX_CPUS } from "../devices/acpi/tables.ts";

/** Walk RSDP (0xE0000-0xFFFFF) -> RSDT -> "APIC" and return its local-APIC entries. */
function madtLocalApics(read: (addr: number, n: number) => Uint8Array): [number, number][] {
  const area = read(0xe0000, 0x20000);
  let rsdp = -1;
  for (let o = 0; o < area.length; o += 16) {
    if (new TextDecoder().decode(area.subarray(o, o + 8)) === "RSD PTR ") {
      rsdp = 0xe0000 + o;
      break;
    }
  }
  assert.ok(rsdp >= 0, "an RSDP");
  const u32 = (a: number): number => new DataView(read(a, 4).buffer).getUint32(0, true);
  const rsdt = u32(rsdp + 16);
  const n = (u32(rsdt + 4) - 36) / 4;
  for (let i = 0; i < n; i++) {
    const t = u32(rsdt + 36 + 4 * i);
    if (new TextDecoder().decode(read(t, 4)) !== "APIC") continue;
    const bytes = read(t, u32(t + 4));
    assert.equal(bytes.reduce((s, b) => (s + b) & 0xff, 0), 0, "MADT checksum");
    const out: [number, number][] = [];
    for (let o = 44; o < bytes.length; o += bytes[o + 1]) {
      if (bytes[o] === 0) out.push([bytes[o + 3], bytes[o + 4] & 1]);
    }
    return out;
  }
  throw new Error("no MADT");
}

for (const smp of [1, 2, 4, MAX_VCPUS]) {
  Deno.test(`acpi: with -smp ${smp} the MADT lists ${smp} enabled local APIC(s), IDs 0..${smp - 1}`, () => {
    const m = createMachine({ memoryMiB: 16, vmx: false, smp });
    const apics = madtLocalApics((a, n) => m.memory.readBytes(a, n));
    assert.deepEqual(apics, Array.from({ length: smp }, (_, i) => [i, 1]));
  });
}

Deno.test("acpi: the MADT's place in the table area holds the most vCPUs a machine may have", () => {
  assert.ok(MADT_MAX_CPUS >= MAX_VCPUS, `${MADT_MAX_CPUS} >= ${MAX_VCPUS}`);
});

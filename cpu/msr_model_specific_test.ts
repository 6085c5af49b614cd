import assert from "node:assert/strict";
import { exec64 } from "./testing.ts";
import { MICROCODE_REVISION } from "./msr.ts";

Deno.test("IA32_BIOS_SIGN_ID: WRMSR 0, CPUID.1, RDMSR gives the microcode revision in EDX (no #GP)", () => {
  const t = exec64(
    "b9 8b 00 00 00 31 c0 31 d2 0f 30 b8 01 00 00 00 0f a2 b9 8b 00 00 00 b8 ff ff ff ff ba ff ff ff ff 0f 32 f4", /* mov ecx, 0x8b; xor eax, eax; xor edx, edx; wrmsr; mov eax, 1; cpuid; mov ecx, 0x8b; mov eax, -1; mov edx, -1; rdmsr; hlt */
    (x) => {
      x.cpu.gpr[30] = 0xff; // would record a #GP vector
    },
  );
  assert.equal(t.cpu.gpr[30], 0xff, "no exception");
  assert.equal(t.cpu.gpr[0], 0, "EAX: bits 31:0 reserved, read as 0");
  assert.equal(t.cpu.gpr[4], MICROCODE_REVISION);
});

Deno.test("IA32_PLATFORM_ID: RDMSR reads platform 0; it is read-only (WRMSR #GP)", () => {
  let t = exec64(
    "b9 17 00 00 00 b8 ff ff ff ff ba ff ff ff ff 0f 32 f4", /* mov ecx, 0x17; mov eax, -1; mov edx, -1; rdmsr; hlt */
    (x) => {
      x.cpu.gpr[30] = 0xff;
    },
  );
  assert.equal(t.cpu.gpr[30], 0xff, "no exception");
  assert.deepEqual([t.cpu.gpr[0], t.cpu.gpr[4]], [0, 0]);
  t = exec64(
    "b9 17 00 00 00 31 c0 31 d2 0f 30 f4",
    /* mov ecx, 0x17; xor eax, eax; xor edx, edx; wrmsr; hlt */ (x) => {
      x.cpu.gpr[30] = 0xff;
    },
  );
  assert.equal(t.cpu.gpr[30], 13);
});

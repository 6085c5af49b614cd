import assert from "node:assert/strict";
import { exec32, gdtEntry, LAYOUT, type TestCpu } from "./testing.ts";
import type { VmExit } from "../core/vmexit.ts";

const TSS_B = 0x3200;
const TSS_C = 0x3400;

/** A 32-bit TSS with flat ring-0 segments. */
function writeTss(t: TestCpu, base: number, eip: number, esp: number, eax: number): void {
  for (let o = 0; o < 0x68; o += 4) t.mem.write32(base + o, 0);
  t.mem.write32(base + 0x20, eip);
  t.mem.write32(base + 0x24, 2);
  t.mem.write32(base + 0x28, eax);
  t.mem.write32(base + 0x38, esp);
  for (let s = 0; s < 6; s++) t.mem.write32(base + 0x48 + 4 * s, s === 1 ? 0x08 : 0x10);
}

Deno.test("CALL to a TSS switches tasks (back link, NT, busy, CR0.TS); IRET returns to the caller's task", () => {
  const t = exec32(
    // mov ebx, 5; call 0x58:0; hlt
    "bb 05 00 00 00 9a 00 00 00 00 58 00 f4",
    (x) => {
      gdtEntry(x.mem, 11, TSS_B, 0x67, 0x89, 0); // 0x58: available 32-bit TSS
      writeTss(x, TSS_B, 0x100900, 0x60000, 0x77);
      x.mem.writeBytes(0x100900, new Uint8Array([0x83, 0xc0, 0x01, 0xcf])); // add eax, 1; iretd
    },
  );
  assert.equal(t.cpu.seg[7].selector, 0x38); // back in the first task
  assert.equal(t.cpu.gpr[6], 5); // its EBX came back from its TSS
  assert.equal(t.cpu.rip, 0x10000d); // after the HLT that followed the CALL
  assert.equal(t.mem.read32(TSS_B + 0x28), 0x78); // task B's EAX saved at its IRET
  assert.equal(t.mem.read16(TSS_B), 0x38); // back link
  assert.equal(t.mem.read32(TSS_B + 0x24) & 0x4000, 0); // IRET saves B's EFLAGS with NT cleared (SDM 9.3)
  assert.equal((t.mem.read32(LAYOUT.gdt + 11 * 8 + 4) >> 8) & 0xf, 0x9); // B no longer busy
  assert.equal(t.cpu.cr0 & 8, 8); // CR0.TS
});

Deno.test("#DF through a task gate runs the handler task with error code 0 on its stack", () => {
  const t = exec32(
    // mov eax, [0]... cause #GP with the #GP gate not present: #NP while delivering #GP -> #DF.
    "8e 1d 00 00 20 00 f4", // mov ds, [0x200000] (selector 0x48 -> #GP)
    (x) => {
      x.mem.write16(0x200000, 0x48);
      x.mem.write32(LAYOUT.idt + 13 * 8 + 4, 0); // #GP gate not present
      gdtEntry(x.mem, 12, TSS_C, 0x67, 0x89, 0); // 0x60: TSS for #DF
      writeTss(x, TSS_C, 0x100a00, 0x61000, 0);
      x.mem.write32(LAYOUT.idt + 8 * 8, 0x00600000); // task gate -> TSS selector 0x60
      x.mem.write32(LAYOUT.idt + 8 * 8 + 4, 0x00008500);
      x.mem.writeBytes(0x100a00, new Uint8Array([0xbe, 0x08, 0, 0, 0, 0xf4])); // mov esi, 8; hlt
    },
  );
  assert.equal(t.cpu.seg[7].selector, 0x60);
  assert.equal(t.cpu.gpr[12], 8);
  assert.equal(t.cpu.gpr[8], 0x61000 - 4); // error code pushed on the new task's stack
  assert.equal(t.mem.read32(0x61000 - 4), 0);
  assert.equal(t.mem.read32(LAYOUT.tss + 0x20), 0x100000); // old task saved at the faulting MOV
});

Deno.test("in VMX non-root operation a task switch is offered as a task-switch exit after the TSS checks", () => {
  const seen: VmExit[] = [];
  const t = exec32(
    // mov ebx, 5; call 0x58:0; jmp 0x58:0; mov ecx, 7; hlt
    "bb 05 00 00 00 9a 00 00 00 00 58 00 ea 00 00 00 00 58 00 b9 07 00 00 00 f4",
    (x) => {
      gdtEntry(x.mem, 11, TSS_B, 0x67, 0x89, 0); // 0x58: available 32-bit TSS
      writeTss(x, TSS_B, 0x100900, 0x60000, 0x77);
      x.cpu.nonRoot = true;
      x.onExit = (e) => {
        if (e.kind !== "task-switch") return "pass";
        seen.push({ ...e });
        return "handled"; // a plugin completed it: no task switch here
      };
    },
  );
  assert.deepEqual(seen, [
    { kind: "task-switch", level: 2, instructionLength: 7, selector: 0x58, source: "call" },
    { kind: "task-switch", level: 2, instructionLength: 7, selector: 0x58, source: "jmp" },
  ]);
  assert.equal(t.cpu.seg[7].selector, 0x38, "still the first task");
  assert.equal(t.cpu.gpr[2], 7, "went on after both");
  assert.equal((t.mem.read32(LAYOUT.gdt + 11 * 8 + 4) >> 8) & 0xf, 0x9, "B not busy");
});

Deno.test("in VMX non-root operation a bad TSS faults before any task-switch exit", () => {
  let offered = 0;
  const t = exec32(
    "9a 00 00 00 00 58 00 f4", // call 0x58:0 with a TSS limit below 0x67: #TS
    (x) => {
      gdtEntry(x.mem, 11, TSS_B, 0x40, 0x89, 0);
      x.cpu.nonRoot = true;
      x.onExit = (e) => {
        if (e.kind === "task-switch") offered++;
        return "pass";
      };
    },
  );
  assert.equal(offered, 0);
  assert.equal(t.cpu.gpr[14], 10, "#TS (the stub puts the vector in EDI)");
});

import assert from "node:assert/strict";
import { exec64 } from "./testing.ts";
import { decodeBytes, DecodedInsn, mnemonic, Op } from "./decode/mod.ts";
import type { VmExit } from "../core/vmexit.ts";

// vmmcall; hlt
const VMMCALL_HLT = "0f 01 d9 f4";

Deno.test("VMMCALL decodes as 0F 01 D9 (3 bytes); with a mandatory prefix it is not VMMCALL", () => {
  const decoded = (hex: string): DecodedInsn => {
    const o = new DecodedInsn();
    decodeBytes(Uint8Array.fromHex(hex), 0, 64, o);
    return o;
  };
  const o = decoded("0f01d9");
  assert.equal(o.op, Op.VMMCALL);
  assert.equal(o.len, 3);
  assert.equal(mnemonic(o), "vmmcall");
  assert.notEqual(decoded("f30f01d9").op, Op.VMMCALL);
});

Deno.test("VMMCALL: #UD when no plugin takes the level-1 exit it offers", () => {
  const seen: string[] = [];
  const t = exec64(VMMCALL_HLT, (x) => {
    x.cpu.gpr[30] = 0xff;
    x.onExit = (e: VmExit) => {
      seen.push(`${e.kind}/L${e.level}/${e.instructionLength}`);
      return "pass";
    };
  });
  assert.equal(t.cpu.gpr[30], 6, "#UD delivered");
  assert.ok(seen.includes("vmmcall/L1/3"), seen.join(","));
});

Deno.test("VMMCALL: a plugin that takes the exit completes the instruction", () => {
  const t = exec64("b8 0a 00 00 00 " + VMMCALL_HLT, (x) => { // mov eax, 10; vmmcall; hlt
    x.cpu.gpr[30] = 0xff;
    x.onExit = (e: VmExit) => {
      if (e.kind !== "vmmcall") return "pass";
      x.cpu.gpr[0] = x.cpu.gpr[0] + 1; // a hypercall's result in RAX
      return "handled";
    };
  });
  assert.equal(t.cpu.gpr[30], 0xff, "no exception");
  assert.equal(t.cpu.gpr[0], 11);
});

Deno.test("VMMCALL in VMX non-root operation is #UD without an exit (no VMMCALL on Intel)", () => {
  const seen: string[] = [];
  const t = exec64(VMMCALL_HLT, (x) => {
    x.cpu.gpr[30] = 0xff;
    x.cpu.nonRoot = true;
    x.onExit = (e: VmExit) => {
      seen.push(e.kind);
      return e.kind === "vmmcall" ? "handled" : "pass";
    };
  });
  assert.equal(t.cpu.gpr[30], 6);
  assert.ok(!seen.includes("vmmcall"), seen.join(","));
});

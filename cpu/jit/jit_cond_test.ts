/**
 * Byte and word CMP followed by every Jcc, compiled and interpreted: the
 * compiler evaluates those conditions inline from the flag locals (operands
 * masked to the size); the state after the loop must be the interpreter's,
 * and the loop must have run compiled.
 */
import assert from "node:assert/strict";
import { enter64, installIdt, LAYOUT, load, makeCpu, type TestCpu } from "../testing.ts";
import { JitEngine } from "./mod.ts";

function hex(bytes: number[]): string {
  return bytes.map((b) => b.toString(16).padStart(2, "0")).join("");
}

function le32(v: number): number[] {
  return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
}

/**
 * mov ecx, 1000; xor edx, edx
 * L: mov eax, ecx; shl eax, 5; xor eax, ecx; mov ebx, eax; xor bl, cl (word: bh, cl)
 *    for each cc: rol edx, 1; cmp al, bl (ax, bx); jcc +6; add edx, imm32
 *    dec ecx; jnz L; hlt
 * BL = AL ^ CL (BX = AX ^ CL << 8) runs through equal operands, sign flips and carries as CL counts
 * down; the rotations keep a wrong outcome of one Jcc from cancelling one
 * of another in EDX.
 */
function program(word: boolean, ccs: number[]): string {
  const body: number[] = [0x89, 0xc8, 0xc1, 0xe0, 0x05, 0x31, 0xc8, 0x89, 0xc3];
  body.push(...(word ? [0x30, 0xcf] : [0x30, 0xcb]));
  for (const cc of ccs) {
    body.push(0xc1, 0xc2, 0x01);
    body.push(...(word ? [0x66, 0x39, 0xd8] : [0x38, 0xd8]));
    body.push(0x70 + cc, 6, 0x81, 0xc2, ...le32(0x01000193 * (cc + 1)));
  }
  body.push(0xff, 0xc9, 0x0f, 0x85, ...le32(-(body.length + 2 + 6) >>> 0));
  return hex([0xb9, ...le32(1000), 0x31, 0xd2, ...body, 0xf4]);
}

function run(code: string, jit: boolean): TestCpu {
  const t = makeCpu(8);
  enter64(t);
  installIdt(t, true);
  load(t, code);
  if (jit) t.cpu.jit = new JitEngine(2);
  t.cpu.run(t.cpu.retired + 1_000_000);
  return t;
}

function state(t: TestCpu): unknown {
  const c = t.cpu;
  const stack: number[] = [];
  for (let k = 0; k < 64; k++) stack.push(t.mem.read8(LAYOUT.stack - 64 + k));
  return { gpr: [...c.gpr], rflags: c.rflags, rip: c.rip, retired: c.retired, stack };
}

for (const word of [false, true]) {
  for (const ccs of [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11], [12, 13, 14, 15]]) {
    Deno.test(`jit: ${word ? "word" : "byte"} CMP then J${ccs.join("/")} as interpreted`, () => {
      const code = program(word, ccs);
      const a = run(code, false);
      const b = run(code, true);
      assert.equal(a.cpu.gpr[2], 0, "the loop ran to its end");
      assert.deepEqual(state(b), state(a));
      assert.ok(b.cpu.jit!.compiledRetired > 10_000, "the loop ran compiled");
    });
  }
}

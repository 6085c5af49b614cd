/**
 * Handler selection for the register forms that have generated handlers
 * (tools/hot_ops/spec.ts): each described form gets its handler, every
 * other form (other sizes, memory operands, operations without one) the
 * general handler.
 */
import assert from "node:assert/strict";
import { decodeBytes } from "./decode/mod.ts";
import { type Handler, Insn, prepare } from "./icache.ts";
import { hotId } from "./hot_table.ts";
import * as A from "./exec_alu.ts";
import * as F from "./hot_alu.ts";
import * as H from "./hot_mov_shift_jcc.ts";
import {
  AMD_ZEN,
  INTEL_CORE2,
  INTEL_NETBURST,
  INTEL_P6,
  type VendorFlags,
} from "./alu/vendor_flags.ts";

function handlerOf(bytes: number[], bits: 32 | 64 = 64, v: VendorFlags = AMD_ZEN): Handler {
  const i = new Insn();
  decodeBytes(new Uint8Array(bytes), 0, bits, i);
  prepare(i, bits, v);
  assert.equal(i.len, bytes.length, `decoded ${bytes.map((b) => b.toString(16))} whole`);
  return i.h;
}

const IMM32 = [0x78, 0x56, 0x34, 0x12];

Deno.test("dispatch: INC/DEC of a 32/64-bit register get the generated handlers, other forms the general one", () => {
  const cases: [number[], Handler][] = [
    [[0xff, 0xc1], F.incR32], // inc ecx
    [[0xff, 0xc9], F.decR32], // dec ecx
    [[0x48, 0xff, 0xc1], F.incR64], // inc rcx
    [[0x49, 0xff, 0xc8], F.decR64], // dec r8
    [[0x66, 0xff, 0xc1], A.unary], // inc cx
    [[0xfe, 0xc1], A.unary], // inc cl
    [[0xff, 0x01], A.unary], // inc dword [rcx]
    [[0xf7, 0xd1], A.unary], // not ecx
    [[0x48, 0xf7, 0xd9], A.unary], // neg rcx
  ];
  for (const [bytes, h] of cases) assert.equal(handlerOf(bytes).name, h.name, `${bytes}`);
  assert.equal(handlerOf([0x41], 32), F.incR32, "inc ecx (0x41) in 32-bit code");
  assert.equal(handlerOf([0x49], 32), F.decR32, "dec ecx (0x49) in 32-bit code");
});

Deno.test("dispatch: TEST register forms get the generated handlers where described", () => {
  const cases: [number[], Handler][] = [
    [[0x85, 0xc8], F.testRR32], // test eax, ecx
    [[0x48, 0x85, 0xc8], F.testRR64], // test rax, rcx
    [[0xf7, 0xc1, ...IMM32], F.testRI32], // test ecx, imm32
    [[0xf6, 0xc1, 0x05], F.testRI8], // test cl, 5
    [[0xf6, 0xc4, 0x05], F.testRI8], // test ah, 5
    [[0x48, 0xf7, 0xc1, ...IMM32], A.test], // test rcx, imm32: no generated form
    [[0x66, 0x85, 0xc8], A.test], // test ax, cx
    [[0x84, 0xc8], A.test], // test al, cl: no generated form
    [[0x85, 0x08], A.test], // test [rax], ecx
    [[0xf6, 0x01, 0x05], A.test], // test byte [rcx], 5
  ];
  for (const [bytes, h] of cases) assert.equal(handlerOf(bytes).name, h.name, `${bytes}`);
});

Deno.test("dispatch: two-operand ALU register forms get the generated handlers, ADC/SBB the general one", () => {
  const cases: [number[], Handler][] = [
    [[0x01, 0xc8], F.addRR32], // add eax, ecx
    [[0x48, 0x29, 0xc8], F.subRR64], // sub rax, rcx
    [[0x83, 0xf1, 0x05], F.xorRI32], // xor ecx, 5
    [[0x48, 0x81, 0xf9, ...IMM32], F.cmpRI64], // cmp rcx, imm32
    [[0x11, 0xc8], A.aluRegDst], // adc eax, ecx
    [[0x66, 0x01, 0xc8], A.aluRegDst], // add ax, cx
  ];
  for (const [bytes, h] of cases) assert.equal(handlerOf(bytes).name, h.name, `${bytes}`);
});

Deno.test("dispatch: every generated handler is hot (has a run-loop id)", () => {
  for (const h of F.GENERATED_HANDLERS) assert.ok(hotId(h) > 0, h.name);
});

Deno.test("dispatch: the vendor profile picks the hot shift and IMUL handlers, the same for the ALU ops", () => {
  const shl = [0xc1, 0xe1, 0x03]; // shl ecx, 3
  const ror = [0x48, 0xc1, 0xc9, 0x07]; // ror rcx, 7
  const rcl = [0xc1, 0xd1, 0x03]; // rcl ecx, 3: never hot
  const imul = [0x0f, 0xaf, 0xc8]; // imul ecx, eax
  const add = [0x01, 0xc8]; // add eax, ecx
  const rows: [VendorFlags, Handler, Handler, Handler][] = [
    [AMD_ZEN, H.shiftR32I, H.shiftR64I, H.imulR],
    [INTEL_P6, H.shiftR32IKeep, H.shiftR64IKeep, H.imulR],
    [INTEL_CORE2, H.shiftR32IKeep, H.shiftR64IKeep, H.imulR],
    // NetBurst clears AF after shifts and sets SF/ZF/PF after IMUL: the
    // general handlers, through the ALU's profile.
    [INTEL_NETBURST, A.shift, A.shift, A.imul2],
  ];
  for (const [v, s32, s64, im] of rows) {
    assert.equal(handlerOf(shl, 64, v), s32, `${v.name} shl`);
    assert.equal(handlerOf(ror, 64, v), s64, `${v.name} ror`);
    assert.equal(handlerOf(rcl, 64, v), A.shift, `${v.name} rcl`);
    assert.equal(handlerOf(imul, 64, v), im, `${v.name} imul`);
    assert.equal(handlerOf(add, 64, v), F.addRR32, `${v.name} add`);
  }
  assert.ok(hotId(H.shiftR32IKeep) > 0 && hotId(H.shiftR64IKeep) > 0, "the Intel forms are hot");
});

import assert from "node:assert/strict";
import { decode, decodeBytes } from "./decode.ts";
import { describe, mnemonic, OP_NAMES } from "./describe.ts";
import { DecodedInsn, type DecodeMode, Op, Rep } from "./types.ts";

const o = new DecodedInsn();

function d(mode: DecodeMode, ...bytes: number[]): DecodedInsn {
  decodeBytes(new Uint8Array(bytes), 0, mode, o);
  return o;
}

Deno.test("op names cover every op id", () => {
  assert.equal(OP_NAMES.length, Op.COUNT);
  assert.equal(OP_NAMES[Op.ADD_EbGb], "add");
  assert.equal(OP_NAMES[Op.VMWRITE], "vmwrite");
});

Deno.test("prefixes in any order, repeated, last F2/F3 and segment win", () => {
  for (const b of [[0x66, 0xf3, 0x0f, 0xb8, 0xc1], [0xf3, 0x66, 0x0f, 0xb8, 0xc1]]) {
    d(64, ...b);
    assert.equal(o.op, Op.POPCNT);
    assert.equal(o.opSize, 16);
    assert.equal(o.len, 5);
  }
  d(32, 0xf3, 0xf2, 0xa4);
  assert.equal(o.op, Op.MOVSB);
  assert.equal(o.rep, Rep.REPNE);
  d(32, 0x26, 0x3e, 0x8b, 0x00);
  assert.equal(o.segOverride, 3);
  assert.equal(o.seg, 3);
  d(32, 0x66, 0x66, 0x66, 0x89, 0xc0);
  assert.equal(o.opSize, 16);
  assert.equal(o.len, 5);
});

Deno.test("64-bit mode: ES/CS/SS/DS overrides are ignored, FS/GS are not", () => {
  d(64, 0x64, 0x26, 0x8b, 0x00); // fs es mov eax,[rax]
  assert.equal(o.segOverride, 4);
  assert.equal(o.seg, 4);
  d(64, 0x26, 0x8b, 0x00);
  assert.equal(o.segOverride, 0);
  assert.equal(o.seg, 3);
  d(64, 0x36, 0x8b, 0x00);
  assert.equal(o.seg, 3);
  d(32, 0x36, 0x8b, 0x00);
  assert.equal(o.seg, 2);
});

Deno.test("REX counts only immediately before the opcode", () => {
  d(64, 0x48, 0x66, 0x89, 0xc0); // REX then 66: REX ignored
  assert.equal(o.rex, 0);
  assert.equal(o.opSize, 16);
  d(64, 0x66, 0x48, 0x89, 0xc0);
  assert.equal(o.rex, 0x48);
  assert.equal(o.opSize, 64);
  d(64, 0x41, 0x48, 0x89, 0xc0); // two REX: the last one
  assert.equal(o.rex, 0x48);
  assert.equal(o.rm, 0);
  d(32, 0x40); // INC EAX outside 64-bit mode
  assert.equal(o.op, Op.INC_Ev);
  assert.equal(o.rm, 0);
  assert.equal(o.len, 1);
});

Deno.test("byte registers: AH..BH without REX, SPL..DIL with REX", () => {
  d(64, 0x88, 0xe0); // mov al, ah
  assert.equal(o.op, Op.MOV_EbGb);
  assert.equal(o.reg8, 16);
  assert.equal(o.rm8, 0);
  d(64, 0x40, 0x88, 0xe0); // mov al, spl
  assert.equal(o.reg8, 4);
  d(64, 0x45, 0x88, 0xe0); // mov r8b, r12b
  assert.equal(o.reg8, 12);
  assert.equal(o.rm8, 8);
  d(32, 0xb7, 0x12); // mov bh, 0x12
  assert.equal(o.op, Op.MOV_EbIb);
  assert.equal(o.rm8, 19);
  assert.equal(o.imm & 0xff, 0x12);
});

Deno.test("16-bit addressing modes (SDM Table 2-1)", () => {
  const want: [number, number, number][] = [ // rm -> base, index, default segment
    [3, 6, 3],
    [3, 7, 3],
    [5, 6, 2],
    [5, 7, 2],
    [6, -1, 3],
    [7, -1, 3],
    [5, -1, 2],
    [3, -1, 3],
  ];
  for (let rm = 0; rm < 8; rm++) {
    d(16, 0x8b, 0x40 | rm, 0xfe); // mod 1, disp8 = -2
    assert.equal(o.isMem, 1);
    assert.deepEqual([o.base, o.index, o.defaultSeg], want[rm], `rm ${rm}`);
    assert.equal(o.disp, -2);
    assert.equal(o.len, 3);
  }
  d(16, 0x8b, 0x06, 0x34, 0x12); // [disp16]
  assert.deepEqual([o.base, o.index, o.disp, o.defaultSeg, o.len], [-1, -1, 0x1234, 3, 4]);
  d(16, 0x8b, 0x86, 0x00, 0x80); // [bp + 0x8000] -> disp sign-extended
  assert.equal(o.disp, -0x8000);
  d(32, 0x67, 0x8b, 0x46, 0x02); // 67 in 32-bit mode selects 16-bit addressing
  assert.equal(o.addrSize, 16);
  assert.equal(o.base, 5);
  d(16, 0x67, 0x8b, 0x04, 0x24); // 67 in 16-bit mode: 32-bit addressing with SIB
  assert.equal(o.addrSize, 32);
  assert.equal(o.base, 4);
  assert.equal(o.defaultSeg, 2);
});

Deno.test("SIB forms and RIP-relative addressing", () => {
  d(64, 0x8b, 0x05, 0x10, 0, 0, 0); // mov eax, [rip+0x10]
  assert.equal(o.ripRel, 1);
  assert.equal(o.base, -1);
  assert.equal(o.disp, 0x10);
  assert.equal(o.len, 6);
  d(32, 0x8b, 0x05, 0x10, 0, 0, 0); // absolute disp32 outside 64-bit mode
  assert.equal(o.ripRel, 0);
  d(64, 0x8b, 0x04, 0x25, 0x10, 0, 0, 0); // SIB no base no index: absolute, not RIP-relative
  assert.deepEqual([o.ripRel, o.base, o.index, o.disp], [0, -1, -1, 0x10]);
  d(64, 0x4b, 0x8b, 0x44, 0xe5, 0x08); // mov rax, [r13 + r12*8 + 8]
  assert.deepEqual([o.base, o.index, o.scale, o.disp, o.defaultSeg], [13, 12, 3, 8, 3]);
  d(64, 0x41, 0x8b, 0x45, 0x00); // [r13+0] needs a disp8; DS, not SS
  assert.deepEqual([o.base, o.defaultSeg, o.len], [13, 3, 4]);
  d(64, 0x8b, 0x44, 0x24, 0xf8); // [rsp-8]: SS
  assert.deepEqual([o.base, o.index, o.disp, o.defaultSeg], [4, -1, -8, 2]);
  d(64, 0x67, 0x8b, 0x05, 0, 0, 0, 0); // eip-relative
  assert.equal(o.ripRel, 1);
  assert.equal(o.addrSize, 32);
});

Deno.test("15-byte limit is #GP, and no byte past it is fetched", () => {
  const ok = [...Array(14).fill(0x66), 0x90];
  d(64, ...ok);
  assert.equal(o.op, Op.NOP);
  assert.equal(o.len, 15);
  const seen: number[] = [];
  const long = [...Array(15).fill(0x2e), 0x90, 0x90];
  decode(
    (i) => {
      seen.push(i);
      return long[i];
    },
    32,
    o,
  );
  assert.equal(o.op, Op.TOO_LONG);
  assert.equal(o.len, 15);
  assert.ok(Math.max(...seen) <= 14);
  d(64, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x48, 0xb8, 1, 2, 3, 4, 5);
  assert.equal(o.op, Op.TOO_LONG);
});

Deno.test("LOCK only on lockable ops with a memory destination", () => {
  assert.equal(d(32, 0xf0, 0x01, 0x00).op, Op.ADD_EvGv);
  assert.equal(o.lock, 1);
  assert.equal(d(32, 0xf0, 0x01, 0xc0).op, Op.INVALID); // register destination
  assert.equal(d(32, 0xf0, 0x8b, 0x00).op, Op.INVALID); // MOV
  assert.equal(d(32, 0xf0, 0x39, 0x00).op, Op.INVALID); // CMP
  assert.equal(d(32, 0xf0, 0x0f, 0xc7, 0x08).op, Op.CMPXCHG8B);
  assert.equal(d(64, 0xf0, 0x48, 0x0f, 0xc7, 0x08).op, Op.CMPXCHG8B);
  assert.equal(o.opSize, 64); // CMPXCHG16B
  assert.equal(d(32, 0xf0, 0x90).op, Op.INVALID);
  assert.equal(d(32, 0xf0, 0x0f, 0xba, 0x28, 3).op, Op.BTS_EvIb);
  assert.equal(d(32, 0xf0, 0x0f, 0xba, 0x20, 3).op, Op.INVALID); // BT
  assert.equal(d(32, 0xf0, 0x0f, 0x22, 0xc0).op, Op.INVALID); // LOCK MOV CR0 (AMD CR8 alias)
  assert.equal(d(32, 0xf0, 0x87, 0x03).op, Op.XCHG_EvGv);
});

Deno.test("moffs forms carry an address-size offset", () => {
  d(64, 0xa1, 1, 2, 3, 4, 5, 6, 7, 8);
  assert.deepEqual([o.op, o.len, o.isMem, o.base, o.index, o.disp >>> 0, o.dispHi], [
    Op.MOV_GvEv,
    9,
    1,
    -1,
    -1,
    0x04030201,
    0x08070605,
  ]);
  d(64, 0x67, 0xa2, 1, 2, 3, 4); // mov [0x04030201], al
  assert.deepEqual([o.op, o.len, o.disp], [Op.MOV_EbGb, 6, 0x04030201]);
  d(16, 0xa3, 0x34, 0x12);
  assert.deepEqual([o.op, o.len, o.disp, o.reg], [Op.MOV_EvGv, 3, 0x1234, 0]);
});

Deno.test("MOV CR/DR: mod ignored, 66 ignored, only existing registers", () => {
  d(32, 0x66, 0x0f, 0x22, 0xd8); // mov cr3, eax
  assert.deepEqual([o.op, o.reg, o.rm, o.opSize, o.isMem], [Op.MOV_CdRd, 3, 0, 32, 0]);
  d(64, 0x0f, 0x20, 0x18); // mod=0 still a register: mov rax, cr3
  assert.deepEqual([o.op, o.reg, o.rm, o.opSize, o.len], [Op.MOV_RdCd, 3, 0, 64, 3]);
  assert.equal(d(64, 0x44, 0x0f, 0x20, 0xc0).reg, 8); // cr8
  assert.equal(d(64, 0x0f, 0x20, 0xc8).op, Op.INVALID); // cr1
  assert.equal(d(64, 0x0f, 0x22, 0xe8).op, Op.INVALID); // cr5
  assert.equal(d(64, 0x0f, 0x23, 0xf8).op, Op.MOV_DdRd); // dr7
  assert.equal(d(64, 0x44, 0x0f, 0x23, 0xc0).op, Op.INVALID); // dr8
});

Deno.test("64-bit mode invalid opcodes and REX bytes", () => {
  for (const b of [0x06, 0x07, 0x0e, 0x16, 0x1f, 0x27, 0x2f, 0x37, 0x3f, 0x60, 0x61, 0xce, 0xd4]) {
    assert.equal(d(64, b, 0, 0, 0, 0, 0, 0).op, Op.INVALID, b.toString(16));
    assert.notEqual(d(32, b, 0, 0, 0, 0, 0, 0).op, Op.INVALID, b.toString(16));
  }
  assert.equal(d(64, 0x9a, 0, 0, 0, 0, 0, 0).op, Op.INVALID);
  assert.equal(d(64, 0xea, 0, 0, 0, 0, 0, 0).op, Op.INVALID);
  assert.equal(d(64, 0x82, 0xc0, 1).op, Op.INVALID);
  assert.equal(d(32, 0x82, 0xc0, 1).op, Op.ADD_EbIb);
  assert.equal(d(64, 0x63, 0xc1).op, Op.MOVSXD);
  assert.equal(d(32, 0x63, 0xc1).op, Op.ARPL);
  assert.equal(d(64, 0x0f, 0x01, 0xf8).op, Op.SWAPGS);
  assert.equal(d(32, 0x0f, 0x01, 0xf8).op, Op.INVALID);
  assert.equal(d(32, 0xf3, 0x0f, 0xae, 0xc0).op, Op.INVALID); // RDFSBASE is 64-bit only
  assert.equal(d(64, 0xf3, 0x48, 0x0f, 0xae, 0xc0).op, Op.RDFSBASE);
  assert.equal(o.opSize, 64);
});

Deno.test("immediates and branch displacements", () => {
  d(64, 0x48, 0xb8, 1, 2, 3, 4, 5, 6, 7, 8);
  assert.deepEqual([o.op, o.imm, o.immHi, o.len], [Op.MOV_EvIv, 0x04030201, 0x08070605, 10]);
  d(64, 0x48, 0xc7, 0xc0, 0xff, 0xff, 0xff, 0xff);
  assert.deepEqual([o.op, o.imm, o.immHi], [Op.MOV_EvIv, 0xffffffff, 0xffffffff]);
  d(64, 0x48, 0x83, 0xc0, 0x80); // add rax, -128
  assert.deepEqual([o.op, o.imm, o.immHi], [Op.ADD_EvIz, 0xffffff80, 0xffffffff]);
  d(32, 0xc8, 0x10, 0x00, 0x01);
  assert.deepEqual([o.op, o.imm, o.imm2, o.len], [Op.ENTER, 16, 1, 4]);
  d(32, 0xea, 0x78, 0x56, 0x34, 0x12, 0x00, 0x10);
  assert.deepEqual([o.op, o.imm, o.imm2, o.len], [Op.JMPF_A, 0x12345678, 0x1000, 7]);
  d(16, 0xea, 0x34, 0x12, 0x00, 0xf0);
  assert.deepEqual([o.imm, o.imm2, o.len], [0x1234, 0xf000, 5]);
  d(64, 0x0f, 0x84, 0xfc, 0xff, 0xff, 0xff);
  assert.deepEqual([o.op, o.cc, o.rel, o.len], [Op.JCC, 4, -4, 6]);
  d(64, 0x66, 0xe9, 1, 0, 0, 0); // Intel: 66 ignored for near branches in 64-bit mode
  assert.deepEqual([o.op, o.opSize, o.rel, o.len], [Op.JMP_REL, 64, 1, 6]);
  d(32, 0x66, 0xe9, 1, 0); // rel16 with 66 outside 64-bit mode
  assert.deepEqual([o.opSize, o.rel, o.len], [16, 1, 4]);
  d(32, 0xd1, 0xe0); // shl eax, 1
  assert.deepEqual([o.op, o.imm], [Op.SHL_EvI, 1]);
  d(32, 0xc0, 0xf0, 3); // /6 (SAL) is SHL
  assert.equal(o.op, Op.SHL_EbI);
  d(32, 0xe4, 0x80); // in al, 0x80 : unsigned port
  assert.deepEqual([o.op, o.imm], [Op.INB_I, 0x80]);
  d(64, 0x6a, 0xff);
  assert.deepEqual([o.op, o.opSize, o.imm, o.immHi], [Op.PUSH_I, 64, 0xffffffff, 0xffffffff]);
});

Deno.test("default and forced 64-bit operand sizes", () => {
  assert.equal(d(64, 0x50).opSize, 64);
  assert.equal(d(64, 0x66, 0x50).opSize, 16);
  assert.equal(d(64, 0xff, 0xd0).opSize, 64); // call rax
  assert.equal(d(64, 0x66, 0xff, 0xd0).opSize, 64); // 66 ignored (Intel)
  assert.equal(d(64, 0xff, 0x18).opSize, 32); // call far m16:32
  assert.equal(d(64, 0x48, 0xff, 0x18).opSize, 64);
  assert.equal(d(64, 0x0f, 0x78, 0xc8).opSize, 64); // vmread rax, rcx
  assert.equal(d(32, 0x66, 0x0f, 0x78, 0xc8).op, Op.INVALID);
  assert.equal(d(64, 0xcf).opSize, 32); // iretd
  assert.equal(d(64, 0x48, 0xcf).opSize, 64);
});

Deno.test("system and VMX encodings", () => {
  const cases: [DecodeMode, number[], number][] = [
    [64, [0xf3, 0x0f, 0xc7, 0x30], Op.VMXON],
    [64, [0x66, 0x0f, 0xc7, 0x30], Op.VMCLEAR],
    [64, [0x0f, 0xc7, 0x30], Op.VMPTRLD],
    [64, [0x0f, 0xc7, 0x38], Op.VMPTRST],
    [64, [0x0f, 0xc7, 0xf0], Op.RDRAND],
    [64, [0x0f, 0xc7, 0xf8], Op.RDSEED],
    [64, [0x0f, 0x01, 0xc1], Op.VMCALL],
    [64, [0x0f, 0x01, 0xc2], Op.VMLAUNCH],
    [64, [0x0f, 0x01, 0xc3], Op.VMRESUME],
    [64, [0x0f, 0x01, 0xc4], Op.VMXOFF],
    [64, [0x0f, 0x01, 0xd4], Op.VMFUNC],
    [64, [0x66, 0x0f, 0x38, 0x80, 0x08], Op.INVEPT],
    [64, [0x66, 0x0f, 0x38, 0x81, 0x08], Op.INVVPID],
    [64, [0x66, 0x0f, 0x38, 0x82, 0x08], Op.INVPCID],
    [64, [0x66, 0x0f, 0x38, 0x80, 0xc8], Op.INVALID], // register operand
    [64, [0x0f, 0x38, 0x80, 0x08], Op.INVALID], // missing 66
    [64, [0x0f, 0x79, 0xc1], Op.VMWRITE],
    [64, [0x0f, 0x01, 0xf9], Op.RDTSCP],
    [64, [0x0f, 0x01, 0xd0], Op.XGETBV],
    [64, [0x0f, 0x01, 0xc8], Op.MONITOR],
    [64, [0x0f, 0x01, 0x38], Op.INVLPG],
    [64, [0x0f, 0x01, 0x10], Op.LGDT],
    [64, [0x0f, 0x01, 0xf0], Op.LMSW],
    [64, [0x0f, 0x00, 0x18], Op.LTR],
    [64, [0xf3, 0x0f, 0x1e, 0xfa], Op.ENDBR64],
    [32, [0xf3, 0x0f, 0x1e, 0xfb], Op.ENDBR32],
    [64, [0x0f, 0x1f, 0x44, 0x00, 0x00], Op.NOP],
    [64, [0xf3, 0x90], Op.PAUSE],
    [64, [0x41, 0x90], Op.XCHG_EvGv],
    [64, [0xf3, 0x0f, 0xbc, 0xc1], Op.TZCNT],
    [64, [0x0f, 0xbc, 0xc1], Op.BSF],
    [64, [0xf3, 0x0f, 0xbd, 0xc1], Op.LZCNT],
    [64, [0x0f, 0x0b], Op.UD],
    [64, [0x0f, 0x05], Op.SYSCALL],
    [32, [0x0f, 0x34], Op.SYSENTER],
    [32, [0x0f, 0xa2], Op.CPUID],
    [64, [0x0f, 0xae, 0xf0], Op.FENCE],
    [32, [0xd9, 0xc0], Op.X87],
    [64, [0x66, 0x0f, 0xef, 0xc0], Op.SSE],
    [64, [0xc5, 0xf8, 0x77], Op.VEX],
    [32, [0xc5, 0xf8, 0x77], Op.VEX],
    [32, [0xc5, 0x00], Op.LOAD_FAR], // LDS in 32-bit mode when mod != 3
    [32, [0x8e, 0xc8], Op.INVALID], // mov cs, ax
    [32, [0x8c, 0xf0], Op.INVALID], // sreg 6
    [32, [0x8d, 0xc0], Op.INVALID], // lea with a register
    [32, [0xff, 0xd8], Op.INVALID], // call far with a register
    [32, [0xd6], Op.SALC],
    [16, [0xd6], Op.SALC],
    [64, [0xd6], Op.INVALID], // SALC is #UD in 64-bit mode
  ];
  for (const [mode, bytes, op] of cases) {
    d(mode, ...bytes);
    assert.equal(o.op, op, `${bytes.map((b) => b.toString(16)).join(" ")}: ${describe(o)}`);
    if (op !== Op.INVALID) assert.equal(o.len, bytes.length, describe(o));
  }
});

Deno.test("bytes may come from a fetch callback across a page end", () => {
  const all = [0x48, 0x8b, 0x84, 0x24, 0x00, 0x01, 0x00, 0x00]; // mov rax, [rsp+0x100]
  const page = new Uint8Array(all.slice(0, 3));
  const asked: number[] = [];
  decodeBytes(page, 0, 64, o, (i) => {
    asked.push(i);
    return all[i];
  });
  assert.deepEqual([o.op, o.len, o.base, o.disp], [Op.MOV_GvEv, 8, 4, 0x100]);
  assert.deepEqual(asked, [3, 4, 5, 6, 7]); // each byte once, in order, none past the end
  decodeBytes(page, 0, 64, o);
  assert.equal(o.op, Op.TRUNCATED);
  decodeBytes(new Uint8Array([0, 0, 0x90]), 2, 64, o); // offset into a buffer
  assert.deepEqual([o.op, o.len], [Op.NOP, 1]);
});

Deno.test("describe renders a readable line", () => {
  d(64, 0x64, 0x48, 0x8b, 0x44, 0x9e, 0x10);
  assert.equal(mnemonic(o), "mov");
  assert.equal(describe(o), "mov fs:[rsi+rbx*4+0x10], rax (6 bytes)");
  d(64, 0xf3, 0x48, 0xa5);
  assert.equal(describe(o), "rep movsq (3 bytes)");
  d(64, 0x0f, 0x85, 0x10, 0, 0, 0);
  assert.equal(describe(o), "jne $+22 (6 bytes)");
});

Deno.test("a reused object carries no stale state", () => {
  d(64, 0x64, 0xf0, 0x48, 0x81, 0x44, 0x9e, 0x10, 1, 2, 3, 4);
  d(64, 0x90);
  assert.deepEqual(
    [o.op, o.lock, o.rex, o.segOverride, o.isMem, o.imm, o.disp, o.base, o.hasModrm],
    [Op.NOP, 0, 0, -1, 0, 0, 0, -1, 0],
  );
});

Deno.test("property: any bytes decode to a well-formed result, never a host error", async () => {
  const fc = (await import("fast-check")).default;
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 0, maxLength: 20 }),
      fc.constantFrom(16, 32, 64),
      fc.boolean(),
      (bytes: Uint8Array, mode: number, viaFetch: boolean) => {
        const m = mode as DecodeMode;
        if (viaFetch) {
          const padded = new Uint8Array(16);
          padded.set(bytes.subarray(0, 16));
          decode((i) => padded[i], m, o);
        } else decodeBytes(bytes, 0, m, o);
        assert.ok(o.op >= 0 && o.op < Op.COUNT);
        assert.ok(o.len >= 0 && o.len <= 15);
        if (o.op === Op.TRUNCATED) {
          assert.ok(!viaFetch && bytes.length < 15);
          return;
        }
        assert.ok(o.len >= 1);
        if (!viaFetch) assert.ok(o.len <= bytes.length);
        assert.ok(o.reg >= 0 && o.reg < 16 && o.rm >= 0 && o.rm < 16);
        assert.ok(o.reg8 >= 0 && o.reg8 < 20 && o.rm8 >= 0 && o.rm8 < 20);
        assert.ok(o.base >= -1 && o.base < 16 && o.index >= -1 && o.index < 16);
        assert.ok(o.seg >= 0 && o.seg < 6);
        assert.ok(o.imm >= 0 && o.imm <= 0xffffffff && o.immHi >= 0 && o.immHi <= 0xffffffff);
        assert.ok([16, 32, 64].includes(o.opSize) && [16, 32, 64].includes(o.addrSize));
        if (o.op !== Op.INVALID && o.op !== Op.TOO_LONG) {
          // the same bytes decode the same way again, also through a fetch callback
          const len = o.len, op = o.op;
          decode((i) => bytes[i], m, o);
          assert.deepEqual([o.op, o.len], [op, len]);
        }
      },
    ),
    { seed: 1234, numRuns: 20000 },
  );
});

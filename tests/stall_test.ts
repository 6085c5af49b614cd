/**
 * Stalls (`core/stall.ts`): WBINVD, INVD, PAUSE, the serializing
 * instructions (CPUID, IRET, MOV to CR0/CR3/CR4 or DRn, LGDT, LIDT, LLDT,
 * INVLPG, WRMSR) and port I/O cost a fixed virtual time on top of its 1 ns, the machine's
 * clock and timers see it, a snapshot keeps it, and both engines charge the
 * same.
 */
import assert from "node:assert/strict";
import { bootFlat, createMachine } from "../plugins/machine_builder.ts";
import { type PcMachine, restorePcMachine } from "../plugins/pc_machine.ts";
import { pcBoard } from "../devices/board_pc.ts";
import { CACHE_FLUSH_NS, PAUSE_NS, PORT_IO_NS, SERIALIZING_NS } from "../core/stall.ts";
import type { EngineKind } from "../plugins/pc_machine.ts";
import type { Plugin } from "../core/plugin.ts";

const BASE = 0x100000;

/** Instructions per iteration of {@link flushLoop}: the flush, mov, 8 * 3 inner, dec, jnz. */
const PER_ITERATION = 1 + 1 + 8 * 3 + 2;

/** The stall of the OUT to isa-debug-exit that ends {@link flushLoop}: a port access. */
const FINAL_OUT = PORT_IO_NS;

/**
 * mov ecx,N; L: wbinvd; mov edx,8; M: add eax,1; dec edx; jnz M; dec ecx;
 * jnz L; mov al,0; out 0xf4,al; hlt (`insn`, two bytes, replaces WBINVD).
 * The inner loop is for the block compiler.
 */
function flushLoop(n: number, insn: readonly [number, number] = [0x0f, 0x09]): Uint8Array {
  // deno-fmt-ignore
  return new Uint8Array([
    0xb9, n & 0xff, (n >> 8) & 0xff, 0, 0, // mov ecx,n
    insn[0], insn[1], //                      L: wbinvd
    0xba, 8, 0, 0, 0, //                      mov edx,8
    0x83, 0xc0, 0x01, //                      M: add eax,1
    0x4a, //                                  dec edx
    0x75, 0xfa, //                            jnz M
    0x49, //                                  dec ecx
    0x75, 0xf0, //                            jnz L
    0xb0, 0x00, 0xe6, 0xf4, //                mov al,0; out 0xf4,al
    0xf4, //                                  hlt
  ]);
}

function boot(code: Uint8Array, engine: EngineKind = "interp"): PcMachine {
  // A low compile threshold: the short loops here run compiled.
  const m = createMachine({ memoryMiB: 16, vmx: false, engine, jitHot: 2 });
  bootFlat(m, [{ addr: BASE, data: code }], BASE, "protected32");
  return m;
}

const STALLS = [
  ["WBINVD", [0x0f, 0x09], CACHE_FLUSH_NS],
  ["INVD", [0x0f, 0x08], CACHE_FLUSH_NS],
  ["PAUSE", [0xf3, 0x90], PAUSE_NS],
  ["IN AL,0x80", [0xe4, 0x80], PORT_IO_NS],
  ["OUT 0x80,AL", [0xe6, 0x80], PORT_IO_NS],
] as const;

for (const [name, insn, cost] of STALLS) {
  Deno.test(`stall: each ${name} advances virtual time by its stall (${cost} ns) beyond its instruction`, () => {
    const m = boot(flushLoop(5, insn));
    const r = m.run({ maxInstructions: 1000 });
    assert.deepEqual(r.reason, { kind: "exit", status: 1 });
    // mov, the iterations, mov and out.
    assert.equal(r.totalInstructions, 1 + 5 * PER_ITERATION + 2);
    assert.equal(m.idleNs, 5 * cost + FINAL_OUT, "no halt: all the extra time is the stalls'");
    assert.equal(r.virtualNs, r.totalInstructions + 5 * cost + FINAL_OUT);
    m.dispose();
  });
}

Deno.test("stall: each CPUID the CPU answers takes SERIALIZING_NS beyond its instruction", () => {
  // deno-fmt-ignore
  const code = new Uint8Array([
    0xbe, 5, 0, 0, 0, //          mov esi,5
    0xb8, 0, 0, 0, 0, //          L: mov eax,0
    0x0f, 0xa2, //                cpuid
    0x4e, //                      dec esi
    0x75, 0xf6, //                jnz L
    0xb0, 0x00, 0xe6, 0xf4, //    mov al,0; out 0xf4,al
    0xf4, //                      hlt
  ]);
  for (const engine of ["interp", "jit"] as const) {
    const m = boot(code, engine);
    const r = m.run({ maxInstructions: 1000 });
    assert.deepEqual(r.reason, { kind: "exit", status: 1 });
    assert.equal(r.totalInstructions, 1 + 5 * 4 + 2);
    assert.equal(r.virtualNs, r.totalInstructions + 5 * SERIALIZING_NS + FINAL_OUT, engine);
    m.dispose();
  }
});

Deno.test("stall: each MOV to CR0, CR3 or CR4 takes SERIALIZING_NS; MOV from CRn and to CR2 do not", () => {
  for (
    const [name, cr, charged] of [["CR0", 0, true], ["CR3", 3, true], ["CR4", 4, true], [
      "CR2",
      2,
      false,
    ]] as const
  ) {
    // deno-fmt-ignore
    const code = new Uint8Array([
      0xbe, 5, 0, 0, 0, //              mov esi,5
      0x0f, 0x20, 0xc0 | (cr << 3), //   L: mov eax,crN
      0x0f, 0x22, 0xc0 | (cr << 3), //   mov crN,eax
      0x4e, //                          dec esi
      0x75, 0xf7, //                    jnz L
      0xb0, 0x00, 0xe6, 0xf4, //        mov al,0; out 0xf4,al
      0xf4, //                          hlt
    ]);
    const m = createMachine({ memoryMiB: 16, engine: "interp" }); // with VMX: its CR exits pass
    bootFlat(m, [{ addr: BASE, data: code }], BASE, "protected32");
    const r = m.run({ maxInstructions: 1000 });
    assert.deepEqual(r.reason, { kind: "exit", status: 1 }, name);
    assert.equal(r.totalInstructions, 1 + 5 * 4 + 2, name);
    const stalls = charged ? 5 * SERIALIZING_NS : 0;
    assert.equal(r.virtualNs, r.totalInstructions + stalls + FINAL_OUT, name);
    m.dispose();
  }
});

/** Little-endian bytes of a 32-bit value. */
function le32(v: number): number[] {
  return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24];
}

/** Scratch memory for the descriptor-table operands below. */
const SCRATCH = BASE + 0x800;
/** Top of a stack for IRET's frame. */
const STACK = BASE + 0x1000;

/**
 * mov esi,5; L: `body`; dec esi; jnz L; mov al,0; out 0xf4,al; hlt, with
 * `body` built for its address (IRET's return address is absolute).
 */
function serialLoop(body: (at: number) => number[]): Uint8Array {
  const at = BASE + 5;
  const b = body(at);
  return new Uint8Array([
    0xbe,
    ...le32(5), // mov esi,5
    ...b, // L: body
    0x4e, // dec esi
    0x75,
    (-(b.length + 3)) & 0xff, // jnz L
    0xb0,
    0x00,
    0xe6,
    0xf4, // mov al,0; out 0xf4,al
    0xf4, // hlt
  ]);
}

// [name, body, its instruction count, serializing instructions in it]
const SERIALIZING: [string, (at: number) => number[], number, number][] = [
  // mov esp,stack; pushfd; push cs; push the address after IRETD; iretd
  ["IRETD", (at) => [0xbc, ...le32(STACK), 0x9c, 0x0e, 0x68, ...le32(at + 13), 0xcf], 5, 1],
  ["LGDT", () => [0x0f, 0x01, 0x05, ...le32(SCRATCH), 0x0f, 0x01, 0x15, ...le32(SCRATCH)], 2, 1],
  ["LIDT", () => [0x0f, 0x01, 0x0d, ...le32(SCRATCH), 0x0f, 0x01, 0x1d, ...le32(SCRATCH)], 2, 1],
  ["LLDT (null selector)", () => [0x0f, 0x00, 0xc0, 0x0f, 0x00, 0xd0], 2, 1], // sldt ax; lldt ax
  ["INVLPG", () => [0x0f, 0x01, 0x3d, ...le32(SCRATCH)], 1, 1],
  ["MOV DR7 (to; from is not)", () => [0x0f, 0x21, 0xf8, 0x0f, 0x23, 0xf8], 2, 1],
  // mov ecx,IA32_SYSENTER_CS; rdmsr; wrmsr
  ["WRMSR", () => [0xb9, ...le32(0x174), 0x0f, 0x32, 0x0f, 0x30], 3, 1],
  // mov ecx,IA32_TSC_DEADLINE; xor eax,eax; xor edx,edx; wrmsr: exempt (SDM 10.3)
  [
    "WRMSR IA32_TSC_DEADLINE",
    () => [0xb9, ...le32(0x6e0), 0x31, 0xc0, 0x31, 0xd2, 0x0f, 0x30],
    4,
    0,
  ],
];

for (const [name, body, count, serial] of SERIALIZING) {
  Deno.test(`stall: each ${name} completed takes SERIALIZING_NS x ${serial} in both engines`, () => {
    for (const engine of ["interp", "jit"] as const) {
      const m = boot(serialLoop(body), engine);
      const r = m.run({ maxInstructions: 1000 });
      assert.deepEqual(r.reason, { kind: "exit", status: 1 }, `${name} ${engine}`);
      assert.equal(r.totalInstructions, 1 + 5 * (count + 2) + 2, `${name} ${engine}`);
      assert.equal(
        r.virtualNs,
        r.totalInstructions + 5 * serial * SERIALIZING_NS + FINAL_OUT,
        `${name} ${engine}`,
      );
      m.dispose();
    }
  });
}

Deno.test("stall: WBINVD at CPL 3 faults (#GP) and charges nothing", () => {
  const seen: number[] = [];
  const watcher: Plugin = {
    name: "gp-watcher",
    version: "1.0.0",
    apiVersion: 1,
    setup(ctx) {
      ctx.exits.watchExceptions([13]);
      ctx.exits.on("exception", (e) => {
        seen.push(e.vector);
        ctx.vcpu.rip += 2; // past the WBINVD
        return "handled";
      });
    },
  };
  const m = createMachine({ memoryMiB: 16, vmx: false, plugins: [watcher] });
  bootFlat(m, [{ addr: BASE, data: flushLoop(1) }], BASE, "protected32");
  m.cpu.cpl = 3; // the privilege check reads CPL only
  m.run({ maxInstructions: 2 });
  assert.deepEqual(seen, [13]);
  assert.equal(m.cpu.retired, 2, "the two MOVs retired; the faulting WBINVD did not");
  assert.equal(m.idleNs, 0);
  m.dispose();
});

Deno.test("stall: a timer due during a flush fires right after it, not instructions later", () => {
  const m = boot(flushLoop(5));
  let firedAt = -1;
  let firedNs = -1;
  m.clock.schedule(m.virtualNs + 10, (now) => {
    firedAt = m.cpu.retired;
    firedNs = now;
  }, "test");
  m.run({ maxInstructions: 1000 });
  assert.equal(firedAt, 2, "after mov and the first WBINVD (the slice counted 10 instructions)");
  assert.equal(firedNs, 10, "at its deadline");
  m.dispose();
});

for (const engine of ["interp", "jit"] as const) {
  Deno.test(`stall: a stall short of a deadline does not make the timer late (${engine})`, () => {
    // out 0x80,al (a 1 us stall); mov ecx,3000; L: dec ecx; jnz L; mov al,0; out 0xf4,al; hlt.
    // deno-fmt-ignore
    const code = new Uint8Array([
      0xe6, 0x80, 0xb9, 0xb8, 0x0b, 0, 0, 0x49, 0x75, 0xfd, 0xb0, 0x00, 0xe6, 0xf4, 0xf4,
    ]);
    const m = boot(code, engine);
    const t0 = m.virtualNs;
    const r0 = m.cpu.retired;
    let live = -1;
    let firedAt = -1;
    // Due 2 us on: the slice is counted as 2000 instructions, but the OUT's
    // stall moves the time they reach 1 us past the deadline.
    m.clock.schedule(t0 + 2 * PORT_IO_NS, () => {
      live = m.virtualNs;
      firedAt = m.cpu.retired - r0;
    }, "test");
    m.run({ maxInstructions: 10_000 });
    assert.equal(live, t0 + 2 * PORT_IO_NS, "the vCPU stopped at the deadline");
    assert.equal(firedAt, 1 + (PORT_IO_NS - 1), "after the OUT and the instructions up to it");
    m.dispose();
  });
}

Deno.test("stall: a snapshot taken between flushes restores the time and continues identically", async () => {
  const straight = boot(flushLoop(40));
  const full = straight.run({ maxInstructions: 10_000 });
  straight.dispose();

  const first = boot(flushLoop(40));
  const part = first.run({ maxInstructions: 16 * PER_ITERATION + 10 });
  assert.equal(part.reason.kind, "budget");
  assert.equal(first.idleNs, 17 * CACHE_FLUSH_NS, `idle ${first.idleNs}`);
  const snap = await first.save();
  first.dispose();

  const second = await restorePcMachine(snap, { memoryMiB: 16, plugins: pcBoard() });
  assert.equal(second.virtualNs, part.virtualNs);
  const rest = second.run({ maxInstructions: 10_000 });
  assert.deepEqual(rest.reason, full.reason);
  assert.equal(rest.totalInstructions, full.totalInstructions);
  assert.equal(rest.virtualNs, full.virtualNs);
  assert.equal(second.idleNs, 40 * CACHE_FLUSH_NS + FINAL_OUT);
  second.dispose();
});

Deno.test("stall: the interpreter and the block compiler count the same instructions and time", () => {
  const runs = (["interp", "jit"] as const).map((engine) => {
    const m = boot(flushLoop(300), engine);
    const r = m.run({ maxInstructions: 100_000 });
    const compiled = m.cpu.jit?.compiledRetired ?? 0;
    m.dispose();
    return { reason: r.reason, n: r.totalInstructions, ns: r.virtualNs, compiled };
  });
  assert.deepEqual(runs[0].reason, { kind: "exit", status: 1 });
  assert.equal(runs[1].n, runs[0].n);
  assert.equal(runs[1].ns, runs[0].ns);
  assert.equal(runs[0].ns, runs[0].n + 300 * CACHE_FLUSH_NS + FINAL_OUT);
  assert.equal(runs[0].compiled, 0);
  assert.ok(runs[1].compiled > 0, "the loop ran compiled");
});

Deno.test("stall: with two vCPUs the stall advances the shared clock and a timer due in it fires after it", () => {
  const m = createMachine({ memoryMiB: 16, vmx: false, smp: 2 });
  bootFlat(m, [{ addr: BASE, data: flushLoop(5) }], BASE, "protected32");
  assert.ok(m.scheduler !== undefined);
  let firedAt = -1;
  m.clock.schedule(m.virtualNs + 10, () => {
    firedAt = m.cpus[0].retired;
  }, "test");
  const r = m.run({ maxInstructions: 1000 });
  assert.deepEqual(r.reason, { kind: "exit", status: 1 });
  assert.equal(m.cpus[1].retired, 0, "the AP waits for a SIPI");
  assert.equal(r.virtualNs, r.totalInstructions + 5 * CACHE_FLUSH_NS + FINAL_OUT);
  assert.equal(firedAt, 2, "after mov and the first WBINVD");
  m.dispose();
});

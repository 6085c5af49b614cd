import assert from "node:assert/strict";
import { KVM_EINVAL, KVM_ENOSYS, KVM_EPERM } from "./abi.ts";
import { type HypercallRegs, hypercallResult, runHypercall } from "./hypercall.ts";
import type { IpiTarget } from "./send_ipi.ts";

// gpr indexes of the halves: RAX 0/1, RCX 2/3, RDX 4/5, RBX 6/7, RSI 12/13.
function regs(
  set: Partial<Record<"rax" | "rbx" | "rcx" | "rdx" | "rsi", [number, number]>>,
  o: Partial<Omit<HypercallRegs, "gpr">> = {},
): HypercallRegs {
  const gpr = new Uint32Array(32);
  for (let i = 0; i < 32; i++) gpr[i] = 0xa5a50000 + i; // recognisable garbage
  const at = { rax: 0, rcx: 2, rdx: 4, rbx: 6, rsi: 12 };
  for (const [name, [lo, hi]] of Object.entries(set)) {
    gpr[at[name as keyof typeof at]] = lo;
    gpr[at[name as keyof typeof at] + 1] = hi;
  }
  return { gpr, cpl: o.cpl ?? 0, longMode: o.longMode ?? true };
}

/** Every APIC ID below `n` exists and takes every message; calls are recorded. */
function apics(n: number) {
  const calls: number[][] = [];
  const target: IpiTarget = {
    deliverToId: (id, mode, vector) => {
      calls.push([id, mode, vector]);
      return id < n;
    },
  };
  return { calls, target };
}

const rax = (r: HypercallRegs) => [r.gpr[0], r.gpr[1]];

Deno.test("hypercall: an unknown number returns -KVM_ENOSYS, sign-extended in 64-bit mode", () => {
  const { calls, target } = apics(2);
  const r = regs({ rax: [0, 0] });
  assert.equal(runHypercall(r, target), -KVM_ENOSYS);
  assert.deepEqual(rax(r), [(-1000) >>> 0, 0xffffffff]);
  const big = regs({ rax: [10, 1] }); // 0x1_0000_000a: not KVM_HC_SEND_IPI
  assert.equal(runHypercall(big, target), -KVM_ENOSYS);
  assert.deepEqual(calls, [], "nothing sent");
});

Deno.test("hypercall: outside 64-bit mode number and result are 32 bits", () => {
  const { calls, target } = apics(2);
  const r = regs({
    rax: [10, 1],
    rbx: [0b10, 0xffffffff],
    rcx: [0, 7],
    rdx: [0, 9],
    rsi: [0x4400, 3],
  }, {
    longMode: false,
  });
  assert.equal(runHypercall(r, target), 1, "KVM_HC_SEND_IPI to ID 1 (high halves ignored)");
  assert.deepEqual(calls, [[1, 4, 0]]);
  assert.deepEqual(rax(r), [1, 0]);
  const u = regs({ rax: [12345, 0] }, { longMode: false });
  assert.equal(runHypercall(u, target), -KVM_ENOSYS);
  assert.deepEqual(rax(u), [(-1000) >>> 0, 0], "a 32-bit write: upper half cleared");
});

Deno.test("hypercall: CPL > 0 returns -KVM_EPERM whatever the number, and sends nothing", () => {
  const { calls, target } = apics(4);
  for (const cpl of [1, 2, 3]) {
    const r = regs({ rax: [10, 0], rbx: [0xf, 0], rsi: [0x40, 0] }, { cpl });
    assert.equal(runHypercall(r, target), -KVM_EPERM);
    assert.deepEqual(rax(r), [0xffffffff, 0xffffffff]);
  }
  assert.deepEqual(calls, []);
});

Deno.test("hypercall: KVM_HC_SEND_IPI takes a0-a3 from RBX, RCX, RDX, RSI and returns the count", () => {
  const { calls, target } = apics(40); // IDs 0-39 exist
  // a0 = bits 0 and 33, a1 = bit 0, min = 3: IDs 3, 36, 67; fixed, vector 0x31.
  const r = regs({ rax: [10, 0], rbx: [1, 2], rcx: [1, 0], rdx: [3, 0], rsi: [0x31, 0] });
  const before = r.gpr.slice();
  assert.equal(runHypercall(r, target), 2, "IDs 3 and 36 exist, 67 does not");
  assert.deepEqual(calls, [[3, 0, 0x31], [36, 0, 0x31], [67, 0, 0x31]]);
  assert.deepEqual(rax(r), [2, 0]);
  for (let i = 2; i < 32; i++) assert.equal(r.gpr[i], before[i], `gpr[${i}] unchanged`);
  assert.equal(hypercallResult(r, apics(70).target), -KVM_ENOSYS, "RAX now holds 2: no such call");
});

Deno.test("hypercall: SEND_IPI with a logical-mode ICR is -KVM_EINVAL; VAPIC_POLL_IRQ is 0", () => {
  const { target } = apics(2);
  const r = regs({ rax: [10, 0], rbx: [1, 0], rsi: [0x840, 0] });
  assert.equal(runHypercall(r, target), -KVM_EINVAL);
  assert.deepEqual(rax(r), [(-22) >>> 0, 0xffffffff]);
  const p = regs({ rax: [1, 0] });
  assert.equal(runHypercall(p, target), 0);
  assert.deepEqual(rax(p), [0, 0]);
});

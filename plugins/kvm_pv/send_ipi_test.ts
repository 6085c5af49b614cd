import assert from "node:assert/strict";
import { KVM_EINVAL } from "./abi.ts";
import { type IpiTarget, sendIpi, type SendIpiArgs } from "./send_ipi.ts";

/** APICs with the given IDs that take every message; records what reached them. */
function apics(ids: number[], refuse: (mode: number, vector: number) => boolean = () => false) {
  const got: string[] = [];
  const target: IpiTarget = {
    deliverToId(id, mode, vector, level) {
      if (!ids.includes(id) || refuse(mode, vector)) return false;
      got.push(`${id}:${mode}:${vector.toString(16)}${level ? ":level" : ""}`);
      return true;
    },
  };
  return { got, target };
}

const args = (o: Partial<SendIpiArgs>): SendIpiArgs => ({
  a0Lo: 0,
  a0Hi: 0,
  a1Lo: 0,
  a1Hi: 0,
  min: 0,
  icr: 0x40,
  longMode: true,
  ...o,
});

Deno.test("send_ipi: bit j of a0 is APIC ID a2 + j, a1 continues at a2 + 64 (64-bit mode)", () => {
  const { got, target } = apics([0, 1, 5, 36, 64, 100, 127, 130]);
  const n = sendIpi(
    args({ a0Lo: 0b100011, a0Hi: 1, a1Lo: 1 | (1 << 31), a1Hi: 1 << 3 }),
    target,
  );
  // a0 bits 0, 1, 5 and 32 (its high half's bit 0): IDs 0, 1, 5, 32 (absent);
  // a1 bits 0 and 31: IDs 64, 95 (absent); a1 bit 35: ID 99 (absent).
  assert.deepEqual(got, ["0:0:40", "1:0:40", "5:0:40", "64:0:40"]);
  assert.equal(n, 4);
  const shifted = apics([36, 100, 127, 130]);
  // min 36: a0 bit 0 -> 36, a0 bit 63 -> 99, a1 bit 0 -> 100, a1 bit 27 -> 127, a1 bit 63 -> 163.
  const m = sendIpi(
    args({ min: 36, a0Lo: 1, a0Hi: 1 << 31, a1Lo: 1 | (1 << 27), a1Hi: 1 << 31 }),
    shifted.target,
  );
  assert.deepEqual(shifted.got, ["36:0:40", "100:0:40", "127:0:40"]);
  assert.equal(m, 3);
});

Deno.test("send_ipi: outside 64-bit mode the words are 32 bits (a1 starts at a2 + 32)", () => {
  const { got, target } = apics([2, 33, 64]);
  const n = sendIpi(
    args({ longMode: false, min: 1, a0Lo: 2, a0Hi: 0xffffffff, a1Lo: 1, a1Hi: 0xffffffff }),
    target,
  );
  assert.deepEqual(got, ["2:0:40", "33:0:40"], "the high halves are not part of the bitmap");
  assert.equal(n, 2);
});

Deno.test("send_ipi: delivery mode and vector come from the ICR; refused messages are not counted", () => {
  const { got, target } = apics([0, 1, 2], (mode, vector) => mode === 0 && vector < 16);
  assert.equal(sendIpi(args({ a0Lo: 0b111, icr: 0x4400 }), target), 3, "NMI");
  assert.equal(sendIpi(args({ a0Lo: 0b011, icr: 0x05 }), target), 0, "illegal vector refused");
  assert.equal(sendIpi(args({ a0Lo: 0b100, icr: 0x4608 }), target), 1, "SIPI, vector 8");
  assert.deepEqual(got, ["0:4:0", "1:4:0", "2:4:0", "2:6:8"]);
});

Deno.test("send_ipi: logical destination mode or a shorthand is -KVM_EINVAL, nothing sent", () => {
  const { got, target } = apics([0, 1]);
  assert.equal(sendIpi(args({ a0Lo: 3, icr: 0x840 }), target), -KVM_EINVAL, "logical");
  for (const sh of [1, 2, 3]) {
    assert.equal(sendIpi(args({ a0Lo: 3, icr: 0x40 | (sh << 18) }), target), -KVM_EINVAL);
  }
  assert.deepEqual(got, []);
});

Deno.test("send_ipi: an INIT level de-assert delivers nothing; an INIT assert does", () => {
  const { got, target } = apics([0]);
  assert.equal(sendIpi(args({ a0Lo: 1, icr: 0x8500 }), target), 0);
  assert.equal(sendIpi(args({ a0Lo: 1, icr: 0xc500 }), target), 1);
  assert.deepEqual(got, ["0:5:0"]);
});

Deno.test("send_ipi: IDs past 0xffffffff name no APIC (no wrap to low IDs)", () => {
  // kvm-unit-tests' test_pv_ipi: a0 = 0xffffffff, a1 = 0, a2 = 0xffffffff, vector 0.
  const { got, target } = apics([0, 1, 30, 62, 63, 0xffffffff]);
  assert.equal(sendIpi(args({ a0Lo: 0xffffffff, min: 0xffffffff, icr: 0 }), target), 1);
  assert.deepEqual(got, ["4294967295:0:0"], "only ID 0xffffffff itself");
  const none = apics([0, 1, 63]);
  assert.equal(
    sendIpi(args({ a0Lo: 0xfffffffe, a1Lo: 0xffffffff, min: 0xffffffff, icr: 0x40 }), none.target),
    0,
  );
  assert.deepEqual(none.got, []);
});

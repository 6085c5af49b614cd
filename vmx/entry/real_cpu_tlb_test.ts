/**
 * VPID-tagged translations on the CPU engine, driven by the mini L1 of
 * `testing_cpu.ts` (SDM Vol. 3C 29.4.3.1): L2 caches a translation, points
 * its PTE elsewhere without invalidating, exits to L1 (CPUID) and reads the
 * page again. With "enable VPID" = 1 the VM exit and entry keep L2's
 * translations, so the read still sees the old page; with "enable VPID" = 0
 * both transitions invalidate them, so it sees the new one. INVLPG then
 * drops the entry in both cases.
 */
import assert from "node:assert/strict";
import { runMini } from "./testing_cpu.ts";
import { CAPS } from "./check_controls.ts";
import { PROC, PROC2 } from "../controls.ts";
import type { PcMachine } from "../../plugins/pc_machine.ts";

const CPUID = 10;
const VMCALL = 18;

/** L2's own page tables: 4 KiB identity pages for the first 2 MiB. */
const PML4 = 0x180000;
const PDPT = 0x181000;
const PD = 0x182000;
const PT = 0x183000;
/** The page L2 reads, its first frame (OLD) and the frame its PTE is repointed to (NEW). */
const X = 0x1a0000;
const NEW = 0x1a1000;

// .intel_syntax noprefix
//   mov r12, [0x1a0000]                                   /* cache X -> X */
//   mov qword ptr [0x183000 + 0x1a0 * 8], 0x1a1003        /* PTE(X) -> NEW, no INVLPG */
//   mov eax, 0
//   cpuid                                                 /* VM exit; L1 resumes L2 */
//   mov r13, [0x1a0000]
//   invlpg [0x1a0000]
//   mov r14, [0x1a0000]
//   vmcall
const L2 = "4c8b242500001a0048c70425003d180003101a00b8000000000fa2" +
  "4c8b2c2500001a000f013c2500001a004c8b342500001a000f01c1";

function tables(m: PcMachine): void {
  const mem = m.memory;
  const entry = (a: number, v: number) => {
    mem.write(a, 4, v);
    mem.write(a + 4, 4, 0);
  };
  entry(PML4, PDPT | 3);
  entry(PDPT, PD | 3);
  entry(PD, PT | 3);
  for (let i = 0; i < 512; i++) entry(PT + 8 * i, (i * 4096) | 3);
  mem.write(X, 4, 0x01d);
  mem.write(NEW, 4, 0x2e3);
}

function run(vpid: boolean): { r12: number; r13: number; r14: number; exits: number[] } {
  const r = runMini({
    l2: L2,
    fields: {
      CPU_BASED_VM_EXEC_CONTROL: CAPS.proc.must1 | PROC.ACTIVATE_SECONDARY_CONTROLS,
      SECONDARY_VM_EXEC_CONTROL: vpid ? PROC2.ENABLE_VPID : 0,
      VIRTUAL_PROCESSOR_ID: 1,
      GUEST_CR3: PML4,
    },
    setup: tables,
  });
  assert.equal(r.status, 1, "L2 ran to its VMCALL");
  const g = r.m.cpu.gpr;
  const out = { r12: g[24], r13: g[26], r14: g[28], exits: r.exits.map((e) => e.reason) };
  r.m.dispose();
  return out;
}

Deno.test("real CPU, VPID on: L2's translation survives the exit to L1 and the entry back", () => {
  const o = run(true);
  assert.deepEqual(o.exits, [CPUID, VMCALL]);
  assert.equal(o.r12, 0x01d, "first read: the old page");
  assert.equal(o.r13, 0x01d, "after the round trip: still the cached translation");
  assert.equal(o.r14, 0x2e3, "after INVLPG: the new page");
});

Deno.test("real CPU, VPID off: the exit and the entry invalidate, L2 sees its new PTE", () => {
  const o = run(false);
  assert.deepEqual(o.exits, [CPUID, VMCALL]);
  assert.equal(o.r12, 0x01d);
  assert.equal(o.r13, 0x2e3, "the transitions flushed VPID 0's translations");
  assert.equal(o.r14, 0x2e3);
});

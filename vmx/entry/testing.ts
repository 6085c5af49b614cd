/**
 * Test fixture for VM entry/exit: a part-1 harness with part 2 plugged in,
 * a current vmcs12 filled with a valid 64-bit host and 64-bit guest, and
 * helpers to read and write fields. Not public API.
 *
 * @module
 */

import { CAPS } from "./check_controls.ts";
import { createNestedOps, nestedOfOps } from "./ops.ts";
import { ENTRY, EXIT } from "../controls.ts";
import { F, type FieldName } from "../vmcs12/fields.ts";
import type { Vmcs12 } from "../vmcs12/vmcs12.ts";
import {
  HarnessMemory,
  memOperand,
  type Outcome,
  type VmxHarness,
  vmxHarness,
} from "../testing.ts";
import type { Nested } from "../nonroot/session.ts";
import type { NestedOps, VmxContext } from "../context.ts";

/** Guest-physical address of the vmcs12 region in the fixture. */
export const VMCS_GPA = 0x20000;
/** Host RIP / RSP in the fixture. */
export const HOST_RIP = 0x401000;
/** Host RSP. */
export const HOST_RSP = 0x402000;
/** Guest RIP / RSP in the fixture. */
export const GUEST_RIP = 0x501000;
/** Guest RSP. */
export const GUEST_RSP = 0x502000;

/** A fixture: harness, the current vmcs12 and part 2's session. */
export interface EntryFixture {
  /** Part 1's harness (fake vCPU and memory). */
  readonly h: VmxHarness;
  /** The current vmcs12 (its cached copy). */
  readonly vmcs: Vmcs12;
  /** Part 2's per-vCPU session. */
  readonly n: Nested;
  /** Write a field (numbers; 64-bit fields as a number or [lo, hi]). */
  set(name: FieldName, value: number | [number, number]): void;
  /** Read a field's low 32 bits. */
  get(name: FieldName): number;
  /** Read a 64-bit field as a number. */
  get64(name: FieldName): number;
  /** VMLAUNCH (or VMRESUME with `resume`). */
  launch(resume?: boolean): Outcome;
}

/** Build the fixture. `memorySize` defaults to 1 MiB. */
export function entryFixture(memorySize = 1 << 20): EntryFixture {
  let ops: NestedOps | null = null;
  const h = vmxHarness({ featureControl: "locked" }, (vmx: VmxContext) => {
    ops = createNestedOps(vmx);
    return ops;
  }, new HarnessMemory(memorySize));
  if (h.vmxon(0x10000).kind !== "succeed") throw new Error("fixture: VMXON failed");
  h.prepareRegion(VMCS_GPA);
  h.poke64(0x900, VMCS_GPA);
  if (h.exec("vmptrld", { mem: memOperand(0x900) }).kind !== "succeed") {
    throw new Error("fixture: VMPTRLD failed");
  }
  const n = nestedOfOps(ops!);
  if (n === undefined) throw new Error("fixture: no session");
  // The current vmcs12 (its cached copy: a snapshot restore makes a new one).
  const current = (): Vmcs12 => {
    const c = n.state.current;
    if (c === null) throw new Error("fixture: no current VMCS");
    return c.vmcs;
  };
  const f: EntryFixture = {
    h,
    get vmcs() {
      return current();
    },
    n,
    set(name, value) {
      const vmcs = current();
      const enc = F[name];
      if (Array.isArray(value)) vmcs.vmwrite(enc, value[0], value[1]);
      else vmcs.vmwrite(enc, value >>> 0, Math.floor(value / 0x100000000) >>> 0);
    },
    get(name) {
      const o = { lo: 0, hi: 0 };
      current().vmread(F[name], o);
      return o.lo;
    },
    get64(name) {
      const o = { lo: 0, hi: 0 };
      current().vmread(F[name], o);
      return o.hi * 0x100000000 + o.lo;
    },
    launch(resume = false) {
      return h.exec(resume ? "vmresume" : "vmlaunch");
    },
  };
  fillValid(f);
  return f;
}

/** Fill every field for a valid VM entry: 64-bit host, 64-bit guest. */
export function fillValid(f: EntryFixture): void {
  f.set("PIN_BASED_VM_EXEC_CONTROL", CAPS.pin.must1);
  f.set("CPU_BASED_VM_EXEC_CONTROL", CAPS.proc.must1);
  f.set("SECONDARY_VM_EXEC_CONTROL", 0);
  f.set("VM_EXIT_CONTROLS", CAPS.exit.must1 | EXIT.HOST_ADDRESS_SPACE_SIZE);
  f.set("VM_ENTRY_CONTROLS", CAPS.entry.must1 | ENTRY.IA32E_MODE_GUEST);
  f.set("CR3_TARGET_COUNT", 0);
  // Host state.
  f.set("HOST_CR0", 0x80000031);
  f.set("HOST_CR3", 0x30000);
  f.set("HOST_CR4", 0x2020);
  f.set("HOST_CS_SELECTOR", 0x08);
  f.set("HOST_SS_SELECTOR", 0x10);
  f.set("HOST_DS_SELECTOR", 0x10);
  f.set("HOST_ES_SELECTOR", 0x10);
  f.set("HOST_FS_SELECTOR", 0);
  f.set("HOST_GS_SELECTOR", 0);
  f.set("HOST_TR_SELECTOR", 0x18);
  f.set("HOST_TR_BASE", 0x7000);
  f.set("HOST_GDTR_BASE", 0x6000);
  f.set("HOST_IDTR_BASE", 0x6800);
  f.set("HOST_RIP", HOST_RIP);
  f.set("HOST_RSP", HOST_RSP);
  // Guest state.
  f.set("GUEST_CR0", 0x80000031);
  f.set("GUEST_CR3", 0x40000);
  f.set("GUEST_CR4", 0x2020);
  f.set("GUEST_DR7", 0x400);
  const segs: [string, number, number, number][] = [
    ["ES", 0x10, 0xffffffff, 0xc093],
    ["CS", 0x08, 0xffffffff, 0xa09b],
    ["SS", 0x10, 0xffffffff, 0xc093],
    ["DS", 0x10, 0xffffffff, 0xc093],
    ["FS", 0x10, 0xffffffff, 0xc093],
    ["GS", 0x10, 0xffffffff, 0xc093],
    ["LDTR", 0, 0, 0x10000],
    ["TR", 0x18, 0x67, 0x8b],
  ];
  for (const [s, sel, limit, ar] of segs) {
    f.set(`GUEST_${s}_SELECTOR` as FieldName, sel);
    f.set(`GUEST_${s}_LIMIT` as FieldName, limit);
    f.set(`GUEST_${s}_AR_BYTES` as FieldName, ar);
    f.set(`GUEST_${s}_BASE` as FieldName, 0);
  }
  f.set("GUEST_GDTR_LIMIT", 0xff);
  f.set("GUEST_IDTR_LIMIT", 0xfff);
  f.set("GUEST_RIP", GUEST_RIP);
  f.set("GUEST_RSP", GUEST_RSP);
  f.set("GUEST_RFLAGS", 2);
  f.set("VMCS_LINK_POINTER", [0xffffffff, 0xffffffff]);
  f.set("GUEST_ACTIVITY_STATE", 0);
  f.set("GUEST_INTERRUPTIBILITY_INFO", 0);
}

/**
 * VM-entry checks on the APIC-virtualization controls (SDM Vol. 3C
 * 27.2.1.1): each rule with a configuration that enters L2 and the same
 * configuration broken in one field, which fails with VMfailValid(7) for
 * that rule.
 */
import assert from "node:assert/strict";
import { EXIT, PIN, PROC, PROC2 } from "../controls.ts";
import { CAPS } from "../entry/check_controls.ts";
import { entryFixture } from "../entry/testing.ts";
import { offerL2 } from "../testing.ts";
import { lastEntryFailure } from "../entry/vmentry.ts";
import type { FieldName } from "../vmcs12/fields.ts";

type Fields = Partial<Record<FieldName, number | [number, number]>>;

const VAPIC = 0x60000;
const ACCESS = 0x61000;
const PI_DESC = 0x62000;
const TPR = (CAPS.proc.must1 | PROC.USE_TPR_SHADOW) >>> 0;
const TPR_SEC = (TPR | PROC.ACTIVATE_SECONDARY_CONTROLS) >>> 0;
const EXT = (CAPS.pin.must1 | PIN.EXTERNAL_INTERRUPT_EXITING) >>> 0;
const ACK =
  (CAPS.exit.must1 | EXIT.HOST_ADDRESS_SPACE_SIZE | EXIT.ACKNOWLEDGE_INTERRUPT_ON_EXIT) >>>
  0;
const VID = PROC2.VIRTUAL_INTERRUPT_DELIVERY;

/** [rule, good fields, the breaking change, the rule's message]. */
const rules: [string, Fields, Fields, string][] = [
  [
    "virtual-APIC address 4-KiB aligned",
    {
      CPU_BASED_VM_EXEC_CONTROL: TPR,
      VIRTUAL_APIC_PAGE_ADDR: VAPIC,
    },
    { VIRTUAL_APIC_PAGE_ADDR: VAPIC + 0x10 },
    "virtual-APIC address alignment",
  ],
  [
    "virtual-APIC address within the physical width",
    {
      CPU_BASED_VM_EXEC_CONTROL: TPR,
      VIRTUAL_APIC_PAGE_ADDR: VAPIC,
    },
    { VIRTUAL_APIC_PAGE_ADDR: [VAPIC, 0x100] },
    "virtual-APIC address width",
  ],
  [
    "TPR threshold bits 31:4 without virtual-interrupt delivery",
    {
      CPU_BASED_VM_EXEC_CONTROL: TPR,
      VIRTUAL_APIC_PAGE_ADDR: VAPIC,
      TPR_THRESHOLD: 0,
    },
    { TPR_THRESHOLD: 0x10 },
    "TPR threshold bits 31:4",
  ],
  [
    "TPR threshold not above VTPR[7:4]",
    {
      CPU_BASED_VM_EXEC_CONTROL: TPR,
      VIRTUAL_APIC_PAGE_ADDR: VAPIC,
      TPR_THRESHOLD: 3,
    },
    { TPR_THRESHOLD: 4 },
    "TPR threshold above VTPR",
  ],
  ["APIC virtualization needs the TPR shadow", {
    CPU_BASED_VM_EXEC_CONTROL: TPR_SEC,
    VIRTUAL_APIC_PAGE_ADDR: VAPIC,
    SECONDARY_VM_EXEC_CONTROL: PROC2.APIC_REGISTER_VIRTUALIZATION,
  }, {
    CPU_BASED_VM_EXEC_CONTROL: (CAPS.proc.must1 | PROC.ACTIVATE_SECONDARY_CONTROLS) >>> 0,
  }, "APIC virtualization without TPR shadow"],
  [
    "APIC-access address 4-KiB aligned",
    {
      CPU_BASED_VM_EXEC_CONTROL: TPR_SEC,
      VIRTUAL_APIC_PAGE_ADDR: VAPIC,
      SECONDARY_VM_EXEC_CONTROL: PROC2.VIRTUALIZE_APIC_ACCESSES,
      APIC_ACCESS_ADDR: ACCESS,
    },
    { APIC_ACCESS_ADDR: ACCESS + 8 },
    "APIC-access address alignment",
  ],
  ["virtualize x2APIC mode excludes virtualize APIC accesses", {
    CPU_BASED_VM_EXEC_CONTROL: TPR_SEC,
    VIRTUAL_APIC_PAGE_ADDR: VAPIC,
    SECONDARY_VM_EXEC_CONTROL: PROC2.VIRTUALIZE_X2APIC_MODE,
    APIC_ACCESS_ADDR: ACCESS,
  }, {
    SECONDARY_VM_EXEC_CONTROL: PROC2.VIRTUALIZE_X2APIC_MODE | PROC2.VIRTUALIZE_APIC_ACCESSES,
  }, "virtualize x2APIC mode with virtualize APIC accesses"],
  [
    "virtual-interrupt delivery needs external-interrupt exiting",
    {
      CPU_BASED_VM_EXEC_CONTROL: TPR_SEC,
      VIRTUAL_APIC_PAGE_ADDR: VAPIC,
      SECONDARY_VM_EXEC_CONTROL: VID,
      PIN_BASED_VM_EXEC_CONTROL: EXT,
    },
    { PIN_BASED_VM_EXEC_CONTROL: CAPS.pin.must1 },
    "virtual-interrupt delivery without",
  ],
  ...postedRules(),
];

function postedRules(): [string, Fields, Fields, string][] {
  const good: Fields = {
    CPU_BASED_VM_EXEC_CONTROL: TPR_SEC,
    VIRTUAL_APIC_PAGE_ADDR: VAPIC,
    SECONDARY_VM_EXEC_CONTROL: VID,
    PIN_BASED_VM_EXEC_CONTROL: (EXT | PIN.POSTED_INTERRUPTS) >>> 0,
    VM_EXIT_CONTROLS: ACK,
    POSTED_INTR_NOTIFICATION_VECTOR: 0xf2,
    POSTED_INTR_DESC_ADDR: PI_DESC + 0x40,
  };
  return [
    ["posted interrupts need virtual-interrupt delivery", good, {
      SECONDARY_VM_EXEC_CONTROL: 0,
    }, "posted interrupts without virtual-interrupt delivery"],
    ["posted interrupts need acknowledge interrupt on exit", good, {
      VM_EXIT_CONTROLS: ACK & ~EXIT.ACKNOWLEDGE_INTERRUPT_ON_EXIT,
    }, "posted interrupts without acknowledge"],
    ["notification vector below 256", good, {
      POSTED_INTR_NOTIFICATION_VECTOR: 0x1f2,
    }, "posted-interrupt notification vector"],
    ["descriptor 64-byte aligned", good, {
      POSTED_INTR_DESC_ADDR: PI_DESC + 0x20,
    }, "posted-interrupt descriptor alignment"],
    ["descriptor within the physical width", good, {
      POSTED_INTR_DESC_ADDR: [PI_DESC, 0x100],
    }, "posted-interrupt descriptor width"],
  ];
}

function launchWith(fields: Fields, vtpr: number) {
  const f = entryFixture();
  f.h.memory.write(VAPIC + 0x80, 4, vtpr);
  for (const [k, v] of Object.entries(fields)) f.set(k as FieldName, v!);
  return f;
}

for (const [name, good, bad, message] of rules) {
  Deno.test(`APIC-virtualization entry check: ${name}`, () => {
    const ok = launchWith(good, 0x35);
    assert.deepEqual(ok.launch(), { kind: "reflected" }, lastEntryFailure);
    assert.equal(ok.h.vcpu.nonRoot, true);
    const broken = launchWith({ ...good, ...bad }, 0x35);
    assert.deepEqual(broken.launch(), { kind: "failValid", error: 7 });
    assert.ok(lastEntryFailure.startsWith(message), lastEntryFailure);
    assert.equal(broken.h.vcpu.nonRoot, false);
  });
}

Deno.test("APIC-virtualization entry check: the VTPR rule is skipped with virtualize APIC accesses or virtual-interrupt delivery", () => {
  for (const proc2 of [PROC2.VIRTUALIZE_APIC_ACCESSES, VID]) {
    const f = launchWith({
      CPU_BASED_VM_EXEC_CONTROL: TPR_SEC,
      VIRTUAL_APIC_PAGE_ADDR: VAPIC,
      SECONDARY_VM_EXEC_CONTROL: proc2,
      APIC_ACCESS_ADDR: ACCESS,
      PIN_BASED_VM_EXEC_CONTROL: EXT,
      TPR_THRESHOLD: proc2 === VID ? 0xff : 0xf,
    }, 0);
    const o = f.launch();
    // With virtualize APIC accesses the entry succeeds and then exits at
    // once for TPR below threshold (SDM 27.7.7); with virtual-interrupt
    // delivery the threshold is not used at all.
    assert.deepEqual(o, { kind: "reflected" }, lastEntryFailure);
    if (proc2 === VID) assert.equal(f.h.vcpu.nonRoot, true);
    else {
      assert.equal(f.h.vcpu.nonRoot, false, "TPR-below-threshold VM exit right after entry");
      assert.equal(f.get("VM_EXIT_REASON"), 43);
    }
  }
});

Deno.test("TPR-below-threshold exit right after entry wakes HLT, not wait-for-SIPI", () => {
  for (const [activity, exits] of [[1, true], [3, false]] as const) {
    const f = launchWith({
      CPU_BASED_VM_EXEC_CONTROL: TPR_SEC,
      VIRTUAL_APIC_PAGE_ADDR: VAPIC,
      SECONDARY_VM_EXEC_CONTROL: PROC2.VIRTUALIZE_APIC_ACCESSES,
      APIC_ACCESS_ADDR: ACCESS,
      TPR_THRESHOLD: 0xf,
      GUEST_ACTIVITY_STATE: activity,
    }, 0);
    assert.deepEqual(f.launch(), { kind: "reflected" }, lastEntryFailure);
    assert.equal(f.h.vcpu.nonRoot, !exits);
    if (exits) {
      assert.equal(f.get("VM_EXIT_REASON"), 43);
      assert.equal(f.get("GUEST_ACTIVITY_STATE"), 0, "woken: saved as active");
    }
  }
});

Deno.test("APIC-virtualization entry check: the VTPR rule is checked again on every entry (VTPR is memory, not a VMCS field)", () => {
  const f = launchWith({
    CPU_BASED_VM_EXEC_CONTROL: TPR,
    VIRTUAL_APIC_PAGE_ADDR: VAPIC,
    TPR_THRESHOLD: 3,
  }, 0x35);
  assert.deepEqual(f.launch(), { kind: "reflected" }, lastEntryFailure);
  assert.equal(f.h.vcpu.nonRoot, true);
  offerL2(f.h, { level: 2, kind: "triple-fault", instructionLength: 0 });
  assert.equal(f.h.vcpu.nonRoot, false);
  assert.deepEqual(f.launch(true), { kind: "reflected" }, lastEntryFailure);
  assert.equal(f.h.vcpu.nonRoot, true, "VMRESUME with VTPR 0x35 enters");
  offerL2(f.h, { level: 2, kind: "triple-fault", instructionLength: 0 });
  // L1 lowers VTPR below the threshold with a plain store: no VMWRITE.
  f.h.memory.write(VAPIC + 0x80, 4, 0x20);
  assert.deepEqual(f.launch(true), { kind: "failValid", error: 7 });
  assert.ok(lastEntryFailure.startsWith("TPR threshold above VTPR"), lastEntryFailure);
});

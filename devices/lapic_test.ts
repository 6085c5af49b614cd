import assert from "node:assert/strict";
import { APIC_DEFAULT_BASE, createLapic, MSR_APIC_BASE, MSR_TSC_DEADLINE } from "./lapic.ts";
import { createPic } from "./pic.ts";
import { FakeMachine } from "./testing.ts";
import { apicTimerDivisor } from "./lapic_timer.ts";

const B = APIC_DEFAULT_BASE;

function setup() {
  const lapic = createLapic();
  const m = new FakeMachine().load(lapic);
  const enable = () => m.write(B + 0xf0, 0x1ff); // SVR: enabled, spurious 0xff
  return { m, lapic, enable };
}

function rd(m: FakeMachine, msr: number): bigint {
  const r = m.rdmsr(msr);
  assert.equal(r.kind, "ok", `rdmsr ${msr.toString(16)}: ${r.kind}`);
  return (r as { value: bigint }).value;
}

Deno.test("lapic: power-up state (ID, version, SVR, LVT masked, APIC_BASE)", () => {
  const { m, lapic } = setup();
  assert.equal(lapic.mode, "xapic");
  assert.equal(rd(m, MSR_APIC_BASE), 0xfee00900n);
  assert.equal(m.read(B + 0x20), 0);
  assert.equal(m.read(B + 0x30), 0x00050014);
  assert.equal(m.read(B + 0xf0), 0xff);
  assert.equal(m.read(B + 0xe0), 0xffffffff);
  assert.equal(m.read(B + 0x320), 0x10000);
  assert.equal(m.read(B + 0x350), 0x700, "virtual-wire LINT0");
  assert.equal(m.read(B + 0x360), 0x10000);
  assert.equal(m.cpu.setSourceCalls, 1);
});

Deno.test("lapic: register read-back and read-only registers", () => {
  const { m, enable } = setup();
  enable();
  m.write(B + 0x80, 0x45);
  assert.equal(m.read(B + 0x80), 0x45);
  assert.equal(m.read(B + 0xa0), 0x45, "PPR = TPR with nothing in service");
  m.write(B + 0xd0, 0x03000000);
  assert.equal(m.read(B + 0xd0), 0x03000000);
  m.write(B + 0xe0, 0x0);
  assert.equal(m.read(B + 0xe0), 0x0fffffff, "DFR model bits only");
  m.write(B + 0x20, 0x05000000);
  assert.equal(m.read(B + 0x20), 0x05000000);
  m.write(B + 0x30, 0x12345678);
  assert.equal(m.read(B + 0x30), 0x00050014);
  m.write(B + 0x3e0, 0xb);
  assert.equal(m.read(B + 0x3e0), 0xb);
  m.write(B + 0x310, 0xab000000);
  assert.equal(m.read(B + 0x310), 0xab000000);
});

Deno.test("lapic: self-IPI, priority, EOI and spurious vector", () => {
  const { m, enable } = setup();
  enable();
  m.write(B + 0x300, 0x40040 | 0x40); // shorthand self, fixed, vector 0x40
  assert.equal(m.read(B + 0x300) & 0x1000, 0, "delivery status idle");
  assert.equal(m.read(B + 0x200 + 0x20), 1, "IRR bit 0x40");
  assert.equal(m.intr(), true);
  m.write(B + 0x80, 0x40); // TPR class 4 blocks vector 0x40
  assert.equal(m.intr(), false);
  assert.equal(m.inta(), 0xff, "spurious");
  m.write(B + 0x80, 0);
  assert.equal(m.inta(), 0x40);
  assert.equal(m.read(B + 0x100 + 0x20), 1, "ISR bit 0x40");
  assert.equal(m.read(B + 0xa0), 0x40, "PPR = ISR class");
  m.write(B + 0x300, 0x40000 | 0x30); // lower priority than in-service
  assert.equal(m.intr(), false);
  m.write(B + 0x300, 0x40000 | 0x80);
  assert.equal(m.inta(), 0x80, "higher class preempts");
  m.write(B + 0xb0, 0);
  m.write(B + 0xb0, 0);
  assert.equal(m.inta(), 0x30);
  m.write(B + 0xb0, 0);
  assert.equal(m.read(B + 0x100 + 0x10), 0);
});

Deno.test("lapic: illegal vectors set ESR; ESR write latches", () => {
  const { m, enable } = setup();
  enable();
  m.write(B + 0x300, 0x40000 | 0x05);
  assert.equal(m.read(B + 0x280), 0, "not visible until written");
  m.write(B + 0x280, 0);
  assert.equal(m.read(B + 0x280), 0x20, "send illegal vector");
  m.write(B + 0x280, 0);
  assert.equal(m.read(B + 0x280), 0);
});

Deno.test("lapic: INIT and SIPI to another CPU are accepted, delivery status clears", () => {
  const { m, enable } = setup();
  enable();
  m.write(B + 0x310, 0x01000000);
  m.write(B + 0x300, 0x00004500); // INIT assert
  assert.equal(m.read(B + 0x300) & 0x1000, 0);
  m.write(B + 0x300, 0x00000608); // SIPI vector 8
  assert.equal(m.read(B + 0x300) & 0x1000, 0);
  m.write(B + 0x300, 0x000c4500); // INIT all-but-self
  assert.equal(m.read(B + 0x300) & 0x1000, 0);
  assert.equal(m.intr(), false);
  m.write(B + 0x300, 0x00040400); // NMI to self
  assert.equal(m.cpu.nmis, 1);
  assert.equal(m.cpu.inits, 0, "none of the INITs was for this CPU");
});

Deno.test("lapic: INIT and SIPI to this APIC's own ID reach its vCPU", () => {
  const { m, enable } = setup();
  enable();
  m.write(B + 0x310, 0); // physical destination 0: this APIC
  m.write(B + 0x300, 0x00004500); // INIT assert
  assert.equal(m.cpu.inits, 1);
  m.write(B + 0x300, 0x00000612); // SIPI vector 0x12
  assert.deepEqual(m.cpu.startups, [0x12]);
});

Deno.test("lapic: software disable masks LVTs and ignores unmasking", () => {
  const { m, enable } = setup();
  enable();
  m.write(B + 0x370, 0x33);
  assert.equal(m.read(B + 0x370), 0x33);
  m.write(B + 0xf0, 0xff);
  assert.equal(m.read(B + 0x370), 0x10033);
  m.write(B + 0x370, 0x33);
  assert.equal(m.read(B + 0x370), 0x10033);
});

Deno.test("lapic: timer one-shot and periodic on the virtual clock", () => {
  const { m, enable } = setup();
  enable();
  m.write(B + 0x3e0, 0x3); // divide by 16
  m.write(B + 0x320, 0x30); // one-shot, vector 0x30
  m.write(B + 0x380, 1000); // 16000 ns
  m.advance(8000);
  assert.equal(m.read(B + 0x390), 500);
  assert.equal(m.intr(), false);
  m.advance(8000);
  assert.equal(m.intr(), true);
  assert.equal(m.inta(), 0x30);
  m.write(B + 0xb0, 0);
  assert.equal(m.read(B + 0x390), 0);
  assert.equal(m.clock.pending, 0);
  m.write(B + 0x320, 0x20031); // periodic
  m.write(B + 0x380, 100); // 1600 ns
  let n = 0;
  for (let i = 0; i < 100; i++) {
    m.advance(160);
    if (m.intr()) {
      assert.equal(m.inta(), 0x31);
      m.write(B + 0xb0, 0);
      n++;
    }
  }
  assert.equal(n, 10);
  m.write(B + 0x380, 0);
  assert.equal(m.clock.pending, 0);
  assert.deepEqual(
    [1, 2, 4, 8, 16, 32, 64, 128],
    [0xb, 0, 1, 2, 3, 8, 9, 0xa].map(apicTimerDivisor),
  );
});

Deno.test("lapic: masked timer counts but does not interrupt", () => {
  const { m, enable } = setup();
  enable();
  m.write(B + 0x3e0, 0xb);
  m.write(B + 0x320, 0x10030);
  m.write(B + 0x380, 100);
  m.advance(200);
  assert.equal(m.intr(), false);
});

Deno.test("lapic: TSC-deadline mode", () => {
  const { m, enable } = setup();
  enable();
  m.write(B + 0x320, 0x40040);
  m.write(B + 0x380, 1000);
  assert.equal(m.read(B + 0x380), 0, "initial count ignored in TSC-deadline mode");
  assert.equal(m.wrmsr(MSR_TSC_DEADLINE, 5000n).kind, "ok");
  assert.equal(rd(m, MSR_TSC_DEADLINE), 5000n);
  m.advance(4999);
  assert.equal(m.intr(), false);
  m.advance(1);
  assert.equal(m.inta(), 0x40);
  assert.equal(rd(m, MSR_TSC_DEADLINE), 0n, "disarmed after firing");
  m.write(B + 0xb0, 0);
  m.wrmsr(MSR_TSC_DEADLINE, 1n); // in the past: fires at once
  m.advance(0);
  assert.equal(m.intr(), true);
  m.write(B + 0x320, 0x40); // leave deadline mode
  assert.equal(rd(m, MSR_TSC_DEADLINE), 0n);
});

Deno.test("lapic: x2APIC transitions, MSR access and #GP rules", () => {
  const { m, lapic } = setup();
  assert.equal(m.rdmsr(0x802).kind, "gp", "x2APIC MSRs #GP in xAPIC mode");
  assert.equal(m.wrmsr(MSR_APIC_BASE, 0xfee00000n | 0x400n).kind, "gp", "EN=0 EXTD=1 is invalid");
  assert.equal(m.wrmsr(MSR_APIC_BASE, 0xfee00d00n).kind, "ok");
  assert.equal(lapic.mode, "x2apic");
  assert.equal(m.hasMmio(B), false, "no MMIO in x2APIC mode");
  assert.equal(rd(m, 0x802), 0n);
  assert.equal(rd(m, 0x80d), 0x1n, "LDR derived from ID");
  assert.equal(m.wrmsr(0x80d, 5n).kind, "gp", "LDR read-only");
  assert.equal(m.rdmsr(0x80e).kind, "gp", "no DFR");
  assert.equal(m.rdmsr(0x80b).kind, "gp", "EOI write-only");
  assert.equal(m.wrmsr(0x80b, 1n).kind, "gp", "EOI non-zero");
  assert.equal(m.wrmsr(0x808, 1n << 32n).kind, "gp", "high half reserved");
  assert.equal(m.wrmsr(0x80f, 0x1ffn).kind, "ok");
  assert.equal(m.wrmsr(0x83f, 0x55n).kind, "ok", "SELF IPI");
  assert.equal(m.inta(), 0x55);
  m.wrmsr(0x80b, 0n);
  assert.equal(m.wrmsr(0x830, 0x40066n).kind, "ok", "ICR self");
  assert.equal(m.inta(), 0x66);
  assert.equal(m.wrmsr(0x830, 0x2000n).kind, "gp", "ICR reserved bit");
  assert.equal(m.wrmsr(MSR_APIC_BASE, 0xfee00900n).kind, "gp", "x2APIC -> xAPIC is illegal");
  assert.equal(m.wrmsr(MSR_APIC_BASE, 0xfee00100n).kind, "ok", "x2APIC -> disabled");
  assert.equal(lapic.mode, "disabled");
  assert.equal(m.wrmsr(MSR_APIC_BASE, 0xfee00d00n).kind, "gp", "disabled -> x2APIC is illegal");
  assert.equal(m.wrmsr(MSR_APIC_BASE, 0x1fee00900n << 20n).kind, "gp", "above MAXPHYADDR");
  assert.equal(m.wrmsr(MSR_APIC_BASE, 0xfee00901n).kind, "gp", "reserved low bits");
});

Deno.test("lapic: disable via APIC_BASE then re-enable resets registers, the ID to the initial one", () => {
  const { m, lapic, enable } = setup();
  enable();
  m.write(B + 0x20, 0x07000000);
  m.write(B + 0x80, 0x20);
  m.write(B + 0x320, 0x20031);
  m.write(B + 0x380, 1000);
  m.write(B + 0x300, 0x40050);
  assert.equal(m.wrmsr(MSR_APIC_BASE, 0xfee00100n).kind, "ok");
  assert.equal(m.hasMmio(B), false);
  assert.equal(m.intr(), false);
  assert.equal(m.clock.pending, 0, "timer stopped");
  assert.equal(m.wrmsr(MSR_APIC_BASE, 0xfee00900n).kind, "ok");
  assert.equal(lapic.mode, "xapic");
  assert.equal(m.read(B + 0xf0), 0xff);
  // SDM Vol. 3A 11.4.3 and 11.12.5.1: only the initial (x2APIC) ID survives the disabled state.
  assert.equal(m.read(B + 0x20), 0, "APIC ID back to the initial APIC ID");
  assert.equal(m.read(B + 0x80), 0);
  assert.equal(m.read(B + 0x320), 0x10000);
  assert.equal(m.read(B + 0x350), 0x10000, "LINT0 masked after re-enable");
  assert.equal(m.read(B + 0x200 + 0x20), 0, "IRR cleared");
  // Enable again and things work.
  enable();
  m.write(B + 0x300, 0x40050);
  assert.equal(m.inta(), 0x50);
});

Deno.test("lapic: relocating APIC_BASE moves the MMIO page", () => {
  const { m } = setup();
  assert.equal(m.wrmsr(MSR_APIC_BASE, 0xfed00900n).kind, "ok");
  assert.equal(m.hasMmio(B), false);
  assert.equal(m.read(0xfed00030), 0x00050014);
});

Deno.test("lapic+pic: ExtINT through LINT0, straight INTR when APIC disabled, blocked when LINT0 masked", () => {
  const lapic = createLapic();
  const pic = createPic();
  const m = new FakeMachine().load(lapic, pic);
  assert.equal(m.cpu.setSourceCalls, 1, "exactly one source");
  for (
    const [p, v] of [[0x20, 0x11], [0x21, 0x20], [0x21, 4], [0x21, 1], [0xa0, 0x11], [0xa1, 0x28], [
      0xa1,
      2,
    ], [0xa1, 1]]
  ) {
    m.out(p, v);
  }
  m.setIrq(1, true);
  assert.equal(m.intr(), true);
  assert.equal(m.inta(), 0x21);
  m.out(0x20, 0x20);
  m.write(B + 0x350, 0x10700); // mask LINT0
  m.setIrq(1, false);
  m.setIrq(1, true);
  assert.equal(m.intr(), false);
  m.wrmsr(MSR_APIC_BASE, 0xfee00100n); // disable: LINT0 becomes INTR
  assert.equal(m.intr(), true);
  assert.equal(m.inta(), 0x21);
});

Deno.test("lapic: state round-trip", () => {
  const { m, lapic, enable } = setup();
  enable();
  m.write(B + 0x80, 0x10);
  m.write(B + 0x3e0, 0xb);
  m.write(B + 0x320, 0x20031);
  m.write(B + 0x380, 1000);
  m.advance(300);
  const s = JSON.parse(JSON.stringify(lapic.saveState!()));
  const other = setup();
  other.m.advance(300);
  other.lapic.loadState!(s);
  assert.equal(other.m.read(B + 0x80), 0x10);
  assert.equal(other.m.read(B + 0x390), m.read(B + 0x390));
  other.m.advance(700);
  assert.equal(other.m.intr(), true);
  lapic.dispose!();
  assert.equal(m.clock.pending, 0);
});

Deno.test("lapic: an armed TSC deadline restores at its virtual time, whatever the TSC reads then", () => {
  const { m, lapic, enable } = setup();
  enable();
  m.write(B + 0x320, 0x40040); // TSC-deadline mode, vector 0x40
  assert.equal(m.wrmsr(MSR_TSC_DEADLINE, 5000n).kind, "ok");
  m.advance(300);
  const s = JSON.parse(JSON.stringify(lapic.saveState!()));
  const other = setup();
  other.m.advance(300);
  // While restoring, the vCPU's TSC may not be set yet (or read L2's view).
  other.m.cpu.tsc = () => 0n;
  other.lapic.loadState!(s);
  assert.equal(rd(other.m, MSR_TSC_DEADLINE), 5000n);
  other.m.advance(4699);
  assert.equal(other.m.intr(), false);
  other.m.advance(1);
  assert.equal(other.m.inta(), 0x40, "fires at virtual time 5000, as the original would");
  lapic.dispose!();
  other.lapic.dispose!();
});

Deno.test("lapic: TPR and CR8 stay coherent", () => {
  const { m, enable } = setup();
  enable();
  m.write(B + 0x80, 0x57);
  assert.equal(m.vcpu.cr8, 5);
  m.vcpu.cr8 = 2; // MOV to CR8: TPR[7:4] = 2, TPR[3:0] = 0
  assert.equal(m.read(B + 0x80), 0x20);
  m.write(B + 0x300, 0x40000 | 0x25);
  assert.equal(m.intr(), false, "class 2 is blocked by TPR class 2");
  m.vcpu.cr8 = 1;
  assert.equal(m.inta(), 0x25);
});

Deno.test("lapic: a TPR write in VMX non-root operation (no TPR shadow) is L1's TPR after the exit", () => {
  const { m, enable } = setup();
  enable();
  m.vcpu.nonRoot = true; // L2 writes the TPR passed through to it
  m.write(B + 0x80, 0x78);
  assert.equal(m.vcpu.cr8, 7, "CR8 follows: L2's CR8 is this TPR");
  m.vcpu.nonRoot = false; // VM exit
  assert.equal(m.read(B + 0x80), 0x78, "L1 reads what L2 wrote");
});

Deno.test("lapic: relocating APIC_BASE onto another owner leaves the page unmapped, no host error", () => {
  const { m, lapic } = setup();
  m.load({
    name: "blocker",
    version: "1.0.0",
    apiVersion: 1,
    setup: (ctx) =>
      void ctx.mmio.register(0x100000, 0x1000, { read: () => 0x1234, write: () => {} }),
  });
  assert.equal(m.wrmsr(MSR_APIC_BASE, 0x100900n).kind, "ok");
  assert.equal(lapic.mode, "xapic");
  assert.equal(m.read(0x100030), 0x1234, "the other owner keeps its range");
  assert.equal(m.hasMmio(B), false);
  assert.ok(m.logs.some((l) => l.startsWith("warn: lapic: APIC page at 0x100000 not mapped")));
  assert.equal(m.wrmsr(MSR_APIC_BASE, 0xfee00900n).kind, "ok");
  assert.equal(m.read(B + 0x30), 0x00050014, "mapped again at the default base");
});

Deno.test("lapic: logical destinations (flat and cluster) for IOAPIC-style messages", async () => {
  const { LOCAL_APIC } = await import("./interrupts.ts");
  const { m, enable } = setup();
  enable();
  const svc = (() => {
    let found: import("./interrupts.ts").LocalApicBus | undefined;
    m.load({
      name: "probe",
      version: "1.0.0",
      apiVersion: 1,
      setup: (ctx) => void (found = ctx.services.find(LOCAL_APIC)),
    });
    return found!;
  })();
  m.write(B + 0xd0, 0x02000000); // logical ID 0x02
  const msg = (destination: number, logical: boolean) => ({
    vector: 0x40,
    deliveryMode: 0,
    destination,
    logical,
    levelTriggered: false,
  });
  assert.equal(svc.deliver(msg(0x01, true)), false, "flat: bit 0 is not ours");
  assert.equal(svc.deliver(msg(0x06, true)), true, "flat: bit 1 matches");
  assert.equal(svc.deliver(msg(0x00, false)), true, "physical ID 0");
  assert.equal(svc.deliver(msg(0x01, false)), false, "physical ID 1");
  assert.equal(svc.deliver(msg(0xff, false)), true, "physical broadcast");
  m.write(B + 0xe0, 0x0fffffff); // cluster model
  m.write(B + 0xd0, 0x32000000); // cluster 3, member bit 1
  assert.equal(svc.deliver(msg(0x32, true)), true);
  assert.equal(svc.deliver(msg(0x22, true)), false, "other cluster");
  assert.equal(svc.deliver(msg(0x31, true)), false, "other member");
});

Deno.test("lapic: a one-shot count read as zero stays zero when the mode changes to periodic", () => {
  const { m, enable } = setup();
  enable();
  m.write(B + 0x3e0, 0xb); // divide by 1
  m.write(B + 0x320, 0x00000040); // one-shot, vector 0x40, unmasked
  m.write(B + 0x380, 1000);
  // Time reaches the expiry (a read in the middle of a run slice), before the
  // clock has run the expiry callback.
  m.cpu.retired += 1000;
  assert.equal(m.read(B + 0x390), 0);
  m.write(B + 0x320, 0x00020040); // periodic
  assert.equal(m.read(B + 0x390), 0, "TMCCT stays 0: the one-shot count has ended");
  m.cpu.retired += 300;
  assert.equal(m.read(B + 0x390), 0);
});

Deno.test("lapic: deliverToId reaches the APIC with that physical ID only (no broadcast, no alias)", async () => {
  const { LOCAL_APIC } = await import("./interrupts.ts");
  const { m, enable } = setup();
  let found: import("./interrupts.ts").LocalApicBus | undefined;
  m.load({
    name: "probe",
    version: "1.0.0",
    apiVersion: 1,
    setup: (ctx) => void (found = ctx.services.find(LOCAL_APIC)),
  });
  const svc = found!;
  const irr40 = () => m.read(B + 0x220) & 1; // IRR bit of vector 0x40
  assert.equal(svc.deliverToId(0, 0, 0x40, false), false, "software-disabled: fixed dropped");
  assert.equal(irr40(), 0);
  assert.equal(svc.deliverToId(0, 4, 0, false), true, "NMI is taken while software-disabled");
  enable();
  assert.equal(svc.deliverToId(1, 0, 0x40, false), false, "no APIC has ID 1");
  assert.equal(svc.deliverToId(0xff, 0, 0x40, false), false, "0xff is an ID here, not a broadcast");
  assert.equal(svc.deliverToId(0x100, 0, 0x40, false), false, "no 8-bit aliasing");
  assert.equal(irr40(), 0);
  assert.equal(svc.deliverToId(0, 0, 0x05, false), false, "illegal vector refused");
  assert.equal(svc.deliverToId(0, 0, 0x40, false), true);
  assert.equal(irr40(), 1);
  m.write(B + 0x20, 0x07000000); // xAPIC ID register := 7
  assert.equal(svc.deliverToId(0, 0, 0x41, false), false, "the ID register decides in xAPIC mode");
  assert.equal(svc.deliverToId(7, 0, 0x41, false), true);
  assert.equal(m.wrmsr(MSR_APIC_BASE, 0xfee00d00n).kind, "ok"); // x2APIC mode
  assert.equal(svc.deliverToId(0, 0, 0x42, false), true, "x2APIC ID = vCPU index");
  assert.equal(svc.deliverToId(7, 0, 0x42, false), false);
  assert.equal(svc.deliverToId(0xffffffff, 0, 0x42, false), false, "not the x2APIC broadcast");
});

Deno.test("lapic: a PMI follows the LVT performance-counter entry and masks it", () => {
  const { m, enable } = setup();
  enable();
  const pmi = () => m.cpu.source!.performanceInterrupt!();
  pmi();
  assert.equal(m.intr(), false, "masked at power-up: dropped");
  m.write(B + 0x340, 0x45); // fixed, vector 0x45
  pmi();
  assert.equal(m.inta(), 0x45);
  assert.equal(m.read(B + 0x340), 0x10045, "delivery set the mask bit");
  pmi();
  assert.equal(m.intr(), false, "masked until the handler unmasks it");
  m.write(B + 0xb0, 0);
  m.write(B + 0x340, 0x400); // NMI delivery
  const nmis = m.cpu.nmis;
  pmi();
  assert.equal(m.cpu.nmis, nmis + 1);
  assert.equal(m.read(B + 0x340), 0x10400);
  m.write(B + 0x340, 0x200); // SMI: no SMM, nothing delivered, entry unchanged
  pmi();
  assert.equal(m.cpu.nmis, nmis + 1);
  assert.equal(m.intr(), false);
  assert.equal(m.read(B + 0x340), 0x200);
});

import assert from "node:assert/strict";
import { bootFlat, createMachine } from "../machine_builder.ts";
import type { PcMachine } from "../pc_machine.ts";
import { DEFAULT_RTC_EPOCH } from "../../devices/rtc.ts";
import { KvmClock, type KvmClockHost, TIME_INFO_SIZE } from "./kvmclock.ts";
import { PhysicalMemory } from "../../mm/physical.ts";

const CODE = 0x100000;
// wrmsr IA32_TSC = 123456; wrmsr MSR_KVM_SYSTEM_TIME_NEW = 0x5001;
// wrmsr MSR_KVM_WALL_CLOCK_NEW = 0x6000; edi = rdmsr(MSR_KVM_SYSTEM_TIME_NEW);
// 1000 times dec esi; jnz; hlt (GNU as, 32-bit).
const PROGRAM = "b910000000b840e2010031d20f30b9014d564bb80150000031d20f30b9004d564b" +
  "b8006000000f30b9014d564b0f3289c7bee80300004e75fdf4";

function run(options: { kvmPv: boolean; devices?: string[] }): PcMachine {
  const m = createMachine({ memoryMiB: 16, kvmPv: options.kvmPv, devices: options.devices });
  bootFlat(m, [{ addr: CODE, data: Uint8Array.fromHex(PROGRAM) }], CODE, "protected32");
  const r = m.run({ maxInstructions: 100_000 });
  assert.equal(r.reason.kind, "halted");
  return m;
}

/** The guest's reading of kvmclock: system_time + ((tsc - tsc_timestamp) << shift) * mul / 2^32. */
function kvmclockAt(m: PcMachine, tsc: bigint): bigint {
  const mem = m.memory;
  const ts = mem.read64(0x5008), st = mem.read64(0x5010);
  const mul = BigInt(mem.read(0x5018, 4));
  const shift = (mem.read(0x501c, 1) << 24) >> 24;
  const d = tsc - ts;
  const scaled = shift >= 0 ? d << BigInt(shift) : d >> BigInt(-shift);
  return st + ((scaled * mul) >> 32n);
}

Deno.test("kvmclock: the guest's reading is virtual time, to the nanosecond, after a TSC write", () => {
  const m = run({ kvmPv: true });
  const mem = m.memory;
  const version = mem.read(0x5000, 4);
  assert.ok(version !== 0 && version % 2 === 0, `version ${version}: written, even`);
  assert.equal(mem.read(0x501d, 1), 1, "flags: PVCLOCK_TSC_STABLE_BIT");
  assert.equal(m.cpu.gpr[14], 0x5001, "RDMSR returns what was written");
  // The TSC was written (so it is not virtual time), yet kvmclock reads virtual time.
  const tsc = m.cpu.readTsc();
  assert.notEqual(tsc, BigInt(Math.floor(m.virtualNs)));
  assert.equal(kvmclockAt(m, tsc), BigInt(Math.floor(m.virtualNs)));
  // The wall clock: the RTC's epoch at kvmclock 0.
  assert.equal(mem.read(0x6000, 4) % 2, 0);
  assert.notEqual(mem.read(0x6000, 4), 0);
  assert.equal(mem.read(0x6004, 4), DEFAULT_RTC_EPOCH);
  assert.equal(mem.read(0x6008, 4), 0);
  m.dispose();
});

Deno.test("kvmclock: the wall clock follows the RTC's configured epoch", () => {
  const m = run({ kvmPv: true, devices: ["mc146818rtc,epoch=1000000000"] });
  assert.equal(m.memory.read(0x6004, 4), 1000000000);
  m.dispose();
});

Deno.test("kvmclock: without kvm-pv the MSR is #GP and nothing is written", () => {
  const m = createMachine({ memoryMiB: 16 });
  bootFlat(m, [{ addr: CODE, data: Uint8Array.fromHex(PROGRAM) }], CODE, "protected32");
  m.memory.write(0x5000, 4, 0x12345678);
  const r = m.run({ maxInstructions: 100_000 });
  // No IDT: the #GP of the kvmclock WRMSR ends in a triple fault.
  assert.equal(r.reason.kind, "triple-fault");
  assert.equal(m.memory.read(0x5000, 4), 0x12345678, "untouched");
  m.dispose();
});

/** A host over plain RAM: time and TSC given by the test. */
function fakeHost(ramBytes: number, now: number, tsc: bigint): KvmClockHost {
  const memory = new PhysicalMemory({ dirtyLog: false });
  memory.addRam(0, ramBytes);
  return { memory, now: () => now, readTsc: () => tsc, epochSeconds: () => 42 };
}

Deno.test("kvmclock: an area crossing a page or outside RAM is not written; versions stay even and change", () => {
  const host = fakeHost(0x10000, 5000.7, 99n);
  const k = new KvmClock(2);
  k.writeSystemTime(host, 1, BigInt(0x1000 - TIME_INFO_SIZE + 8) | 1n);
  assert.equal(host.memory.read(0x1000 - TIME_INFO_SIZE + 8, 4), 0, "crossing a page: not written");
  assert.equal(k.systemTime[1], BigInt(0x1000 - TIME_INFO_SIZE + 8) | 1n, "but the MSR holds it");
  k.writeSystemTime(host, 0, 0x20001n); // beyond RAM: no throw, nothing written
  host.memory.write(0x2000, 4, 7); // an odd version left in memory
  k.writeSystemTime(host, 0, 0x2001n);
  assert.equal(host.memory.read(0x2000, 4), 8, "the next even version");
  assert.equal(host.memory.read64(0x2008), 99n);
  assert.equal(host.memory.read64(0x2010), 5000n, "virtual ns, rounded down");
  k.writeSystemTime(host, 0, 0x2001n);
  assert.equal(host.memory.read(0x2000, 4), 10);
  // Disabled (bit 0 clear): remembered, not written.
  host.memory.write(0x3000, 4, 0);
  k.writeSystemTime(host, 0, 0x3000n);
  assert.equal(host.memory.read(0x3000, 4), 0);
  // Snapshots keep the MSRs; a malformed value is an error.
  const copy = new KvmClock(2);
  copy.load(JSON.parse(JSON.stringify(k.save())));
  assert.deepEqual(copy.systemTime, k.systemTime);
  assert.throws(() => copy.load({ wallClock: "-1" }), /wall clock/);
  copy.reset();
  assert.deepEqual(copy.systemTime, [0n, 0n]);
});

Deno.test("kvmclock: a TSC write after publishing moves the reading until the MSR is written again", () => {
  let now = 1000, tsc = 1000n; // the vCPU's TSC = virtual ns, no offset yet
  const memory = new PhysicalMemory({ dirtyLog: false });
  memory.addRam(0, 0x10000);
  const host: KvmClockHost = { memory, now: () => now, readTsc: () => tsc, epochSeconds: () => 0 };
  const reading = (): bigint => {
    const ts = memory.read64(0x2008), st = memory.read64(0x2010);
    return st + (((tsc - ts) << 1n) * BigInt(memory.read(0x2018, 4)) >> 32n);
  };
  const k = new KvmClock(1);
  k.writeSystemTime(host, 0, 0x2001n);
  now += 500;
  tsc += 500n;
  assert.equal(reading(), 1500n, "virtual time");
  tsc += 7000n; // the guest wrote the TSC 7,000 ticks ahead
  assert.equal(reading(), 8500n, "moved by the write");
  k.writeSystemTime(host, 0, 0x2001n);
  assert.equal(reading(), 1500n, "virtual time again after the MSR write");
});

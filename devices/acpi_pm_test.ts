import assert from "node:assert/strict";
import {
  createAcpiPm,
  PM_TIMER_HZ,
  pmTimerCarries,
  pmTimerCarryTime,
  pmTimerCount,
  PWRBTN_STS,
  RTC_STS,
  SLP_EN,
  TMR_STS,
  WAK_STS,
} from "./acpi_pm.ts";
import { createRtc } from "./rtc.ts";
import { FakeMachine as Fake } from "./testing.ts";
import { ArrayMemory } from "../boot/array_memory.ts";

class FakeMachine extends Fake {
  readonly ram: ArrayMemory;
  constructor() {
    const ram = new ArrayMemory(2 * 1024 * 1024);
    super(ram.ramSize, ram);
    this.ram = ram;
  }
}

Deno.test("acpi pm: tables are in guest memory after setup (RSDP signature at 0xE0000)", () => {
  const m = new FakeMachine().load(createAcpiPm());
  const sig = new TextDecoder().decode(m.ram.readBytes(0xe0000, 8));
  assert.equal(sig, "RSD PTR ");
  assert.equal(m.ram.read(0xe0200, 4), 0x54445344); // "DSDT"
  m.ram.write(0xe0200, 4, 0);
  m.plugins[0].reset?.();
  assert.equal(m.ram.read(0xe0200, 4), 0x54445344, "rewritten on reset");
});

Deno.test("acpi pm: the PM timer counts 3.579545 MHz of virtual time, 24 bits wide", () => {
  assert.equal(pmTimerCount(1e9), PM_TIMER_HZ);
  assert.equal(pmTimerCount(1000), 3);
  assert.equal(pmTimerCount(10e9), (10 * PM_TIMER_HZ) % 0x1000000);
  const m = new FakeMachine().load(createAcpiPm());
  const t0 = m.in(0x608, 4);
  m.advance(1_000_000); // 1 ms
  const t1 = m.in(0x608, 4);
  assert.equal(
    (t1 - t0) & 0xffffff,
    3579 + (pmTimerCount(m.clock.now) - pmTimerCount(m.clock.now - 1e6) - 3579),
  );
  assert.ok(((t1 - t0) & 0xffffff) >= 3579 && ((t1 - t0) & 0xffffff) <= 3580);
  assert.equal(t1 >>> 24, 0);
});

Deno.test("acpi pm: SCI_EN reads 1; SLP_EN with SLP_TYP 5 powers off, other types do not", () => {
  const m = new FakeMachine().load(createAcpiPm());
  assert.equal(m.in(0x604, 2) & 1, 1);
  m.out(0x604, (3 << 10) | (1 << 13), 2);
  assert.deepEqual(m.stops, []);
  assert.equal(m.in(0x604, 2) & (1 << 13), 0, "SLP_EN is write-only");
  m.out(0x604, (5 << 10) | (1 << 13) | 1, 2);
  assert.deepEqual(m.stops, [{ kind: "shutdown" }]);
});

Deno.test("acpi pm: PM1_EN is stored, PM1_STS bits clear when written with one", () => {
  const m = new FakeMachine().load(createAcpiPm());
  m.out(0x602, 0x0121, 2);
  assert.equal(m.in(0x602, 2), 0x0121);
  assert.equal(m.in(0x600, 4) >>> 16, 0x0121);
  m.out(0x600, 0xffff, 2);
  assert.equal(m.in(0x600, 2), 0);
});

Deno.test("acpi pm: the PM timer's bit-23 carries are counted and timed exactly", () => {
  // Bit 23 changes every 2^23 ticks of 3.579545 MHz.
  const first = pmTimerCarryTime(1);
  assert.equal(pmTimerCarries(first - 1), 0);
  assert.equal(pmTimerCarries(first), 1);
  assert.equal(pmTimerCount(first) >>> 23, 1);
  assert.equal(pmTimerCount(first - 1) >>> 23, 0);
  assert.equal(pmTimerCarries(pmTimerCarryTime(1000)), 1000);
  assert.equal(pmTimerCarries(pmTimerCarryTime(1000) - 1), 999);
});

Deno.test("acpi pm: TMR_STS is set at the carry; the SCI follows TMR_STS and TMR_EN", () => {
  const m = new FakeMachine().load(createAcpiPm());
  assert.equal(m.in(0x600, 2) & TMR_STS, 0);
  m.advance(pmTimerCarryTime(1));
  assert.equal(m.in(0x600, 2) & TMR_STS, TMR_STS, "status without the enable bit");
  assert.notEqual(m.lineLevels.get(9), true, "no SCI while TMR_EN is clear");
  m.out(0x602, TMR_STS, 2); // TMR_EN with TMR_STS pending: the SCI rises
  assert.equal(m.lineLevels.get(9), true);
  m.out(0x600, TMR_STS, 2); // write one to clear: the SCI falls
  assert.equal(m.in(0x600, 2) & TMR_STS, 0);
  assert.equal(m.lineLevels.get(9), false);
  // With TMR_EN set, the next carry raises the SCI by itself (a timer), without a port access.
  m.advance(pmTimerCarryTime(2) - m.clock.now - 1);
  assert.equal(m.lineLevels.get(9), false, "not before the carry");
  m.advance(1);
  assert.equal(m.lineLevels.get(9), true, "at the carry");
  m.out(0x602, 0, 2); // TMR_EN off: the SCI falls, TMR_STS stays
  assert.equal(m.lineLevels.get(9), false);
  assert.equal(m.in(0x600, 2) & TMR_STS, TMR_STS);
});

Deno.test("acpi pm: a restored machine sees the same TMR_STS and carry timer as the saved one", () => {
  const a = new FakeMachine().load(createAcpiPm());
  a.out(0x602, TMR_STS, 2); // TMR_EN
  a.advance(pmTimerCarryTime(1) - 1);
  const saved = a.plugins[0].saveState!();
  const b = new FakeMachine().load(createAcpiPm());
  b.advance(a.clock.now);
  b.plugins[0].loadState!(saved);
  assert.equal(b.in(0x600, 4), TMR_STS << 16, "no status yet, TMR_EN set");
  b.advance(1);
  a.advance(1);
  assert.equal(b.lineLevels.get(9), true, "the restored carry timer fires at the carry");
  assert.equal(a.lineLevels.get(9), true);
  assert.equal(b.in(0x600, 4), a.in(0x600, 4));
  // A carry that happened before the save but was not yet read is in the saved state.
  const c = new FakeMachine().load(createAcpiPm());
  c.advance(pmTimerCarryTime(3) + 5);
  const late = c.plugins[0].saveState!();
  assert.deepEqual(late.data, { sts: TMR_STS, en: 0, cnt: 1, seen: 3 });
  const d = new FakeMachine().load(createAcpiPm());
  d.advance(c.clock.now);
  d.plugins[0].loadState!(late);
  assert.equal(d.in(0x600, 2) & TMR_STS, TMR_STS);
});

// ---- S3: sleep type decoding, wake events, WAK_STS ----

const PM1_STS = 0x600;
const PM1_EN = 0x602;
const PM1_CNT = 0x604;

/** An ACPI device with the board's RTC (alarm every second: all three alarm registers "don't care"). */
function s3Machine(options: { s3?: boolean } = {}) {
  const m = new FakeMachine();
  const acpi = createAcpiPm(undefined, options);
  m.load(createRtc({ epoch: 0 }), acpi);
  const cmos = (i: number, v?: number): number => {
    m.out(0x70, i);
    if (v !== undefined) m.out(0x71, v);
    return v ?? m.in(0x71);
  };
  const alarmEverySecond = (): void => {
    for (const r of [1, 3, 5]) cmos(r, 0xc0);
    cmos(0x0c); // clear pending flags
    cmos(0x0b, cmos(0x0b) | 0x20); // AIE
  };
  return { m, acpi, cmos, alarmEverySecond };
}

Deno.test("acpi pm: SLP_EN with SLP_TYP 1 (the \\_S3 value) asks the machine to sleep; SLP_TYP 5 still powers off", () => {
  const { m } = s3Machine();
  m.out(PM1_CNT, (1 << 10) | 1, 2); // SLP_TYP alone: nothing happens yet
  assert.deepEqual(m.powerRequests, []);
  m.out(PM1_CNT, (1 << 10) | SLP_EN | 1, 2);
  assert.deepEqual(m.powerRequests, ["sleep"]);
  assert.deepEqual(m.stops, []);
  assert.equal(m.in(PM1_CNT, 2), (1 << 10) | 1, "SLP_TYP is kept, SLP_EN reads 0");
  // A byte write of the high half (SLP_EN is bit 13) is decoded the same way.
  const b = s3Machine().m;
  b.out(PM1_CNT + 1, ((1 << 10) | SLP_EN) >> 8, 1);
  assert.deepEqual(b.powerRequests, ["sleep"]);
  const c = s3Machine().m;
  c.out(PM1_CNT, (5 << 10) | SLP_EN, 2);
  assert.deepEqual(c.stops, [{ kind: "shutdown" }]);
  assert.deepEqual(c.powerRequests, []);
});

Deno.test("acpi pm: with s3=off, SLP_TYP 1 is ignored with a warning", () => {
  const { m } = s3Machine({ s3: false });
  m.out(PM1_CNT, (1 << 10) | SLP_EN, 2);
  assert.deepEqual(m.powerRequests, []);
  assert.ok(m.logs.some((l) => /sleep type 1 requested; only S5/.test(l)), m.logs.join("\n"));
  // Its DSDT has no \_S3: the AML after the header starts with _S5.
  const dsdt = m.ram.readBytes(0xe0200 + 36, 5);
  assert.equal(new TextDecoder().decode(dsdt.subarray(1)), "_S5_");
});

Deno.test("acpi pm: the RTC alarm wakes a sleeping machine when RTC_EN is set, and sets RTC_STS and WAK_STS", () => {
  const { m, alarmEverySecond, cmos } = s3Machine();
  alarmEverySecond();
  m.out(PM1_EN, RTC_STS, 2);
  m.out(PM1_CNT, (1 << 10) | SLP_EN, 2);
  assert.equal(m.power.asleep, true);
  m.advance(999_999_999);
  assert.equal(m.power.asleep, true, "not before the second boundary");
  m.advance(1);
  assert.deepEqual(m.powerRequests, ["sleep", "wake"]);
  assert.equal(m.in(PM1_STS, 2) & (WAK_STS | RTC_STS), WAK_STS | RTC_STS);
  assert.equal(cmos(0x0c) & 0x20, 0x20, "the RTC's alarm flag is there for the OS to read");
  // RTC_STS and RTC_EN both set: the SCI is asserted (the OS clears the status).
  assert.equal(m.lineLevels.get(9), true);
  m.out(PM1_STS, WAK_STS | RTC_STS, 2);
  assert.equal(m.in(PM1_STS, 2) & (WAK_STS | RTC_STS), 0);
  assert.equal(m.lineLevels.get(9), false);
});

Deno.test("acpi pm: without RTC_EN the alarm sets RTC_STS but does not wake the machine", () => {
  const { m, alarmEverySecond } = s3Machine();
  alarmEverySecond();
  m.out(PM1_CNT, (1 << 10) | SLP_EN, 2);
  m.advance(3e9);
  assert.deepEqual(m.powerRequests, ["sleep"]);
  assert.equal(m.in(PM1_STS, 2) & (WAK_STS | RTC_STS), RTC_STS);
  assert.notEqual(m.lineLevels.get(9), true, "no SCI without RTC_EN");
});

Deno.test("acpi pm: without the alarm interrupt enabled (RTC register B AIE) the alarm wakes nothing", () => {
  const { m, cmos } = s3Machine();
  for (const r of [1, 3, 5]) cmos(r, 0xc0);
  m.out(PM1_EN, RTC_STS, 2);
  m.out(PM1_CNT, (1 << 10) | SLP_EN, 2);
  m.advance(3e9);
  assert.deepEqual(m.powerRequests, ["sleep"]);
  assert.equal(m.in(PM1_STS, 2) & RTC_STS, 0);
});

Deno.test("acpi pm: the power button wakes a sleeping machine whatever PWRBTN_EN says; awake it raises the SCI when enabled", () => {
  const { m, acpi } = s3Machine();
  m.out(PM1_CNT, (1 << 10) | SLP_EN, 2);
  acpi.pressPowerButton();
  assert.deepEqual(m.powerRequests, ["sleep", "wake"]);
  assert.equal(m.in(PM1_STS, 2) & (WAK_STS | PWRBTN_STS), WAK_STS | PWRBTN_STS);
  assert.notEqual(m.lineLevels.get(9), true, "PWRBTN_EN clear: no SCI");
  m.out(PM1_STS, 0xffff, 2);
  m.out(PM1_EN, PWRBTN_STS, 2);
  acpi.pressPowerButton(); // awake: status and SCI, no wake
  assert.deepEqual(m.powerRequests, ["sleep", "wake"]);
  assert.equal(m.in(PM1_STS, 2), PWRBTN_STS);
  assert.equal(m.lineLevels.get(9), true);
});

Deno.test("acpi pm: the PM1 registers and the tables survive S3 (standby power); a reset clears them", () => {
  const { m, acpi } = s3Machine();
  m.out(PM1_EN, RTC_STS | PWRBTN_STS, 2);
  m.ram.write(0xe00c0 + 12, 4, 0x1000); // the OS's waking vector in the FACS
  m.out(PM1_CNT, (1 << 10) | SLP_EN, 2); // the fake carries out the sleep at once (suspend hooks)
  assert.equal(m.in(PM1_EN, 2), RTC_STS | PWRBTN_STS);
  assert.equal(m.in(PM1_CNT, 2), (1 << 10) | 1);
  assert.equal(m.ram.read(0xe00c0 + 12, 4), 0x1000, "the FACS is not rewritten");
  acpi.reset?.();
  assert.equal(m.in(PM1_EN, 2), 0);
  assert.equal(m.ram.read(0xe00c0 + 12, 4), 0, "a reset writes fresh tables");
});

Deno.test("acpi pm: an RTC interrupt while awake sets RTC_STS; with RTC_EN it raises the SCI", () => {
  const { m, alarmEverySecond } = s3Machine();
  alarmEverySecond();
  m.advance(1e9);
  assert.equal(m.in(PM1_STS, 2) & RTC_STS, RTC_STS);
  assert.notEqual(m.lineLevels.get(9), true);
  m.out(PM1_EN, RTC_STS, 2);
  assert.equal(m.lineLevels.get(9), true);
  assert.deepEqual(m.powerRequests, [], "awake: an event, not a wake");
});

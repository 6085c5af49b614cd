/**
 * ACPI S3 end to end, judged by the acpi_s3 guest (guests/src/acpi): three
 * suspend-to-RAM cycles woken by the RTC alarm, resumed by the PC firmware
 * through the real-mode, 32-bit and 64-bit waking vectors; and snapshots
 * taken while the machine sleeps, or after a resume, restore in a fresh
 * machine and finish exactly as the uninterrupted run.
 */
import assert from "node:assert/strict";
import { bootKernel, createMachine } from "../plugins/machine_builder.ts";
import type { PcMachine } from "../plugins/pc_machine.ts";
import { restoreMachine, saveMachine } from "../core/snapshot/machine_snapshot.ts";
import { acpiOf } from "../devices/board_pc.ts";
import { assertTap } from "./tap.ts";
import { type Plugin, PLUGIN_API_VERSION } from "../core/plugin.ts";

const IMAGE = Deno.readFileSync(new URL("../guests/build/acpi_s3.elf", import.meta.url));
const dec = new TextDecoder();

function build(
  sink: (s: string) => void,
  options: { s3?: boolean } = {},
  plugins: Plugin[] = [],
): PcMachine {
  return createMachine({
    memoryMiB: 32,
    serial: (b) => sink(dec.decode(b)),
    devices: options.s3 === false ? ["acpi,s3=off"] : [],
    logLevel: "silent",
    plugins,
  });
}

Deno.test("acpi s3 guest: three suspend/resume cycles through each waking vector pass", () => {
  let out = "";
  const m = build((s) => (out += s));
  bootKernel(m, IMAGE);
  const r = m.run({ maxInstructions: 50_000_000 });
  assert.deepEqual(r.reason, { kind: "exit", status: 1 }, out);
  assertTap(out, { plan: 21 }, "acpi_s3");
  assert.match(out, /instructions after the SLP_EN write ran: no/);
  assert.doesNotMatch(out, /instructions after the SLP_EN write ran: yes/);
  // Three one-second sleeps and the waits for an RTC update: seconds of
  // virtual time, few instructions.
  assert.ok(m.virtualNs > 3e9, `virtual time ${m.virtualNs}`);
  assert.ok(r.instructions < 5_000_000, `${r.instructions} instructions`);
  m.dispose();
});

Deno.test("acpi s3 guest: with s3=off the DSDT has no \\_S3 and the guest says so", () => {
  let out = "";
  const m = build((s) => (out += s), { s3: false });
  bootKernel(m, IMAGE);
  const r = m.run({ maxInstructions: 50_000_000 });
  assert.deepEqual(r.reason, { kind: "exit", status: 3 }, out);
  assert.match(out, /not ok 2 - the DSDT's \\_S3 gives SLP_TYP -1/);
  m.dispose();
});

function asleep(m: PcMachine): boolean {
  return m.powerState.asleep;
}

/**
 * A plugin that breaks the run (as a debugger would) when the guest writes
 * SLP_EN to PM1a_CNT: the run returns right after that instruction, with
 * the sleep requested but not yet carried out.
 */
function breakOnSleep(onBreak: () => void): Plugin {
  return {
    name: "break-on-sleep",
    version: "1.0.0",
    apiVersion: PLUGIN_API_VERSION,
    setup(ctx) {
      ctx.exits.observe((e) => {
        if (e.kind === "io" && e.port === 0x604 && e.direction === "out" && (e.value & 0x2000)) {
          onBreak();
        }
      });
    },
  };
}

/** Boot the guest and run it to its first SLP_EN write (the run stops there). */
function toFirstSleep(sink: (s: string) => void): PcMachine {
  let m: PcMachine | null = null;
  m = build(sink, {}, [breakOnSleep(() => m!.breakRun())]);
  bootKernel(m, IMAGE);
  const r = m.run({ maxInstructions: 50_000_000 });
  assert.equal(r.reason.kind, "debug");
  return m;
}

/** Save `m`, restore it into a fresh machine and run that to the end. */
async function finishFromSnapshot(
  m: PcMachine,
  sink: (s: string) => void,
): Promise<{ retired: number; ns: number }> {
  const snap = await saveMachine(m);
  m.dispose();
  const r = await restoreMachine(snap, () => build(sink, {}, [breakOnSleep(() => {})]));
  const end = r.run({ maxInstructions: 50_000_000 });
  assert.deepEqual(end.reason, { kind: "exit", status: 1 });
  const result = { retired: r.retired, ns: r.virtualNs };
  r.dispose();
  return result;
}

Deno.test("acpi s3 guest: snapshots taken with the sleep requested, while asleep, and after a resume finish identically", async () => {
  let out = "";
  const whole = build((s) => (out += s), {}, [breakOnSleep(() => {})]);
  bootKernel(whole, IMAGE);
  whole.run({ maxInstructions: 50_000_000 });
  const expected = { out, retired: whole.retired, ns: whole.virtualNs };
  whole.dispose();

  // Right after the SLP_EN write: the sleep is requested, not yet carried out.
  let a = "";
  const requested = toFirstSleep((s) => (a += s));
  assert.deepEqual(requested.powerState, {
    asleep: false,
    sleepRequested: true,
    wakeRequested: false,
  });
  const ra = await finishFromSnapshot(requested, (s) => (a += s));
  assert.deepEqual({ out: a, ...ra }, expected);

  // Asleep (a run of zero instructions carries the sleep out and returns).
  let b = "";
  const sleeping = toFirstSleep((s) => (b += s));
  assert.equal(sleeping.run({ maxInstructions: 0 }).reason.kind, "budget");
  assert.equal(asleep(sleeping), true);
  const rb = await finishFromSnapshot(sleeping, (s) => (b += s));
  assert.deepEqual({ out: b, ...rb }, expected);

  // After the first resume, awake again.
  let c = "";
  const resumed = toFirstSleep((s) => (c += s));
  while (!c.includes("ok 9 ")) {
    assert.equal(resumed.run({ maxInstructions: 20_000 }).reason.kind, "budget");
  }
  assert.equal(asleep(resumed), false);
  const rc = await finishFromSnapshot(resumed, (s) => (c += s));
  assert.deepEqual({ out: c, ...rc }, expected);
});

Deno.test("acpi s3 guest: the power button wakes the machine before the alarm would", () => {
  let out = "";
  const m = toFirstSleep((s) => (out += s));
  m.run({ maxInstructions: 0 });
  assert.equal(asleep(m), true);
  const sleptAt = m.virtualNs;
  // Asleep: the next timer is the RTC's update; press the button now instead.
  acpiOf(m.plugins)!.pressPowerButton();
  assert.equal(m.run({ maxInstructions: 10 }).reason.kind, "budget");
  assert.equal(asleep(m), false);
  assert.ok(m.virtualNs - sleptAt < 1000, "woken at once, not at the alarm's second boundary");
  const r = m.run({ maxInstructions: 5_000_000 });
  assert.equal(r.reason.kind, "debug", "the run went on to the next cycle's SLP_EN write");
  // Resumed through the waking vector; WAK_STS and PWRBTN_STS set, RTC_STS
  // and the RTC's alarm flag not (the guest's checks 6 and 7 expect the RTC
  // alarm, so they fail).
  assert.match(out, /ok 4 - real-mode vector: resumed through it/);
  assert.match(out, /not ok 6 - real-mode vector: PM1_STS 0x8100 has WAK_STS and RTC_STS/);
  assert.match(out, /not ok 7 - real-mode vector: the RTC's alarm flag is set \(register C 0x0\)/);
  m.dispose();
});

import assert from "node:assert/strict";
import { parseExpectation, scanStages, TERMINAL_STAGES, unmetExpectations } from "./stages.ts";

Deno.test("linux stages: found in a transcript with their details, in order", () => {
  const t = [
    "[    0.000000] Linux version 6.1.0-50-amd64 (debian-kernel@lists.debian.org) (gcc-12)",
    "[    0.010000] ACPI: RSDP 0x00000000000E0000 000024 (v02 NESTVM)",
    "[    0.900000] Run /init as init process",
    "[init     1.000] userspace reached: Linux 6.1.0-50-amd64",
    "[init     1.010] vmx in /proc/cpuinfo: yes",
    '[kvm-client] L2 said: "Hello from L2"',
    "[    2.000000] reboot: Power down",
  ].join("\n");
  const s = scanStages(t, (o) => o);
  assert.deepEqual(s.map((x) => x.id), [
    "version",
    "acpi",
    "run-init",
    "userspace",
    "vmx",
    "l2-output",
    "power-off",
  ]);
  assert.equal(s[0].detail, "6.1.0-50-amd64");
  assert.equal(s.find((x) => x.id === "vmx")?.detail, "yes");
  assert.equal(s.find((x) => x.id === "l2-output")?.detail, '"Hello from L2"');
  // Guest time: the stage's own timestamp, or the last one before it.
  assert.deepEqual(s.map((x) => x.guestS), [0, 0.01, 0.9, 1, 1.01, 1.01, 2]);
});

Deno.test("linux stages: no timestamp before a stage leaves its guest time undefined", () => {
  const s = scanStages("early console in extract_kernel\nDecompressing Linux... ", () => 0);
  assert.equal(s[0].id, "decompress");
  assert.equal(s[0].guestS, undefined);
});

Deno.test("linux stages: the CPU-feature refusal names the missing features", () => {
  const t =
    "This kernel requires the following features not present on the CPU:\nfpu fxsr sse sse2 \nUnable to boot";
  const s = scanStages(t, () => 0);
  assert.equal(s.length, 1);
  assert.equal(s[0].id, "cpu-check");
  assert.equal(s[0].detail, "fpu fxsr sse sse2");
});

Deno.test("linux stages: a kernel without an FPU giving up is a terminal stage", () => {
  const t = "[    0.098756] x86/fpu: Giving up, no FPU found and no math emulation present\n";
  const s = scanStages(t, () => 0);
  assert.deepEqual(s.map((x) => x.id), ["no-fpu"]);
  assert.ok(TERMINAL_STAGES.includes("no-fpu"));
});

Deno.test("linux stages: the init.s3 round trip is a stage with its verdict", () => {
  const t = [
    "[init     2.300] suspending to RAM (RTC wake alarm in 2 s)",
    "[    2.301000] ACPI: PM: Preparing to enter system sleep state S3",
    "[    2.302000] ACPI: PM: Waking up from system sleep state S3",
    "[init     4.400] back from suspend to RAM: yes",
    "[    4.500000] reboot: Power down",
  ].join("\n");
  const s = scanStages(t, () => 0);
  assert.deepEqual(s.map((x) => [x.id, x.detail]), [["s3", "yes"], [
    "power-off",
    "reboot: Power down",
  ]]);
});

Deno.test("linux stages: the clocksource switch names the clock", () => {
  const t = [
    "[    0.400000] clocksource: Switched to clocksource kvm-clock",
    "[    1.200000] clocksource: Switched to clocksource tsc",
  ].join("\n");
  const s = scanStages(t, () => 0);
  assert.deepEqual(s.map((x) => [x.id, x.detail]), [["clocksource", "kvm-clock"]]);
});

Deno.test("linux stages: --expect is met only by the stage with that detail", () => {
  const stages = scanStages(
    [
      "[    0.400000] clocksource: Switched to clocksource tsc-early",
      "[init     3.000] kvm-client exit status 0",
    ].join("\n"),
    () => 0,
  );
  assert.deepEqual(parseExpectation("clocksource=kvm-clock"), {
    id: "clocksource",
    detail: "kvm-clock",
  });
  assert.deepEqual(parseExpectation("power-off"), { id: "power-off" });
  assert.throws(() => parseExpectation("clock-source=tsc"), /no stage "clock-source"/);
  assert.deepEqual(unmetExpectations(stages, [parseExpectation("client-exit=0")]), []);
  assert.deepEqual(unmetExpectations(stages, [parseExpectation("clocksource")]), []);
  assert.deepEqual(
    unmetExpectations(stages, ["clocksource=kvm-clock", "power-off"].map(parseExpectation)),
    [
      'stage "clocksource" says "tsc-early", expected "kvm-clock"',
      'stage "power-off" was not reached',
    ],
  );
});

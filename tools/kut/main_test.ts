import assert from "node:assert/strict";
import { kutMain, suiteArch } from "./main.ts";
import type { Job, JobResult } from "./executor.ts";

const dir = new URL("./testdata", import.meta.url).pathname;
const stub = new URL("./testdata/stub_vmm.ts", import.meta.url).pathname;

/** A fake executor: shows each job to `seen` and exits 1 (PASS) with `stdout`. */
function recording(seen: (job: Job) => void, stdout = "") {
  return (job: Job): Promise<JobResult> => {
    seen(job);
    return Promise.resolve({
      code: 1,
      timedOut: false,
      stdout,
      stderr: "",
      seconds: 0,
      argv: job.argv,
    });
  };
}

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: { stdout: (t: string) => out.push(t), stderr: (t: string) => err.push(t) },
    out,
    err,
  };
}

Deno.test("kut: runs the fixture entries through a stub VMM, table and JSON summary", async () => {
  const outDir = await Deno.makeTempDir();
  const c = capture();
  const status = await kutMain(
    [
      "--",
      "--dir",
      dir,
      "--jobs",
      "3",
      "--out",
      outDir,
      "--timeout-factor",
      "1",
      "--vmm",
      `${Deno.execPath()} run -A ${stub}`,
    ],
    c.io,
  );
  assert.equal(status, 1, "a failing entry makes the runner fail");
  const table = c.out.join("\n");
  const row = (name: string) => table.split("\n").find((l) => l.startsWith(name + " "))!;
  assert.match(row("passes"), /^passes\s+PASS\s+1\s+2\s+0\s+1\s/);
  assert.match(row("fails"), /^fails\s+FAIL\s+3\s+1\s+2\s+0\s/); // FAIL + XPASS
  assert.match(row("skips"), /^skips\s+SKIP\s+77\s/);
  assert.match(row("hangs"), /^hangs\s+FAIL\s+124\s+1\s.*timeout; duration=2s/);
  assert.match(row("only32"), /SKIP\s+-.*i386 only/);
  assert.match(row("kvmonly"), /kvm only/);
  assert.match(row("manual"), /manual run only/);
  assert.match(row("missing"), /not found/);
  assert.match(row("needs_smp"), /PASS/, "a custom VMM is not probed with nestvm's parser");
  const summary = JSON.parse(await Deno.readTextFile(`${outDir}/summary.json`));
  assert.match(row("needs_check"), /SKIP.*\/nonexistent\/nestvm-kut-test\/param not equal to Y/);
  assert.deepEqual(summary.totals.entries, { pass: 2, fail: 2, skip: 6 });
  const passes = summary.entries.find((e: { name: string }) => e.name === "passes");
  assert.equal(passes.status, 1);
  assert.equal(passes.summary, "3 tests, 1 skipped");
  const log = await Deno.readTextFile(passes.log);
  assert.match(log, /append: first second/);
  assert.match(
    log,
    /argv: -kernel\|.*pass\.fixture\|-smp\|1\|-append\|first second\|-device\|pc-testdev/,
  );
});

Deno.test("kut: nestvm's own parser decides entries it refuses (SKIP, as the harness)", async () => {
  const outDir = await Deno.makeTempDir();
  const c = capture();
  const ran: Job[] = [];
  const fake = recording((job) => ran.push(job), "PASS: x\n");
  const status = await kutMain(["--dir", dir, "--out", outDir, "passes", "needs_smp"], c.io, fake);
  assert.equal(status, 0);
  assert.equal(ran.length, 1);
  assert.ok(ran[0].argv.includes("-kernel"));
  assert.ok(ran[0].argv.includes("--kvm-pv"), "nestvm plays a KVM host by default");
  assert.match(
    c.out.join("\n"),
    /needs_smp\s+SKIP.*nestvm refused: -smp: 65 vCPUs are more than nestvm supports/,
  );
});

Deno.test("kut: usage errors", async () => {
  const c = capture();
  assert.equal(await kutMain([], c.io), 2);
  assert.equal(await kutMain(["--dir", dir, "no_such_entry"], c.io), 2);
  assert.match(c.err.join("\n"), /no such entry: no_such_entry/);
  assert.equal(await kutMain(["--dir", "/nonexistent"], c.io), 2);
  assert.equal(await kutMain(["--dir", dir, "--jobs", "0"], c.io), 2);
});

Deno.test("kut: --no-kvm-pv leaves nestvm's --kvm-pv out", async () => {
  const outDir = await Deno.makeTempDir();
  const ran: Job[] = [];
  const fake = recording((job) => ran.push(job));
  const c = capture();
  assert.equal(
    await kutMain(["--dir", dir, "--out", outDir, "--no-kvm-pv", "passes"], c.io, fake),
    0,
  );
  assert.equal(ran.length, 1);
  assert.ok(ran[0].argv.includes("-kernel"));
  assert.ok(!ran[0].argv.includes("--kvm-pv"));
  assert.match(c.out.join("\n"), /passes\s+PASS/);
});

Deno.test("kut: --assume answers an entry's check condition; a malformed one is a usage error", async () => {
  const outDir = await Deno.makeTempDir();
  const vmm = ["--vmm", `${Deno.execPath()} run -A ${stub}`];
  const c = capture();
  const status = await kutMain(
    [
      "--dir",
      dir,
      "--out",
      outDir,
      ...vmm,
      "--assume",
      "/nonexistent/nestvm-kut-test/param=Y",
      "needs_check",
    ],
    c.io,
  );
  assert.equal(status, 0, c.err.join("\n"));
  assert.match(c.out.join("\n"), /needs_check\s+PASS/);
  const bad = capture();
  assert.equal(await kutMain(["--dir", dir, ...vmm, "--assume", "novalue"], bad.io), 2);
  assert.match(bad.err.join("\n"), /--assume wants PATH=VALUE/);
});

Deno.test("kut: nestvm gets the host-clock RTC; shell expansions are made again when the entry starts", async () => {
  const root = await Deno.makeTempDir();
  await Deno.mkdir(`${root}/x86`);
  await Deno.copyFile(`${dir}/x86/pass.fixture`, `${root}/x86/pass.fixture`);
  await Deno.writeTextFile(`${root}/value`, "early");
  await Deno.writeTextFile(
    `${root}/x86/unittests.cfg`,
    `[clock]\nfile = pass.fixture\ntest_args = "10 \`cat ${root}/value\`"\n`,
  );
  const started: (readonly string[])[] = [];
  const listed: (readonly string[])[] = [];
  const fake = async (job: Job): Promise<JobResult> => {
    listed.push(job.argv);
    await Deno.writeTextFile(`${root}/value`, "late"); // time passes before the entry starts
    const argv = job.argvAtStart?.() ?? job.argv;
    started.push(argv);
    return { code: 1, timedOut: false, stdout: "", stderr: "", seconds: 0, argv };
  };
  const c = capture();
  assert.equal(await kutMain(["--dir", root, "--out", `${root}/out`, "clock"], c.io, fake), 0);
  const append = (a: readonly string[]) => a[a.indexOf("-append") + 1];
  assert.equal(append(listed[0]), "10 early");
  assert.equal(append(started[0]), "10 late");
  const rtc = started[0].indexOf("mc146818rtc,base=utc");
  assert.ok(rtc > 0 && started[0][rtc - 1] === "-device", "nestvm's RTC on the host clock");
  // A --vmm command gets neither nestvm's flag nor its RTC option.
  const custom: (readonly string[])[] = [];
  const fake2 = recording((job) => custom.push(job.argv));
  await kutMain(
    ["--dir", root, "--out", `${root}/out2`, "--vmm", "qemu-system-x86_64", "clock"],
    c.io,
    fake2,
  );
  assert.ok(!custom[0].includes("mc146818rtc,base=utc") && !custom[0].includes("--kvm-pv"));
});

Deno.test("kut: the suite's architecture comes from its config.mak, as the suite's harness reads it", () => {
  assert.equal(suiteArch("SRCDIR=/k\nARCH=i386\nARCH_NAME=i386\n"), "i386");
  assert.equal(suiteArch("ARCH=x86_64\n"), "x86_64");
  assert.equal(suiteArch("ARCH_NAME=i386\n"), "x86_64", "only the ARCH= line counts");
  assert.equal(suiteArch(undefined), "x86_64");
});

Deno.test("kut: --accel kvm runs the entries marked accel = kvm; by default they are SKIP", async () => {
  const run = async (extra: string[]) => {
    const outDir = await Deno.makeTempDir();
    const ran: Job[] = [];
    const c = capture();
    await kutMain(
      ["--dir", dir, "--out", outDir, ...extra, "kvmonly"],
      c.io,
      recording((j) => ran.push(j)),
    );
    return { ran: ran.length, table: c.out.join("\n") };
  };
  const tcg = await run([]);
  assert.equal(tcg.ran, 0);
  assert.match(tcg.table, /kvmonly\s+SKIP.*kvm only, but ACCEL=tcg/);
  const kvm = await run(["--accel", "kvm"]);
  assert.equal(kvm.ran, 1);
  assert.match(kvm.table, /kvmonly\s+PASS/);
});

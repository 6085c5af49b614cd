import assert from "node:assert/strict";
import { parseCfg, parseTimeout } from "./cfg.ts";

const fixture = await Deno.readTextFile(new URL("./testdata/x86/unittests.cfg", import.meta.url));

Deno.test("cfg: reads every section with its keys and the harness defaults", () => {
  const r = parseCfg(fixture);
  assert.ok(r.ok);
  assert.deepEqual(r.entries.map((e) => e.name), [
    "passes",
    "fails",
    "skips",
    "hangs",
    "only32",
    "kvmonly",
    "manual",
    "missing",
    "needs_smp",
    "needs_check",
  ]);
  const [passes, fails, skips] = r.entries;
  assert.equal(passes.file, "pass.fixture");
  assert.equal(passes.testArgs, '"first second"');
  assert.equal(passes.qemuParams, "-cpu max,+vmx -m 256");
  assert.equal(passes.smp, "1");
  assert.equal(passes.timeoutSeconds, 90);
  assert.equal(fails.timeoutSeconds, 30);
  assert.deepEqual(skips.groups, ["misc"]);
  assert.equal(r.entries[8].smp, "65");
  assert.equal(r.entries[4].arch, "i386");
  assert.equal(r.entries[5].accel, "kvm");
  assert.equal(r.entries[9].check, "/nonexistent/nestvm-kut-test/param=Y");
});

Deno.test("cfg: triple-quoted qemu_params span lines; extra_params is the same key", () => {
  const r = parseCfg(
    '[a]\nfile = a.flat\nqemu_params = """-cpu max\n  -m 64\n"""\n[b]\nfile = b.flat\nextra_params = -m 32\n',
  );
  assert.ok(r.ok);
  assert.equal(r.entries[0].qemuParams, "-cpu max -m 64");
  assert.equal(r.entries[1].qemuParams, "-m 32");
});

Deno.test("cfg: malformed input is an error naming the line, not an exception", () => {
  const bad = parseCfg("file = x.flat\n");
  assert.ok(!bad.ok);
  assert.match(bad.error, /line 1: "file" outside a \[section\]/);
  const junk = parseCfg("[a]\nfile = a.flat\nthis is not a key\n");
  assert.ok(!junk.ok);
  assert.match(junk.error, /line 3/);
  const open = parseCfg('[a]\nfile = a.flat\nqemu_params = """-m 1\n');
  assert.ok(!open.ok);
  const t = parseCfg("[a]\nfile = a.flat\ntimeout = soon\n");
  assert.ok(!t.ok);
  assert.match(t.error, /bad timeout "soon"/);
});

Deno.test("cfg: timeouts take timeout(1) suffixes", () => {
  assert.equal(parseTimeout("90"), 90);
  assert.equal(parseTimeout("90s"), 90);
  assert.equal(parseTimeout("2m"), 120);
  assert.equal(parseTimeout("1h"), 3600);
  assert.equal(parseTimeout("x"), undefined);
});

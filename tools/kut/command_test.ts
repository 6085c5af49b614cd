import assert from "node:assert/strict";
import { entryArgv, type FilterContext, skipReason, splitShellWords } from "./command.ts";
import { type KutEntry, parseCfg } from "./cfg.ts";

const cfg = parseCfg(
  await Deno.readTextFile(new URL("./testdata/x86/unittests.cfg", import.meta.url)),
);
if (!cfg.ok) throw new Error(cfg.error);
const byName = (n: string): KutEntry => cfg.entries.find((e) => e.name === n)!;

Deno.test("command: shell words as the harness's eval splits them", () => {
  assert.deepEqual(splitShellWords(`a "b c" 'd e' f\\ g`), ["a", "b c", "d e", "f g"]);
  assert.deepEqual(splitShellWords(`"-x* -y" z`), ["-x* -y", "z"]);
  assert.deepEqual(splitShellWords(`""`), [""]);
  assert.deepEqual(splitShellWords("  "), []);
  assert.ok("error" in (splitShellWords('"10 `date +%s`"') as object));
  assert.ok("error" in (splitShellWords('"open') as object));
});

Deno.test("command: the harness's QEMU command line, test_args as one -append word", () => {
  const r = entryArgv(byName("passes"), "/k/x86");
  assert.ok(r.ok);
  assert.deepEqual(r.argv, [
    "-kernel",
    "/k/x86/pass.fixture",
    "-smp",
    "1",
    "-append",
    "first second",
    "-device",
    "pc-testdev",
    "-device",
    "isa-debug-exit,iobase=0xf4,iosize=4",
    "-serial",
    "stdio",
    "-cpu",
    "max,+vmx",
    "-m",
    "256",
  ]);
  const plain = entryArgv(byName("fails"), "/k/x86");
  assert.ok(plain.ok);
  assert.ok(!plain.argv.includes("-append"), "no -append without test_args");
});

Deno.test("command: entries the harness skips before starting the VMM", () => {
  const ctx: FilterContext = {
    arch: "x86_64",
    accel: "tcg",
    named: new Set(),
    all: false,
    fileExists: (p) => !p.endsWith("nothere.fixture"),
    readHostFile: (p) => p === "/sys/yes" ? "Y\n" : undefined,
    disabledIf: (c) => c === "true",
  };
  assert.equal(skipReason(byName("passes"), "/k", ctx), undefined);
  assert.equal(skipReason(byName("only32"), "/k", ctx), "i386 only");
  assert.equal(skipReason(byName("kvmonly"), "/k", ctx), "kvm only, but ACCEL=tcg");
  assert.equal(skipReason(byName("manual"), "/k", ctx), "test marked as manual run only");
  assert.equal(
    skipReason(byName("manual"), "/k", { ...ctx, named: new Set(["manual"]) }),
    undefined,
  );
  assert.equal(skipReason(byName("manual"), "/k", { ...ctx, all: true }), undefined);
  assert.match(skipReason(byName("missing"), "/k", ctx)!, /not found/);
  const checked = { ...byName("passes"), check: "/sys/yes=Y /sys/no=Y" };
  assert.equal(skipReason(checked, "/k", ctx), "/sys/no not equal to Y");
  assert.equal(skipReason({ ...checked, check: "/sys/yes=Y" }, "/k", ctx), undefined);
  assert.equal(
    skipReason({ ...byName("passes"), disabledIf: "true" }, "/k", ctx),
    "disabled because: true",
  );
  assert.equal(skipReason({ ...byName("passes"), disabledIf: "false" }, "/k", ctx), undefined);
});

Deno.test("command: test_args with shell expansions go through the expander, else are an error", () => {
  const entry = { ...byName("passes"), testArgs: "10000000 `date +%s`" };
  const without = entryArgv(entry, "/k/x86");
  assert.ok(!without.ok && /shell expansion/.test(without.error));
  const seen: string[] = [];
  const r = entryArgv(entry, "/k/x86", (text) => {
    seen.push(text);
    return ["10000000", "1765000000"];
  });
  assert.ok(r.ok && r.expanded);
  assert.deepEqual(seen, ["10000000 `date +%s`"]);
  assert.deepEqual(r.argv.slice(4, 7), ["-append", "10000000", "1765000000"]);
  const failed = entryArgv(entry, "/k/x86", () => ({ error: "no shell" }));
  assert.ok(!failed.ok && failed.error === "no shell");
  // Plain words never reach the expander.
  const plain = entryArgv(byName("passes"), "/k/x86", () => {
    throw new Error("called");
  });
  assert.ok(plain.ok && !plain.expanded);
});

import assert from "node:assert/strict";
import { helpText, parseArgs, parseMemorySize } from "./args.ts";
import { DEFAULT_ENGINE } from "../plugins/pc_machine.ts";

Deno.test("args: QEMU spellings parse like the double-dash ones", () => {
  const r = parseArgs([
    "-kernel",
    "k.elf",
    "-m",
    "256",
    "-append",
    "console=ttyS0",
    "-serial",
    "stdio",
    "-device",
    "isa-debug-exit,iobase=0xf4,iosize=4",
    "-cpu",
    "max,-vmx",
    "-smp",
    "1",
    "-nographic",
    "-display",
    "none",
    "-no-reboot",
    "-machine",
    "q35",
  ]);
  assert.ok(r.ok);
  if (!r.ok) return;
  assert.equal(r.options.kernel, "k.elf");
  assert.equal(r.options.memoryMiB, 256);
  assert.equal(r.options.append, "console=ttyS0");
  assert.deepEqual(r.options.devices, ["isa-debug-exit,iobase=0xf4,iosize=4"]);
  assert.equal(r.options.cpu, "max,-vmx");
  // -nographic, -display none and -machine q35; not -no-reboot (what nestvm does anyway).
  assert.equal(r.options.warnings.length, 3);
  assert.ok(!r.options.warnings.some((w) => w.includes("-no-reboot")));
  assert.deepEqual(r.options.smp, { cpus: 1, sockets: 1, cores: 1, threads: 1 });
  const r2 = parseArgs([
    "--kernel=k.elf",
    "--memory",
    "1G",
    "--stats",
    "--max-instructions",
    "1_000",
  ]);
  assert.ok(
    r2.ok && r2.options.memoryMiB === 1024 && r2.options.stats &&
      r2.options.maxInstructions === 1000,
  );
});

Deno.test("args: unknown options and bad values are errors that name them", () => {
  const cases: [string[], RegExp][] = [
    [["--bogus"], /unknown option --bogus/],
    [["-m", "lots"], /invalid memory size "lots"/],
    [["--serial", "tcp:1"], /--serial must be/],
    [["--kernel"], /needs a value/],
    [["-smp", "65"], /more than nestvm supports \(64\)/],
    [["-smp", "0"], /positive integer/],
    [["-smp", "2,sockets=1,cores=1"], /< cpus/],
    [["-smp", "4,bogus=1"], /unknown field/],
    [["-smp", "4,maxcpus=8"], /hotplug/],
    [["--quantum", "0"], /1\.\.1000000000/],
    [["--jit-hot", "0"], /--jit-hot must be 1\.\.1000000000/],
    [["-enable-kvm"], /not supported/],
    [["--max-instructions", "-3"], /non-negative integer/],
    [["--snapshot-at", "5"], /needs --snapshot-file/],
    [["--load", "0x1000"], /ADDR:FILE/],
    [["stray"], /unexpected argument "stray"/],
    [["--stats=yes"], /takes no value/],
    [["--idle", "sometimes"], /--idle takes wait or skip/],
  ];
  for (const [args, re] of cases) {
    const r = parseArgs(args);
    assert.equal(r.ok, false, args.join(" "));
    if (!r.ok) assert.match(r.error, re);
  }
});

Deno.test("args: -smp as QEMU spells it", () => {
  const cases: [string, object][] = [
    ["4", { cpus: 4, sockets: 1, cores: 4, threads: 1 }],
    ["cpus=3", { cpus: 3, sockets: 1, cores: 3, threads: 1 }],
    ["sockets=2,cores=2,threads=2", { cpus: 8, sockets: 2, cores: 2, threads: 2 }],
    ["4,sockets=2", { cpus: 4, sockets: 2, cores: 2, threads: 1 }],
    ["6,maxcpus=6,threads=2", { cpus: 6, sockets: 1, cores: 3, threads: 2 }],
  ];
  for (const [text, want] of cases) {
    const r = parseArgs(["-smp", text, "--quantum", "250"]);
    assert.ok(r.ok, text);
    if (r.ok) {
      assert.deepEqual(r.options.smp, want, text);
      assert.equal(r.options.quantum, 250);
    }
  }
});

Deno.test("args: memory sizes and help", () => {
  assert.equal(parseMemorySize("4G"), 4096);
  assert.equal(parseMemorySize("512M"), 512);
  assert.equal(parseMemorySize("0"), undefined);
  assert.match(helpText(), /--kernel, -kernel FILE/);
  assert.match(helpText(), /exit status/);
});

Deno.test("args: a leading -- (from deno task run -- ...) is skipped", () => {
  const r = parseArgs(["--", "--kernel", "k.elf"]);
  assert.ok(r.ok && r.options.kernel === "k.elf");
});

Deno.test("args: gdb stub spellings (-s, -gdb tcp:HOST:PORT, -S) and the output files", () => {
  const a = parseArgs(["--kernel", "k.elf", "-s", "-S"]);
  assert.ok(a.ok);
  assert.deepEqual(a.options.gdb, { host: "127.0.0.1", port: 1234 });
  assert.equal(a.options.startStopped, true);
  const b = parseArgs(["--kernel", "k.elf", "-gdb", "tcp:0.0.0.0:4321"]);
  assert.ok(b.ok);
  assert.deepEqual(b.options.gdb, { host: "0.0.0.0", port: 4321 });
  assert.equal(b.options.startStopped, false);
  const c = parseArgs(["--kernel", "k.elf", "-S"]);
  assert.ok(!c.ok);
  assert.match(c.error, /-S needs/);
  const d = parseArgs(["--kernel", "k.elf", "-gdb", "udp::1"]);
  assert.ok(!d.ok);
  const e = parseArgs([
    "--demo",
    "--trace-file",
    "t.json",
    "--timeline=t.svg",
    "--stats-json",
    "s.json",
  ]);
  assert.ok(e.ok);
  assert.equal(e.options.traceFile, "t.json");
  assert.equal(e.options.timeline, "t.svg");
  assert.equal(e.options.statsJson, "s.json");
});

Deno.test("args: --engine selects interp or jit, anything else is an error", () => {
  const a = parseArgs(["--kernel", "k.elf", "--engine", "interp"]);
  assert.ok(a.ok && a.options.engine === "interp");
  const b = parseArgs(["--kernel", "k.elf", "--engine", "jit"]);
  assert.ok(b.ok && b.options.engine === "jit");
  const c = parseArgs(["--kernel", "k.elf"]);
  assert.ok(c.ok && c.options.engine === undefined);
  const d = parseArgs(["--kernel", "k.elf", "--engine", "fast"]);
  assert.ok(!d.ok && /--engine must be interp or jit/.test(d.error));
  // The help names the default the machine really uses.
  assert.match(helpText(), new RegExp(`block compiler \\(default ${DEFAULT_ENGINE}\\)`));
});

Deno.test("args: --kvm-pv turns on KVM's paravirtual interface (off by default)", () => {
  const off = parseArgs(["-kernel", "k.elf"]);
  assert.ok(off.ok && off.options.kvmPv !== true);
  const on = parseArgs(["-kernel", "k.elf", "--kvm-pv"]);
  assert.ok(on.ok && on.options.kvmPv === true);
  const bad = parseArgs(["--kvm-pv=yes"]);
  assert.ok(!bad.ok && /takes no value/.test(bad.error));
  assert.match(helpText(), /--kvm-pv .*KVM/);
});

Deno.test("args: --idle wait|skip; unset leaves the choice to the CLI (stdin a terminal or not)", () => {
  for (const mode of ["wait", "skip"] as const) {
    const r = parseArgs(["--idle", mode]);
    assert.ok(r.ok);
    if (r.ok) assert.equal(r.options.idle, mode);
  }
  const d = parseArgs([]);
  assert.ok(d.ok);
  if (d.ok) assert.equal(d.options.idle, undefined);
});

/** The command line, run in-process with captured output. */
import { parseProbe } from "../guests/linux/l2_probe.ts";
import assert from "node:assert/strict";
import { main } from "../cli/main.ts";

const RNG_PROGRAM = [0x66, 0xba, 0xec, 0x05, 0xed, 0x89, 0xc3, 0xed, 0xb0, 0x05, 0xe6, 0xf4, 0xf4];

async function run(args: string[]): Promise<{ status: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const dec = new TextDecoder();
  const status = await main(args, {
    stdout: (b) => (out += dec.decode(b)),
    stderr: (t) => (err += t + "\n"),
    cwd: Deno.cwd(),
  });
  return { status, out, err };
}

Deno.test("cli: unknown option is exit status 2 naming it", async () => {
  const r = await run(["--frobnicate"]);
  assert.equal(r.status, 2);
  assert.match(r.err, /unknown option --frobnicate/);
});

Deno.test("cli: nothing to run is a usage error; --help documents exit codes", async () => {
  assert.equal((await run([])).status, 2);
  const h = await run(["--help"]);
  assert.equal(h.status, 0);
  assert.match(h.err, /--max-instructions/);
  assert.match(h.err, /triple fault/);
});

Deno.test("cli: loads a plugin by specifier with options and passes the guest's exit status", async () => {
  const dir = await Deno.makeTempDir();
  const bin = `${dir}/rng.bin`;
  await Deno.writeFile(bin, new Uint8Array(RNG_PROGRAM));
  const r = await run([
    "--load",
    `0x100000:${bin}`,
    "--entry",
    "0x100000",
    "--mode",
    "protected32",
    "--plugin",
    "./plugins/examples/rng_device.ts,seed=42",
    "-m",
    "16",
    "--stats",
  ]);
  assert.equal(r.status, 11, r.err);
  assert.match(r.err, /instructions retired: 6/);
  assert.match(r.err, /io/);
  const missing = await run([
    "--load",
    `0x100000:${bin}`,
    "--entry",
    "0x100000",
    "--plugin",
    "./nope/missing.ts",
  ]);
  assert.equal(missing.status, 2);
  assert.match(missing.err, /cannot load plugin module "\.\/nope\/missing\.ts"/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("cli: a missing kernel file is a clear error", async () => {
  const r = await run(["-kernel", "/nonexistent/k.elf"]);
  assert.equal(r.status, 16);
  assert.match(r.err, /cannot read kernel "\/nonexistent\/k.elf"/);
});

Deno.test("cli: stdin reaches COM1 (the uart guest echoes upper-cased input)", async () => {
  const { uart } = await import("./devices_guest_images.ts");
  const { createMachine, bootFlat } = await import("../plugins/machine_builder.ts");
  // The guest expects the host to fill its IDT at 0x180000 (see tests/data/devices/uart.S).
  const probe = createMachine({ memoryMiB: 16, vmx: false });
  bootFlat(probe, [{ addr: 0x100000, data: uart.code }], 0x100000, "protected32");
  const cs = probe.cpu.seg[1].selector;
  probe.dispose();
  const idt = new Uint8Array(256 * 8);
  const dv = new DataView(idt.buffer);
  for (let v = 0; v < 256; v++) {
    dv.setUint32(v * 8, ((cs << 16) | (uart.handler & 0xffff)) >>> 0, true);
    dv.setUint32(v * 8 + 4, ((uart.handler & 0xffff0000) | 0x8e00) >>> 0, true);
  }
  const dir = await Deno.makeTempDir();
  await Deno.writeFile(`${dir}/uart.bin`, uart.code);
  await Deno.writeFile(`${dir}/idt.bin`, idt);
  let out = "";
  const dec = new TextDecoder();
  const status = await main(
    [
      "--load",
      `0x100000:${dir}/uart.bin`,
      "--load",
      `0x180000:${dir}/idt.bin`,
      "--entry",
      "0x100000",
      "-m",
      "16",
      "-cpu",
      "max,-vmx",
    ],
    {
      stdout: (b) => (out += dec.decode(b)),
      stderr: () => {},
      cwd: Deno.cwd(),
      stdin: new ReadableStream({
        start(c) {
          // Input arrives while the guest already waits in HLT for it.
          setTimeout(() => {
            c.enqueue(new TextEncoder().encode("abc"));
            c.close();
          }, 50);
        },
      }),
    },
  );
  await Deno.remove(dir, { recursive: true });
  assert.equal(out, "ABC!\n");
  assert.equal(status, (3 << 1) | 1);
});

Deno.test("cli: the Multiboot command line is '<kernel path> <-append text>', as QEMU builds it", async () => {
  const kernel = "guests/build/hello64.elf";
  const r = await run(["-kernel", kernel, "-append", "first second", "-m", "128"]);
  assert.equal(r.status, 1, r.err);
  // Test kernels (kvm-unit-tests among them) drop argv[0]: "first" must survive.
  assert.match(r.out, /command line: "guests\/build\/hello64\.elf first second"/);
  const bare = await run(["-kernel", kernel, "-m", "128"]);
  assert.match(bare.out, /command line: "guests\/build\/hello64\.elf ?"/);
});

Deno.test("cli: QEMU -cpu properties run (warning once) instead of being refused", async () => {
  const r = await run(["-kernel", "guests/build/hello64.elf", "-cpu", "max,host-phys-bits,+vmx"]);
  assert.equal(r.status, 1, r.err);
  assert.match(r.err, /host-phys-bits has no effect in nestvm/);
  const amd = await run([
    "-kernel",
    "guests/build/hello64.elf",
    "-cpu",
    "Opteron_G1,vendor=AuthenticAMD",
  ]);
  assert.equal(amd.status, 1, amd.err);
  const bad = await run(["-kernel", "guests/build/hello64.elf", "-cpu", "max,vendor=x"]);
  assert.equal(bad.status, 2);
});

Deno.test("cli: a plugin whose MMIO read throws ends the process with status 12 naming it (not 1)", async () => {
  const dir = await Deno.makeTempDir();
  const bin = `${dir}/mmio.bin`;
  // nop; mov eax,[0xfed00000]; hlt
  await Deno.writeFile(bin, new Uint8Array([0x90, 0xa1, 0x00, 0x00, 0xd0, 0xfe, 0xf4]));
  // A real process: an uncaught host exception would end it with status 1,
  // the status an isa-debug-exit "pass" (value 0) produces.
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "cli.ts",
      "--load",
      `0x100000:${bin}`,
      "--entry",
      "0x100000",
      "--mode",
      "protected32",
      "--plugin",
      "./tests/data/throwing_mmio_plugin.ts",
      "-m",
      "16",
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const err = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 12, err);
  assert.match(err, /mmio-bomb/);
  assert.match(err, /read exploded/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("cli: a plugin that throws in setup is a plugin error (12) naming the plugin", async () => {
  const dir = await Deno.makeTempDir();
  const bin = `${dir}/hlt.bin`;
  await Deno.writeFile(bin, new Uint8Array([0xf4]));
  const write = async (file: string, body: string) => {
    await Deno.writeTextFile(
      `${dir}/${file}`,
      `export default () => ({ name: "${file}", version: "1.0.0", apiVersion: 1, setup(ctx) { ${body} } });`,
    );
    return `${dir}/${file}`;
  };
  const load = ["--load", `0x100000:${bin}`, "--entry", "0x100000", "-m", "16"];
  const kaboom = await run([
    ...load,
    "--plugin",
    await write("kaboom.ts", 'throw new Error("kaboom");'),
  ]);
  assert.equal(kaboom.status, 12, kaboom.err);
  assert.match(kaboom.err, /plugin "kaboom\.ts" failed in setup: kaboom/);
  const irq = await run([...load, "--plugin", await write("irq99.ts", "ctx.irq.line(99);")]);
  assert.equal(irq.status, 12, irq.err);
  assert.match(irq.err, /plugin "irq99\.ts" failed in setup: IRQ 99 does not exist \(0\.\.23\)/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("cli: --restore takes observers (--trace); a stateful plugin more is a mismatch (20)", async () => {
  const dir = await Deno.makeTempDir();
  const snap = `${dir}/s.snap`;
  const kernel = "guests/build/hello64.elf";
  const saved = await run(["-kernel", kernel, "--snapshot-at", "2000", "--snapshot-file", snap]);
  assert.equal(saved.status, 0, saved.err);
  const late = await run([
    "-kernel",
    kernel,
    "--snapshot-at",
    "1000000000",
    "--snapshot-file",
    `${dir}/x`,
  ]);
  assert.equal(late.status, 1, late.err);
  assert.match(late.err, /before --snapshot-at 1000000000; no snapshot written/);
  await assert.rejects(() => Deno.stat(`${dir}/x`), Deno.errors.NotFound);
  const traced = await run(["--restore", snap, "--trace"]);
  assert.equal(traced.status, 1, traced.err); // hello64 exits through isa-debug-exit with 0
  assert.match(traced.err, /exit L1 io out port 0xf4/); // the trace observer saw the rest of the run
  const extra = await run([
    "--restore",
    snap,
    "--plugin",
    "./plugins/examples/rng_device.ts",
  ]);
  assert.equal(extra.status, 20, extra.err);
  assert.match(
    extra.err,
    /^nestvm: snapshot does not fit this machine: plugin "rng@0x5ec" holds state but was not in the snapshot$/m,
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("cli: plugin options are checked by the module's schema; ,help lists them", async () => {
  const base = ["--load", "0x100000:/dev/null", "--entry", "0x100000", "--plugin"];
  const typo = await run([...base, "./plugins/examples/rng_device.ts,prot=0x530"]);
  assert.equal(typo.status, 2, typo.err);
  assert.match(typo.err, /unknown option "prot" \(known: port, seed\)/);
  const help = await run([...base, "./plugins/examples/rng_device.ts,help"]);
  assert.equal(help.status, 0, help.err);
  assert.match(
    help.err,
    /seed=<integer 1\.\.0xffffffff> {2}initial xorshift32 seed \(default 0x2545f491\)/,
  );
});

Deno.test("cli: -device help and -device NAME,help print and exit 0; a typo in a device key is named", async () => {
  const list = await run(["-device", "help"]);
  assert.equal(list.status, 0);
  assert.match(list.err, /mc146818rtc, rtc\s+CMOS RTC/);
  const one = await run(["-device", "lapic,help"]);
  assert.equal(one.status, 0);
  assert.match(one.err, /bushz=<integer 1\.\.0x2540be400> {2}timer bus clock in Hz/);
  const typo = await run([
    "-kernel",
    "guests/build/hello64.elf",
    "-device",
    "isa-debug-exit,iobse=0xf4",
  ]);
  assert.equal(typo.status, 2, typo.err);
  assert.match(typo.err, /isa-debug-exit: unknown option "iobse" \(known: iobase, iosize\)/);
});

Deno.test("cli: 0xE9 console only with -debugcon (as QEMU); -nodefaults drops COM1 and isa-debug-exit", async () => {
  const dir = await Deno.makeTempDir();
  const bin = `${dir}/both.bin`;
  // mov dx,0x3f8; mov al,'S'; out dx,al; mov al,'D'; out 0xe9,al; mov al,0; out 0xf4,al; hlt
  await Deno.writeFile(bin, Uint8Array.fromHex("66baf803b053eeb044e6e9b000e6f4f4"));
  const load = ["--load", `0x100000:${bin}`, "--entry", "0x100000", "-m", "16"];
  const plain = await run(load);
  assert.equal(plain.status, 1, plain.err);
  assert.equal(plain.out, "S", "no console claims 0xE9 by default");
  const both = await run([...load, "-debugcon", "stdio"]);
  assert.equal(both.out, "SD");
  const file = `${dir}/e9.txt`;
  const split = await run([...load, "-debugcon", `file:${file}`]);
  assert.equal(split.out, "S");
  assert.equal(await Deno.readTextFile(file), "D");
  const bare = await run([...load, "-nodefaults"]);
  assert.equal(bare.status, 8, "no isa-debug-exit: the guest halts");
  assert.equal(bare.out, "", "no COM1 without -serial under -nodefaults");
  const kut = await run([
    ...load,
    "-nodefaults",
    "-serial",
    "stdio",
    "-device",
    "isa-debug-exit,iobase=0xf4,iosize=4",
  ]);
  assert.equal(kut.status, 1, kut.err);
  assert.equal(kut.out, "S");
  assert.equal((await run([...load, "-debugcon", "tty"])).status, 2);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("cli: --log-level shows plugin debug logs; the default (warn) hides them", async () => {
  const dir = await Deno.makeTempDir();
  const bin = `${dir}/hlt.bin`;
  await Deno.writeFile(bin, new Uint8Array([0xb0, 0x00, 0xe6, 0xf4]));
  const args = ["--load", `0x100000:${bin}`, "--entry", "0x100000", "-m", "16", "--plugin"];
  const spec = "./plugins/examples/rng_device.ts,seed=7";
  const quiet = await run([...args, spec]);
  assert.doesNotMatch(quiet.err, /rng at port/);
  const loud = await run([...args, spec, "--log-level", "debug"]);
  assert.equal(loud.status, 1, loud.err);
  assert.match(loud.err, /\[rng@0x5ec\] debug: rng at port 0x5ec, seed 7/);
  assert.equal((await run([...args, spec, "--log-level", "chatty"])).status, 2);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("cli: a --plugin module's deviceTypes are -device names (several instances, help)", async () => {
  const dir = await Deno.makeTempDir();
  const bin = `${dir}/rng700.bin`;
  // mov dx,0x700; in eax,dx; mov ebx,eax; mov al,0; out 0xf4,al
  await Deno.writeFile(bin, Uint8Array.fromHex("66ba0007ed89c3b000e6f4"));
  const load = ["--load", `0x100000:${bin}`, "--entry", "0x100000", "-m", "16"];
  const mod = "./plugins/examples/rng_device.ts";
  const help = await run(["--plugin", mod, "-device", "help"]);
  assert.equal(help.status, 0);
  assert.match(
    help.err,
    /rng\s+xorshift32 random numbers on two 32-bit ports \(from a --plugin module\)/,
  );
  const opts = await run(["--plugin", mod, "-device", "rng,help"]);
  assert.match(opts.err, /port=<integer 0\.\.0xfff8>/);
  const r = await run([...load, "--plugin", mod, "-device", "rng,port=0x700,seed=3", "--stats"]);
  assert.equal(r.status, 1, r.err);
  const typo = await run([...load, "--plugin", mod, "-device", "rng,prot=0x700"]);
  assert.equal(typo.status, 2, typo.err);
  assert.match(typo.err, /rng: unknown option "prot"/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("cli: --no-device leaves a board device out so a plugin can take its ports", async () => {
  const dir = await Deno.makeTempDir();
  const bin = `${dir}/exit.bin`;
  await Deno.writeFile(bin, Uint8Array.fromHex("b000e6f4f4")); // mov al,0; out 0xf4,al; hlt
  const plugin = `${dir}/uart.ts`;
  await Deno.writeTextFile(
    plugin,
    `export default () => ({ name: "my-uart", version: "1.0.0", apiVersion: 1,
      setup(ctx) { ctx.ports.register(0x3f8, 8, { read: () => 0, write: () => {} }); } });`,
  );
  const load = ["--load", `0x100000:${bin}`, "--entry", "0x100000", "-m", "16", "--plugin", plugin];
  const clash = await run(load);
  assert.equal(clash.status, 12, clash.err);
  assert.match(clash.err, /port 0x3f8 is claimed by both "uart16550@0x3f8" and "my-uart"/);
  const replaced = await run([...load, "--no-device", "isa-serial"]);
  assert.equal(replaced.status, 1, replaced.err);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("cli: a snapshot taken while the L2 runs says so, one taken in L1 does not", async () => {
  const dir = await Deno.makeTempDir();
  const probe = ["--log-level", "info", "--plugin", "guests/linux/l2_probe.ts,port=0x3f8"];
  const whole = await run(["--demo", ...probe]);
  const hits = parseProbe(whole.err);
  assert.ok(hits.length > 10, whole.err);
  // Two instructions before an L2 write to COM1 the vCPU is in the L2's loop.
  const inL2 = hits[10].retired - 2;
  const mid = await run(["--demo", "--snapshot-at", `${inL2}`, "--snapshot-file", `${dir}/a`]);
  assert.equal(mid.status, 0, mid.err);
  assert.match(mid.err, new RegExp(`snapshot at instruction ${inL2} .*; a vCPU was running L2`));
  const early = await run(["--demo", "--snapshot-at", "1000", "--snapshot-file", `${dir}/b`]);
  assert.equal(early.status, 0, early.err);
  assert.match(early.err, /snapshot at instruction 1000 written to/);
  assert.doesNotMatch(early.err, /running L2/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("cli: -cpu help lists the models, the features nestvm implements and the vmx-* names, and runs nothing", async () => {
  for (const spelling of ["help", "?"]) {
    const r = await run(["-cpu", spelling]);
    assert.equal(r.status, 0);
    assert.equal(r.out, "", "no guest ran");
    assert.match(r.err, /^Available CPUs:/);
    for (
      const word of [
        "max ",
        "Skylake-Server",
        "sse4.2",
        "x2apic",
        "vmx-ept",
        "vmx-tsc-scaling",
        "pmu=on|off",
      ]
    ) {
      assert.ok(r.err.includes(word), `${spelling}: ${word}`);
    }
    assert.ok(!r.err.includes("avx2"), "nothing nestvm lacks");
  }
});

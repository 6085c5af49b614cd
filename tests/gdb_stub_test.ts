/**
 * Drives nestvm's GDB stub with Debian's gdb (`gdb -batch`): connect, read
 * registers at the entry point, watch a variable, break on a symbol, step,
 * read memory and compare it with the ELF's bytes, write a register and
 * read it back, continue to the guest's exit status; and the same on a
 * machine restored from a snapshot. Skipped (and counted as ignored) when
 * gdb is not installed.
 */

import { equal, match, ok } from "node:assert/strict";
import { main } from "../cli/main.ts";

const GDB = "/usr/bin/gdb";
const hasGdb = (() => {
  try {
    return Deno.statSync(GDB).isFile;
  } catch {
    return false;
  }
})();
if (!hasGdb) console.error(`SKIP tests/gdb_stub_test.ts: ${GDB} is not installed`);

const ROOT = new URL("..", import.meta.url).pathname;
const KERNEL = "guests/build/hello64-elf64.elf";

/** Symbol values and file bytes of an ELF32 or ELF64 image (enough for the checks). */
function elfInfo(image: Uint8Array) {
  const dv = new DataView(image.buffer, image.byteOffset, image.byteLength);
  const is64 = image[4] === 2;
  const word = (o: number) => is64 ? Number(dv.getBigUint64(o, true)) : dv.getUint32(o, true);
  const shoff = word(is64 ? 0x28 : 0x20);
  const shentsize = dv.getUint16(is64 ? 0x3a : 0x2e, true);
  const shnum = dv.getUint16(is64 ? 0x3c : 0x30, true);
  const sections = [...Array(shnum).keys()].map((i) => {
    const b = shoff + i * shentsize;
    return is64
      ? {
        type: dv.getUint32(b + 4, true),
        addr: word(b + 0x10),
        offset: word(b + 0x18),
        size: word(b + 0x20),
        link: dv.getUint32(b + 0x28, true),
      }
      : {
        type: dv.getUint32(b + 4, true),
        addr: word(b + 0x0c),
        offset: word(b + 0x10),
        size: word(b + 0x14),
        link: dv.getUint32(b + 0x18, true),
      };
  });
  const symtab = sections.find((s) => s.type === 2)!;
  const strtab = sections[symtab.link];
  const symbols = new Map<string, number>();
  const entSize = is64 ? 24 : 16;
  for (let o = symtab.offset; o < symtab.offset + symtab.size; o += entSize) {
    let p = strtab.offset + dv.getUint32(o, true);
    let name = "";
    while (image[p] !== 0) name += String.fromCharCode(image[p++]);
    if (name) symbols.set(name, word(o + (is64 ? 8 : 4)));
  }
  return {
    entry: word(0x18),
    symbol: (name: string) => {
      const v = symbols.get(name);
      if (v === undefined) throw new Error(`no symbol ${name}`);
      return v;
    },
    bytesAt: (addr: number, n: number) => {
      const s = sections.find((x) =>
        x.type === 1 && addr >= x.addr && addr + n <= x.addr + x.size
      )!;
      return image.subarray(s.offset + addr - s.addr, s.offset + addr - s.addr + n);
    },
  };
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** Run the CLI with `args` and gdb with `script` against it; both outputs and the exit status. */
async function withGdb(args: string[], script: string, kernel = KERNEL, before: string[] = []) {
  const port = freePort();
  let listening!: () => void;
  const ready = new Promise<void>((r) => listening = r);
  let stderr = "";
  let stdout = "";
  const status = main([...args, "-S", "-gdb", `tcp::${port}`], {
    stdout: (b) => stdout += new TextDecoder().decode(b),
    stderr: (t) => {
      stderr += t + "\n";
      if (t.includes("gdb stub listening")) listening();
    },
    cwd: ROOT,
  });
  await Promise.race([ready, status]);
  const gdb = await new Deno.Command(GDB, {
    args: [
      "-nx",
      "-batch",
      // A loaded CI machine may answer slowly; gdb's default is 2 s per packet.
      "-ex",
      "set remotetimeout 30",
      ...before.flatMap((c) => ["-ex", c]),
      "-ex",
      `file ${kernel}`,
      "-ex",
      `target remote 127.0.0.1:${port}`,
      "-x",
      script,
    ],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const out = new TextDecoder().decode(gdb.stdout) + new TextDecoder().decode(gdb.stderr);
  // If gdb failed to drive the stub to an end, fail with its output instead of hanging.
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`the stub did not finish after gdb exited; gdb said:\n${out}`)),
      30_000,
    );
  });
  try {
    return { status: await Promise.race([status, late]), out, stderr, stdout };
  } finally {
    clearTimeout(timer);
  }
}

/** The part of gdb's output after `==name`. */
function part(out: string, name: string): string {
  const start = out.indexOf(`==${name}\n`);
  ok(start >= 0, `gdb output has no ==${name} section:\n${out}`);
  const rest = out.slice(start + name.length + 3);
  const next = rest.indexOf("\n==");
  return next < 0 ? rest : rest.slice(0, next);
}

const hex = (n: number) => "0x" + n.toString(16);

Deno.test({
  name: "gdb stub: registers, watchpoint, breakpoint, step, memory, register write, exit",
  ignore: !hasGdb,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const elf = elfInfo(await Deno.readFile(ROOT + KERNEL));
    const { status, out, stdout } = await withGdb(
      ["--kernel", KERNEL],
      ROOT + "tests/gdb/hello64.gdb",
    );
    // Entry point: stopped before the first instruction.
    match(part(out, "entry"), new RegExp(`^rip\\s+${hex(elf.entry)}\\s`, "m"));
    // The watched TSS field gets RSP0 = top of the ring-0 stack (rt.c tss_init).
    const rsp0 = elf.symbol("rt_ring0_stack") + 16384;
    match(part(out, "watch"), /Hardware watchpoint 1: /);
    match(part(out, "watch"), new RegExp(`Old value = 0\\s+New value = ${rsp0}\\b`));
    // The stub tells which level hit it (console output, which gdb writes to its own stream).
    match(
      out,
      new RegExp(`stopped in L1 \\(write watchpoint at ${hex(elf.symbol("rt_tss") + 4)}\\)`),
    );
    // Breakpoint on a symbol: reported at the symbol's address.
    const kmain = elf.symbol("kmain");
    match(
      part(out, "break"),
      new RegExp(`Breakpoint 2, ${hex(kmain).replace("0x", "0x0*")} in kmain`),
    );
    match(out, new RegExp(`stopped in L1 \\(breakpoint at ${hex(kmain)}\\)`));
    // One instruction later the PC moved forward by one instruction (1..15 bytes).
    const pc = /\$\d+ = (0x[0-9a-f]+)/.exec(part(out, "step"));
    ok(pc, part(out, "step"));
    const moved = Number(pc[1]) - kmain;
    ok(moved >= 1 && moved <= 15, `stepi moved ${moved} bytes`);
    // Memory read through the stub equals the ELF's bytes at kmain.
    const shown = [...part(out, "memory").matchAll(/0x([0-9a-f]{2})(?=\s|$)/g)].map((m) =>
      parseInt(m[1], 16)
    );
    equal(shown.join(","), [...elf.bytesAt(kmain, 16)].join(","));
    // A written register reads back.
    match(part(out, "register"), /= 0x1122334455667788/);
    // The guest ran to its normal end: isa-debug-exit status 0 -> exit code 1.
    match(part(out, "finish"), /exited with code 01/);
    equal(status, 1);
    match(stdout, /Goodbye\./);
  },
});

Deno.test({
  name: "gdb stub: works on a machine restored with --restore",
  ignore: !hasGdb,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir();
    const snap = `${dir}/hello.snap`;
    const quiet = { stdout: () => {}, stderr: () => {}, cwd: ROOT };
    equal(
      await main(["--kernel", KERNEL, "--snapshot-at", "2000", "--snapshot-file", snap], quiet),
      0,
    );
    const elf = elfInfo(await Deno.readFile(ROOT + KERNEL));
    const { status, out } = await withGdb(["--restore", snap], ROOT + "tests/gdb/restore.gdb");
    const kmain = elf.symbol("kmain");
    match(
      part(out, "break"),
      new RegExp(`Breakpoint 1, ${hex(kmain).replace("0x", "0x0*")} in kmain`),
    );
    match(part(out, "finish"), /exited with code 01/);
    equal(status, 1);
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test({
  name: "gdb stub: monitor level l2 stops in the demo's L2 guest and reads its memory through EPT",
  ignore: !hasGdb,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const demo = "guests/build/demo.elf";
    const elf = elfInfo(await Deno.readFile(ROOT + demo));
    const { status, out } = await withGdb(
      ["--demo"],
      ROOT + "tests/gdb/demo_l2.gdb",
      demo,
      ["set architecture i386:x86-64"],
    );
    const l2main = elf.symbol("l2_main");
    match(out, new RegExp(`stopped in L2 \\(breakpoint at ${hex(l2main)}\\)`));
    match(out, /stopped in L2 \(single step\)/);
    const l2 = part(out, "l2");
    const pcs = [...l2.matchAll(/\$\d+ = (0x[0-9a-f]+)/g)].map((m) => Number(m[1]));
    equal(pcs[0], l2main);
    ok(pcs[1] > l2main && pcs[1] <= l2main + 15, `stepi in L2 went to ${hex(pcs[1])}`);
    const shown = [...l2.matchAll(/0x([0-9a-f]{2})(?=\s|$)/g)].map((m) => parseInt(m[1], 16));
    equal(shown.join(","), [...elf.bytesAt(l2main, 8)].join(","));
    match(part(out, "finish"), /exited with code 01/);
    equal(status, 0); // the demo maps its L1's success to 0
  },
});

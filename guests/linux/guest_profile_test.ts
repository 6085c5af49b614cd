import assert from "node:assert/strict";
import createGuestProfile, {
  byFunction,
  type GuestProfile,
  ksymtabMap,
  parseSystemMap,
  symbolize,
} from "./guest_profile.ts";

Deno.test("guest profile: samples go to the function at or below the RIP", () => {
  const table = parseSystemMap(
    [
      "ffffffff81000100 T beta",
      "ffffffff81000000 T alpha",
      "ffffffff81000200 D data_not_text",
      "ffffffff81000300 t gamma",
    ].join("\n"),
  );
  assert.deepEqual(table.map((s) => s.name), ["alpha", "beta", "gamma"]);
  assert.equal(symbolize(table, 0xffffffff81000000n), "alpha");
  assert.equal(symbolize(table, 0xffffffff810000ffn), "alpha");
  assert.equal(symbolize(table, 0xffffffff81000250n), "beta");
  assert.equal(symbolize(table, 0xffffffff80000000n), "0xffffffff80000000");
  const profile: GuestProfile = {
    period: 1000,
    idle: 5,
    l2: 1,
    rips: { ffffffff81000010: 2, ffffffff81000020: 3, ffffffff81000110: 4 },
  };
  assert.deepEqual(byFunction(profile, table), [["alpha", 5], ["beta", 4]]);
});

Deno.test("guest profile: exported symbols are read from __ksymtab's self-relative entries", () => {
  // A minimal ELF64: header, then section headers [null, .shstrtab, __ksymtab, __ksymtab_strings].
  const names = "\0.shstrtab\0__ksymtab\0__ksymtab_strings\0";
  const strings = "foo\0bar\0";
  const shstrOff = 0x40, ksymOff = 0x80, strOff = 0xc0, shoff = 0x100;
  const elf = new Uint8Array(shoff + 4 * 64);
  const dv = new DataView(elf.buffer);
  elf.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
  dv.setBigUint64(0x28, BigInt(shoff), true);
  dv.setUint16(0x3a, 64, true);
  dv.setUint16(0x3c, 4, true);
  dv.setUint16(0x3e, 1, true);
  elf.set(new TextEncoder().encode(names), shstrOff);
  elf.set(new TextEncoder().encode(strings), strOff);
  const ksymAddr = 0xffffffff82000000n, strAddr = 0xffffffff82100000n;
  const section = (i: number, name: number, addr: bigint, offset: number, size: number) => {
    const o = shoff + 64 * i;
    dv.setUint32(o, name, true);
    dv.setBigUint64(o + 0x10, addr, true);
    dv.setBigUint64(o + 0x18, BigInt(offset), true);
    dv.setBigUint64(o + 0x20, BigInt(size), true);
  };
  section(1, 1, 0n, shstrOff, names.length);
  section(2, names.indexOf("__ksymtab"), ksymAddr, ksymOff, 24);
  section(3, names.indexOf("__ksymtab_strings"), strAddr, strOff, strings.length);
  const entry = (i: number, value: bigint, name: bigint) => {
    const at = ksymAddr + BigInt(12 * i);
    dv.setInt32(ksymOff + 12 * i, Number(value - at), true);
    dv.setInt32(ksymOff + 12 * i + 4, Number(name - (at + 4n)), true);
  };
  entry(0, 0xffffffff81001000n, strAddr);
  entry(1, 0xffffffff81000500n, strAddr + 4n);
  assert.equal(
    ksymtabMap(elf),
    "ffffffff81001000 T foo\nffffffff81000500 T bar\n",
  );
});

Deno.test("guest profile: the sampler counts running RIPs, idle and L2 time on its period", () => {
  const out = Deno.makeTempFileSync();
  const timers: { at: number; cb: (now: number) => void }[] = [];
  const vcpu = { activity: "active", nonRoot: false, rip: -0x7e000000 };
  const plugin = createGuestProfile({ period: 100, out });
  plugin.setup({
    vcpu,
    clock: { now: 0, schedule: (at: number, cb: (now: number) => void) => timers.push({ at, cb }) },
  } as never);
  const fire = () => {
    const t = timers.shift()!;
    t.cb(t.at);
    return t.at;
  };
  assert.equal(fire(), 100);
  vcpu.activity = "hlt";
  assert.equal(fire(), 200);
  vcpu.activity = "active";
  vcpu.nonRoot = true;
  assert.equal(fire(), 300);
  assert.equal(timers[0].at, 400, "the next sample is one period later");
  plugin.dispose!();
  // The sign-extended RIP is written as the 64-bit address it stands for.
  assert.deepEqual(JSON.parse(Deno.readTextFileSync(out)), {
    period: 100,
    idle: 1,
    l2: 1,
    rips: { ffffffff82000000: 1 },
  });
  Deno.removeSync(out);
});

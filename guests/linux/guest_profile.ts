/**
 * Where a Linux boot's guest time goes: a sampling profiler of the guest.
 *
 * As a plugin (`--plugin guests/linux/guest_profile.ts,out=FILE,period=NS`)
 * it samples vCPU 0 every `period` ns of virtual time (one retired
 * instruction is 1 ns, so while the vCPU runs a sample stands for `period`
 * instructions): the RIP when it executes, "idle" when it is halted, "L2"
 * in VMX non-root operation. At the end it writes the counts as JSON.
 *
 * As a script (`deno run -A guests/linux/guest_profile.ts FILE MAP [top]`)
 * it attributes the RIP samples to kernel functions and prints the busiest
 * ones. MAP is a System.map, or the vmlinux ELF itself, whose exported
 * symbols are used (see {@link ksymtabMap}). Addresses are valid for a PVH
 * boot (no KASLR there).
 *
 * A profiling aid only: its timer ends run slices at its deadlines, so it
 * is not part of the determinism check.
 *
 * @module
 */

import type { OptionsOf, Plugin } from "../../mod.ts";

/** Options: the output file and the sampling period. */
export const optionsSchema = {
  out: { type: "string", default: "guest-profile.json", doc: "JSON output file" },
  period: {
    type: "int",
    default: 100000,
    min: 1000,
    max: 1000000000,
    doc: "virtual ns between samples",
  },
} as const;

/** The profile file's contents. */
export interface GuestProfile {
  /** Virtual ns between samples. */
  readonly period: number;
  /** Samples with the vCPU halted (or waiting). */
  readonly idle: number;
  /** Samples in VMX non-root operation (an L2). */
  readonly l2: number;
  /** Samples by RIP (hex string) while the vCPU executed L1 code. */
  readonly rips: Record<string, number>;
}

/** Create the sampler. */
export default function createGuestProfile(
  options: Partial<OptionsOf<typeof optionsSchema>> = {},
): Plugin {
  const period = options.period ?? optionsSchema.period.default;
  const out = options.out ?? optionsSchema.out.default;
  let idle = 0;
  let l2 = 0;
  const rips = new Map<number, number>();
  return {
    name: "guest-profile",
    version: "1.0.0",
    apiVersion: 1,
    setup(ctx) {
      const tick = (now: number): void => {
        const v = ctx.vcpu;
        if (v.activity !== "active") idle++;
        else if (v.nonRoot) l2++;
        else rips.set(v.rip, (rips.get(v.rip) ?? 0) + 1);
        ctx.clock.schedule(now + period, tick, "guest-profile");
      };
      ctx.clock.schedule(ctx.clock.now + period, tick, "guest-profile");
    },
    dispose() {
      const profile: GuestProfile = {
        period,
        idle,
        l2,
        // The CPU keeps canonical upper-half RIPs sign-extended (negative numbers).
        rips: Object.fromEntries(
          [...rips].map(([r, n]) => [BigInt.asUintN(64, BigInt(r)).toString(16), n]),
        ),
      };
      Deno.writeTextFileSync(out, JSON.stringify(profile) + "\n");
    },
  };
}

/**
 * The kernel's exported symbols (`__ksymtab` and `__ksymtab_gpl` of an
 * x86-64 vmlinux ELF, entries of three 32-bit offsets relative to
 * themselves: value, name, namespace) in System.map format. Debian's
 * vmlinux has no symbol table and its System.map is a placeholder, so this
 * is what there is: a RIP is attributed to the nearest exported symbol at
 * or below it, which for a static function is the exported one before it.
 */
export function ksymtabMap(elf: Uint8Array): string {
  const dv = new DataView(elf.buffer, elf.byteOffset, elf.byteLength);
  const shoff = Number(dv.getBigUint64(0x28, true));
  const shentsize = dv.getUint16(0x3a, true);
  const shnum = dv.getUint16(0x3c, true);
  const shstrndx = dv.getUint16(0x3e, true);
  const sec = (i: number) => {
    const o = shoff + i * shentsize;
    return {
      name: dv.getUint32(o, true),
      addr: dv.getBigUint64(o + 0x10, true),
      offset: Number(dv.getBigUint64(o + 0x18, true)),
      size: Number(dv.getBigUint64(o + 0x20, true)),
    };
  };
  const strtab = sec(shstrndx);
  const cstr = (at: number): string => {
    let end = at;
    while (elf[end] !== 0) end++;
    return new TextDecoder().decode(elf.subarray(at, end));
  };
  const sections = Array.from({ length: shnum }, (_, i) => sec(i)).map((x) => ({
    ...x,
    label: cstr(strtab.offset + x.name),
  }));
  const byAddr = (addr: bigint): number => {
    const s = sections.find((x) => x.addr <= addr && addr < x.addr + BigInt(x.size));
    return s === undefined ? -1 : s.offset + Number(addr - s.addr);
  };
  const lines: string[] = [];
  for (const label of ["__ksymtab", "__ksymtab_gpl"]) {
    const s = sections.find((x) => x.label === label);
    if (s === undefined) continue;
    for (let o = 0; o + 12 <= s.size; o += 12) {
      const at = s.addr + BigInt(o);
      const value = BigInt.asUintN(64, at + BigInt(dv.getInt32(s.offset + o, true)));
      const nameAt = byAddr(at + 4n + BigInt(dv.getInt32(s.offset + o + 4, true)));
      if (nameAt < 0) continue;
      lines.push(`${value.toString(16).padStart(16, "0")} T ${cstr(nameAt)}`);
    }
  }
  return lines.join("\n") + "\n";
}

/** A symbol table: sorted text symbols from a System.map. */
export function parseSystemMap(text: string): { addr: bigint; name: string }[] {
  const out: { addr: bigint; name: string }[] = [];
  for (const line of text.split("\n")) {
    const [addr, type, name] = line.split(" ");
    if (name === undefined || !/^[tTwW]$/.test(type)) continue;
    out.push({ addr: BigInt("0x" + addr), name });
  }
  return out.sort((a, b) => (a.addr < b.addr ? -1 : a.addr > b.addr ? 1 : 0));
}

/** The function holding `rip` (the last symbol at or below it), or a hex address. */
export function symbolize(table: { addr: bigint; name: string }[], rip: bigint): string {
  let lo = 0, hi = table.length - 1, found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (table[mid].addr <= rip) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found < 0 || rip - table[found].addr > 0x100000n
    ? `0x${rip.toString(16)}`
    : table[found].name;
}

/** Samples by function, busiest first. */
export function byFunction(
  profile: GuestProfile,
  table: { addr: bigint; name: string }[],
): [string, number][] {
  const counts = new Map<string, number>();
  for (const [rip, n] of Object.entries(profile.rips)) {
    const name = symbolize(table, BigInt("0x" + rip));
    counts.set(name, (counts.get(name) ?? 0) + n);
  }
  return [...counts].sort((a, b) => b[1] - a[1]);
}

if (import.meta.main) {
  const [file, map, top = "30"] = Deno.args;
  if (!file || !map) {
    console.error("usage: guest_profile.ts PROFILE.json (System.map | vmlinux) [top]");
    Deno.exit(2);
  }
  const profile = JSON.parse(await Deno.readTextFile(file)) as GuestProfile;
  const mapBytes = await Deno.readFile(map);
  const isElf = mapBytes[0] === 0x7f && mapBytes[1] === 0x45 && mapBytes[2] === 0x4c;
  const table = parseSystemMap(
    isElf ? ksymtabMap(mapBytes) : new TextDecoder().decode(mapBytes),
  );
  const rows = byFunction(profile, table);
  const running = rows.reduce((s, [, n]) => s + n, 0);
  const total = running + profile.idle + profile.l2;
  console.log(
    `${total} samples every ${profile.period} virtual ns: ${running} running L1, ` +
      `${profile.idle} idle, ${profile.l2} in L2`,
  );
  for (const [name, n] of rows.slice(0, Number(top))) {
    console.log(
      `${(100 * n / running).toFixed(1).padStart(5)}%  ${String(n).padStart(7)}  ${name}`,
    );
  }
}

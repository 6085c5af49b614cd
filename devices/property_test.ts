/**
 * Property tests: random guest register traffic against each device (alone
 * and on the full board) never throws in the host, keeps reads in range,
 * keeps timers bounded, snapshots round-trip, and dispose leaves no timers.
 * Seeds are fixed so failures reproduce.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import type { Plugin } from "../core/plugin.ts";
import { FakeMachine } from "./testing.ts";
import { createUart16550 } from "./uart16550.ts";
import { createPic } from "./pic.ts";
import { createPit } from "./pit.ts";
import { createPort61 } from "./port61.ts";
import { createPort92 } from "./port92.ts";
import { createRtc } from "./rtc.ts";
import { createLapic } from "./lapic.ts";
import { createIoapic } from "./ioapic.ts";
import { createDebugExit } from "./debug_exit.ts";
import { createDebugcon } from "./debugcon.ts";
import { createFwCfg } from "./fw_cfg.ts";
import { createPcTestdev } from "./pc_testdev.ts";
import { pcBoard } from "./board_pc.ts";
import { fuzzRuns } from "../tests/fuzz_scale.ts";

type Op =
  | { k: "out"; port: number; size: 1 | 2 | 4; value: number }
  | { k: "in"; port: number; size: 1 | 2 | 4 }
  | { k: "mw"; addr: number; size: 1 | 2 | 4; value: number }
  | { k: "mr"; addr: number; size: 1 | 2 | 4 }
  | { k: "msr"; msr: number; value: bigint; write: boolean }
  | { k: "irq"; irq: number; level: boolean }
  | { k: "time"; ns: number }
  | { k: "inta" };

interface Target {
  name: string;
  make: () => Plugin[];
  ports: number[];
  mmio: number[];
  msrs: number[];
  /** Device-specific invariants, checked on saved state after every operation. */
  invariant?: (state: Record<string, unknown>, m: FakeMachine) => void;
}

/** The saved state of the first plugin, as plain data. */
function stateOf(p: Plugin): Record<string, unknown> {
  return JSON.parse(JSON.stringify(p.saveState!().data));
}

const inByte = (v: unknown): boolean =>
  typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= 0xff;

const size = fc.constantFrom<1 | 2 | 4>(1, 1, 1, 2, 4);
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const byte = fc.integer({ min: 0, max: 0xff });

function ops(t: Target): fc.Arbitrary<Op[]> {
  const list: fc.Arbitrary<Op>[] = [
    fc.record({
      k: fc.constant("irq" as const),
      irq: fc.integer({ min: 0, max: 23 }),
      level: fc.boolean(),
    }),
    fc.record({
      k: fc.constant("time" as const),
      ns: fc.oneof(fc.integer({ min: 0, max: 2000 }), fc.integer({ min: 0, max: 2e9 })),
    }),
    fc.constant({ k: "inta" as const }),
  ];
  if (t.ports.length > 0) {
    const port = fc.constantFrom(...t.ports);
    const val = fc.oneof(byte, u32);
    list.push(
      fc.record({ k: fc.constant("out" as const), port, size, value: val }),
      fc.record({ k: fc.constant("out" as const), port, size: fc.constant<1>(1), value: byte }),
      fc.record({ k: fc.constant("in" as const), port, size }),
    );
  }
  if (t.mmio.length > 0) {
    const addr = fc.tuple(fc.constantFrom(...t.mmio), fc.integer({ min: 0, max: 0x3ff })).map((
      [b, o],
    ) => b + o);
    const aligned = fc.tuple(fc.constantFrom(...t.mmio), fc.integer({ min: 0, max: 0x3f })).map((
      [b, o],
    ) => b + o * 16);
    list.push(
      fc.record({
        k: fc.constant("mw" as const),
        addr: aligned,
        size: fc.constant<4>(4),
        value: u32,
      }),
      fc.record({ k: fc.constant("mw" as const), addr, size, value: u32 }),
      fc.record({ k: fc.constant("mr" as const), addr: fc.oneof(addr, aligned), size }),
    );
  }
  if (t.msrs.length > 0) {
    list.push(fc.record({
      k: fc.constant("msr" as const),
      msr: fc.constantFrom(...t.msrs),
      value: fc.oneof(
        fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
        fc.bigInt({ min: 0n, max: 0xfffn }).map((v) => 0xfee00000n | v),
        u32.map(BigInt),
      ),
      write: fc.boolean(),
    }));
  }
  return fc.array(fc.oneof(...list), { maxLength: 120 });
}

function run(t: Target, seq: Op[]): void {
  const plugins = t.make();
  const m = new FakeMachine(64 * 1024 * 1024).load(...plugins);
  const inRange = (v: number, sz: number) => Number.isInteger(v) && v >= 0 && v < 2 ** (8 * sz);
  for (const op of seq) {
    switch (op.k) {
      case "out":
        m.out(op.port, op.size === 4 ? op.value : op.value % 2 ** (8 * op.size), op.size);
        break;
      case "in":
        assert.ok(inRange(m.in(op.port, op.size), op.size), `in ${op.port.toString(16)}`);
        break;
      case "mw":
        m.write(op.addr, op.value % 2 ** (8 * op.size), op.size);
        break;
      case "mr":
        assert.ok(inRange(m.read(op.addr, op.size), op.size), `read ${op.addr.toString(16)}`);
        break;
      case "msr": {
        const r = op.write ? m.wrmsr(op.msr, op.value) : m.rdmsr(op.msr);
        assert.ok(r.kind !== "ok" || r.value < 1n << 64n);
        break;
      }
      case "irq":
        m.setIrq(op.irq, op.level);
        break;
      case "time":
        m.advance(op.ns);
        break;
      case "inta":
        if (m.intr()) assert.ok(inRange(m.inta(), 1));
        break;
    }
    assert.ok(m.clock.pending <= 8, `timers bounded (${m.clock.owners().join(",")})`);
    if (t.invariant) t.invariant(stateOf(plugins[0]), m);
  }
  // Snapshots round-trip through JSON into fresh devices.
  const fresh = t.make();
  const m2 = new FakeMachine(64 * 1024 * 1024).load(...fresh);
  m2.advance(m.clock.now);
  plugins.forEach((p, i) => {
    const s = p.saveState?.();
    if (s === undefined) return;
    const json = JSON.parse(JSON.stringify(s));
    fresh[i].loadState!(json);
    assert.deepEqual(
      JSON.parse(JSON.stringify(fresh[i].saveState!())),
      json,
      `${p.name} state round-trip`,
    );
  });
  for (const p of plugins) p.reset?.();
  m.dispose();
  m2.dispose();
  assert.equal(m.clock.pending, 0, "dispose cancels timers");
  assert.equal(m2.clock.pending, 0, "dispose cancels timers (restored)");
}

const range = (a: number, n: number) => Array.from({ length: n }, (_, i) => a + i);

const targets: Target[] = [
  {
    name: "uart16550",
    make: () => [createUart16550({ output: () => {} })],
    ports: range(0x3f8, 8),
    mmio: [],
    msrs: [],
  },
  {
    name: "pic",
    make: () => [createPic()],
    ports: [0x20, 0x21, 0xa0, 0xa1, 0x4d0, 0x4d1],
    mmio: [],
    msrs: [],
  },
  {
    name: "pit+port61",
    make: () => [createPit(), createPort61()],
    ports: [...range(0x40, 4), 0x61],
    mmio: [],
    msrs: [],
  },
  {
    name: "rtc",
    make: () => [createRtc()],
    ports: [0x70, 0x71],
    mmio: [],
    msrs: [],
    invariant: (s) => {
      const ram = s.ram as number[];
      assert.equal(ram.length, 128);
      assert.ok(ram.every(inByte));
      assert.equal(ram[0x0d], 0x80, "register D: valid RAM and time");
      assert.equal(ram[0x0a] & 0x80, 0, "UIP is never stored");
      assert.equal(ram[0x0c] & 0x0f, 0, "register C low bits are 0");
    },
  },
  {
    name: "lapic",
    make: () => [createLapic()],
    ports: [],
    mmio: [0xfee00000, 0xfee00200, 0xfee00300],
    msrs: [0x1b, 0x6e0, 0x802, 0x808, 0x80b, 0x80f, 0x830, 0x832, 0x838, 0x83e, 0x83f, 0x8ff],
  },
  {
    name: "ioapic+lapic",
    make: () => [createLapic(), createIoapic()],
    ports: [],
    mmio: [0xfec00000, 0xfee00000, 0xfee00300],
    msrs: [0x1b],
  },
  {
    name: "debug-exit+debugcon+port92",
    make: () => [createDebugExit({ iobase: 0xf4, iosize: 4 }), createDebugcon(), createPort92()],
    ports: [0xf4, 0xf7, 0xe9, 0x92],
    mmio: [],
    msrs: [],
  },
  { name: "fw_cfg", make: () => [createFwCfg()], ports: [0x510, 0x511], mmio: [], msrs: [] },
  {
    name: "pc-testdev",
    make: () => [createPcTestdev()],
    ports: [0xe0, 0xe1, 0xe3, 0xe4, 0x2000, 0x2004, 0x2017],
    mmio: [0xff000000, 0xff00fc00],
    msrs: [],
  },
  {
    name: "pc board",
    make: () => pcBoard(),
    ports: [
      0x20,
      0x21,
      0xa0,
      0xa1,
      0x40,
      0x43,
      0x61,
      0x70,
      0x71,
      0x3f9,
      0x3fa,
      0x3fc,
      0x2000,
      0x2008,
    ],
    mmio: [0xfee00000, 0xfee00300, 0xfec00000],
    msrs: [0x1b, 0x6e0, 0x830],
  },
];

for (const t of targets) {
  Deno.test(`property: random register traffic on ${t.name} never throws and keeps invariants`, () => {
    fc.assert(fc.property(ops(t), (seq) => run(t, seq)), { seed: 0x5eed, numRuns: fuzzRuns(150) });
  });
}

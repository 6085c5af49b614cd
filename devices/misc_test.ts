import assert from "node:assert/strict";
import { createFwCfg, FwCfgKey, parseFwCfgOptions } from "./fw_cfg.ts";
import { createPcTestdev, TESTDEV_MMIO_BASE } from "./pc_testdev.ts";
import { createPort92 } from "./port92.ts";
import { createPic } from "./pic.ts";
import { FakeMachine } from "./testing.ts";

function fwRead(m: FakeMachine, key: number, n: number): number[] {
  m.out(0x510, key, 2);
  return Array.from({ length: n }, () => m.in(0x511));
}

Deno.test("fw_cfg: signature, ID, RAM size, CPU counts", () => {
  const m = new FakeMachine(256 * 1024 * 1024).load(createFwCfg());
  assert.equal(String.fromCharCode(...fwRead(m, FwCfgKey.SIGNATURE, 4)), "QEMU");
  assert.deepEqual(fwRead(m, FwCfgKey.ID, 4), [1, 0, 0, 0]);
  assert.deepEqual(fwRead(m, FwCfgKey.RAM_SIZE, 8), [0, 0, 0, 0x10, 0, 0, 0, 0]);
  assert.deepEqual(fwRead(m, FwCfgKey.NB_CPUS, 2), [1, 0]);
  assert.deepEqual(fwRead(m, FwCfgKey.MAX_CPUS, 2), [1, 0]);
  assert.deepEqual(fwRead(m, 0x1234, 2), [0, 0], "unknown keys read 0");
  assert.deepEqual(fwRead(m, FwCfgKey.SIGNATURE, 6).slice(4), [0, 0], "past the end reads 0");
});

Deno.test("fw_cfg: file directory", () => {
  const m = new FakeMachine().load(
    createFwCfg({ files: { "etc/test": new Uint8Array([7, 8, 9]) } }),
  );
  const dir = fwRead(m, FwCfgKey.FILE_DIR, 4 + 64);
  assert.deepEqual(dir.slice(0, 4), [0, 0, 0, 1]);
  assert.deepEqual(dir.slice(4, 8), [0, 0, 0, 3]);
  assert.deepEqual(dir.slice(8, 10), [0, 0x20]);
  assert.equal(String.fromCharCode(...dir.slice(12, 20)), "etc/test");
  assert.deepEqual(fwRead(m, 0x20, 3), [7, 8, 9]);
  assert.throws(() => createFwCfg({ cpus: 0 }), /at least 1/);
  assert.throws(() => parseFwCfgOptions({ cpus: "0" }), /out of range/);
});

Deno.test("pc-testdev: scratch register, IRQ ports, MMIO window", () => {
  const m = new FakeMachine().load(createPic(), createPcTestdev());
  m.out(0xe0, 0x12345678, 4);
  assert.equal(m.in(0xe0, 4), 0x12345678);
  m.out(0xe1, 0xab);
  assert.equal(m.in(0xe0, 4), 0x1234ab78);
  assert.equal(m.in(0xe2, 2), 0x1234);
  m.out(0x2000 + 14, 1);
  assert.equal(m.lineLevels.get(14), true);
  assert.equal(m.in(0x2000 + 14), 1);
  m.out(0x2000 + 14, 0);
  assert.equal(m.lineLevels.get(14), false);
  m.write(TESTDEV_MMIO_BASE + 0x100, 0xdeadbeef);
  assert.equal(m.read(TESTDEV_MMIO_BASE + 0x100), 0xdeadbeef);
  assert.equal(m.read(TESTDEV_MMIO_BASE + 0x102, 2), 0xdead);
  const p = m.plugins[1];
  const s = JSON.parse(JSON.stringify(p.saveState!()));
  p.reset!();
  assert.equal(m.read(TESTDEV_MMIO_BASE + 0x100), 0);
  p.loadState!(s);
  assert.equal(m.read(TESTDEV_MMIO_BASE + 0x100), 0xdeadbeef);
  assert.equal(m.in(0xe0, 4), 0x1234ab78);
});

Deno.test("port92: A20 bit reads back, bit 0 requests reset", () => {
  const m = new FakeMachine().load(createPort92());
  assert.equal(m.in(0x92), 2);
  m.out(0x92, 0);
  assert.equal(m.in(0x92), 0);
  assert.deepEqual(m.stops, []);
  m.out(0x92, 3);
  assert.deepEqual(m.stops, [{ kind: "reset" }]);
});

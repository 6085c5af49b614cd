import assert from "node:assert/strict";
import { nestvmRefusal } from "./probe.ts";

Deno.test("kut probe: options and devices nestvm does not have are refusals; known ones are not", () => {
  const base = ["-kernel", "x.flat", "-device", "pc-testdev", "-serial", "stdio"];
  assert.equal(nestvmRefusal(base), undefined);
  assert.equal(
    nestvmRefusal([...base, "-device", "isa-debug-exit,iobase=0xf4,iosize=4"]),
    undefined,
  );
  assert.equal(
    nestvmRefusal([...base, "-device", "intel-iommu,intremap=on"]),
    'unknown device "intel-iommu"',
  );
  assert.equal(
    nestvmRefusal([...base, "-device", "hyperv-testdev"]),
    'unknown device "hyperv-testdev"',
  );
  assert.match(String(nestvmRefusal([...base, "-smp", "65"])), /more than nestvm supports/);
});

import assert from "node:assert/strict";
import { DEVICE_CATALOG, deviceHelp, listDevices } from "./device_help.ts";
import { deviceFactories } from "./board_pc.ts";

Deno.test("device help: the catalog names exactly the devices --device builds", () => {
  const catalogued = DEVICE_CATALOG.flatMap((d) => d.names).sort();
  assert.deepEqual(catalogued, Object.keys(deviceFactories).sort());
});

Deno.test("device help: -device help lists devices; NAME,help lists options from the schema", () => {
  assert.match(listDevices(), /isa-debug-exit\s+exit with status \(value << 1\) \| 1/);
  assert.equal(deviceHelp("isa-debug-exit,iobase=0xf4"), null);
  assert.equal(deviceHelp("help"), listDevices());
  assert.equal(
    deviceHelp("isa-debug-exit,help"),
    [
      "exit with status (value << 1) | 1; 0xf4-0xf7 on the pc board",
      "isa-debug-exit options:",
      "  iobase=<integer 0..0xffff>  first I/O port (default 0x501)",
      "  iosize=<integer 1..4>  number of ports (default 2)",
    ].join("\n"),
  );
  assert.match(deviceHelp("frob,help")!, /^unknown device "frob"/);
});

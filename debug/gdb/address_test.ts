import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { parseGdbAddress } from "./address.ts";

Deno.test("gdb address: QEMU spellings, loopback by default", () => {
  assertEquals(parseGdbAddress("tcp::1234"), { host: "127.0.0.1", port: 1234 });
  assertEquals(parseGdbAddress("tcp:0.0.0.0:9000"), { host: "0.0.0.0", port: 9000 });
  assertEquals(parseGdbAddress("tcp:[::1]:1"), { host: "::1", port: 1 });
  assertEquals(typeof parseGdbAddress("udp::1234"), "string");
  assertEquals(typeof parseGdbAddress("tcp::70000"), "string");
});

/**
 * PAUSE ends a vCPU's turn (`core/smp_scheduler.ts`): a vCPU that spins
 * waiting for another lets it run at once instead of burning its whole
 * quantum. vCPU 0 starts vCPU 1 with INIT and SIPI from its ICR and spins
 * (PAUSE, compare, branch) until vCPU 1 has written a flag.
 *
 * @module
 */

import assert from "node:assert/strict";
import { bootFlat, createMachine } from "../plugins/machine_builder.ts";
import { DEFAULT_QUANTUM } from "../core/machine.ts";
import { PAUSE_NS } from "../core/stall.ts";
import { AP_MARK_AND_HALT, bytesOf, type Listing } from "./listing.ts";

/** vCPU 0 (64-bit): INIT and SIPI (vector 8) to APIC 1, then wait for 0x7000 = 0x42. */
const BSP: Listing = [
  ["bf 10 03 e0 fe", "mov edi,0xfee00310"],
  ["c7 07 00 00 00 01", "mov DWORD PTR [rdi],0x1000000"],
  ["bf 00 03 e0 fe", "mov edi,0xfee00300"],
  ["c7 07 00 45 00 00", "mov DWORD PTR [rdi],0x4500"],
  ["c7 07 08 46 00 00", "mov DWORD PTR [rdi],0x4608"],
  ["f3 90", "1: pause"],
  ["80 3c 25 00 70 00 00 42", "cmp BYTE PTR ds:0x7000,0x42"],
  ["75 f4", "jne 1b"],
  ["b0 00", "mov al,0x0"],
  ["e6 f4", "out 0xf4,al"],
  ["f4", "hlt"],
];

const AP = AP_MARK_AND_HALT;

function run(engine: "interp" | "jit") {
  const m = createMachine({ memoryMiB: 16, smp: 2, engine });
  bootFlat(
    m,
    [{ addr: 0x100000, data: bytesOf(BSP) }, { addr: 0x8000, data: bytesOf(AP) }],
    0x100000,
    "long64",
  );
  const r = m.run({ maxInstructions: 1_000_000 });
  const out = {
    reason: r.reason,
    bsp: m.cpus[0].retired,
    ap: m.cpus[1].retired,
    ns: r.virtualNs,
  };
  m.dispose();
  return out;
}

Deno.test("spin wait: PAUSE hands the turn over, the wait is one PAUSE, not a quantum", () => {
  const a = run("interp");
  assert.deepEqual(a.reason, { kind: "exit", status: 1 });
  // 5 to start vCPU 1, the PAUSE that yields, then the compare finds the flag: cmp, jne, mov, out.
  assert.equal(a.bsp, 5 + 1 + 4, `vCPU 0 retired ${a.bsp} (a quantum is ${DEFAULT_QUANTUM})`);
  assert.equal(a.ap, 3 + 2, "xor, mov, mov, cli, hlt");
  assert.ok(a.ns < a.bsp + a.ap + 3 * PAUSE_NS + 5000, `${a.ns} ns`);
  assert.deepEqual(run("jit"), a, "the block compiler interleaves the same");
});

/**
 * Everything that tells a guest how much RAM it has agrees with the RAM the
 * machine really maps (mm's `pcRamLayout`): the CMOS size bytes, the
 * Multiboot memory map and the Linux e820 map, for a machine with RAM above
 * 4 GiB.
 */
import assert from "node:assert/strict";
import { pcRamLayout } from "../mm/regions.ts";
import { defaultMemoryMap } from "../boot/multiboot_info.ts";
import { e820Map } from "../boot/linux/e820.ts";
import { createRtc } from "../devices/rtc.ts";
import { FakeMachine } from "../devices/testing.ts";

const GiB = 1024 * 1024 * 1024;
const RAM = 4 * GiB;
const [low, high] = pcRamLayout(RAM);

Deno.test("ram layout: CMOS 0x34/0x35 and 0x5b-0x5d describe the machine's low and high RAM", () => {
  const m = new FakeMachine(RAM).load(createRtc({}));
  const rd = (i: number): number => {
    m.out(0x70, i);
    return m.in(0x71);
  };
  assert.equal((rd(0x34) | (rd(0x35) << 8)) * 0x10000 + 0x1000000, low[1]);
  assert.equal((rd(0x5b) | (rd(0x5c) << 8) | (rd(0x5d) << 16)) * 0x10000, high[1]);
});

Deno.test("ram layout: the Multiboot map's RAM is the machine's RAM", () => {
  const ram = defaultMemoryMap(RAM).filter((e) => e.type === 1 && e.base >= 0x100000);
  assert.deepEqual(ram.map((e) => [e.base, e.length]), [[0x100000, low[1] - 0x100000], [
    high[0],
    high[1],
  ]]);
});

Deno.test("ram layout: the e820 map's RAM is the machine's RAM", () => {
  const ram = e820Map(RAM).filter((e) => e.type === 1 && e.addr >= 0x100000);
  assert.deepEqual(ram.map((e) => [e.addr, e.size]), [[0x100000, low[1] - 0x100000], [
    high[0],
    high[1],
  ]]);
});

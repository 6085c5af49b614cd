import assert from "node:assert/strict";
import { ArrayMemory } from "../array_memory.ts";
import { describeLoadError } from "../errors.ts";
import { AR_CODE32, AR_CODE64 } from "../entry_state.ts";
import { LINUX_BOOT_PARAMS_ADDR, LINUX_CMDLINE_ADDR, LINUX_PML4_ADDR, loadLinux } from "./load.ts";
import { parseSetupHeader } from "./setup_header.ts";
import { fixtureBzImage } from "./testing.ts";
import { BP } from "./boot_params.ts";

const MiB = 1024 * 1024;

function message(r: ReturnType<typeof loadLinux>): string {
  assert.equal(r.ok, false, "expected a load error");
  return r.ok ? "" : describeLoadError(r.error);
}

Deno.test("linux setup header: fields of a 2.15 fixture", () => {
  const r = parseSetupHeader(fixtureBzImage({ setupSects: 0, initSize: 0x123000 }));
  assert.ok(r.ok);
  assert.equal(r.header.version, 0x20f);
  assert.equal(r.header.setupSects, 4);
  assert.equal(r.header.kernelOffset, 5 * 512);
  assert.equal(r.header.initSize, 0x123000);
  assert.equal(r.header.headerEnd, 0x268);
  assert.equal(r.header.cmdlineSize, 2047);
});

Deno.test("linux load: 64-bit entry state, boot_params, command line and initrd", () => {
  const mem = new ArrayMemory(32 * MiB);
  const image = fixtureBzImage({ pmSize: 2048 });
  image[3 * 512 - 1] = 0; // marker inside the PM part below
  image[2 * 512 + 5] = 0xab;
  const initrd = new Uint8Array(10000).fill(7);
  const r = loadLinux(image, mem, { cmdline: "console=ttyS0 quiet", initrd });
  assert.ok(r.ok, r.ok ? "" : describeLoadError(r.error));
  const e = r.entry;
  assert.equal(e.mode, "long64");
  assert.equal(e.rip, 0x100200);
  assert.equal(e.gprs[6], LINUX_BOOT_PARAMS_ADDR); // RSI
  assert.equal(e.cr3, LINUX_PML4_ADDR);
  assert.equal(e.efer, 0x500);
  assert.equal(e.cr4 & 0x20, 0x20);
  assert.equal(e.cr0 >>> 0, 0x80000011);
  assert.equal(e.segs[1].selector, 0x10);
  assert.equal(e.segs[1].attrs, AR_CODE64);
  assert.equal(e.segs[2].selector, 0x18);
  assert.equal(e.rflags & 0x200, 0, "interrupts off");
  // The protected-mode part is at 1 MiB.
  assert.equal(mem.read(0x100005, 1), 0xab);
  // GDT entry 0x10 is a 64-bit code segment (L=1, D=0).
  assert.equal(mem.read(e.gdtr.base + 0x10 + 4, 4), 0x00af9a00);
  // Identity map: PML4[0] -> PDPT, PDPT[3] -> 4th PD, PD entry for 0x40000000.
  const pdpt = mem.read(LINUX_PML4_ADDR, 4) & ~0xfff;
  const pd3 = mem.read(pdpt + 24, 4) & ~0xfff;
  assert.equal(mem.read(pd3 + 8, 4), (0xc0200000 | 0x83) >>> 0);
  const bp = LINUX_BOOT_PARAMS_ADDR;
  assert.equal(mem.read(bp + 0x202, 4), 0x53726448, "setup header copied");
  assert.equal(mem.read(bp + BP.typeOfLoader, 1), 0xff);
  assert.equal(mem.read(bp + BP.sentinel, 1), 0);
  assert.equal(mem.read(bp + BP.cmdLinePtr, 4), LINUX_CMDLINE_ADDR);
  const cmd = new TextDecoder().decode(mem.readBytes(LINUX_CMDLINE_ADDR, 20));
  assert.equal(cmd, "console=ttyS0 quiet\0");
  // The initrd sits page aligned at the top of RAM.
  const ird = mem.read(bp + BP.ramdiskImage, 4);
  assert.equal(mem.read(bp + BP.ramdiskSize, 4), 10000);
  assert.equal(ird % 4096, 0);
  assert.ok(ird + 10000 <= 32 * MiB && ird + 10000 + 4096 > 32 * MiB, ird.toString(16));
  assert.equal(mem.read(ird + 9999, 1), 7);
  // e820: base memory, EBDA, BIOS area, RAM from 1 MiB to the end.
  const n = mem.read(bp + BP.e820Entries, 1);
  const map = [];
  for (let i = 0; i < n; i++) {
    const o = bp + BP.e820Table + 20 * i;
    map.push([mem.read(o, 4), mem.read(o + 8, 4), mem.read(o + 16, 4)]);
  }
  assert.deepEqual(map, [
    [0, 0x9fc00, 1],
    [0x9fc00, 0x400, 2],
    [0xe0000, 0x20000, 2],
    [0x100000, 31 * MiB, 1],
  ]);
  assert.equal(mem.read(bp + BP.altMemK, 4), 31 * 1024);
});

Deno.test("linux load: 32-bit entry without XLF_KERNEL_64, or when asked", () => {
  for (const [xlf, entry] of [[0, "auto"], [3, "32"]] as const) {
    const mem = new ArrayMemory(16 * MiB);
    const r = loadLinux(fixtureBzImage({ xloadflags: xlf }), mem, { entry });
    assert.ok(r.ok);
    assert.equal(r.entry.mode, "protected32");
    assert.equal(r.entry.rip, 0x100000);
    assert.equal(r.entry.cr0, 0x11);
    assert.equal(r.entry.efer, 0);
    assert.equal(r.entry.segs[1].attrs, AR_CODE32);
    assert.deepEqual([r.entry.gprs[6], r.entry.gprs[5], r.entry.gprs[7], r.entry.gprs[3]], [
      LINUX_BOOT_PARAMS_ADDR,
      0,
      0,
      0,
    ]);
    assert.equal(mem.read(r.entry.gdtr.base + 0x10 + 4, 4), 0x00cf9a00);
  }
  const mem = new ArrayMemory(16 * MiB);
  assert.match(
    message(loadLinux(fixtureBzImage({ xloadflags: 0 }), mem, { entry: "64" })),
    /XLF_KERNEL_64/,
  );
});

Deno.test("linux load: the initrd stays below initrd_addr_max", () => {
  const mem = new ArrayMemory(32 * MiB);
  const r = loadLinux(fixtureBzImage({ initrdAddrMax: 0xffffff }), mem, {
    initrd: new Uint8Array(5000),
  });
  assert.ok(r.ok);
  const ird = mem.read(LINUX_BOOT_PARAMS_ADDR + BP.ramdiskImage, 4);
  assert.equal(ird, 0x1000000 - 8192);
});

Deno.test("linux load: malformed images and options are clear errors, memory untouched", () => {
  const cases: [Uint8Array, RegExp, Parameters<typeof loadLinux>[2]?, number?][] = [
    [new Uint8Array(100), /not a Linux kernel/],
    [fixtureBzImage({ noHdrS: true }), /without "HdrS"/],
    [fixtureBzImage({ noBootFlag: true }), /0xAA55/],
    [fixtureBzImage({ version: 0x205 }), /protocol 2\.05 is too old \(need 2\.06/],
    [fixtureBzImage({ loadflags: 0 }), /zImage/],
    [fixtureBzImage({ jumpDisp: 0x20 }), /before the 2\.06 fields/],
    [fixtureBzImage({ kernelAlignment: 0x3000 }), /not a power of two/],
    [fixtureBzImage().subarray(0, 0x230), /truncated Linux image: setup header/],
    [fixtureBzImage({ setupSects: 1, pmSize: 0 }), /truncated Linux image: protected-mode/],
    [fixtureBzImage({ cmdlineSize: 4 }), /at most 4/, { cmdline: "hello" }],
    [fixtureBzImage({ initSize: 64 * MiB }), /kernel \(init_size\).*does not fit/],
    [fixtureBzImage(), /initrd \(16777216 bytes\) does not fit/, {
      initrd: new Uint8Array(16 * MiB),
    }],
  ];
  for (const [image, re, opts] of cases) {
    const mem = new ArrayMemory(16 * MiB);
    assert.match(message(loadLinux(image, mem, opts)), re);
    assert.ok(mem.bytes.every((b) => b === 0), `memory written for ${re}`);
  }
  // syssize claiming more than the file holds.
  const img = fixtureBzImage();
  new DataView(img.buffer).setUint32(0x1f4, 0x10000, true);
  assert.match(message(loadLinux(img, new ArrayMemory(16 * MiB))), /syssize/);
});

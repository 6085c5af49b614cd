/**
 * `-kernel` detects a Linux bzImage and boots it through the 32- or 64-bit
 * boot protocol: a synthetic image whose entry code reads boot_params (at
 * RSI) and reports through isa-debug-exit; malformed images exit with the
 * bad-image status 16 and a message.
 */
import assert from "node:assert/strict";
import { main } from "../cli/main.ts";
import { fixtureBzImage, fixturePvhElf } from "../boot/linux/testing.ts";

// mov al, [rsi+0x1e8] (e820_entries); add al, [rsi+0x210] (type_of_loader 0xff,
// so al = entries - 1); mov dx, 0xf4; out dx, al; hlt. The same bytes in
// 32- and 64-bit mode.
const REPORT = [
  0x8a,
  0x86,
  0xe8,
  0x01,
  0,
  0,
  0x02,
  0x86,
  0x10,
  0x02,
  0,
  0,
  0x66,
  0xba,
  0xf4,
  0x00,
  0xee,
  0xf4,
];
// A different value for the 32-bit entry: mov al, 0x21; out 0xf4, al.
const WRONG_ENTRY = [0xb0, 0x21, 0xe6, 0xf4, 0xf4];

async function run(
  image: Uint8Array,
  extra: string[] = [],
): Promise<{ status: number; err: string }> {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeFile(`${dir}/bzImage`, image);
    await Deno.writeFile(`${dir}/initrd`, new Uint8Array(3000).fill(1));
    let err = "";
    const status = await main(["-kernel", `${dir}/bzImage`, "-m", "64", ...extra], {
      stdout: () => {},
      stderr: (t) => (err += t + "\n"),
      cwd: dir,
    });
    return { status, err };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("cli: -kernel boots a bzImage at its 64-bit entry with boot_params in RSI", async () => {
  const r = await run(fixtureBzImage({ code32: WRONG_ENTRY, code64: REPORT }), [
    "-initrd",
    "initrd",
    "-append",
    "console=ttyS0",
  ]);
  // 4 e820 entries - 1 = 3: status (3 << 1) | 1.
  assert.equal(r.status, 7, r.err);
});

Deno.test("cli: -kernel boots a bzImage without XLF_KERNEL_64 at its 32-bit entry", async () => {
  const r = await run(fixtureBzImage({ xloadflags: 0, code32: REPORT, code64: WRONG_ENTRY }));
  assert.equal(r.status, 7, r.err);
});

Deno.test("cli: malformed bzImages exit with the bad-image status and a message", async () => {
  const old = await run(fixtureBzImage({ version: 0x204 }));
  assert.equal(old.status, 16);
  assert.match(old.err, /boot protocol 2\.04 is too old/);
  const huge = await run(fixtureBzImage({ initSize: 0x8000000 }));
  assert.equal(huge.status, 16);
  assert.match(huge.err, /does not fit in guest RAM/);
  const sector = new Uint8Array(4096);
  sector[0x1fe] = 0x55;
  sector[0x1ff] = 0xaa;
  const noHdrs = await run(sector);
  assert.equal(noHdrs.status, 16);
  assert.match(noHdrs.err, /without "HdrS"/);
});

Deno.test("cli: a bzImage powers off through ACPI S5 (status 0) and resets through the i8042 (14)", async () => {
  // mov dx, 0x604; mov ax, SLP_EN | (5 << 10); out dx, ax; hlt
  const s5 = [0x66, 0xba, 0x04, 0x06, 0x66, 0xb8, 0x00, 0x34, 0x66, 0xef, 0xf4];
  const off = await run(fixtureBzImage({ code64: s5 }));
  assert.equal(off.status, 0, off.err);
  // mov al, 0xfe; out 0x64, al; hlt
  const reset = await run(fixtureBzImage({ code64: [0xb0, 0xfe, 0xe6, 0x64, 0xf4] }));
  assert.equal(reset.status, 14, reset.err);
  // A sleep type that is not S5 does nothing: the guest goes on to report 0x21.
  const s3 = [0x66, 0xba, 0x04, 0x06, 0x66, 0xb8, 0x00, 0x2c, 0x66, 0xef, 0xb0, 0x21, 0xe6, 0xf4];
  const r3 = await run(fixtureBzImage({ code64: s3 }));
  assert.equal(r3.status, (0x21 << 1) | 1, r3.err);
});

Deno.test("cli: -kernel boots an ELF kernel with a PVH note (vmlinux) with EBX -> hvm_start_info", async () => {
  // cmp dword [ebx], 0x336ec578; jne bad; mov eax, [ebx+0x30] (memmap_entries); out 0xf4, al; hlt
  // bad: mov al, 0x20; out 0xf4, al; hlt
  const code = [
    0x81,
    0x3b,
    0x78,
    0xc5,
    0x6e,
    0x33,
    0x75,
    0x06,
    0x8b,
    0x43,
    0x30,
    0xe6,
    0xf4,
    0xf4,
    0xb0,
    0x20,
    0xe6,
    0xf4,
    0xf4,
  ];
  const r = await run(fixturePvhElf({ code }), ["-initrd", "initrd", "-append", "quiet"]);
  // 4 memory-map entries: status (4 << 1) | 1.
  assert.equal(r.status, 9, r.err);
  // Without the note (and without a Multiboot header) it is still a bad image.
  const none = await run(fixturePvhElf({ entry: null, code }));
  assert.equal(none.status, 16);
  assert.match(none.err, /no Multiboot header/);
});

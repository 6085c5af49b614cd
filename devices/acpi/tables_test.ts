import assert from "node:assert/strict";
import {
  ACPI_OFFSETS,
  buildAcpiTables,
  buildDsdt,
  buildMadt,
  byteSum,
  FACS_FIELDS,
  PC_ACPI_LAYOUT,
  pciWindows,
  type PlacedTable,
} from "./tables.ts";

const L = PC_ACPI_LAYOUT;
const RAM = 512 << 20;

function table(sig: string): PlacedTable {
  const t = buildAcpiTables(L, RAM).find((x) => x.signature === sig);
  assert.ok(t, sig);
  return t;
}

function dv(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

Deno.test("acpi tables: every table sums to zero and its length field is its size", () => {
  const all = buildAcpiTables(L, RAM);
  assert.deepEqual(all.map((t) => t.signature).sort(), [
    "APIC",
    "DSDT",
    "FACP",
    "FACS",
    "RSD PTR ",
    "RSDT",
    "XSDT",
  ]);
  for (const t of all) {
    if (t.signature === "RSD PTR " || t.signature === "FACS") continue;
    assert.equal(byteSum(t.bytes), 0, t.signature);
    assert.equal(dv(t.bytes).getUint32(4, true), t.bytes.length, t.signature);
    assert.equal(new TextDecoder().decode(t.bytes.subarray(0, 4)), t.signature);
  }
  // Corrupting one byte breaks the sum: the check can fail.
  const madt = table("APIC").bytes.slice();
  madt[50] ^= 1;
  assert.notEqual(byteSum(madt), 0);
});

Deno.test("acpi tables: RSDP (2.0) in the BIOS area with both checksums, pointing at RSDT and XSDT", () => {
  const r = table("RSD PTR ");
  assert.equal(r.addr % 16, 0);
  assert.ok(r.addr >= 0xe0000 && r.addr + 36 <= 0x100000);
  assert.equal(byteSum(r.bytes, 20), 0);
  assert.equal(byteSum(r.bytes, 36), 0);
  const d = dv(r.bytes);
  assert.equal(r.bytes[15], 2);
  assert.equal(d.getUint32(16, true), L.base + ACPI_OFFSETS.rsdt);
  assert.equal(d.getUint32(20, true), 36);
  assert.equal(d.getUint32(24, true), L.base + ACPI_OFFSETS.xsdt);
  const x = dv(table("XSDT").bytes);
  assert.deepEqual([x.getUint32(36, true), x.getUint32(44, true)], [
    L.base + ACPI_OFFSETS.fadt,
    L.base + ACPI_OFFSETS.madt,
  ]);
  const rs = dv(table("RSDT").bytes);
  assert.deepEqual([rs.getUint32(36, true), rs.getUint32(40, true)], [
    L.base + ACPI_OFFSETS.fadt,
    L.base + ACPI_OFFSETS.madt,
  ]);
});

Deno.test("acpi tables: FADT describes the PM blocks, timer, reset register and DSDT", () => {
  const f = table("FACP").bytes;
  const d = dv(f);
  assert.equal(f.length, 244);
  assert.equal(f[8], 3);
  assert.equal(d.getUint32(36, true), L.base + ACPI_OFFSETS.facs);
  assert.equal(d.getUint32(40, true), L.base + ACPI_OFFSETS.dsdt);
  assert.equal(Number(d.getBigUint64(140, true)), L.base + ACPI_OFFSETS.dsdt);
  // FIRMWARE_CTRL is set, so X_FIRMWARE_CTRL must be zero (ACPI 6.x 5.2.9).
  assert.equal(d.getBigUint64(132, true), 0n);
  assert.equal(d.getUint16(46, true), 9);
  assert.deepEqual([d.getUint32(56, true), d.getUint32(64, true), d.getUint32(76, true)], [
    0x600,
    0x604,
    0x608,
  ]);
  assert.deepEqual([f[88], f[89], f[91]], [4, 2, 4]);
  assert.equal(d.getUint32(112, true) & (1 << 10), 1 << 10, "RESET_REG_SUP");
  assert.equal(d.getUint32(112, true) & (1 << 4), 0, "PWR_BUTTON clear: a fixed power button");
  assert.equal(d.getUint32(112, true) & (1 << 5), 1 << 5, "SLP_BUTTON: no sleep button");
  assert.equal(d.getUint32(112, true) & (1 << 8), 0, "24-bit PM timer");
  // RESET_REG: system I/O, 8 bits, port 0xCF9; RESET_VALUE 6.
  assert.deepEqual([f[116], f[117], Number(d.getBigUint64(120, true)), f[128]], [1, 8, 0xcf9, 6]);
  // X_PM_TMR_BLK agrees with PM_TMR_BLK.
  assert.deepEqual([f[208], f[209], Number(d.getBigUint64(212, true))], [1, 32, 0x608]);
});

Deno.test("acpi tables: MADT lists each LAPIC, the IOAPIC, IRQ0 -> GSI 2 and LINT1 NMI", () => {
  const two = buildMadt({ ...L, apicIds: [0, 1] });
  assert.equal(byteSum(two), 0);
  const d = dv(two);
  assert.equal(d.getUint32(36, true), 0xfee00000);
  assert.equal(d.getUint32(40, true), 1);
  const entries: number[][] = [];
  for (let o = 44; o < two.length; o += two[o + 1]) {
    entries.push([...two.subarray(o, o + two[o + 1])]);
  }
  assert.deepEqual(entries, [
    [0, 8, 0, 0, 1, 0, 0, 0],
    [0, 8, 1, 1, 1, 0, 0, 0],
    [1, 12, 0, 0, 0x00, 0x00, 0xc0, 0xfe, 0, 0, 0, 0],
    [2, 10, 0, 0, 2, 0, 0, 0, 0, 0],
    [2, 10, 0, 9, 9, 0, 0, 0, 0x0d, 0],
    [4, 6, 0xff, 5, 0, 1],
  ]);
});

/** Name(_Sx, Package(4){typ, typ, 0, 0}) as AML bytes. */
function sleepPackage(digit: number, typ: number): number[] {
  return [0x08, 0x5f, 0x53, 0x30 + digit, 0x5f, 0x12, 0x08, 0x04, 0x0a, typ, 0x0a, typ, 0x00, 0x00];
}

Deno.test("acpi tables: the DSDT's AML starts with Name(_S3, {1, 1, 0, 0}) and Name(_S5, {5, 5, 0, 0})", () => {
  const t = buildDsdt(L, pciWindows(L, RAM));
  assert.deepEqual([...t.subarray(36, 50)], sleepPackage(3, 1));
  assert.deepEqual([...t.subarray(50, 64)], sleepPackage(5, 5));
  assert.equal(byteSum(t), 0);
  // Without S3 the DSDT has no \_S3: \_S5 comes first.
  const noS3 = buildDsdt({ ...L, s3SlpTyp: null }, pciWindows(L, RAM));
  assert.deepEqual([...noS3.subarray(36, 50)], sleepPackage(5, 5));
  assert.equal(noS3.length, t.length - 14);
  assert.equal(byteSum(noS3), 0);
});

Deno.test("acpi tables: FACS version 2 with 64BIT_WAKE_SUPPORTED_F and zero waking vectors", () => {
  const f = table("FACS");
  const d = dv(f.bytes);
  assert.equal(new TextDecoder().decode(f.bytes.subarray(0, 4)), "FACS");
  assert.equal(d.getUint32(4, true), 64);
  assert.equal(f.addr % 64, 0, "64-byte aligned (ACPI 6.x 5.2.10)");
  assert.equal(d.getUint32(FACS_FIELDS.firmwareWakingVector, true), 0);
  assert.equal(d.getUint32(FACS_FIELDS.flags, true), 2);
  assert.equal(d.getBigUint64(FACS_FIELDS.xFirmwareWakingVector, true), 0n);
  assert.equal(f.bytes[FACS_FIELDS.version], 2);
  assert.equal(d.getUint32(FACS_FIELDS.ospmFlags, true), 0);
});

Deno.test("acpi tables: the PCI root bridge's MMIO window runs from the end of low RAM to the I/O APIC", () => {
  assert.deepEqual(pciWindows(L, RAM), { mmioStart: 0x20000000, mmioEnd: 0xfebfffff });
  // RAM beyond the low limit continues at 4 GiB: the hole starts at the limit.
  assert.deepEqual(pciWindows(L, 4 * 1024 ** 3), { mmioStart: 0xe0000000, mmioEnd: 0xfebfffff });
  const small = buildDsdt(L, pciWindows(L, 128 << 20));
  const big = buildDsdt(L, pciWindows(L, RAM));
  assert.notDeepEqual(small, big, "the window follows the RAM size");
  assert.ok(
    table("DSDT").addr + big.length <= L.base + ACPI_OFFSETS.madt,
    "the DSDT ends before the MADT",
  );
});

const iasl = (() => {
  try {
    return new Deno.Command("iasl", { args: ["-v"], stdout: "null", stderr: "null" }).outputSync()
      .success;
  } catch {
    return false;
  }
})();

Deno.test({
  name: "acpi tables: iasl disassembles DSDT, FADT and MADT without errors (needs acpica-tools)",
  ignore: !iasl,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      const out: Record<string, string> = {};
      for (const sig of ["DSDT", "FACP", "APIC"]) {
        const path = `${dir}/${sig.toLowerCase()}.dat`;
        await Deno.writeFile(path, table(sig).bytes);
        const r = await new Deno.Command("iasl", { args: ["-d", path], cwd: dir }).output();
        const log = new TextDecoder().decode(r.stdout) + new TextDecoder().decode(r.stderr);
        assert.ok(r.success, log);
        out[sig] = await Deno.readTextFile(`${dir}/${sig.toLowerCase()}.dsl`);
        assert.doesNotMatch(out[sig], /Invalid|Error|\*\*\*\*/i, sig);
      }
      assert.match(out.DSDT, /Name \(_S3, Package \(0x04\)/);
      assert.match(out.DSDT, /Name \(_S5, Package \(0x04\)/);
      // The root bridge, with the resources its _CRS is meant to hold.
      const crs = out.DSDT.replace(/\/\/[^\n]*/g, "").replace(/\/\*.*?\*\//g, "")
        .replace(/\s+/g, " ");
      assert.match(crs, /Scope \(\\_SB\) \{ Device \(PCI0\)/);
      assert.match(crs, /Name \(_HID, EisaId \("PNP0A03"\) ?\)/);
      assert.match(crs, /Name \(_UID, Zero\)/);
      assert.match(
        crs,
        /WordBusNumber \(ResourceProducer, MinFixed, MaxFixed, PosDecode, 0x0000, 0x0000, 0x00FF, 0x0000, 0x0100/,
      );
      assert.match(crs, /IO \(Decode16, 0x0CF8, 0x0CF8, 0x01, 0x08/);
      assert.match(
        crs,
        /WordIO \(ResourceProducer, MinFixed, MaxFixed, PosDecode, EntireRange, 0x0000, 0x0000, 0x0CF7, 0x0000, 0x0CF8/,
      );
      assert.match(
        crs,
        /WordIO \(ResourceProducer, MinFixed, MaxFixed, PosDecode, EntireRange, 0x0000, 0x0D00, 0xFFFF, 0x0000, 0xF300/,
      );
      assert.match(
        crs,
        /DWordMemory \(ResourceProducer, PosDecode, MinFixed, MaxFixed, Cacheable, ReadWrite, 0x00000000, 0x000A0000, 0x000BFFFF, 0x00000000, 0x00020000/,
      );
      assert.match(
        crs,
        /DWordMemory \(ResourceProducer, PosDecode, MinFixed, MaxFixed, NonCacheable, ReadWrite, 0x00000000, 0x20000000, 0xFEBFFFFF, 0x00000000, 0xDEC00000/,
      );
      assert.match(out.FACP, /PM Timer Block Address : 00000608/);
      assert.match(out.APIC, /Interrupt Source Override/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

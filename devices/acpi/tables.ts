/**
 * The ACPI tables nestvm builds for its PC (ACPI 2.0+ layouts, ACPI
 * Specification 6.x chapter 5.2): RSDP, RSDT and XSDT, FADT (revision 3,
 * 244 bytes) with the PM timer, PM1 blocks, the fixed power button and the
 * reset register, FACS (version 2, with the waking vectors and
 * 64BIT_WAKE_SUPPORTED_F), MADT with the local APIC(s), the I/O APIC, the
 * IRQ0 -> GSI 2 and SCI interrupt source overrides and the LINT1 NMI, and a
 * DSDT whose AML (`aml.ts`) holds the \_S3 and \_S5 sleep packages and
 * the PCI root bridge. All checksums are computed so each table sums to
 * zero.
 *
 * @module
 */

import { pciRootAml, type PciRootWindows, sleepPackageAml } from "./aml.ts";
import { pcRamLayout } from "../../mm/regions.ts";

/** Fixed placement and I/O resources of the tables and the PM device. */
export interface AcpiLayout {
  /** Physical base of the table area (RSDP first; 16-byte aligned, in 0xE0000-0xFFFFF). */
  readonly base: number;
  /**
   * APIC IDs of the vCPUs (one MADT local-APIC entry each, at most
   * {@link MADT_MAX_CPUS}). The ACPI plugin replaces them with the machine's
   * own vCPUs when it writes the tables.
   */
  readonly apicIds: readonly number[];
  /** I/O APIC ID and MMIO base. */
  readonly ioapicId: number;
  /** I/O APIC MMIO base. */
  readonly ioapicBase: number;
  /** Local APIC MMIO base. */
  readonly lapicBase: number;
  /** PM1a event block port (4 bytes: PM1_STS, PM1_EN). */
  readonly pm1aEvt: number;
  /** PM1a control block port (2 bytes). */
  readonly pm1aCnt: number;
  /** PM timer port (4 bytes). */
  readonly pmTmr: number;
  /** SCI interrupt (ISA IRQ). */
  readonly sciIrq: number;
  /** Reset register port and value. */
  readonly resetPort: number;
  /** Value written to the reset register. */
  readonly resetValue: number;
  /** SLP_TYP value of \_S5 (soft off). */
  readonly s5SlpTyp: number;
  /** SLP_TYP value of \_S3 (suspend to RAM), or null: no S3 (no \_S3 in the DSDT). */
  readonly s3SlpTyp: number | null;
  /** ISA IRQ of the RTC, whose assertion sets PM1_STS.RTC_STS. */
  readonly rtcIrq: number;
}

/** The layout of the `pc` board. */
export const PC_ACPI_LAYOUT: AcpiLayout = {
  base: 0xe0000,
  apicIds: [0],
  ioapicId: 0,
  ioapicBase: 0xfec00000,
  lapicBase: 0xfee00000,
  pm1aEvt: 0x600,
  pm1aCnt: 0x604,
  pmTmr: 0x608,
  sciIrq: 9,
  resetPort: 0xcf9,
  resetValue: 0x06,
  s5SlpTyp: 5,
  // The PIIX4's encoding of suspend to RAM, which guests written for QEMU's
  // pc machine (kvm-unit-tests' s3 among them) also assume.
  s3SlpTyp: 1,
  rtcIrq: 8,
};

/** OEM ID in every table. */
export const ACPI_OEM_ID = "NESTVM";
/** OEM table ID in every table. */
export const ACPI_OEM_TABLE_ID = "NESTVMPC";

/** Offsets of the tables from {@link AcpiLayout.base}. */
export const ACPI_OFFSETS = {
  rsdp: 0x000,
  rsdt: 0x040,
  xsdt: 0x080,
  facs: 0x0c0,
  fadt: 0x100,
  dsdt: 0x200,
  /** The MADT comes last: it grows by 8 bytes per vCPU. */
  madt: 0x400,
  /** End of the area. */
  end: 0x700,
} as const;

/** Most local-APIC entries the MADT's place in the table area holds. */
export const MADT_MAX_CPUS: number = Math.floor((ACPI_OFFSETS.end - ACPI_OFFSETS.madt - 82) / 8);

/**
 * FADT flags: WBINVD, PROC_C1, SLP_BUTTON (no sleep button), RESET_REG_SUP.
 * PWR_BUTTON is clear: the power button is the fixed-feature one (PM1
 * PWRBTN_STS/PWRBTN_EN).
 */
export const FADT_FLAGS = (1 << 0) | (1 << 2) | (1 << 5) | (1 << 10);
/** FACS flags: 64BIT_WAKE_SUPPORTED_F (the firmware can enter a 64-bit waking vector). */
export const FACS_FLAGS = 1 << 1;
/** Offsets of the FACS fields (ACPI 6.x Table 5.14). */
export const FACS_FIELDS = {
  hardwareSignature: 8,
  firmwareWakingVector: 12,
  globalLock: 16,
  flags: 20,
  xFirmwareWakingVector: 24,
  version: 32,
  ospmFlags: 36,
} as const;
/** IAPC_BOOT_ARCH: LEGACY_DEVICES and 8042. */
export const IAPC_BOOT_ARCH = 0x3;

/** Two's-complement byte that makes `bytes` sum to zero modulo 256 when stored at `at`. */
export function fixChecksum(bytes: Uint8Array, at: number, length = bytes.length): void {
  bytes[at] = 0;
  let sum = 0;
  for (let i = 0; i < length; i++) sum += bytes[i];
  bytes[at] = (256 - (sum & 0xff)) & 0xff;
}

/** Sum of `bytes[0..length)` modulo 256 (0 for a valid table). */
export function byteSum(bytes: Uint8Array, length = bytes.length): number {
  let sum = 0;
  for (let i = 0; i < length; i++) sum += bytes[i];
  return sum & 0xff;
}

class Writer {
  readonly bytes: Uint8Array;
  readonly dv: DataView;
  constructor(size: number) {
    this.bytes = new Uint8Array(size);
    this.dv = new DataView(this.bytes.buffer);
  }
  ascii(off: number, text: string, width: number): void {
    for (let i = 0; i < width; i++) {
      this.bytes[off + i] = i < text.length ? text.charCodeAt(i) : 0x20;
    }
  }
  u8(off: number, v: number): void {
    this.bytes[off] = v;
  }
  u16(off: number, v: number): void {
    this.dv.setUint16(off, v, true);
  }
  u32(off: number, v: number): void {
    this.dv.setUint32(off, v >>> 0, true);
  }
  u64(off: number, v: number): void {
    this.dv.setUint32(off, v >>> 0, true);
    this.dv.setUint32(off + 4, Math.floor(v / 0x100000000) >>> 0, true);
  }
  /** Generic Address Structure in system I/O space. */
  gasIo(off: number, port: number, bitWidth: number, accessSize: number): void {
    this.u8(off, 1);
    this.u8(off + 1, bitWidth);
    this.u8(off + 2, 0);
    this.u8(off + 3, accessSize);
    this.u64(off + 4, port);
  }
  /** The 36-byte System Description Table header; the checksum is fixed by {@link finish}. */
  header(signature: string, revision: number): void {
    this.ascii(0, signature, 4);
    this.u32(4, this.bytes.length);
    this.u8(8, revision);
    this.ascii(10, ACPI_OEM_ID, 6);
    this.ascii(16, ACPI_OEM_TABLE_ID, 8);
    this.u32(24, 1); // OEM revision
    this.ascii(28, "NVMT", 4); // creator ID
    this.u32(32, 1); // creator revision
  }
  finish(): Uint8Array {
    fixChecksum(this.bytes, 9);
    return this.bytes;
  }
}

/** RSDP (ACPI 2.0+, 36 bytes) pointing at the RSDT and XSDT. */
export function buildRsdp(rsdt: number, xsdt: number): Uint8Array {
  const w = new Writer(36);
  w.ascii(0, "RSD PTR ", 8);
  w.ascii(9, ACPI_OEM_ID, 6);
  w.u8(15, 2); // revision 2: ACPI 2.0+
  w.u32(16, rsdt);
  w.u32(20, 36);
  w.u64(24, xsdt);
  fixChecksum(w.bytes, 8, 20); // covers the ACPI 1.0 part
  fixChecksum(w.bytes, 32, 36); // extended checksum
  return w.bytes;
}

/** RSDT (32-bit entries) or XSDT (64-bit entries). */
export function buildSdt(kind: "RSDT" | "XSDT", entries: readonly number[]): Uint8Array {
  const width = kind === "RSDT" ? 4 : 8;
  const w = new Writer(36 + width * entries.length);
  w.header(kind, 1);
  entries.forEach((e, i) => (width === 4 ? w.u32(36 + 4 * i, e) : w.u64(36 + 8 * i, e)));
  return w.finish();
}

/**
 * FACS (64 bytes, version 2; no checksum by definition). The waking vectors
 * and OSPM flags start at zero: the operating system fills them before it
 * sleeps.
 */
export function buildFacs(): Uint8Array {
  const w = new Writer(64);
  w.ascii(0, "FACS", 4);
  w.u32(4, 64);
  w.u32(FACS_FIELDS.flags, FACS_FLAGS);
  w.u8(FACS_FIELDS.version, 2);
  return w.bytes;
}

/** FADT revision 3 (244 bytes) for the layout, pointing at the FACS and DSDT. */
export function buildFadt(l: AcpiLayout, facs: number, dsdt: number): Uint8Array {
  const w = new Writer(244);
  w.header("FACP", 3);
  w.u32(36, facs);
  w.u32(40, dsdt);
  w.u16(46, l.sciIrq);
  w.u32(48, 0); // SMI_CMD 0: always in ACPI mode (SCI_EN reads 1)
  w.u32(56, l.pm1aEvt);
  w.u32(64, l.pm1aCnt);
  w.u32(76, l.pmTmr);
  w.u8(88, 4); // PM1_EVT_LEN
  w.u8(89, 2); // PM1_CNT_LEN
  w.u8(91, 4); // PM_TMR_LEN
  w.u16(96, 0x0fff); // P_LVL2_LAT > 100: no C2
  w.u16(98, 0x0fff); // P_LVL3_LAT > 1000: no C3
  w.u8(108, 0x32); // CENTURY: CMOS register 0x32
  w.u16(109, IAPC_BOOT_ARCH);
  w.u32(112, FADT_FLAGS);
  w.gasIo(116, l.resetPort, 8, 1);
  w.u8(128, l.resetValue);
  // X_FIRMWARE_CTRL (132) stays 0: FIRMWARE_CTRL is set, and ACPI 6.x (5.2.9)
  // says then X_FIRMWARE_CTRL must be zero.
  w.u64(140, dsdt);
  w.gasIo(148, l.pm1aEvt, 32, 0);
  w.gasIo(172, l.pm1aCnt, 16, 0);
  w.gasIo(208, l.pmTmr, 32, 0);
  return w.finish();
}

/** MADT: local APICs, the I/O APIC, IRQ0 -> GSI 2 and the SCI overrides, LINT1 as NMI. */
export function buildMadt(l: AcpiLayout): Uint8Array {
  if (l.apicIds.length < 1 || l.apicIds.length > MADT_MAX_CPUS) {
    throw new RangeError(`the MADT holds 1..${MADT_MAX_CPUS} local APICs, not ${l.apicIds.length}`);
  }
  const size = 44 + 8 * l.apicIds.length + 12 + 10 * 2 + 6;
  const w = new Writer(size);
  w.header("APIC", 3);
  w.u32(36, l.lapicBase);
  w.u32(40, 1); // PCAT_COMPAT: dual 8259s present
  let o = 44;
  l.apicIds.forEach((id, i) => {
    w.u8(o, 0); // processor local APIC
    w.u8(o + 1, 8);
    w.u8(o + 2, i); // ACPI processor UID
    w.u8(o + 3, id);
    w.u32(o + 4, 1); // enabled
    o += 8;
  });
  w.u8(o, 1); // I/O APIC
  w.u8(o + 1, 12);
  w.u8(o + 2, l.ioapicId);
  w.u32(o + 4, l.ioapicBase);
  w.u32(o + 8, 0); // GSI base
  o += 12;
  const override = (source: number, gsi: number, flags: number): void => {
    w.u8(o, 2);
    w.u8(o + 1, 10);
    w.u8(o + 2, 0); // ISA bus
    w.u8(o + 3, source);
    w.u32(o + 4, gsi);
    w.u16(o + 8, flags);
    o += 10;
  };
  override(0, 2, 0); // the PIT's IRQ0 is on I/O APIC pin 2, bus-default polarity/trigger
  override(l.sciIrq, l.sciIrq, 0x000d); // SCI: active high, level triggered
  w.u8(o, 4); // local APIC NMI
  w.u8(o + 1, 6);
  w.u8(o + 2, 0xff); // all processors
  w.u16(o + 3, 0x0005); // active high, edge
  w.u8(o + 5, 1); // LINT1
  return w.finish();
}

/**
 * DSDT (revision 2: 64-bit AML integers) holding the \_S3 package (when the
 * layout offers S3), the \_S5 package and the PCI root bridge whose 32-bit
 * MMIO window is `windows` (see `aml.ts`).
 */
export function buildDsdt(l: AcpiLayout, windows: PciRootWindows): Uint8Array {
  const parts = [
    ...(l.s3SlpTyp === null ? [] : [sleepPackageAml("_S3", l.s3SlpTyp)]),
    sleepPackageAml("_S5", l.s5SlpTyp),
    pciRootAml(windows),
  ];
  const w = new Writer(36 + parts.reduce((n, p) => n + p.length, 0));
  w.header("DSDT", 2);
  let at = 36;
  for (const p of parts) {
    w.bytes.set(p, at);
    at += p.length;
  }
  return w.finish();
}

/**
 * The root bridge's 32-bit MMIO window for `ramBytes` of RAM: from the end
 * of low RAM in the PC layout to just below the I/O APIC.
 */
export function pciWindows(l: AcpiLayout, ramBytes: number): PciRootWindows {
  const low = pcRamLayout(ramBytes)[0];
  return { mmioStart: low === undefined ? 0x100000 : low[0] + low[1], mmioEnd: l.ioapicBase - 1 };
}

/** One table placed at a physical address. */
export interface PlacedTable {
  /** Signature ("RSD PTR " for the RSDP). */
  readonly signature: string;
  /** Physical address. */
  readonly addr: number;
  /** The bytes. */
  readonly bytes: Uint8Array;
}

/** Build every table for the layout and `ramBytes` of RAM, placed at their addresses. */
export function buildAcpiTables(l: AcpiLayout, ramBytes: number): PlacedTable[] {
  const at = (o: number): number => l.base + o;
  const tables: PlacedTable[] = [
    { signature: "FACS", addr: at(ACPI_OFFSETS.facs), bytes: buildFacs() },
    {
      signature: "FACP",
      addr: at(ACPI_OFFSETS.fadt),
      bytes: buildFadt(l, at(ACPI_OFFSETS.facs), at(ACPI_OFFSETS.dsdt)),
    },
    { signature: "APIC", addr: at(ACPI_OFFSETS.madt), bytes: buildMadt(l) },
    {
      signature: "DSDT",
      addr: at(ACPI_OFFSETS.dsdt),
      bytes: buildDsdt(l, pciWindows(l, ramBytes)),
    },
  ];
  const listed = [at(ACPI_OFFSETS.fadt), at(ACPI_OFFSETS.madt)];
  tables.push(
    { signature: "RSDT", addr: at(ACPI_OFFSETS.rsdt), bytes: buildSdt("RSDT", listed) },
    { signature: "XSDT", addr: at(ACPI_OFFSETS.xsdt), bytes: buildSdt("XSDT", listed) },
    {
      signature: "RSD PTR ",
      addr: at(ACPI_OFFSETS.rsdp),
      bytes: buildRsdp(at(ACPI_OFFSETS.rsdt), at(ACPI_OFFSETS.xsdt)),
    },
  );
  for (const t of tables) {
    const o = t.addr - l.base;
    const next = Object.values(ACPI_OFFSETS).filter((v) => v > o).sort((a, b) => a - b)[0];
    if (o + t.bytes.length > next) {
      throw new RangeError(`ACPI ${t.signature} (${t.bytes.length} bytes) overruns its slot`);
    }
  }
  return tables;
}

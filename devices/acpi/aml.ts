/**
 * The AML nestvm's DSDT holds, assembled byte by byte (ACPI Specification
 * 6.x chapter 20, AML grammar; chapter 6.4, resource descriptors):
 *
 * - `Name (\_S3, Package (4) { s3, s3, 0, 0 })` and the same for \_S5: the
 *   SLP_TYP values of suspend to RAM and soft off (PM1a and PM1b);
 * - `Scope (\_SB) { Device (PCI0) { ... } }`, the PCI root bridge behind
 *   configuration mechanism #1: `_HID` EISAID("PNP0A03"), `_UID` 0 and a
 *   `_CRS` producing bus numbers 0-255, I/O 0-0xCF7 and 0xD00-0xFFFF, the
 *   legacy VGA window 0xA0000-0xBFFFF and the 32-bit MMIO hole from the end
 *   of low RAM to just below the I/O APIC, and consuming the configuration
 *   ports 0xCF8-0xCFF.
 *
 * @module
 */

const NAME_OP = 0x08;
const BYTE_PREFIX = 0x0a;
const WORD_PREFIX = 0x0b;
const DWORD_PREFIX = 0x0c;
const ZERO_OP = 0x00;
const SCOPE_OP = 0x10;
const BUFFER_OP = 0x11;
const PACKAGE_OP = 0x12;
const EXT_OP_PREFIX = 0x5b;
const DEVICE_OP = 0x82; // after ExtOpPrefix
const ROOT_CHAR = 0x5c; // '\'

/** A 4-character NameSeg (ACPI 6.x 20.2.2), padded with '_'. */
export function nameSeg(name: string): number[] {
  if (!/^[A-Z_][A-Z0-9_]{0,3}$/.test(name)) throw new RangeError(`bad AML NameSeg "${name}"`);
  return [...name.padEnd(4, "_")].map((c) => c.charCodeAt(0));
}

/**
 * PkgLength (ACPI 6.x 20.2.4) for `bodyLength` bytes following it: the
 * encoded length counts its own bytes. One byte up to 63, else a lead byte
 * holding the count of following bytes and the low 4 bits.
 */
export function pkgLength(bodyLength: number): number[] {
  if (bodyLength + 1 <= 0x3f) return [bodyLength + 1];
  for (let extra = 1; extra <= 3; extra++) {
    const total = bodyLength + 1 + extra;
    if (total < 1 << (4 + 8 * extra)) {
      const out = [(extra << 6) | (total & 0x0f)];
      for (let i = 0; i < extra; i++) out.push((total >> (4 + 8 * i)) & 0xff);
      return out;
    }
  }
  throw new RangeError(`AML package of ${bodyLength} bytes is too long`);
}

/** The smallest integer constant encoding of `v` (ZeroOp, OneOp or a prefixed constant). */
export function integer(v: number): number[] {
  if (v === 0) return [ZERO_OP];
  if (v === 1) return [0x01];
  if (v <= 0xff) return [BYTE_PREFIX, v];
  if (v <= 0xffff) return [WORD_PREFIX, v & 0xff, v >> 8];
  return [DWORD_PREFIX, ...le(v, 4)];
}

function le(v: number, bytes: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < bytes; i++) out.push(Math.floor(v / 2 ** (8 * i)) & 0xff);
  return out;
}

/**
 * A compressed EISA ID as AML emits it (`EISAID("PNP0A03")`): three
 * letters of 5 bits each and a 16-bit product number, big-endian in
 * memory, as a DWordConst.
 */
export function eisaId(id: string): number[] {
  if (!/^[A-Z]{3}[0-9A-F]{4}$/.test(id)) throw new RangeError(`bad EISA ID "${id}"`);
  const l = (i: number) => id.charCodeAt(i) - 0x40;
  const vendor = (l(0) << 10) | (l(1) << 5) | l(2);
  const product = parseInt(id.slice(3), 16);
  return [DWORD_PREFIX, vendor >> 8, vendor & 0xff, product >> 8, product & 0xff];
}

/**
 * `Name (\_Sx, Package (4) { slpTyp, slpTyp, 0, 0 })` (ACPI 6.x 7.4.2):
 * the SLP_TYP values for PM1a and PM1b of sleeping state `name` ("_S3",
 * "_S5"), then two reserved elements.
 */
export function sleepPackageAml(name: "_S3" | "_S5", slpTyp: number): Uint8Array {
  if (!Number.isInteger(slpTyp) || slpTyp < 0 || slpTyp > 7) {
    throw new RangeError(`SLP_TYP ${slpTyp} is not 0..7`);
  }
  const elements = [BYTE_PREFIX, slpTyp, BYTE_PREFIX, slpTyp, ZERO_OP, ZERO_OP];
  const body = [4, ...elements]; // NumElements, elements
  return new Uint8Array([
    NAME_OP,
    ...nameSeg(name), // top level of the DSDT: the root scope

    PACKAGE_OP,
    ...pkgLength(body.length),
    ...body,
  ]);
}

/** `Name (\_S5, Package (4) { slpTyp, slpTyp, 0, 0 })`: {@link sleepPackageAml} for soft off. */
export function s5Aml(slpTyp: number): Uint8Array {
  return sleepPackageAml("_S5", slpTyp);
}

/** Address space resource types of the Word/DWord address descriptors. */
const RESOURCE_MEMORY = 0;
const RESOURCE_IO = 1;
const RESOURCE_BUS = 2;
/** General flags: min and max fixed, positive decode, producer (bit 0 clear). */
const PRODUCER_FIXED = 0x0c;

/** Word Address Space Descriptor (ACPI 6.x 6.4.3.5.3), 16 bytes. */
function wordAddress(type: number, typeFlags: number, min: number, max: number): number[] {
  return [
    0x88,
    ...le(13, 2),
    type,
    PRODUCER_FIXED,
    typeFlags,
    ...le(0, 2), // granularity
    ...le(min, 2),
    ...le(max, 2),
    ...le(0, 2), // translation offset
    ...le(max - min + 1, 2),
  ];
}

/** DWord Address Space Descriptor (ACPI 6.x 6.4.3.5.2), 26 bytes, memory. */
function dwordMemory(cacheable: boolean, min: number, max: number): number[] {
  // Type-specific flags: bit 0 read-write, bits 2:1 cacheable (1) or not (0).
  const flags = 0x01 | (cacheable ? 0x02 : 0);
  return [
    0x87,
    ...le(23, 2),
    RESOURCE_MEMORY,
    PRODUCER_FIXED,
    flags,
    ...le(0, 4),
    ...le(min, 4),
    ...le(max, 4),
    ...le(0, 4),
    ...le(max - min + 1, 4),
  ];
}

/** I/O Port Descriptor (ACPI 6.x 6.4.2.5), 16-bit decode, 8 bytes. */
function ioPort(base: number, length: number): number[] {
  return [0x47, 0x01, ...le(base, 2), ...le(base, 2), 0x01, length];
}

/** The PCI root bridge's windows. */
export interface PciRootWindows {
  /** First byte of the 32-bit MMIO window (end of low RAM). */
  readonly mmioStart: number;
  /** Last byte of the 32-bit MMIO window (below the I/O APIC). */
  readonly mmioEnd: number;
}

/** The `_CRS` resource template bytes of the root bridge (ending in an End Tag). */
export function pciRootCrs(w: PciRootWindows): number[] {
  return [
    ...wordAddress(RESOURCE_BUS, 0, 0x00, 0xff),
    ...ioPort(0xcf8, 8),
    ...wordAddress(RESOURCE_IO, 0x03, 0x0000, 0x0cf7), // 0x03: ISA and non-ISA ranges
    ...wordAddress(RESOURCE_IO, 0x03, 0x0d00, 0xffff),
    ...dwordMemory(true, 0x000a0000, 0x000bffff),
    ...dwordMemory(false, w.mmioStart, w.mmioEnd),
    0x79,
    0x00, // End Tag; checksum 0 means "treat as valid"
  ];
}

/** `Scope (\_SB) { Device (PCI0) { _HID, _UID, _CRS } }`. */
export function pciRootAml(w: PciRootWindows): Uint8Array {
  const crs = pciRootCrs(w);
  const bufferBody = [...integer(crs.length), ...crs];
  const device = [
    ...nameSeg("PCI0"),
    NAME_OP,
    ...nameSeg("_HID"),
    ...eisaId("PNP0A03"),
    NAME_OP,
    ...nameSeg("_UID"),
    ZERO_OP,
    NAME_OP,
    ...nameSeg("_CRS"),
    BUFFER_OP,
    ...pkgLength(bufferBody.length),
    ...bufferBody,
  ];
  const scope = [
    ROOT_CHAR,
    ...nameSeg("_SB"),
    EXT_OP_PREFIX,
    DEVICE_OP,
    ...pkgLength(device.length),
    ...device,
  ];
  return new Uint8Array([SCOPE_OP, ...pkgLength(scope.length), ...scope]);
}

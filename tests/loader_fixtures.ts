/**
 * Builders of small synthetic kernel images for the loader tests: ELF32 and
 * ELF64 executables with a Multiboot header, and a.out-kludge images.
 *
 * @module
 */

/** A segment of a synthetic ELF image. */
export interface FixtureSegment {
  /** Physical address. */
  paddr: number;
  /** Virtual address (default = paddr). */
  vaddr?: bigint;
  /** File bytes. */
  data: Uint8Array;
  /** Memory size (default = data length). */
  memsz?: number;
}

/** Options of {@link makeElf}. */
export interface ElfFixture {
  bits: 32 | 64;
  machine?: number;
  entry: bigint;
  segments: FixtureSegment[];
  /** Multiboot header flags; null for no header. */
  mbFlags?: number | null;
  /** Override the checksum. */
  mbChecksum?: number;
}

/** A 12-byte Multiboot header. */
export function mbHeader(flags: number, checksum?: number): Uint8Array {
  const out = new Uint8Array(12);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, 0x1badb002, true);
  dv.setUint32(4, flags, true);
  dv.setUint32(8, checksum ?? ((-(0x1badb002 + flags)) >>> 0), true);
  return out;
}

/** Build an ELF executable; the Multiboot header is placed right after the program headers. */
export function makeElf(f: ElfFixture): Uint8Array {
  const is64 = f.bits === 64;
  const eh = is64 ? 64 : 52;
  const ph = is64 ? 56 : 32;
  const headerStart = eh + ph * f.segments.length;
  const mb = f.mbFlags === null ? new Uint8Array(0) : mbHeader(f.mbFlags ?? 0, f.mbChecksum);
  let off = headerStart + mb.length;
  const offsets: number[] = [];
  for (const s of f.segments) {
    offsets.push(off);
    off += s.data.length;
  }
  const out = new Uint8Array(off);
  const dv = new DataView(out.buffer);
  out.set([0x7f, 0x45, 0x4c, 0x46, is64 ? 2 : 1, 1, 1], 0);
  dv.setUint16(16, 2, true);
  dv.setUint16(18, f.machine ?? (is64 ? 62 : 3), true);
  dv.setUint32(20, 1, true);
  if (is64) {
    dv.setBigUint64(24, f.entry, true);
    dv.setBigUint64(32, BigInt(eh), true);
    dv.setUint16(52, eh, true);
    dv.setUint16(54, ph, true);
    dv.setUint16(56, f.segments.length, true);
  } else {
    dv.setUint32(24, Number(f.entry), true);
    dv.setUint32(28, eh, true);
    dv.setUint16(40, eh, true);
    dv.setUint16(42, ph, true);
    dv.setUint16(44, f.segments.length, true);
  }
  f.segments.forEach((s, i) => {
    const p = eh + i * ph;
    const vaddr = s.vaddr ?? BigInt(s.paddr);
    const memsz = s.memsz ?? s.data.length;
    dv.setUint32(p, 1, true);
    if (is64) {
      dv.setUint32(p + 4, 7, true);
      dv.setBigUint64(p + 8, BigInt(offsets[i]), true);
      dv.setBigUint64(p + 16, vaddr, true);
      dv.setBigUint64(p + 24, BigInt(s.paddr), true);
      dv.setBigUint64(p + 32, BigInt(s.data.length), true);
      dv.setBigUint64(p + 40, BigInt(memsz), true);
    } else {
      dv.setUint32(p + 4, offsets[i], true);
      dv.setUint32(p + 8, Number(vaddr), true);
      dv.setUint32(p + 12, s.paddr, true);
      dv.setUint32(p + 16, s.data.length, true);
      dv.setUint32(p + 20, memsz, true);
      dv.setUint32(p + 24, 7, true);
    }
    out.set(s.data, offsets[i]);
  });
  out.set(mb, headerStart);
  return out;
}

/** Fields of an a.out-kludge image. */
export interface AoutFixture {
  /** Bytes before the header in the file. */
  prefix: number;
  headerAddr: number;
  loadAddr: number;
  loadEndAddr: number;
  bssEndAddr: number;
  entryAddr: number;
  /** Bytes after the header. */
  body: Uint8Array;
}

/** Build an a.out-kludge image: `prefix` zero bytes, a 32-byte header (flags bit 16), body. */
export function makeAout(a: AoutFixture): Uint8Array {
  const out = new Uint8Array(a.prefix + 32 + a.body.length);
  out.set(mbHeader(0x10002), a.prefix);
  const dv = new DataView(out.buffer);
  dv.setUint32(a.prefix + 12, a.headerAddr, true);
  dv.setUint32(a.prefix + 16, a.loadAddr, true);
  dv.setUint32(a.prefix + 20, a.loadEndAddr, true);
  dv.setUint32(a.prefix + 24, a.bssEndAddr, true);
  dv.setUint32(a.prefix + 28, a.entryAddr, true);
  out.set(a.body, a.prefix + 32);
  return out;
}

/** `n` bytes with a recognizable pattern. */
export function pattern(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 7 + seed) & 0xff;
  return out;
}

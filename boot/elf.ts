/**
 * ELF32/ELF64 parsing for the loaders: the header, and the PT_LOAD program
 * headers with their physical load addresses. Pure and allocation-light;
 * every malformed or truncated input is a {@link LoadError} value.
 *
 * @module
 */

import type { LoadError } from "./errors.ts";

/** ELF machine numbers we accept. */
export const EM_386 = 3;
/** x86-64 (also in ELF32 containers, e.g. x32 or objcopy output). */
export const EM_X86_64 = 62;
const PT_LOAD = 1;
const ET_EXEC = 2;

/** One PT_LOAD segment. Physical addresses are numbers; virtual ones bigint. */
export interface ElfSegment {
  /** Program header index. */
  readonly index: number;
  /** Load (physical) address, p_paddr. */
  readonly paddr: number;
  /** Virtual address, p_vaddr (bigint: may be a high-half address). */
  readonly vaddr: bigint;
  /** Offset of the file bytes in the image. */
  readonly offset: number;
  /** Bytes copied from the file. */
  readonly filesz: number;
  /** Bytes occupied in memory (the rest is zeroed BSS). */
  readonly memsz: number;
  /** p_flags (1 X, 2 W, 4 R). */
  readonly flags: number;
}

/** A parsed ELF executable. */
export interface ElfImage {
  /** 32 or 64. */
  readonly bits: 32 | 64;
  /** e_machine (3 i386, 62 x86-64). */
  readonly machine: number;
  /** e_entry (virtual). */
  readonly entry: bigint;
  /** PT_LOAD segments with memsz > 0, in program-header order. */
  readonly segments: readonly ElfSegment[];
}

/** Result of {@link parseElf}. */
export type ElfResult =
  | { readonly ok: true; readonly elf: ElfImage }
  | { readonly ok: false; readonly error: LoadError };

/** True if the image starts with the ELF magic. */
export function isElf(image: Uint8Array): boolean {
  return image.length >= 4 && image[0] === 0x7f && image[1] === 0x45 &&
    image[2] === 0x4c && image[3] === 0x46;
}

const MAX_PHYS = 2 ** 52;

function truncated(what: string, needed: number, available: number): ElfResult {
  return { ok: false, error: { kind: "truncated", what, needed, available } };
}

/** Parse an ELF executable's header and PT_LOAD program headers. */
export function parseElf(image: Uint8Array): ElfResult {
  if (!isElf(image)) return { ok: false, error: { kind: "not-elf" } };
  if (image.length < 16) return truncated("ELF identification", 16, image.length);
  const cls = image[4];
  if (cls !== 1 && cls !== 2) {
    return { ok: false, error: { kind: "unsupported-elf-class", elfClass: cls } };
  }
  if (image[5] !== 1) {
    return { ok: false, error: { kind: "unsupported-elf-encoding", encoding: image[5] } };
  }
  const is64 = cls === 2;
  const ehSize = is64 ? 64 : 52;
  if (image.length < ehSize) return truncated("ELF header", ehSize, image.length);
  const dv = new DataView(image.buffer, image.byteOffset, image.byteLength);
  const type = dv.getUint16(16, true);
  const machine = dv.getUint16(18, true);
  if (type !== ET_EXEC) {
    return { ok: false, error: { kind: "unsupported-elf-type", elfType: type } };
  }
  if (machine !== EM_386 && machine !== EM_X86_64) {
    return { ok: false, error: { kind: "unsupported-elf-machine", machine } };
  }
  if (is64 && machine !== EM_X86_64) {
    return { ok: false, error: { kind: "unsupported-elf-machine", machine } };
  }
  const entry = is64 ? dv.getBigUint64(24, true) : BigInt(dv.getUint32(24, true));
  const phoffBig = is64 ? dv.getBigUint64(32, true) : BigInt(dv.getUint32(28, true));
  const phentsize = dv.getUint16(is64 ? 54 : 42, true);
  const phnum = dv.getUint16(is64 ? 56 : 44, true);
  const minEnt = is64 ? 56 : 32;
  if (phnum > 0 && phentsize < minEnt) {
    return truncated("ELF program header entry", minEnt, phentsize);
  }
  const tableEnd = phoffBig + BigInt(phentsize) * BigInt(phnum);
  if (tableEnd > BigInt(image.length)) {
    return truncated(
      "ELF program headers",
      Number(tableEnd > BigInt(MAX_PHYS) ? MAX_PHYS : tableEnd),
      image.length,
    );
  }
  const phoff = Number(phoffBig);
  const segments: ElfSegment[] = [];
  for (let i = 0; i < phnum; i++) {
    const p = phoff + i * phentsize;
    if (dv.getUint32(p, true) !== PT_LOAD) continue;
    let offset: bigint, vaddr: bigint, paddr: bigint, filesz: bigint, memsz: bigint;
    let flags: number;
    if (is64) {
      flags = dv.getUint32(p + 4, true);
      offset = dv.getBigUint64(p + 8, true);
      vaddr = dv.getBigUint64(p + 16, true);
      paddr = dv.getBigUint64(p + 24, true);
      filesz = dv.getBigUint64(p + 32, true);
      memsz = dv.getBigUint64(p + 40, true);
    } else {
      offset = BigInt(dv.getUint32(p + 4, true));
      vaddr = BigInt(dv.getUint32(p + 8, true));
      paddr = BigInt(dv.getUint32(p + 12, true));
      filesz = BigInt(dv.getUint32(p + 16, true));
      memsz = BigInt(dv.getUint32(p + 20, true));
      flags = dv.getUint32(p + 24, true);
    }
    if (filesz > memsz) {
      return {
        ok: false,
        error: { kind: "bad-segment", index: i, reason: "file size exceeds memory size" },
      };
    }
    if (memsz === 0n) continue;
    if (offset + filesz > BigInt(image.length)) {
      return {
        ok: false,
        error: {
          kind: "segment-outside-file",
          index: i,
          offset: Number(offset > BigInt(MAX_PHYS) ? MAX_PHYS : offset),
          size: Number(filesz > BigInt(MAX_PHYS) ? MAX_PHYS : filesz),
          fileSize: image.length,
        },
      };
    }
    if (paddr + memsz > BigInt(MAX_PHYS)) {
      return {
        ok: false,
        error: { kind: "bad-segment", index: i, reason: "physical address range overflows" },
      };
    }
    segments.push({
      index: i,
      paddr: Number(paddr),
      vaddr,
      offset: Number(offset),
      filesz: Number(filesz),
      memsz: Number(memsz),
      flags,
    });
  }
  if (segments.length === 0) return { ok: false, error: { kind: "no-loadable-segments" } };
  return { ok: true, elf: { bits: is64 ? 64 : 32, machine, entry, segments } };
}

/**
 * Translate the virtual entry point to a physical address through the
 * segment that contains it; -1 if no segment does.
 */
export function entryPhysical(elf: ElfImage): number {
  for (const s of elf.segments) {
    if (elf.entry >= s.vaddr && elf.entry < s.vaddr + BigInt(s.memsz)) {
      return s.paddr + Number(elf.entry - s.vaddr);
    }
  }
  return -1;
}

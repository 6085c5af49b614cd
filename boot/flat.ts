/**
 * The flat-binary loader (`--load ADDR:FILE --entry ADDR`): copies raw
 * files to physical addresses and describes an entry state in real mode,
 * 32-bit protected mode (flat segments) or 64-bit long mode (the loader
 * builds a GDT and identity page tables for the first 4 GiB with 2 MiB
 * pages in guest memory, at `systemBase`).
 *
 * @module
 */

import type { GuestMemory } from "../mm/types.ts";
import {
  AR_CODE32,
  AR_CODE64,
  AR_LDT,
  AR_REAL_CODE,
  AR_REAL_DATA,
  AR_TSS_BUSY,
  CR0_ET,
  CR0_PE,
  CR0_PG,
  CR4_PAE,
  EFER_LMA,
  EFER_LME,
  type EntryMode,
  type EntryState,
  flatSegments,
  gprsWith,
  Reg,
  segment,
} from "./entry_state.ts";
import type { LoadError } from "./errors.ts";
import type { LoadResult } from "./multiboot.ts";
import { place, type PlacedRange } from "./placement.ts";

/** One raw file to place. */
export interface FlatFile {
  /** Physical load address. */
  readonly addr: number;
  /** The bytes to place. */
  readonly data: Uint8Array;
  /** Name used in error messages; default "file N". */
  readonly name?: string;
}

/** Options of {@link loadFlat}. */
export interface FlatOptions {
  /** Entry point (physical = linear). */
  readonly entry: number;
  /** Execution mode at entry. */
  readonly mode: EntryMode;
  /** Initial RSP; default 0. */
  readonly stack?: number;
  /** Where the GDT (and for long64 the page tables) go; default 0x1000. */
  readonly systemBase?: number;
}

/** Default placement of the loader-built GDT and page tables. */
export const DEFAULT_SYSTEM_BASE = 0x1000;

/** Parse a `--load ADDR:FILE` argument (ADDR decimal or 0x-hex). */
export function parseLoadSpec(
  spec: string,
): { ok: true; addr: number; path: string } | { ok: false; error: LoadError } {
  const colon = spec.indexOf(":");
  if (colon <= 0 || colon === spec.length - 1) {
    return {
      ok: false,
      error: { kind: "bad-option", reason: `--load expects ADDR:FILE, got "${spec}"` },
    };
  }
  const addr = parseAddress(spec.slice(0, colon));
  if (addr === null) {
    return { ok: false, error: { kind: "bad-option", reason: `bad load address in "${spec}"` } };
  }
  return { ok: true, addr, path: spec.slice(colon + 1) };
}

/** Parse an address (decimal or 0x-hex, below 2^52); null if malformed. */
export function parseAddress(text: string): number | null {
  const t = text.trim().replaceAll("_", "");
  if (!/^(0x[0-9a-fA-F]+|[0-9]+)$/.test(t)) return null;
  const v = Number(t);
  return Number.isSafeInteger(v) && v < 2 ** 52 ? v : null;
}

const GDT_NULL = [0, 0];
const GDT_CODE32 = [0x0000ffff, 0x00cf9a00];
const GDT_CODE64 = [0x0000ffff, 0x00af9a00];
const GDT_DATA = [0x0000ffff, 0x00cf9200];

function systemTables(mode: EntryMode, base: number): Uint8Array {
  if (mode === "protected32") {
    const out = new Uint8Array(24);
    const dv = new DataView(out.buffer);
    [GDT_NULL, GDT_CODE32, GDT_DATA].forEach((d, i) => {
      dv.setUint32(8 * i, d[0], true);
      dv.setUint32(8 * i + 4, d[1], true);
    });
    return out;
  }
  // long64: page 0 GDT, 1 PML4, 2 PDPT, 3-6 page directories.
  const out = new Uint8Array(7 * 4096);
  const dv = new DataView(out.buffer);
  [GDT_NULL, GDT_CODE64, GDT_DATA].forEach((d, i) => {
    dv.setUint32(8 * i, d[0], true);
    dv.setUint32(8 * i + 4, d[1], true);
  });
  dv.setUint32(4096, base + 2 * 4096 + 3, true);
  for (let i = 0; i < 4; i++) dv.setUint32(2 * 4096 + 8 * i, base + (3 + i) * 4096 + 3, true);
  for (let i = 0; i < 2048; i++) {
    const pa = i * 0x200000;
    dv.setUint32(3 * 4096 + 8 * i, (pa >>> 0) | 0x83, true);
    dv.setUint32(3 * 4096 + 8 * i + 4, Math.floor(pa / 0x100000000), true);
  }
  return out;
}

/** Load raw files and describe the entry state for `opts.mode`. */
export function loadFlat(
  files: readonly FlatFile[],
  memory: GuestMemory,
  opts: FlatOptions,
): LoadResult {
  const ram = memory.ramSize;
  const placed: PlacedRange[] = [];
  for (let i = 0; i < files.length; i++) {
    const f = files[i];
    const err = place(
      placed,
      { what: f.name ?? `file ${i}`, addr: f.addr, size: f.data.length },
      ram,
    );
    if (err) return { ok: false, error: err };
  }
  const inImage = placed.some((r) => opts.entry >= r.addr && opts.entry < r.addr + r.size);
  if (!inImage) return { ok: false, error: { kind: "entry-outside-image", entry: opts.entry } };
  const sysBase = opts.systemBase ?? DEFAULT_SYSTEM_BASE;
  let tables: Uint8Array | null = null;
  if (opts.mode !== "real") {
    if (sysBase % 4096 !== 0) {
      return {
        ok: false,
        error: { kind: "bad-option", reason: "systemBase must be 4 KiB aligned" },
      };
    }
    tables = systemTables(opts.mode, sysBase);
    const what = opts.mode === "long64" ? "loader GDT and page tables" : "loader GDT";
    const err = place(placed, { what, addr: sysBase, size: tables.length }, ram);
    if (err) return { ok: false, error: err };
  } else if (opts.entry >= 0x100000) {
    return {
      ok: false,
      error: { kind: "bad-option", reason: "real-mode entry must be below 1 MiB" },
    };
  }
  for (const f of files) memory.writeBytes(f.addr, f.data);
  if (tables) memory.writeBytes(sysBase, tables);

  const stack = opts.stack ?? 0;
  let state: EntryState;
  if (opts.mode === "real") {
    const cs = opts.entry < 0x10000 ? 0 : (opts.entry >>> 4) & 0xf000;
    const data = () => segment(0, 0, 0xffff, AR_REAL_DATA);
    state = {
      mode: "real",
      gprs: gprsWith({ [Reg.RSP]: stack & 0xffff }),
      rip: opts.entry - cs * 16,
      rflags: 0x2,
      cr0: CR0_ET,
      cr3: 0,
      cr4: 0,
      efer: 0,
      segs: [
        data(),
        segment(cs, cs * 16, 0xffff, AR_REAL_CODE),
        data(),
        data(),
        data(),
        data(),
        segment(0, 0, 0xffff, AR_LDT),
        segment(0, 0, 0xffff, AR_TSS_BUSY),
      ],
      gdtr: { base: 0, limit: 0xffff },
      idtr: { base: 0, limit: 0x3ff },
    };
  } else {
    const long = opts.mode === "long64";
    state = {
      mode: opts.mode,
      gprs: gprsWith({ [Reg.RSP]: stack }),
      rip: opts.entry,
      rflags: 0x2,
      cr0: (CR0_PE | CR0_ET | (long ? CR0_PG : 0)) >>> 0,
      cr3: long ? sysBase + 4096 : 0,
      cr4: long ? CR4_PAE : 0,
      efer: long ? EFER_LME | EFER_LMA : 0,
      segs: flatSegments(0x08, 0x10, long ? AR_CODE64 : AR_CODE32),
      gdtr: { base: sysBase, limit: 23 },
      idtr: { base: 0, limit: 0 },
    };
  }
  return {
    ok: true,
    entry: state,
    layout: { format: "flat", ranges: placed, infoAddr: 0, modules: [] },
  };
}

/**
 * The cached copy of the current vmcs12 and its "checked" memo.
 *
 * While a VMCS is current, the processor may keep its data anywhere (SDM
 * Vol. 3C 25.11.1: a VMCS region's contents are undefined to software
 * while it is active, and writes to it by ordinary memory accesses are not
 * supported); VMCLEAR, VMPTRLD of another VMCS and VMXOFF make the data
 * reach memory again (25.11.3). The VMX plugin keeps the current vmcs12 in
 * a private buffer of {@link VMCS12_CACHE_SIZE} bytes: the 4 KiB region
 * image followed by a small trailer that never reaches guest memory.
 *
 * The trailer makes the VM-entry checks memoizable exactly: every write to
 * a field that some check reads sets the stale word when the value
 * changes ({@link touch}); a VM entry whose checks all passed, with no
 * guest-memory input (VMCS link pointer all ones, no PAE PDPTEs read from
 * memory), clears it and records the one piece of vCPU state the checks
 * read (IA32_EFER.LMA, for the host checks). The next entry with the stale
 * word still clear reads exactly the inputs that passed before, so only the
 * checks on fields that are not tracked (guest RIP) run again. The SDM's
 * rule that every check is performed on every entry is kept: the outcome
 * is the one the full checks would give.
 *
 * Not tracked (written freely without invalidating the memo): the
 * read-only VM-exit information fields, guest RSP (no check reads them),
 * guest RIP (checked on every entry), and the region header (revision,
 * abort indicator, launch state: checked on every entry).
 *
 * @module
 */

import { F, FIELD_TABLE, FieldType } from "./fields.ts";
import { fieldOffset, VMCS12_SIZE } from "./layout.ts";

/** Bytes of a cache buffer: the region image, then the trailer. */
export const VMCS12_CACHE_SIZE = VMCS12_SIZE + 16;
/** Trailer: non-zero when a tracked field changed since the last full, passing check. */
const OFF_STALE = VMCS12_SIZE;
/** Trailer: IA32_EFER.LMA (0/1) the host-state checks passed with. */
const OFF_HOST_LMA = VMCS12_SIZE + 4;

/** 1 for every byte offset of the region that belongs to a tracked field. */
export const TRACKED: Uint8Array = (() => {
  const t = new Uint8Array(VMCS12_SIZE);
  const untracked = new Set<number>([F.GUEST_RIP, F.GUEST_RSP]);
  for (const f of FIELD_TABLE) {
    if (f.type === FieldType.ExitInfo || untracked.has(f.encoding)) continue;
    const off = fieldOffset(f.encoding);
    t.fill(1, off, off + f.size);
  }
  return t;
})();

/** True when `d` is a cache view (it has the trailer). */
export function isCacheView(d: DataView): boolean {
  return d.byteLength === VMCS12_CACHE_SIZE;
}

/** Note a changed value at byte offset `off` (no-op for untracked fields and plain views). */
export function touch(d: DataView, off: number): void {
  if (TRACKED[off] !== 0 && d.byteLength === VMCS12_CACHE_SIZE) d.setUint32(OFF_STALE, 1, true);
}

/** Invalidate the memo outright (a fresh cache, or a wholesale change). */
export function markStale(d: DataView): void {
  if (d.byteLength === VMCS12_CACHE_SIZE) d.setUint32(OFF_STALE, 1, true);
}

/**
 * True when the last full check passed with the current values of every
 * tracked field and with the same IA32_EFER.LMA (`hostLma`, 0 or 1).
 */
export function checksStillPass(d: DataView, hostLma: number): boolean {
  return d.byteLength === VMCS12_CACHE_SIZE && d.getUint32(OFF_STALE, true) === 0 &&
    d.getUint32(OFF_HOST_LMA, true) === hostLma;
}

/** Record that the full checks just passed with IA32_EFER.LMA = `hostLma`. */
export function recordChecksPassed(d: DataView, hostLma: number): void {
  if (d.byteLength !== VMCS12_CACHE_SIZE) return;
  d.setUint32(OFF_STALE, 0, true);
  d.setUint32(OFF_HOST_LMA, hostLma, true);
}
